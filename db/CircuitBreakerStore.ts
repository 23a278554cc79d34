// The per-connection circuit breaker of core/breaker/CircuitBreaker.ts, kept in PostgreSQL so every
// worker sees one breaker. Transitions run under the row's lock with the pure rules deciding, on the
// database server's clock; the common closed path is a plain read with no write and no lock.
import { Config, Context, Effect, Layer } from "effect"
import { sql, type Transaction } from "kysely"
import {
  type Acquire,
  acquire as decideAcquire,
  type BreakerSettings,
  type BreakerState,
  CLOSED,
  DEFAULT_BREAKER_SETTINGS,
  countsAsPartnerFailure,
  recordFailure as decideFailure,
  recordSuccess as decideSuccess
} from "../core/breaker/CircuitBreaker.ts"
import type { ErrorCode } from "../core/taxonomy/Taxonomy.ts"
import { Database, type DatabaseError } from "./Database.ts"
import type { CircuitBreakerRow, DatabaseSchema } from "./DatabaseSchema.ts"

/** The spec's numbers by default; tunable per deployment (and shortened in tests). */
export const BreakerSettingsConfig: Config.Config<BreakerSettings> = Config.all({
  failureThreshold: Config.Int("BREAKER_FAILURE_THRESHOLD").pipe(Config.withDefault(DEFAULT_BREAKER_SETTINGS.failureThreshold)),
  resetTimeoutMs: Config.Int("BREAKER_RESET_TIMEOUT_MS").pipe(Config.withDefault(DEFAULT_BREAKER_SETTINGS.resetTimeoutMs)),
  probeLeaseMs: Config.Int("BREAKER_PROBE_LEASE_MS").pipe(Config.withDefault(DEFAULT_BREAKER_SETTINGS.probeLeaseMs))
})

const toState = (row: CircuitBreakerRow): BreakerState => ({
  status: row.state,
  consecutiveFailures: row.consecutive_failures,
  openedAtMs: row.opened_at?.getTime() ?? null,
  probeStartedAtMs: row.probe_started_at?.getTime() ?? null
})

const sameState = (a: BreakerState, b: BreakerState): boolean =>
  a.status === b.status &&
  a.consecutiveFailures === b.consecutiveFailures &&
  a.openedAtMs === b.openedAtMs &&
  a.probeStartedAtMs === b.probeStartedAtMs

const toDate = (ms: number | null): Date | null => (ms === null ? null : new Date(ms))

/** Locks the connection's breaker row (if any) and reads the server clock after the lock is held. */
const lockRow = async (trx: Transaction<DatabaseSchema>, connectionId: string) => {
  const row = await trx.selectFrom("circuit_breakers").selectAll().where("connection_id", "=", connectionId).forUpdate().executeTakeFirst()
  const clock = await sql<{ now: Date }>`select clock_timestamp() as now`.execute(trx)
  return { row, nowMs: clock.rows[0]?.now.getTime() ?? 0 }
}

const writeState = (trx: Transaction<DatabaseSchema>, connectionId: string, state: BreakerState) =>
  trx
    .updateTable("circuit_breakers")
    .set({
      state: state.status,
      consecutive_failures: state.consecutiveFailures,
      opened_at: toDate(state.openedAtMs),
      probe_started_at: toDate(state.probeStartedAtMs),
      updated_at: sql<Date>`clock_timestamp()`
    })
    .where("connection_id", "=", connectionId)
    .execute()

export class CircuitBreakerStore extends Context.Service<
  CircuitBreakerStore,
  {
    /**
     * Whether a call to the partner may go ahead. Open within the reset timeout: reject. Open after
     * it: exactly one caller across all workers gets `probe`, the others reject until its outcome is
     * recorded (or its lease runs out and the probe is offered again).
     */
    readonly acquire: (connectionId: string) => Effect.Effect<Acquire, DatabaseError>
    /** Closes the breaker and resets the count; `closedFromProbe` when this success was the probe's. */
    readonly recordSuccess: (connectionId: string) => Effect.Effect<{ readonly closedFromProbe: boolean }, DatabaseError>
    /** Counts partner-health failures; `opened` when this failure opened (or, as a failed probe, re-opened) it. */
    readonly recordFailure: (connectionId: string, code: ErrorCode) => Effect.Effect<{ readonly opened: boolean }, DatabaseError>
    /** The breaker as stored (closed when it never failed), for operators and tests. */
    readonly get: (connectionId: string) => Effect.Effect<BreakerState, DatabaseError>
  }
