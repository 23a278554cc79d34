// Scheduling a post: the row and its publish job commit in one transaction, so a post never exists
// without the job that will publish it, and a job never points at a post that was rolled back.
import { randomUUID } from "node:crypto"
import { Clock, Context, Effect, Layer } from "effect"
import type { PostContent } from "../core/publish/Connector.ts"
import { ConnectionRepo, type ConnectionNotFound } from "../db/ConnectionRepo.ts"
import { Database, type DatabaseError } from "../db/Database.ts"
import { type DuplicatePost, type Post, PostRepo } from "../db/PostRepo.ts"
import { JobQueue } from "./JobQueue.ts"

export interface ScheduleRequest {
  readonly tenantId: string
  readonly connectionId: string
  readonly content: PostContent
  readonly scheduledAt: Date
  readonly dedupeKey?: string | undefined
  readonly requestId?: string | undefined
}

export class PostScheduler extends Context.Service<
  PostScheduler,
  { readonly schedule: (request: ScheduleRequest) => Effect.Effect<Post, ConnectionNotFound | DuplicatePost | DatabaseError> }
>()("postd/jobs/PostScheduler") {
  static readonly layer = Layer.effect(
    PostScheduler,
    Effect.gen(function* () {
      const database = yield* Database
      const posts = yield* PostRepo
      const connections = yield* ConnectionRepo
      const queue = yield* JobQueue

      const schedule = Effect.fn("PostScheduler.schedule")(function* (request: ScheduleRequest) {
        // Tenant-scoped: another tenant's connection is not found.
        const connection = yield* connections.get(request.tenantId, request.connectionId)
        const now = yield* Clock.currentTimeMillis
        const postId = randomUUID()
        const ticket = randomUUID()
        return yield* database.transaction("PostScheduler.schedule", (trx) =>
          Effect.gen(function* () {
            const post = yield* posts.insert(trx, {
              id: postId,
              tenantId: request.tenantId,
              connectionId: connection.id,
              brandId: connection.brandId,
              content: request.content,
              scheduledAt: request.scheduledAt,
              // A caller's key is unique within its tenant: scoped, it can neither collide with nor
              // reveal another tenant's keys (the column is unique across the table).
              dedupeKey: request.dedupeKey === undefined ? undefined : `${request.tenantId}:${request.dedupeKey}`,
              ticket
            })
            yield* queue.send(
              "publish",
              {
                tenantId: request.tenantId,
                postId,
                cycleId: randomUUID(),
                ticket,
                ...(request.requestId !== undefined ? { requestId: request.requestId } : {})
              },
              { trx, startAfterMs: request.scheduledAt.getTime() - now }
            )
            return post
          })
        )
      })
      return PostScheduler.of({ schedule })
    })
  )
}
