// Pausing and resuming a connection, and everything that must happen with it: metrics, the
// breaker's half-open probe, refreshing tokens, and — after a probe — releasing held posts in
// schedule order (their jobs enqueued in the same transaction, so a resumed post is never left
// without a job). After a manual resume or a reconnect the held posts wait for the user's backfill
// decision (jobs/Backfill.ts) instead: publish them late, or not at all.
import { Clock, Context, Effect, Layer, Schema } from "effect"
import type { Credentials } from "../core/publish/Connector.ts"
import { Connectors } from "../core/publish/Connector.ts"
import { buildPauseReason } from "../core/recovery/PauseReason.ts"
import { ErrorCode, Platform, TAXONOMY } from "../core/taxonomy/Taxonomy.ts"
import { TokenRefreshFailed, type TaxonomyError } from "../core/taxonomy/TaxonomyError.ts"
import { BreakerSettingsConfig, CircuitBreakerStore } from "../db/CircuitBreakerStore.ts"
import { type ConnectionNotFound, ConnectionRepo } from "../db/ConnectionRepo.ts"
import { Database, type DatabaseError } from "../db/Database.ts"
import { PostRepo } from "../db/PostRepo.ts"
import { MetricRecorder } from "../observability/MetricRecorder.ts"
import { JobQueue, sendReleased } from "./JobQueue.ts"

const SYSTEM = "system"

/** A manual resume that would only fail again: the pause needs a reconnect (its tokens are dead). */
export class ResumeRefused extends Schema.TaggedError<ResumeRefused>()("ResumeRefused", {
  connectionId: Schema.String,
  platform: Platform,
  code: ErrorCode,
  message: Schema.String
}) {}

export interface ManualResume {
  /** False when the connection was active already. */
  readonly resumed: boolean
  /** Held posts now waiting for the backfill decision. */
  readonly heldPosts: number
}

/** How a connection came back, for the `channel.resumed` metric. */
export type ResumeHow = "probe" | "manual" | "reconnect"

export class ConnectionRecovery extends Context.Service<
  ConnectionRecovery,
  {
    /** Pauses with `code` (status attention, or revoked for APP_DEAUTHORIZED); idempotent. `actor` defaults to `system`. */
    readonly autoPause: (tenantId: string, connectionId: string, code: ErrorCode, actor?: string) => Effect.Effect<boolean, unknown>
    /** The breaker opened: pause with CIRCUIT_BREAKER_OPEN and schedule its single half-open probe. */
    readonly openBreaker: (tenantId: string, connectionId: string) => Effect.Effect<void, unknown>
    /** Refreshes with the stored refresh token; any failure is TOKEN_REFRESH_FAILED. */
    readonly refreshTokens: (tenantId: string, connectionId: string) => Effect.Effect<Credentials, TaxonomyError>
    /**
     * Back to active. After a probe (the breaker's short, automatic pause) held posts go out again in
     * schedule order; otherwise they stay held for the backfill decision. Returns how many were released.
     */
    readonly resume: (tenantId: string, connectionId: string, actor: string, how: ResumeHow) => Effect.Effect<number, unknown>
    /**
     * An administrator's resume. Refused while the pause needs a reconnect (the next attempt would
     * fail the same way); held posts stay held for the backfill decision.
     */
    readonly resumeManually: (
      tenantId: string,
      connectionId: string,
      actor: string
    ) => Effect.Effect<ManualResume, ResumeRefused | ConnectionNotFound | DatabaseError>
    /** Back to their schedule: the held posts of an active connection whose time is still ahead. */
    readonly releaseUpcoming: (tenantId: string, connectionId: string) => Effect.Effect<number, DatabaseError>
    /** The half-open probe: a health check; success closes the breaker and resumes, failure reopens it. */
    readonly probe: (tenantId: string, connectionId: string) => Effect.Effect<"resumed" | "reopened" | "waiting" | "closed", unknown>
  }
