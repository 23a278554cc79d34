// `posts.*`: schedule a post (the row and its publish job commit together), list the tenant's posts
// newest first with a cursor, and one post with its attempt timeline.
import { Clock, Effect } from "effect"
import { ConnectionRepo } from "../../db/ConnectionRepo.ts"
import { PostRepo } from "../../db/PostRepo.ts"
import { PublishAttemptRepo } from "../../db/PublishAttemptRepo.ts"
import { PostScheduler } from "../../jobs/PostScheduler.ts"
import { input, memberProcedure, router, run } from "../trpc.ts"
import { PostIdInput, PostsListInput, ScheduleInput } from "./inputs.ts"
import { type AttemptView, attemptView, type PostView, postView } from "./views.ts"

export const postsRouter = router({
  schedule: memberProcedure.input(input(ScheduleInput)).mutation(
    ({ ctx, input }): Promise<PostView> =>
      run(
        ctx,
        Effect.gen(function* () {
          const connection = yield* (yield* ConnectionRepo).get(ctx.principal.tenantId, input.connectionId)
          const scheduledAt = input.scheduledAt === undefined ? new Date(yield* Clock.currentTimeMillis) : new Date(input.scheduledAt)
          const post = yield* (yield* PostScheduler).schedule({
            tenantId: ctx.principal.tenantId,
            connectionId: connection.id,
            content: {
              text: input.text,
              format: input.format ?? "text",
              mediaUrls: input.mediaUrls ?? [],
              title: input.title,
              link: input.link
            },
            scheduledAt,
            dedupeKey: input.dedupeKey,
            requestId: ctx.requestId
          })
          return postView(post, connection.platform)
        })
      )
  ),

  list: memberProcedure.input(input(PostsListInput)).query(
    ({ ctx, input }): Promise<{ readonly posts: ReadonlyArray<PostView>; readonly nextCursor: string | null }> =>
      run(
        ctx,
        Effect.gen(function* () {
          const tenantId = ctx.principal.tenantId
          // Filtering by another tenant's connection is not an empty list: that connection is not found.
          if (input?.connectionId !== undefined) yield* (yield* ConnectionRepo).get(tenantId, input.connectionId)
          const page = yield* (yield* PostRepo).list(tenantId, input ?? {})
          return { posts: page.posts.map((p) => postView(p)), nextCursor: page.nextCursor ?? null }
        })
      )
  ),

  get: memberProcedure.input(input(PostIdInput)).query(
    ({ ctx, input }): Promise<PostView & { readonly attemptLog: ReadonlyArray<AttemptView> }> =>
      run(
        ctx,
        Effect.gen(function* () {
          const tenantId = ctx.principal.tenantId
          const post = yield* (yield* PostRepo).get(tenantId, input.postId)
          const attempts = yield* (yield* PublishAttemptRepo).listForPost(tenantId, post.id)
          return { ...postView(post, attempts[0]?.platform), attemptLog: attempts.map(attemptView) }
        })
      )
  )
})
