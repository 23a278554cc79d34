// Synthetic health checks: dead tokens found within hours, whatever anybody posts. The sweep (a
// pg-boss cron, SYNTHETIC_PING_INTERVAL) takes every active connection of the tenants with
// SYNTHETIC_PINGS_ENABLED, and those the breaker paused, and schedules one `ping` job each, spread
// within each platform's ping budget; the ping workers' concurrency bounds how many run at once.
// A ping refreshes a token that expires within a day, calls the connector's cheapest authenticated
// call, and records what it found (integration_health, the connection's health): auth and permission
// failures pause as a publish would, network trouble is `unknown` and pauses nothing, a breaker-paused
// connection gets the breaker's probe instead (resumed when it answers).
import { Clock, Config, Context, Effect, Layer, Result } from "effect"
import { configError } from "../core/config/ConfigError.ts"
import { decidePing, missingPublishingScope } from "../core/health/HealthVerdict.ts"
import { Connectors } from "../core/publish/Connector.ts"
import { type ErrorCode, PLATFORMS, type Platform } from "../core/taxonomy/Taxonomy.ts"
import type { TaxonomyError } from "../core/taxonomy/TaxonomyError.ts"
import { type ConnectionNotFound, ConnectionRepo } from "../db/ConnectionRepo.ts"
import { Database, type DatabaseError } from "../db/Database.ts"
import type { HealthStatus } from "../db/DatabaseSchema.ts"
import { IntegrationHealthRepo } from "../db/IntegrationHealthRepo.ts"
import { RateLimiter } from "../db/RateLimiter.ts"
import { Flags } from "../flags/Flags.ts"
import { MetricRecorder } from "../observability/MetricRecorder.ts"
import { ConnectionRecovery } from "./ConnectionRecovery.ts"
import { JobQueue } from "./JobQueue.ts"
import type { PingJob } from "./queues.ts"

const HOUR = 3_600_000

/** `meta=600,linkedin=100`: pings a minute per platform; unnamed platforms keep their default. */
const parseBudgets = (text: string, defaults: { readonly [P in Platform]: number }): Result.Result<{ readonly [P in Platform]: number }, string> => {
  const budgets: { [P in Platform]: number } = { ...defaults }
  for (const raw of text.split(",")) {
    const item = raw.trim()
    if (item === "") continue
    const [name, value, ...rest] = item.split("=").map((p) => p.trim())
    const perMinute = Number(value)
    if (rest.length > 0 || !(PLATFORMS as ReadonlyArray<string>).includes(name ?? "") || !Number.isInteger(perMinute) || perMinute < 1) {
      return Result.fail(`"${item}" is not platform=pings-per-minute`)
    }
    budgets[name as Platform] = perMinute
  }
  return Result.succeed(budgets)
}

export const HealthConfig = Config.all({
  /** pg-boss cron (UTC). */
  interval: Config.String("SYNTHETIC_PING_INTERVAL").pipe(Config.withDefault("0 */6 * * *")),
  /**
   * A connection not checked for this long is a warning by itself (the last sweep did not reach it):
   * the interval and an hour's grace, so a sweep that starts a little late flags nothing.
   */
  staleAfterHours: Config.Number("SYNTHETIC_PING_STALE_HOURS").pipe(Config.withDefault(7)),
  /** Tokens that expire sooner than this are refreshed before they do. */
  refreshWithinHours: Config.Number("SYNTHETIC_PING_REFRESH_HOURS").pipe(Config.withDefault(24)),
  budgets: Config.String("SYNTHETIC_PING_BUDGETS").pipe(Config.withDefault("")),
  /** A ping of a channel checked less than this ago does nothing: sweeps that overlap check each channel once. */
  minGapMinutes: Config.Number("SYNTHETIC_PING_MIN_GAP_MINUTES").pipe(Config.withDefault(60))
})

export interface SweepReport {
  readonly scheduled: number
  readonly skippedByFlag: number
  readonly stale: number
  /** How long, from now, the last scheduled ping waits: the sweep's spread. */
  readonly spreadMs: number
}

export type PingOutcome =
  | { readonly kind: "checked"; readonly status: HealthStatus; readonly code?: ErrorCode | undefined; readonly paused: boolean }
  | { readonly kind: "probed"; readonly result: string }
  | { readonly kind: "skipped"; readonly why: string }

type PingError = ConnectionNotFound | DatabaseError