>()("postd/db/CircuitBreakerStore") {
  static readonly layer = Layer.effect(
    CircuitBreakerStore,
    Effect.gen(function* () {
      const database = yield* Database
      const settings = yield* BreakerSettingsConfig

      const read = (connectionId: string) =>
        database.use("CircuitBreakerStore.read", (db) =>
          db.selectFrom("circuit_breakers").selectAll().where("connection_id", "=", connectionId).executeTakeFirst()
        )

      const get = Effect.fn("CircuitBreakerStore.get")(function* (connectionId: string) {
        const row = yield* read(connectionId)
        return row === undefined ? CLOSED : toState(row)
      })

      const acquire = Effect.fn("CircuitBreakerStore.acquire")(function* (connectionId: string) {
        const seen = yield* read(connectionId)
        if (seen === undefined || seen.state === "closed") return { kind: "allow" } as const
        return yield* database.use("CircuitBreakerStore.acquire", (db) =>
          db.transaction().execute(async (trx): Promise<Acquire> => {
            const { row, nowMs } = await lockRow(trx, connectionId)
            if (row === undefined) return { kind: "allow" }
            const { decision, state } = decideAcquire(toState(row), nowMs, settings)
            if (decision.kind !== "probe") return decision
            // Under the lock this always matches; the condition keeps the claim safe on its own too.
            const claimed = await trx
              .updateTable("circuit_breakers")
              .set({ state: "half_open", probe_started_at: toDate(state.probeStartedAtMs), updated_at: sql<Date>`clock_timestamp()` })
              .where("connection_id", "=", connectionId)
              .where("state", "=", row.state)
              .where((eb) =>
                row.probe_started_at === null
                  ? eb("probe_started_at", "is", null)
                  : eb("probe_started_at", "=", row.probe_started_at)
              )
              .returning("connection_id")
              .executeTakeFirst()
            return claimed === undefined ? { kind: "reject", retryAfterMs: 1 } : decision
          })
        )
      })

      const recordSuccess = Effect.fn("CircuitBreakerStore.recordSuccess")(function* (connectionId: string) {
        const seen = yield* read(connectionId)
        if (seen === undefined || (seen.state === "closed" && seen.consecutive_failures === 0)) {
          return { closedFromProbe: false }
        }
        return yield* database.use("CircuitBreakerStore.recordSuccess", (db) =>
          db.transaction().execute(async (trx) => {
            const { row } = await lockRow(trx, connectionId)
            if (row === undefined) return { closedFromProbe: false }
            const { state, closedFromProbe } = decideSuccess(toState(row))
            await writeState(trx, connectionId, state)
            return { closedFromProbe }
          })
        )
      })

      const recordFailure = Effect.fn("CircuitBreakerStore.recordFailure")(function* (connectionId: string, code: ErrorCode) {
        if (!countsAsPartnerFailure(code)) {
          // A non-counting failure only matters to a breaker that is probing.
          const seen = yield* read(connectionId)
          if (seen === undefined || seen.state === "closed") return { opened: false }
        }
        return yield* database.use("CircuitBreakerStore.recordFailure", (db) =>
          db.transaction().execute(async (trx) => {
            await trx.insertInto("circuit_breakers").values({ connection_id: connectionId }).onConflict((oc) => oc.doNothing()).execute()
            const { row, nowMs } = await lockRow(trx, connectionId)
            if (row === undefined) return { opened: false }
            const current = toState(row)
            const { state, opened } = decideFailure(current, code, nowMs, settings)
            if (!sameState(current, state)) await writeState(trx, connectionId, state)
            return { opened }
          })
        )
      })

      return CircuitBreakerStore.of({ acquire, recordSuccess, recordFailure, get })
    })
  )
}
