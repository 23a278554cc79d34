// The tRPC router of the service; its type is what the typed client (api/client.ts) is built from.
import { backfillRouter } from "./routers/backfillRouter.ts"
import { connectionsRouter } from "./routers/connectionsRouter.ts"
import { dlqRouter } from "./routers/dlqRouter.ts"
import { postsRouter } from "./routers/postsRouter.ts"
import { taxonomyRouter } from "./routers/taxonomyRouter.ts"
import { router } from "./trpc.ts"

export const appRouter = router({
  taxonomy: taxonomyRouter,
  connections: connectionsRouter,
  posts: postsRouter,
  backfill: backfillRouter,
  dlq: dlqRouter
})

export type AppRouter = typeof appRouter
