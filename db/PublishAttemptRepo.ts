// The attempt log: one row per publish attempt and how it ended, for the operator's timeline, the
// dashboards' error breakdown and the chaos tests' accounting.
import { Context, Effect, Layer } from "effect"
import type { ErrorCode, Platform } from "../core/taxonomy/Taxonomy.ts"
import { Database, type DatabaseError } from "./Database.ts"
import type { PublishOutcome } from "./DatabaseSchema.ts"

export const PUBLISH_OUTCOMES: ReadonlyArray<PublishOutcome> = [
  "published",
  "reconciled",
  "retry_scheduled",
  "deferred",
  "held",
  "paused",
  "dead_lettered",
  "refresh_failed"
]

export interface PublishAttempt {
  readonly postId: string
  readonly connectionId: string
  readonly tenantId: string
  readonly platform: Platform
  readonly attempt: number
  readonly outcome: PublishOutcome
  readonly errorCode: ErrorCode | null
  readonly latencyMs: number | null
}

export interface RecordedAttempt extends PublishAttempt {
  readonly id: string
  readonly at: Date
}

export interface AttemptFilter {
  readonly tenantId?: string | undefined
  readonly postId?: string | undefined
  readonly connectionId?: string | undefined
}

export class PublishAttemptRepo extends Context.Service<
  PublishAttemptRepo,
  {
    readonly record: (attempt: PublishAttempt) => Effect.Effect<void, DatabaseError>
    /** Every outcome, with 0 for outcomes that did not occur. */
    readonly countByOutcome: (filter?: AttemptFilter) => Effect.Effect<{ readonly [O in PublishOutcome]: number }, DatabaseError>
    readonly listForPost: (tenantId: string, postId: string) => Effect.Effect<ReadonlyArray<RecordedAttempt>, DatabaseError>
  }
>()("postd/db/PublishAttemptRepo") {
  static readonly layer = Layer.effect(
    PublishAttemptRepo,
    Effect.gen(function* () {
      const database = yield* Database

      const record = Effect.fn("PublishAttemptRepo.record")(function* (attempt: PublishAttempt) {
        yield* database.use("PublishAttemptRepo.record", (db) =>
          db
            .insertInto("publish_attempts")
            .values({
              post_id: attempt.postId,
              connection_id: attempt.connectionId,
              tenant_id: attempt.tenantId,
              platform: attempt.platform,
              attempt: attempt.attempt,
              outcome: attempt.outcome,
              error_code: attempt.errorCode,
              // Latency is measured with the clock's milliseconds; the column keeps whole ones.
              latency_ms: attempt.latencyMs === null ? null : Math.max(0, Math.round(attempt.latencyMs))
            })
            .execute()
        )
      })

      const countByOutcome = Effect.fn("PublishAttemptRepo.countByOutcome")(function* (filter: AttemptFilter = {}) {
        const rows = yield* database.use("PublishAttemptRepo.countByOutcome", (db) => {
          let query = db
            .selectFrom("publish_attempts")
            .select((eb) => ["outcome", eb.fn.countAll<string>().as("n")])
            .groupBy("outcome")
          if (filter.tenantId !== undefined) query = query.where("tenant_id", "=", filter.tenantId)
          if (filter.postId !== undefined) query = query.where("post_id", "=", filter.postId)
          if (filter.connectionId !== undefined) query = query.where("connection_id", "=", filter.connectionId)
          return query.execute()
        })
        const counts = Object.fromEntries(PUBLISH_OUTCOMES.map((o) => [o, 0])) as { [O in PublishOutcome]: number }
        for (const row of rows) counts[row.outcome] = Number(row.n)
        return counts
      })

      const listForPost = Effect.fn("PublishAttemptRepo.listForPost")(function* (tenantId: string, postId: string) {
        const rows = yield* database.use("PublishAttemptRepo.listForPost", (db) =>
          db
            .selectFrom("publish_attempts")
            .selectAll()
            .where("tenant_id", "=", tenantId)
            .where("post_id", "=", postId)
            .orderBy("id", "asc")
            .execute()
        )
        return rows.map(
          (r): RecordedAttempt => ({
            id: r.id,
            postId: r.post_id,
            connectionId: r.connection_id,
            tenantId: r.tenant_id,
            platform: r.platform,
            attempt: r.attempt,
            outcome: r.outcome,
            errorCode: r.error_code,
            latencyMs: r.latency_ms,
            at: r.at
          })
        )
      })

      return PublishAttemptRepo.of({ record, countByOutcome, listForPost })
    })
  )
}
