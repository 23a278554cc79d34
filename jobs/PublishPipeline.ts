// The publish effect, in order: a paused connection holds the post; the tenant's token bucket defers
// it; the connection's breaker rejects (hold) or lets it through; a post whose earlier attempt may
// have reached the partner is reconciled first, never posted twice; then the connector, and the
// taxonomy decision (core/publish/PublishDecision.ts) carried out. This is the only retry loop
// around a partner call: a retry is a new job scheduled after the decided delay.
import { Clock, Context, Effect, Layer, Random, Result } from "effect"
import type { PublishRequest, PublishedPost } from "../core/publish/Connector.ts"
import { Connectors } from "../core/publish/Connector.ts"
import { decide, type PublishDecision } from "../core/publish/PublishDecision.ts"
import { type ErrorCode, TAXONOMY } from "../core/taxonomy/Taxonomy.ts"
import type { TaxonomyError } from "../core/taxonomy/TaxonomyError.ts"
import { CircuitBreakerStore } from "../db/CircuitBreakerStore.ts"
import { ConnectionRepo } from "../db/ConnectionRepo.ts"
import type { PublishOutcome } from "../db/DatabaseSchema.ts"
import { DlqRepo } from "../db/DlqRepo.ts"
import { PostRepo } from "../db/PostRepo.ts"
import { PublishAttemptRepo } from "../db/PublishAttemptRepo.ts"
import { RateLimiter } from "../db/RateLimiter.ts"
import { Flags } from "../flags/Flags.ts"
import { MetricRecorder } from "../observability/MetricRecorder.ts"
import { ConnectionRecovery } from "./ConnectionRecovery.ts"
import { JobQueue } from "./JobQueue.ts"
import type { PublishJob } from "./queues.ts"

/** How the attempt ended, for the caller and the tests. */
export type PublishResult =
  | { readonly outcome: "published" | "reconciled"; readonly partnerPostId: string }
  | { readonly outcome: "held" | "deferred" | "retry_scheduled" | "paused" | "dead_lettered" | "skipped" }

export class PublishPipeline extends Context.Service<
  PublishPipeline,
  { readonly run: (job: PublishJob) => Effect.Effect<PublishResult, unknown> }
