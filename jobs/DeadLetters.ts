// Operator actions on the dead-letter queue. A replay puts the post back on its queue with a fresh
// retry budget and its ORIGINAL dedupe key, in one transaction with its job, and reconciles with the
// partner before posting — so a replay never publishes twice, and replaying twice enqueues once.
// Scope: a tenant's id limits every action to that tenant's entries; `undefined` is the operator's
// view across tenants.
import { Context, Effect, Layer, Option, Schema } from "effect"
import { Database, type DatabaseError } from "../db/Database.ts"
import { type DlqEntry, DlqEntryNotFound, DlqRepo } from "../db/DlqRepo.ts"
import { PostRepo } from "../db/PostRepo.ts"
import { WebhookEventRepo } from "../db/WebhookEventRepo.ts"
import { JobQueue } from "./JobQueue.ts"
import { interpretStored, webhookPriority } from "./WebhookProcessor.ts"

/** Why an entry cannot be replayed, in words an operator can act on. */
export class DlqReplayRefused extends Schema.TaggedError<DlqReplayRefused>()("DlqReplayRefused", {
  id: Schema.String,
  message: Schema.String
}) {}

/** The entry was resolved before; the first resolution stands. */
export class DlqAlreadyResolved extends Schema.TaggedError<DlqAlreadyResolved>()("DlqAlreadyResolved", {
  id: Schema.String,
  resolvedBy: Schema.String,
  message: Schema.String
}) {}

/** A replay's target: a post (publish entries) or, for a webhook entry, the stored event. */
export type ReplayResult = {
  readonly id: string
  readonly postId: string | null
  readonly webhookEventId?: string | undefined
  readonly requeued: boolean
}

/** One id of a batch replay: requeued, already requeued by an earlier replay, or refused (and why). */
export type BatchReplayResult =
  | {
      readonly id: string
      readonly outcome: "requeued" | "already_requeued"
      readonly postId: string | null
      readonly webhookEventId?: string | undefined
    }
  | { readonly id: string; readonly outcome: "refused"; readonly message: string }

const WebhookEntryPayload = Schema.Union([Schema.Struct({ webhookEventId: Schema.String }), Schema.Struct({ eventId: Schema.String })])
const decodeWebhookEntry = Schema.decodeUnknownOption(WebhookEntryPayload)

/** The stored event a webhook entry is about: the processor's payload names it, pg-boss's dead letter carries its job's. */
const webhookEventIdOf = (entry: DlqEntry): string | undefined =>
  Option.match(decodeWebhookEntry(entry.payload), {
    onNone: () => undefined,
    onSome: (p) => ("webhookEventId" in p ? p.webhookEventId : p.eventId)
  })

const unique = (ids: ReadonlyArray<string>): ReadonlyArray<string> => [...new Set(ids)]

export class DeadLetters extends Context.Service<
  DeadLetters,
  {
    readonly replay: (
      tenantId: string,
      entryId: string
    ) => Effect.Effect<ReplayResult, DlqEntryNotFound | DlqReplayRefused | DatabaseError>
    /**
     * Replays each entry in the scope. Every id must be found first: one unknown (or another
     * tenant's) id fails the whole call and nothing is replayed.
     */
    readonly replayMany: (
      scope: string | undefined,
      ids: ReadonlyArray<string>
    ) => Effect.Effect<ReadonlyArray<BatchReplayResult>, DlqEntryNotFound | DatabaseError>
    readonly resolve: (
      scope: string | undefined,
      id: string,
      resolution: string,
      resolvedBy: string
    ) => Effect.Effect<DlqEntry, DlqEntryNotFound | DlqAlreadyResolved | DatabaseError>
  }
