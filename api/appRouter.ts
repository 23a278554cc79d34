// The tRPC router of the service; its type is what the typed client (api/client.ts) is built from.
import { taxonomyRouter } from "./routers/taxonomyRouter.ts"
import { router } from "./trpc.ts"

export const appRouter = router({
  taxonomy: taxonomyRouter
})

export type AppRouter = typeof appRouter
