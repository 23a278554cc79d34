// The health record of every check of a connection — synthetic pings, webhook events, breaker
// probes, the sweep's "not reached in time" — and the connection's current health with it.
import { Context, Effect, Layer } from "effect"
import { sql } from "kysely"
import type { ErrorCode, Platform } from "../core/taxonomy/Taxonomy.ts"
import { Database, type DatabaseError } from "./Database.ts"
import type { HealthSource, HealthStatus } from "./DatabaseSchema.ts"

export interface HealthCheck {
  readonly tenantId: string
  readonly connectionId: string
  readonly platform: Platform
  readonly status: HealthStatus
  readonly source: HealthSource
  readonly latencyMs?: number | null | undefined
  readonly errorCode?: ErrorCode | null | undefined
  readonly detail?: string | null | undefined
}

export interface RecordedHealthCheck extends HealthCheck {
  readonly at: Date
}

export class IntegrationHealthRepo extends Context.Service<
  IntegrationHealthRepo,
  {
    /**
     * One health row, and the connection's `health_status` (and `last_health_check_at`, for a check
     * that reached the partner or tried to) in the same transaction.
     */
    readonly record: (check: HealthCheck) => Effect.Effect<void, DatabaseError>
    readonly forConnection: (tenantId: string, connectionId: string, limit?: number) => Effect.Effect<ReadonlyArray<RecordedHealthCheck>, DatabaseError>
  }
>()("postd/db/IntegrationHealthRepo") {
  static readonly layer = Layer.effect(
    IntegrationHealthRepo,
    Effect.gen(function* () {
      const database = yield* Database

      const record = Effect.fn("IntegrationHealthRepo.record")(function* (check: HealthCheck) {
        yield* database.use("IntegrationHealthRepo.record", (db) =>
          db.transaction().execute(async (trx) => {
            await trx
              .insertInto("integration_health")
              .values({
                tenant_id: check.tenantId,
                connection_id: check.connectionId,
                platform: check.platform,
                status: check.status,
                source: check.source,
                latency_ms: check.latencyMs === undefined || check.latencyMs === null ? null : Math.max(0, Math.round(check.latencyMs)),
                error_code: check.errorCode ?? null,
                detail: check.detail?.slice(0, 1_000) ?? null
              })
              .execute()
            await trx
              .updateTable("connections")
              .set({
                health_status: check.status,
                ...(check.source === "sweep" ? {} : { last_health_check_at: sql<Date>`now()` })
              })
              .where("tenant_id", "=", check.tenantId)
              .where("id", "=", check.connectionId)
              .execute()
          })
        )
      })

      const forConnection = Effect.fn("IntegrationHealthRepo.forConnection")(function* (tenantId: string, connectionId: string, limit = 50) {
        const rows = yield* database.use("IntegrationHealthRepo.forConnection", (db) =>
          db
            .selectFrom("integration_health")
            .selectAll()
            .where("tenant_id", "=", tenantId)
            .where("connection_id", "=", connectionId)
            .orderBy("id", "desc")
            .limit(Math.min(500, Math.max(1, limit)))
            .execute()
        )
        return rows.map(
          (r): RecordedHealthCheck => ({
            tenantId: r.tenant_id,
            connectionId: r.connection_id,
            platform: r.platform,
            status: r.status,
            source: r.source,
            latencyMs: r.latency_ms,
            errorCode: r.error_code,
            detail: r.detail,
            at: r.at
          })
        )
      })

      return IntegrationHealthRepo.of({ record, forConnection })
    })
  )
}