>()("postd/jobs/PublishPipeline") {
  static readonly layer = Layer.effect(
    PublishPipeline,
    Effect.gen(function* () {
      const posts = yield* PostRepo
      const connections = yield* ConnectionRepo
      const attempts = yield* PublishAttemptRepo
      const dlq = yield* DlqRepo
      const limiter = yield* RateLimiter
      const breakers = yield* CircuitBreakerStore
      const connectors = yield* Connectors
      const flags = yield* Flags
      const metrics = yield* MetricRecorder
      const queue = yield* JobQueue
      const recovery = yield* ConnectionRecovery

      const run = Effect.fn("PublishPipeline.run")(function* (job: PublishJob) {
        const post = yield* posts.getForPublish(job.tenantId, job.postId)
        if (post === undefined || ["published", "dead_lettered", "skipped", "failed"].includes(post.status)) {
          return { outcome: "skipped" } as const
        }
        // A job whose ticket the post no longer holds was overtaken (the post was held by a pause,
        // then released with a new job): the live job is the other one.
        if (job.ticket !== undefined && post.publishTicket !== job.ticket) return { outcome: "skipped" } as const
        // The worker's read carries what it needs of the connection: one query, not two.
        const connection = {
          id: post.connectionId,
          platform: post.platform,
          status: post.connectionStatus,
          pauseReason: post.connectionPauseReason,
          brandId: post.brandId
        }
        const platform = connection.platform
        const labels = { platform }
        const record = (outcome: PublishOutcome, errorCode: ErrorCode | null, latencyMs: number | null, attempt: number) =>
          Effect.andThen(
            attempts.record({
              postId: post.id,
              connectionId: connection.id,
              tenantId: job.tenantId,
              platform,
              attempt,
              outcome,
              errorCode,
              latencyMs
            }),
            Effect.logInfo("publish attempt").pipe(
              Effect.annotateLogs({
                eventType: "publish_attempt",
                status: outcome,
                errorCode,
                latencyMs,
                retryCount: Math.max(0, attempt - 1)
              })
            )
          )

        return yield* Effect.gen(function* () {
          // 1. A paused connection holds its posts: not failed, not retried, released on resume.
          if (connection.status !== "active") {
            yield* posts.markHeld(post.id)
            yield* record("held", connection.pauseReason, null, post.attempts)
            return { outcome: "held" } as const
          }
          // 2. The tenant's share of the platform: a limited post waits, it never fails.
          const token = yield* limiter.take(job.tenantId, platform)
          if (!token.allowed) {
            yield* queue.send("publish", job, { startAfterMs: token.retryAfterMs })
            yield* record("deferred", null, null, post.attempts)
            return { outcome: "deferred" } as const
          }
          // 3. The connection's breaker: open means the connection is (being) paused; hold the post.
          const gate = yield* breakers.acquire(connection.id)
          if (gate.kind === "reject") {
            yield* posts.markHeld(post.id)
            yield* record("held", "CIRCUIT_BREAKER_OPEN", null, post.attempts)
            return { outcome: "held" } as const
          }

          const marked = yield* Effect.result(posts.markIntent(post.id, job.ticket))
          if (Result.isFailure(marked)) {
            // Held (or finished) by someone else since this job read the post: nothing left to do.
            if (marked.failure._tag === "PostStateConflict") return { outcome: "skipped" } as const
            return yield* marked.failure
          }
          const intent = marked.success
          const request: PublishRequest = {
            credentials: yield* connections.credentials(job.tenantId, connection.id),
            content: { text: post.text, format: post.format, mediaUrls: post.mediaUrls, title: post.title ?? undefined, link: post.link ?? undefined },
            dedupeKey: post.dedupeKey,
            partnerRef: post.partnerRef ?? undefined,
            // Kept at once: a retry continues the partner's post instead of starting a second one.
            onPartnerRef: (ref) => posts.setPartnerRef(post.id, ref).pipe(Effect.orDie),
            intentAt: intent.intentAt
          }
          const connector = connectors.forPlatform(platform)

          const succeed = (published: PublishedPost, reconciled: boolean, latencyMs: number | null) =>
            Effect.gen(function* () {
              yield* posts.markPublished(post.id, published.partnerPostId, reconciled)
              yield* breakers.recordSuccess(connection.id)
              // A replay that got through closes its DLQ entries: nothing is left for an operator.
              yield* dlq.resolveForPost(post.id, `published after replay as ${published.partnerPostId}`)
              yield* record(reconciled ? "reconciled" : "published", null, latencyMs, intent.attempts)
              yield* metrics.increment("connector.publish.success", labels)
              if (latencyMs !== null) {
                yield* metrics.record("connector.publish.latency_ms", latencyMs, { platform, outcome: "success" })
              }
              return { outcome: reconciled ? "reconciled" : "published", partnerPostId: published.partnerPostId } as const
            })

          // 4. An earlier attempt may have reached the partner: it recorded its intent and ended
          // without a definitive answer (it crashed, timed out, or got a retryable one). Look first.
          // After a definitive answer (the partner rejected it, or called it a duplicate) the partner
          // has told us it did not post, and a lookup could only mistake someone else's post for ours.
          const outcomeUnknown =
            intent.wasIntended && (post.lastErrorCode === null || TAXONOMY[post.lastErrorCode].retryable)
          if (outcomeUnknown) {
            const found = yield* connector.findPublished(request).pipe(Effect.option)
            if (found._tag === "Some" && found.value !== undefined) return yield* succeed(found.value, true, null)
          }

          const call = (req: PublishRequest) =>
            Effect.gen(function* () {
              const started = yield* Clock.currentTimeMillis
              const result = yield* Effect.result(connector.publish(req))
              const latencyMs = (yield* Clock.currentTimeMillis) - started
              return { result, latencyMs }
            })

          // Carries out the taxonomy decision for one failure. `refreshed`: this failure came after a
          // refresh (or is the refresh's own failure), so AUTH_EXPIRED cannot ask for another.
          const onFailure = (
            failure: TaxonomyError,
            latencyMs: number | null,
            refreshed: boolean
          ): Effect.Effect<PublishResult | { readonly outcome: "refreshed"; readonly request: PublishRequest }, unknown> =>
            Effect.gen(function* () {
              yield* metrics.increment("connector.publish.failure", {
                platform,
                code: failure._tag,
                action: TAXONOMY[failure._tag].action
              })
              if (failure._tag === "RATE_LIMIT_429" || failure._tag === "QUOTA_EXCEEDED") {
                yield* metrics.increment("connector.rate_limit.429", { platform, code: failure._tag })
              }
              // The partner's duplicate signal is ours only when an earlier attempt's outcome is unknown;
              // otherwise it is the user's content.
              if (failure._tag === "DUPLICATE_CONTENT" && outcomeUnknown) {
                return yield* succeed({ partnerPostId: post.partnerPostId ?? `duplicate-of:${post.dedupeKey}` }, true, latencyMs)
              }
              const breaker = yield* breakers.recordFailure(connection.id, failure._tag)
              if (breaker.opened) {
                yield* recovery.openBreaker(job.tenantId, connection.id)
                yield* posts.markHeld(post.id)
                yield* record("paused", "CIRCUIT_BREAKER_OPEN", latencyMs, intent.attempts)
                return { outcome: "paused" } as const
              }
              const decision: PublishDecision = decide({
                code: failure._tag,
                attempts: intent.attempts,
                retryAfterMs: failure.retryAfterMs,
                random: yield* Random.next,
                autopause: yield* flags.recoveryAutopause(job.tenantId),
                // Asked only of a code whose action is a refresh: a query saved on every other failure.
                canRefresh:
                  TAXONOMY[failure._tag].action === "REFRESH_TOKEN" &&
                  connector.refreshToken !== undefined &&
                  (yield* connections.hasRefreshToken(job.tenantId, connection.id)),
                refreshed
              })
              switch (decision.kind) {
                case "refresh": {
                  const renewed = yield* Effect.result(recovery.refreshTokens(job.tenantId, connection.id))
                  if (Result.isSuccess(renewed)) {
                    return { outcome: "refreshed", request: { ...request, credentials: renewed.success } } as const
                  }
                  return yield* onFailure(renewed.failure, null, true)
                }
                case "retry":
                  yield* posts.recordError(post.id, decision.code)
                  yield* queue.send("publish", job, { startAfterMs: decision.delayMs })
                  yield* record("retry_scheduled", decision.code, latencyMs, intent.attempts)
                  return { outcome: "retry_scheduled" } as const
                case "pause":
                  yield* recovery.autoPause(job.tenantId, connection.id, decision.code)
                  // The error first: whoever sees the post held also sees why.
                  yield* posts.recordError(post.id, decision.code)
                  yield* posts.markHeld(post.id)
                  yield* record("paused", decision.code, latencyMs, intent.attempts)
                  return { outcome: "paused" } as const
                case "dead_letter":
                  yield* dlq.add({
                    jobId: job.postId,
                    tenantId: job.tenantId,
                    connectionId: connection.id,
                    postId: post.id,
                    platform,
                    action: "publish",
                    payload: job,
                    errorCode: decision.code,
                    reasonCode: decision.reason,
                    lastErrorMessage: failure.message,
                    retryCount: Math.max(0, intent.attempts - 1),
                    firstAttempt: intent.intentAt
                  })
                  yield* posts.markDeadLettered(post.id, decision.code)
                  yield* metrics.increment("dlq.entries", { queue: "publish", code: decision.code, reason: decision.reason })
                  yield* record("dead_lettered", decision.code, latencyMs, intent.attempts)
                  return { outcome: "dead_lettered" } as const
              }
            })

          // At most two partner calls: the attempt, and one more right after a successful refresh.
          let current = request
          let refreshed = false
          for (;;) {
            const { result: published, latencyMs } = yield* call(current)
            if (Result.isSuccess(published)) return yield* succeed(published.success, false, latencyMs)
            const result = yield* onFailure(published.failure, latencyMs, refreshed)
            if (result.outcome !== "refreshed") return result
            current = result.request
            refreshed = true
          }
        }).pipe(
          Effect.annotateLogs({
            cycleId: job.cycleId,
            ...(job.requestId !== undefined ? { requestId: job.requestId } : {}),
            tenantId: job.tenantId,
            connectionId: connection.id,
            postId: post.id,
            platform,
            brandId: connection.brandId
          })
        )
      })
      return PublishPipeline.of({ run })
    })
  )
}
