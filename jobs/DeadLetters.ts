// Operator actions on the dead-letter queue. A replay puts the post back on its queue with a fresh
// retry budget and its ORIGINAL dedupe key, in one transaction with its job, and reconciles with the
// partner before posting — so a replay never publishes twice, and replaying twice enqueues once.
import { Context, Effect, Layer, Schema } from "effect"
import { Database, type DatabaseError } from "../db/Database.ts"
import { type DlqEntryNotFound, DlqRepo } from "../db/DlqRepo.ts"
import { PostRepo } from "../db/PostRepo.ts"
import { JobQueue } from "./JobQueue.ts"

/** Why an entry cannot be replayed, in words an operator can act on. */
export class DlqReplayRefused extends Schema.TaggedError<DlqReplayRefused>()("DlqReplayRefused", {
  id: Schema.String,
  message: Schema.String
}) {}

export type ReplayResult = { readonly id: string; readonly postId: string; readonly requeued: boolean }

export class DeadLetters extends Context.Service<
  DeadLetters,
  {
    readonly replay: (
      tenantId: string,
      entryId: string
    ) => Effect.Effect<ReplayResult, DlqEntryNotFound | DlqReplayRefused | DatabaseError>
  }
>()("postd/jobs/DeadLetters") {
  static readonly layer = Layer.effect(
    DeadLetters,
    Effect.gen(function* () {
      const database = yield* Database
      const dlq = yield* DlqRepo
      const posts = yield* PostRepo
      const queue = yield* JobQueue

      const replay = Effect.fn("DeadLetters.replay")(function* (tenantId: string, entryId: string) {
        const entry = yield* dlq.get(entryId, tenantId)
        if (entry.resolvedAt !== null) {
          return yield* new DlqReplayRefused({ id: entryId, message: "the entry is resolved; nothing to replay" })
        }
        const postId = entry.postId
        if (entry.action !== "publish" || postId === null) {
          return yield* new DlqReplayRefused({ id: entryId, message: `only publish entries with a post can be replayed (this is ${entry.action})` })
        }
        const requeued = yield* database.transaction("DeadLetters.replay", (trx) =>
          Effect.gen(function* () {
            const moved = yield* posts.requeueDeadLettered(trx, tenantId, postId)
            if (moved) yield* queue.send("publish", { tenantId, postId, cycleId: crypto.randomUUID() }, { trx })
            return moved
          })
        )
        if (requeued) yield* dlq.markReplayed(entryId)
        return { id: entryId, postId, requeued }
      })
      return DeadLetters.of({ replay })
    })
  )
}
