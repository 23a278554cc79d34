// The typed client the POSTD frontend and our tests use over HTTP.
import { createTRPCClient, httpBatchLink } from "@trpc/client"
import type { AppRouter } from "./appRouter.ts"

export type { AppRouter }

export const createClient = (url: string, token?: string) =>
  createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url,
        headers: () => (token === undefined ? {} : { authorization: `Bearer ${token}` })
      })
    ]
  })