>()("postd/jobs/DeadLetters") {
  static readonly layer = Layer.effect(
    DeadLetters,
    Effect.gen(function* () {
      const database = yield* Database
      const dlq = yield* DlqRepo
      const posts = yield* PostRepo
      const queue = yield* JobQueue
      const events = yield* WebhookEventRepo

      /** A webhook entry: its event back to `received` with its job, once; the processor resolves the entry when it succeeds. */
      const replayWebhook = Effect.fn("DeadLetters.replayWebhook")(function* (entry: DlqEntry) {
        const eventId = webhookEventIdOf(entry)
        if (eventId === undefined) return yield* new DlqReplayRefused({ id: entry.id, message: "the entry names no webhook event" })
        const requeued = yield* database.transaction("DeadLetters.replayWebhook", (trx) =>
          Effect.gen(function* () {
            const event = yield* events.requeue(trx, eventId)
            if (event === undefined) return false
            yield* queue.send("webhook", { eventId }, { trx, priority: webhookPriority(interpretStored(event)) })
            return true
          })
        )
        if (requeued) yield* dlq.markReplayed(entry.id)
        return { id: entry.id, postId: null, webhookEventId: eventId, requeued } satisfies ReplayResult
      })

      const replayEntry = Effect.fn("DeadLetters.replayEntry")(function* (entry: DlqEntry): Effect.fn.Return<ReplayResult, DlqReplayRefused | DlqEntryNotFound | DatabaseError> {
        if (entry.resolvedAt !== null) {
          return yield* new DlqReplayRefused({ id: entry.id, message: "the entry is resolved; nothing to replay" })
        }
        if (entry.action === "webhook") return yield* replayWebhook(entry)
        const entryId = entry.id
        const tenantId = entry.tenantId
        if (tenantId === null) return yield* new DlqReplayRefused({ id: entryId, message: "the entry belongs to no tenant" })
        const postId = entry.postId
        if (entry.action !== "publish" || postId === null) {
          return yield* new DlqReplayRefused({ id: entryId, message: `only publish entries with a post can be replayed (this is ${entry.action})` })
        }
        const requeued = yield* database.transaction("DeadLetters.replay", (trx) =>
          Effect.gen(function* () {
            const moved = yield* posts.requeueDeadLettered(trx, tenantId, postId)
            if (moved !== undefined) yield* queue.send("publish", { tenantId, postId, cycleId: crypto.randomUUID(), ticket: moved.ticket }, { trx })
            return moved !== undefined
          })
        )
        if (requeued) yield* dlq.markReplayed(entryId)
        return { id: entryId, postId, requeued } satisfies ReplayResult
      })
      const replay = Effect.fn("DeadLetters.replay")(function* (tenantId: string, entryId: string) {
        return yield* replayEntry(yield* dlq.get(entryId, tenantId))
      })
      const replayMany = Effect.fn("DeadLetters.replayMany")(function* (scope: string | undefined, ids: ReadonlyArray<string>) {
        const entries = yield* Effect.forEach(unique(ids), (id) => dlq.get(id, scope))
        return yield* Effect.forEach(entries, (entry) =>
          replayEntry(entry).pipe(
            Effect.map(
              (r): BatchReplayResult => ({
                id: r.id,
                outcome: r.requeued ? "requeued" : "already_requeued",
                postId: r.postId,
                ...(r.webhookEventId === undefined ? {} : { webhookEventId: r.webhookEventId })
              })
            ),
            Effect.catchTags({
              DlqReplayRefused: (e) => Effect.succeed<BatchReplayResult>({ id: e.id, outcome: "refused", message: e.message }),
              DlqEntryNotFound: () => Effect.fail(new DlqEntryNotFound({ id: entry.id }))
            })
          )
        )
      })

      const resolve = Effect.fn("DeadLetters.resolve")(function* (
        scope: string | undefined,
        id: string,
        resolution: string,
        resolvedBy: string
      ) {
        const result = yield* dlq.resolve(id, resolution, resolvedBy, scope)
        if (!result.resolved) {
          const by = result.entry.resolvedBy ?? "someone"
          return yield* new DlqAlreadyResolved({
            id,
            resolvedBy: by,
            message: `already resolved by ${by}${result.entry.resolvedAt === null ? "" : ` at ${result.entry.resolvedAt.toISOString()}`}: ${result.entry.resolution ?? ""}`
          })
        }
        yield* Effect.logInfo("DLQ entry resolved").pipe(Effect.annotateLogs({ dlqEntryId: id, resolvedBy, tenantId: result.entry.tenantId }))
        return result.entry
      })

      return DeadLetters.of({ replay, replayMany, resolve })
    })
  )
}