export class HealthChecks extends Context.Service<
  HealthChecks,
  {
    readonly sweep: () => Effect.Effect<SweepReport, DatabaseError>
    readonly ping: (tenantId: string, connectionId: string) => Effect.Effect<PingOutcome, PingError | unknown>
  }
>()("postd/jobs/HealthChecks") {
  static readonly layer = Layer.effect(
    HealthChecks,
    Effect.gen(function* () {
      const connections = yield* ConnectionRepo
      const health = yield* IntegrationHealthRepo
      const recovery = yield* ConnectionRecovery
      const connectors = yield* Connectors
      const flags = yield* Flags
      const queue = yield* JobQueue
      const metrics = yield* MetricRecorder
      const limiter = yield* RateLimiter
      const database = yield* Database
      const config = yield* HealthConfig
      const defaults = Object.fromEntries(PLATFORMS.map((p) => [p, limiter.limits[p].ratePerMinute])) as { [P in Platform]: number }
      const budgets = parseBudgets(config.budgets, defaults)
      if (Result.isFailure(budgets)) return yield* Effect.fail(configError(`SYNTHETIC_PING_BUDGETS: ${budgets.failure}`, config.budgets))
      const staleAfterMs = config.staleAfterHours * HOUR
      const refreshWithinMs = config.refreshWithinHours * HOUR
      const minGapMs = config.minGapMinutes * 60_000

      const sampleStatuses = database
        .use("HealthChecks.statuses", (db) =>
          db
            .selectFrom("connections")
            .select((eb) => ["platform", "health_status", eb.fn.countAll<string>().as("n")])
            .groupBy(["platform", "health_status"])
            .execute()
        )
        .pipe(
          Effect.flatMap((rows) =>
            Effect.forEach(rows, (r) => metrics.record("connector.health_check.status", Number(r.n), { platform: r.platform, status: r.health_status }), {
              discard: true
            })
          )
        )

      const sweep = Effect.fn("HealthChecks.sweep")(function* () {
        const now = yield* Clock.currentTimeMillis
        const enabled = new Map<string, boolean>()
        const index: { [P in Platform]: number } = { meta: 0, linkedin: 0, tiktok: 0, gbp: 0, mailchimp: 0 }
        let scheduled = 0
        let skippedByFlag = 0
        let stale = 0
        let spreadMs = 0
        let after: string | undefined
        for (;;) {
          const page = yield* connections.forSweep(after, 500)
          if (page.length === 0) break
          after = page[page.length - 1]?.id
          const pings: Array<{ readonly payload: PingJob; readonly startAfterMs: number }> = []
          for (const candidate of page) {
            let on = enabled.get(candidate.tenantId)
            if (on === undefined) {
              on = yield* flags.syntheticPings(candidate.tenantId)
              enabled.set(candidate.tenantId, on)
            }
            if (!on) {
              skippedByFlag += 1
              continue
            }
            if (candidate.status === "active" && now - (candidate.lastHealthCheckAt ?? candidate.createdAt).getTime() > staleAfterMs) {
              stale += 1
              yield* health.record({
                tenantId: candidate.tenantId,
                connectionId: candidate.id,
                platform: candidate.platform,
                status: "warning",
                source: "sweep",
                detail: `not checked for more than ${config.staleAfterHours} h`
              })
            }
            // Spread evenly within the platform's budget: the n-th ping of a platform waits n/budget minutes.
            const startAfterMs = Math.floor((index[candidate.platform] * 60_000) / budgets.success[candidate.platform])
            index[candidate.platform] += 1
            spreadMs = Math.max(spreadMs, startAfterMs)
            pings.push({ payload: { tenantId: candidate.tenantId, connectionId: candidate.id, reason: "sweep" }, startAfterMs })
          }
          // One insert per page: a sweep of thousands of connections is queued in a few statements.
          yield* queue.sendBatch("ping", pings)
          scheduled += pings.length
        }
        yield* sampleStatuses.pipe(Effect.catch(() => Effect.void))
        yield* Effect.logInfo("health sweep scheduled").pipe(Effect.annotateLogs({ scheduled, skippedByFlag, stale, spreadMs }))
        return { scheduled, skippedByFlag, stale, spreadMs } satisfies SweepReport
      })

      const ping = Effect.fn("HealthChecks.ping")(function* (tenantId: string, connectionId: string) {
        const connection = yield* connections.get(tenantId, connectionId)
        const platform = connection.platform
        if (connection.status === "attention" && connection.pauseReason === "CIRCUIT_BREAKER_OPEN") {
          // The breaker's own probe decides; it resumes the channel when the partner answers.
          const result = yield* recovery.probe(tenantId, connectionId)
          if (result === "resumed" || result === "reopened") {
            yield* health.record({ tenantId, connectionId, platform, status: result === "resumed" ? "healthy" : "warning", source: "probe" })
          }
          return { kind: "probed", result } as const
        }
        if (connection.status !== "active") return { kind: "skipped", why: connection.status } as const
        const now = yield* Clock.currentTimeMillis
        if (connection.lastHealthCheckAt !== null && now - connection.lastHealthCheckAt.getTime() < minGapMs) {
          return { kind: "skipped", why: "checked recently" } as const
        }
        const connector = connectors.forPlatform(platform)
        const autopause = yield* flags.recoveryAutopause(tenantId)
        // Asked only on the paths that may refresh (a token about to expire, a failed check), once.
        const canRefresh =
          connector.refreshToken === undefined ? Effect.succeed(false) : yield* Effect.cached(connections.hasRefreshToken(tenantId, connectionId))

        const check = Effect.gen(function* () {
          const credentials = yield* connections.credentials(tenantId, connectionId)
          const started = yield* Clock.currentTimeMillis
          const result = yield* Effect.result(connector.healthCheck(credentials))
          const latencyMs = (yield* Clock.currentTimeMillis) - started
          const missing = Result.isSuccess(result) ? missingPublishingScope(platform, connection.partnerAccountId, result.success.scopes) : undefined
          return { result, latencyMs, missing }
        })

        const finish = (status: HealthStatus, latencyMs: number | null, code: ErrorCode | undefined, pause: boolean, detail?: string) =>
          Effect.gen(function* () {
            if (pause && autopause) yield* recovery.autoPause(tenantId, connectionId, code ?? "UNKNOWN", "ping")
            yield* health.record({ tenantId, connectionId, platform, status, source: "ping", latencyMs, errorCode: code ?? null, detail })
            if (code !== undefined) yield* metrics.increment("connector.health_check.failures", { platform, code })
            if (latencyMs !== null) {
              yield* metrics.record("connector.health_check.latency_ms", latencyMs, {
                platform,
                outcome: code === undefined ? "success" : code === "TIMEOUT" ? "timeout" : "failure"
              })
            }
            return { kind: "checked", status, code, paused: pause && autopause } satisfies PingOutcome
          })

        // A token about to expire is renewed before it does; a refusal is the same as a failed publish's.
        let refreshed = false
        if (connection.tokenExpiresAt !== null && connection.tokenExpiresAt.getTime() - now < refreshWithinMs && (yield* canRefresh)) {
          const renewed = yield* Effect.result(recovery.refreshTokens(tenantId, connectionId))
          if (Result.isFailure(renewed)) return yield* onFailure(renewed.failure, null)
          refreshed = true
        }

        function onFailure(failure: TaxonomyError, latencyMs: number | null): Effect.Effect<PingOutcome, unknown> {
          return Effect.gen(function* () {
            const decision = decidePing({ code: failure._tag, canRefresh: yield* canRefresh, refreshed, autopause })
            switch (decision.kind) {
              case "refresh": {
                refreshed = true
                const renewed = yield* Effect.result(recovery.refreshTokens(tenantId, connectionId))
                if (Result.isFailure(renewed)) return yield* onFailure(renewed.failure, latencyMs)
                return yield* evaluate()
              }
              case "pause":
                return yield* finish("critical", latencyMs, decision.code, true, failure.message)
              case "record":
                return yield* finish(decision.status, latencyMs, decision.code, false, failure.message)
            }
          })
        }

        function evaluate(): Effect.Effect<PingOutcome, unknown> {
          return Effect.gen(function* () {
            const { result, latencyMs, missing } = yield* check
            if (Result.isFailure(result)) return yield* onFailure(result.failure, latencyMs)
            if (missing !== undefined) {
              return yield* finish("critical", latencyMs, "PERMISSION_INSUFFICIENT", true, `the token lacks ${missing}, which publishing needs`)
            }
            return yield* finish("healthy", latencyMs, undefined, false)
          })
        }

        return yield* evaluate()
      })

      return HealthChecks.of({ sweep, ping })
    })
  )
}