>()("postd/jobs/ConnectionRecovery") {
  static readonly layer = Layer.effect(
    ConnectionRecovery,
    Effect.gen(function* () {
      const connections = yield* ConnectionRepo
      const posts = yield* PostRepo
      const breakers = yield* CircuitBreakerStore
      const connectors = yield* Connectors
      const metrics = yield* MetricRecorder
      const queue = yield* JobQueue
      const database = yield* Database
      const { resetTimeoutMs } = yield* BreakerSettingsConfig

      const autoPause = Effect.fn("ConnectionRecovery.autoPause")(function* (
        tenantId: string,
        connectionId: string,
        code: ErrorCode,
        actor: string = SYSTEM
      ) {
        const connection = yield* connections.get(tenantId, connectionId)
        const changed = yield* connections.autoPause(tenantId, connectionId, code, actor)
        if (changed) {
          yield* metrics.increment("channel.paused", { platform: connection.platform, code })
          yield* Effect.logWarning("connection paused").pipe(Effect.annotateLogs({ tenantId, connectionId, errorCode: code }))
        }
        return changed
      })

      const scheduleProbe = (tenantId: string, connectionId: string, afterMs: number) =>
        // Ahead of the sweep's pings in the same queue: a backlog of checks must not keep a channel paused.
        queue.send("ping", { tenantId, connectionId, reason: "breaker_probe" }, { startAfterMs: afterMs, priority: 10 })

      const openBreaker = Effect.fn("ConnectionRecovery.openBreaker")(function* (tenantId: string, connectionId: string) {
        const connection = yield* connections.get(tenantId, connectionId)
        yield* metrics.increment("breaker.opened", { platform: connection.platform })
        // The breaker protects the partner and our queue, so it pauses whatever the auto-pause flag says.
        yield* autoPause(tenantId, connectionId, "CIRCUIT_BREAKER_OPEN")
        yield* scheduleProbe(tenantId, connectionId, resetTimeoutMs)
      })

      const refreshTokens = Effect.fn("ConnectionRecovery.refreshTokens")(function* (
        tenantId: string,
        connectionId: string
      ) {
        const refreshFailed = (message: string, platform: Credentials["platform"]) =>
          Effect.andThen(
            metrics.increment("connector.token.refresh.failed", { platform, code: "TOKEN_REFRESH_FAILED" }),
            Effect.fail(new TokenRefreshFailed({ message, platform }))
          )
        const connection = yield* connections.get(tenantId, connectionId).pipe(Effect.orDie)
        const connector = connectors.forPlatform(connection.platform)
        const stored = yield* connections.refreshToken(tenantId, connectionId).pipe(Effect.orDie)
        if (connector.refreshToken === undefined || stored === undefined) {
          return yield* refreshFailed("no refresh token to renew the access token with", connection.platform)
        }
        // Only a refused grant is TOKEN_REFRESH_FAILED, which pauses the channel for a reconnect. A
        // token endpoint that is down (5xx, network, timeout) says nothing about the grant, and a
        // refusal of our own OAuth client (invalid_client, missing client settings: UNKNOWN) is ours
        // to fix, not the user's: both keep their code, are retried, and end in the DLQ for an operator.
        const renewed = yield* connector
          .refreshToken(stored)
          .pipe(
            Effect.catch((e) =>
              TAXONOMY[e._tag].retryable
                ? Effect.fail(e)
                : refreshFailed(`refresh rejected: ${e._tag} ${e.message}`, connection.platform)
            )
          )
        yield* connections.storeTokens(tenantId, connectionId, renewed).pipe(Effect.orDie)
        yield* metrics.increment("connector.token.refresh.succeeded", { platform: connection.platform })
        return yield* connections.credentials(tenantId, connectionId).pipe(Effect.orDie)
      })

      const resume = Effect.fn("ConnectionRecovery.resume")(function* (
        tenantId: string,
        connectionId: string,
        actor: string,
        how: ResumeHow
      ) {
        const connection = yield* connections.get(tenantId, connectionId)
        const changed = yield* connections.resume(tenantId, connectionId, actor)
        yield* breakers.recordSuccess(connectionId)
        // After a probe every held post goes out; otherwise only the upcoming ones (held by the pause
        // before their time came) go back to their schedule, and the missed ones wait for the backfill.
        const released = yield* release(tenantId, connectionId, how === "probe" ? "all" : "upcoming")
        if (changed) {
          yield* metrics.increment("channel.resumed", { platform: connection.platform, reason: how })
          yield* Effect.logInfo("connection resumed").pipe(Effect.annotateLogs({ tenantId, connectionId, released, how }))
        }
        return released
      })

      const release = Effect.fn("ConnectionRecovery.release")(function* (tenantId: string, connectionId: string, which: "all" | "upcoming") {
        const now = yield* Clock.currentTimeMillis
        return yield* database.transaction("ConnectionRecovery.release", (trx) =>
          Effect.gen(function* () {
            const released = yield* posts.releaseHeld(trx, tenantId, connectionId, which)
            for (const post of released) yield* sendReleased(queue, trx, tenantId, post, now)
            return released.length
          })
        )
      })

      const resumeManually = Effect.fn("ConnectionRecovery.resumeManually")(function* (
        tenantId: string,
        connectionId: string,
        actor: string
      ) {
        const connection = yield* connections.get(tenantId, connectionId)
        const reason = connection.pauseReason === null ? undefined : buildPauseReason(connection.pauseReason, connection.platform)
        if (connection.status !== "active" && reason?.requiresReauth === true) {
          return yield* new ResumeRefused({
            connectionId,
            platform: connection.platform,
            code: reason.code,
            message: `this channel needs a reconnect, not a resume: ${reason.recoveryAction}`
          })
        }
        const resumed = connection.status !== "active"
        yield* resume(tenantId, connectionId, actor, "manual")
        const { heldPosts } = yield* connections.summary(tenantId, connectionId)
        return { resumed, heldPosts } satisfies ManualResume
      })

      const probe = Effect.fn("ConnectionRecovery.probe")(function* (tenantId: string, connectionId: string) {
        const gate = yield* breakers.acquire(connectionId)
        if (gate.kind === "reject") {
          yield* scheduleProbe(tenantId, connectionId, gate.retryAfterMs)
          return "waiting" as const
        }
        const connection = yield* connections.get(tenantId, connectionId)
        // Resume what the breaker paused; on a channel that is already active, resuming only releases
        // posts a worker held while the breaker was open. A channel paused for another reason (auth,
        // restriction) stays paused: a healthy partner does not fix that.
        const mayResume =
          connection.status === "active" ||
          (connection.status === "attention" && connection.pauseReason === "CIRCUIT_BREAKER_OPEN")
        if (gate.kind === "allow") {
          if (mayResume) yield* resume(tenantId, connectionId, SYSTEM, "probe")
          return "closed" as const
        }
        const credentials = yield* connections.credentials(tenantId, connectionId)
        const health = yield* Effect.result(connectors.forPlatform(connection.platform).healthCheck(credentials))
        if (health._tag === "Success") {
          yield* breakers.recordSuccess(connectionId)
          if (mayResume) yield* resume(tenantId, connectionId, SYSTEM, "probe")
          return "resumed" as const
        }
        yield* breakers.recordFailure(connectionId, health.failure._tag)
        yield* scheduleProbe(tenantId, connectionId, resetTimeoutMs)
        return "reopened" as const
      })

      return ConnectionRecovery.of({
        autoPause,
        openBreaker,
        refreshTokens,
        resume,
        resumeManually,
        releaseUpcoming: (tenantId, connectionId) => release(tenantId, connectionId, "upcoming"),
        probe
      })
    })
  )
}
