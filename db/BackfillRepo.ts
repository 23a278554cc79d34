// Backfill offers: what a reconnected (or resumed) channel missed while paused, the user's decision
// (accept: publish late what is still on time; decline: skip it all), and how the backfill ended.
// Decisions are conditional updates, so a second accept or a late decline cannot change the first.
import { Context, Effect, Layer, Schema } from "effect"
import { type Kysely, sql, type Transaction } from "kysely"
import { Database, type DatabaseError, databaseError } from "./Database.ts"
import type { BackfillOfferRow, BackfillStatus, DatabaseSchema } from "./DatabaseSchema.ts"

export class BackfillNotFound extends Schema.TaggedError<BackfillNotFound>()("BackfillNotFound", {
  backfillJobId: Schema.String
}) {}

export interface BackfillOffer {
  readonly id: string
  readonly tenantId: string
  readonly connectionId: string
  readonly failedAfter: Date
  readonly missedCount: number
  readonly estimatedDurationMs: number
  readonly maxLatenessMs: number
  readonly status: BackfillStatus
  readonly requestedBy: string
  readonly decidedBy: string | null
  readonly decidedAt: Date | null
  readonly jobId: string | null
  readonly releasedCount: number
  readonly skippedCount: number
  readonly completedAt: Date | null
  readonly createdAt: Date
}

export interface NewBackfillOffer {
  readonly tenantId: string
  readonly connectionId: string
  readonly failedAfter: Date
  readonly missedCount: number
  readonly estimatedDurationMs: number
  readonly maxLatenessMs: number
  readonly requestedBy: string
}

type Executor = Transaction<DatabaseSchema> | Kysely<DatabaseSchema>

const INT_MAX = 2_147_483_647

const toOffer = (row: BackfillOfferRow): BackfillOffer => ({
  id: row.id,
  tenantId: row.tenant_id,
  connectionId: row.connection_id,
  failedAfter: row.failed_after,
  missedCount: row.missed_count,
  estimatedDurationMs: row.estimated_duration_ms,
  maxLatenessMs: row.max_lateness_ms,
  status: row.status,
  requestedBy: row.requested_by,
  decidedBy: row.decided_by,
  decidedAt: row.decided_at,
  jobId: row.job_id,
  releasedCount: row.released_count,
  skippedCount: row.skipped_count,
  completedAt: row.completed_at,
  createdAt: row.created_at
})


export class BackfillRepo extends Context.Service<
  BackfillRepo,
  {
    readonly create: (offer: NewBackfillOffer) => Effect.Effect<BackfillOffer, DatabaseError>
    /** Tenant-scoped: another tenant's offer is not found. */
    readonly get: (tenantId: string, id: string) => Effect.Effect<BackfillOffer, BackfillNotFound | DatabaseError>
    /**
     * offered → accepted | declined, in the caller's transaction (an accepted backfill's job commits
     * with it). Undefined when the offer was no longer `offered`: the first decision stands.
     */
    readonly decide: (
      trx: Executor,
      tenantId: string,
      id: string,
      decision: "accepted" | "declined",
      decidedBy: string
    ) => Effect.Effect<BackfillOffer | undefined, DatabaseError>
    readonly setJob: (trx: Executor, id: string, jobId: string) => Effect.Effect<void, DatabaseError>
    /**
     * Ends an accepted backfill: sets the counts to what its run released and skipped, and marks it
     * completed (an offer no longer `accepted` is left as it is). The counts are that run's only: a
     * run retried after a crash sees just the posts still held, so what the crashed run moved is
     * not in them.
     */
    readonly recordRun: (
      id: string,
      counts: { readonly released: number; readonly skipped: number }
    ) => Effect.Effect<void, DatabaseError>
  }
>()("postd/db/BackfillRepo") {
  static readonly layer = Layer.effect(
    BackfillRepo,
    Effect.gen(function* () {
      const database = yield* Database

      const create = Effect.fn("BackfillRepo.create")(function* (offer: NewBackfillOffer) {
        const row = yield* database.use("BackfillRepo.create", (db) =>
          db
            .insertInto("backfill_offers")
            .values({
              tenant_id: offer.tenantId,
              connection_id: offer.connectionId,
              failed_after: offer.failedAfter,
              missed_count: offer.missedCount,
              estimated_duration_ms: Math.min(INT_MAX, Math.max(0, Math.ceil(offer.estimatedDurationMs))),
              max_lateness_ms: Math.min(INT_MAX, Math.max(1, Math.trunc(offer.maxLatenessMs))),
              requested_by: offer.requestedBy
            })
            .returningAll()
            .executeTakeFirstOrThrow()
        )
        return toOffer(row)
      })

      const get = Effect.fn("BackfillRepo.get")(function* (tenantId: string, id: string) {
        const row = yield* database.use("BackfillRepo.get", (db) =>
          db.selectFrom("backfill_offers").selectAll().where("tenant_id", "=", tenantId).where("id", "=", id).executeTakeFirst()
        )
        if (row === undefined) return yield* new BackfillNotFound({ backfillJobId: id })
        return toOffer(row)
      })

      const decide = Effect.fn("BackfillRepo.decide")(function* (
        trx: Executor,
        tenantId: string,
        id: string,
        decision: "accepted" | "declined",
        decidedBy: string
      ) {
        const row = yield* Effect.tryPromise({
          try: () =>
            trx
              .updateTable("backfill_offers")
              .set({ status: decision, decided_by: decidedBy, decided_at: sql<Date>`now()` })
              .where("tenant_id", "=", tenantId)
              .where("id", "=", id)
              .where("status", "=", "offered")
              .returningAll()
              .executeTakeFirst(),
          catch: databaseError("BackfillRepo.decide")
        })
        return row === undefined ? undefined : toOffer(row)
      })

      const setJob = Effect.fn("BackfillRepo.setJob")(function* (trx: Executor, id: string, jobId: string) {
        yield* Effect.tryPromise({
          try: () => trx.updateTable("backfill_offers").set({ job_id: jobId }).where("id", "=", id).execute(),
          catch: databaseError("BackfillRepo.setJob")
        })
      })

      const recordRun = Effect.fn("BackfillRepo.recordRun")(function* (
        id: string,
        counts: { readonly released: number; readonly skipped: number }
      ) {
        yield* database.use("BackfillRepo.recordRun", (db) =>
          db
            .updateTable("backfill_offers")
            .set({
              released_count: counts.released,
              skipped_count: counts.skipped,
              status: "completed",
              completed_at: sql<Date>`now()`
            })
            .where("id", "=", id)
            .where("status", "=", "accepted")
            .execute()
        )
      })

      return BackfillRepo.of({ create, get, decide, setJob, recordRun })
    })
  )
}
