// Platform events as received: stored at once with the raw bytes whose signature was checked, one row
// per platform and event key (a redelivery finds its row and is acknowledged without a second
// processing), then moved through processing: processed, ignored (nothing of ours matched), failed
// (to be retried), dead-lettered.
import { Context, Effect, Layer, Schema } from "effect"
import { type Kysely, sql, type Transaction } from "kysely"
import type { Platform } from "../core/taxonomy/Taxonomy.ts"
import type { WebhookUrgency } from "../core/webhooks/WebhookEvents.ts"
import { Database, type DatabaseError, databaseError } from "./Database.ts"
import type { DatabaseSchema, WebhookEventRow, WebhookEventStatus } from "./DatabaseSchema.ts"

export class WebhookEventNotFound extends Schema.TaggedError<WebhookEventNotFound>()("WebhookEventNotFound", {
  id: Schema.String
}) {}

export interface IncomingWebhookEvent {
  readonly platform: Platform
  readonly eventKey: string
  readonly eventType: string
  readonly contentType: string
  readonly payload: string
  /** What processing the event may do, which orders the queue (not stored: the payload says it again). */
  readonly urgency?: WebhookUrgency | undefined
}

export interface WebhookEvent extends IncomingWebhookEvent {
  readonly id: string
  readonly status: WebhookEventStatus
  readonly attempts: number
  readonly matchedConnections: number
  readonly lastError: string | null
  readonly receivedAt: Date
  readonly processedAt: Date | null
}

type Executor = Transaction<DatabaseSchema> | Kysely<DatabaseSchema>

const toEvent = (row: WebhookEventRow): WebhookEvent => ({
  id: row.id,
  platform: row.platform,
  eventKey: row.event_key,
  eventType: row.event_type,
  contentType: row.content_type,
  payload: row.payload,
  status: row.status,
  attempts: row.attempts,
  matchedConnections: row.matched_connections,
  lastError: row.last_error,
  receivedAt: row.received_at,
  processedAt: row.processed_at
})

const MAX_ERROR = 2_000

export class WebhookEventRepo extends Context.Service<
  WebhookEventRepo,
  {
    /** Stores the event unless its key was seen: `duplicate` then, and the first event's id. */
    readonly receive: (
      trx: Executor,
      event: IncomingWebhookEvent
    ) => Effect.Effect<{ readonly id: string; readonly duplicate: boolean }, DatabaseError>
    readonly get: (id: string) => Effect.Effect<WebhookEvent, WebhookEventNotFound | DatabaseError>
    readonly finish: (id: string, status: "processed" | "ignored", matchedConnections: number) => Effect.Effect<void, DatabaseError>
    /** Counts a failed processing; returns the attempts so far. */
    readonly recordFailure: (id: string, error: string) => Effect.Effect<number, DatabaseError>
    readonly markDeadLettered: (id: string) => Effect.Effect<void, DatabaseError>
    /**
     * A DLQ replay: a failed or dead-lettered event back to `received` with a fresh retry budget (its
     * last error kept), for the job sent in the same transaction. Undefined when it was processed or
     * requeued already.
     */
    readonly requeue: (trx: Executor, id: string) => Effect.Effect<WebhookEvent | undefined, DatabaseError>
  }
>()("postd/db/WebhookEventRepo") {
  static readonly layer = Layer.effect(
    WebhookEventRepo,
    Effect.gen(function* () {
      const database = yield* Database

      const receive = Effect.fn("WebhookEventRepo.receive")(function* (trx: Executor, event: IncomingWebhookEvent) {
        const row = yield* Effect.tryPromise({
          try: async () => {
            const inserted = await trx
              .insertInto("webhook_events")
              .values({
                platform: event.platform,
                event_key: event.eventKey,
                event_type: event.eventType.slice(0, 200),
                content_type: event.contentType.slice(0, 200),
                payload: event.payload
              })
              .onConflict((oc) => oc.columns(["platform", "event_key"]).doNothing())
              .returning("id")
              .executeTakeFirst()
            if (inserted !== undefined) return { id: inserted.id, duplicate: false }
            const first = await trx
              .selectFrom("webhook_events")
              .select("id")
              .where("platform", "=", event.platform)
              .where("event_key", "=", event.eventKey)
              .executeTakeFirstOrThrow()
            return { id: first.id, duplicate: true }
          },
          catch: databaseError("WebhookEventRepo.receive")
        })
        return row
      })

      const get = Effect.fn("WebhookEventRepo.get")(function* (id: string) {
        const row = yield* database.use("WebhookEventRepo.get", (db) => db.selectFrom("webhook_events").selectAll().where("id", "=", id).executeTakeFirst())
        if (row === undefined) return yield* new WebhookEventNotFound({ id })
        return toEvent(row)
      })

      const finish = Effect.fn("WebhookEventRepo.finish")(function* (id: string, status: "processed" | "ignored", matchedConnections: number) {
        yield* database.use("WebhookEventRepo.finish", (db) =>
          db
            .updateTable("webhook_events")
            .set({ status, matched_connections: matchedConnections, processed_at: sql<Date>`now()`, last_error: null })
            .where("id", "=", id)
            .execute()
        )
      })

      const recordFailure = Effect.fn("WebhookEventRepo.recordFailure")(function* (id: string, error: string) {
        const row = yield* database.use("WebhookEventRepo.recordFailure", (db) =>
          db
            .updateTable("webhook_events")
            .set((eb) => ({ status: "failed" as const, attempts: eb("attempts", "+", 1), last_error: error.slice(0, MAX_ERROR) }))
            .where("id", "=", id)
            .returning("attempts")
            .executeTakeFirst()
        )
        return row?.attempts ?? 0
      })

      const markDeadLettered = Effect.fn("WebhookEventRepo.markDeadLettered")(function* (id: string) {
        yield* database.use("WebhookEventRepo.markDeadLettered", (db) =>
          db.updateTable("webhook_events").set({ status: "dead_lettered", processed_at: sql<Date>`now()` }).where("id", "=", id).execute()
        )
      })

      const requeue = Effect.fn("WebhookEventRepo.requeue")(function* (trx: Executor, id: string) {
        const row = yield* Effect.tryPromise({
          try: () =>
            trx
              .updateTable("webhook_events")
              .set({ status: "received", attempts: 0, processed_at: null })
              .where("id", "=", id)
              .where("status", "in", ["failed", "dead_lettered"])
              .returningAll()
              .executeTakeFirst(),
          catch: databaseError("WebhookEventRepo.requeue")
        })
        return row === undefined ? undefined : toEvent(row)
      })

      return WebhookEventRepo.of({ receive, get, finish, recordFailure, markDeadLettered, requeue })
    })
  )
}
