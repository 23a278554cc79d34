// The `webhook` job: a verified, stored platform event turned into what it means for our channels.
// Its actions (core/webhooks/WebhookEvents.ts) match connections in every tenant by the partner's
// account or user; each matched connection is paused with the event's code (RECOVERY_AUTOPAUSE_ENABLED
// per tenant), or first has its account's state read where the platform only says "it changed", and
// gets an integration_health row (the pause writes its connection_audit row). An event that matches
// nothing is recorded as ignored. A processing failure is WEBHOOK_FAILURE: retried with the code's
// backoff as a new job (this is the only retry loop), then dead-lettered with reason WEBHOOK_FAILURE.
import { Context, Effect, Layer, Random, Result, Schema } from "effect"
import { decidePing } from "../core/health/HealthVerdict.ts"
import type { Connector, Credentials } from "../core/publish/Connector.ts"
import { Connectors } from "../core/publish/Connector.ts"
import { retryDelay } from "../core/retry/RetryPolicy.ts"
import type { ErrorCode, Platform } from "../core/taxonomy/Taxonomy.ts"
import {
  interpretGbpPush,
  interpretLinkedInEvent,
  interpretMailchimpEvent,
  interpretMetaDeauthorize,
  interpretMetaEvent,
  interpretTikTokEvent,
  type Interpretation,
  SignedRequestPayload,
  urgencyOf,
  type WebhookAction
} from "../core/webhooks/WebhookEvents.ts"
import { type Connection, ConnectionRepo } from "../db/ConnectionRepo.ts"
import { DlqRepo } from "../db/DlqRepo.ts"
import { IntegrationHealthRepo } from "../db/IntegrationHealthRepo.ts"
import { type WebhookEvent, WebhookEventRepo } from "../db/WebhookEventRepo.ts"
import { Flags } from "../flags/Flags.ts"
import { MetricRecorder } from "../observability/MetricRecorder.ts"
import { ConnectionRecovery } from "./ConnectionRecovery.ts"
import { JobQueue } from "./JobQueue.ts"
import { WEBHOOK_PRIORITY } from "./WebhookInbox.ts"

export type WebhookOutcome = "processed" | "ignored" | "retry_scheduled" | "dead_lettered" | "done_before"

/** Meta's deauthorize callback arrives as a form; its stored payload is the signed_request's JSON. */
export const META_DEAUTHORIZE_TYPE = "application/vnd.postd.meta-signed-request+json"

const decodeSignedRequest = Schema.decodeUnknownResult(Schema.fromJsonString(SignedRequestPayload))

/** The stored event's meaning; the intake decoded the same bytes, so a failure here is a defect of ours. */
export const interpretStored = (event: Pick<WebhookEvent, "platform" | "contentType" | "payload">): Interpretation => {
  switch (event.platform) {
    case "meta":
      if (event.contentType === META_DEAUTHORIZE_TYPE) {
        return Result.flatMap(
          Result.mapError(decodeSignedRequest(event.payload), (e) => e.message),
          interpretMetaDeauthorize
        )
      }
      return interpretMetaEvent(event.payload)
    case "linkedin":
      return interpretLinkedInEvent(event.payload)
    case "tiktok":
      return interpretTikTokEvent(event.payload)
    case "gbp":
      return interpretGbpPush(event.payload)
    case "mailchimp":
      return interpretMailchimpEvent(new URLSearchParams(event.payload))
  }
}

/** The queue priority of an event's job, from what it may do (the intake's, for a stored event). */
export const webhookPriority = (interpretation: Interpretation): number =>
  WEBHOOK_PRIORITY[Result.isSuccess(interpretation) ? urgencyOf(interpretation.success.actions) : "record"]

const describe = (cause: unknown): string =>
  typeof cause === "object" && cause !== null && "_tag" in cause
    ? `${String(cause._tag)}${"message" in cause && typeof cause.message === "string" ? `: ${cause.message}` : ""}`
    : String(cause)

export class WebhookProcessor extends Context.Service<
  WebhookProcessor,
  { readonly process: (eventId: string) => Effect.Effect<WebhookOutcome, unknown> }
>()("postd/jobs/WebhookProcessor") {
  static readonly layer = Layer.effect(
    WebhookProcessor,
    Effect.gen(function* () {
      const events = yield* WebhookEventRepo
      const connections = yield* ConnectionRepo
      const recovery = yield* ConnectionRecovery
      const health = yield* IntegrationHealthRepo
      const connectors = yield* Connectors
      const flags = yield* Flags
      const queue = yield* JobQueue
      const dlq = yield* DlqRepo
      const metrics = yield* MetricRecorder

      /** One matched connection: what the action asks, done, and its health row. */
      const actOn = (event: WebhookEvent, action: WebhookAction, connection: Connection) =>
        Effect.gen(function* () {
          if (action.kind === "pause" && action.scope !== undefined && !connection.scopes.includes(action.scope)) return false
          const code: ErrorCode | undefined =
            action.kind === "pause" ? action.code : yield* accountCode(connectors.forPlatform(connection.platform), connection)
          const actor = `webhook:${event.platform}`
          if (code === undefined) {
            yield* health.record({ tenantId: connection.tenantId, connectionId: connection.id, platform: connection.platform, status: "healthy", source: "webhook", detail: action.detail })
            return true
          }
          const autopause = yield* flags.recoveryAutopause(connection.tenantId)
          if (autopause) yield* recovery.autoPause(connection.tenantId, connection.id, code, actor)
          yield* health.record({
            tenantId: connection.tenantId,
            connectionId: connection.id,
            platform: connection.platform,
            status: "critical",
            source: "webhook",
            errorCode: code,
            detail: autopause ? action.detail : `${action.detail} (auto-pause is off for this tenant)`
          })
          return true
        })

      /**
       * Where the platform only says the account changed, its own state says how. The read runs on the
       * connection's token as a ping would (core/health/HealthVerdict.ts): an expired one is refreshed
       * once (Google's last an hour), a dead one is itself the answer (its pause code), and partner or
       * network trouble fails the event, which is retried.
       */
      const accountCode = (connector: Connector, connection: Connection) =>
        Effect.gen(function* () {
          const accountStatus = connector.accountStatus
          if (accountStatus === undefined) return undefined
          const read = (credentials: Credentials) => Effect.result(accountStatus(credentials))
          let result = yield* read(yield* connections.credentials(connection.tenantId, connection.id))
          let refreshed = false
          if (Result.isFailure(result)) {
            const canRefresh = connector.refreshToken !== undefined && (yield* connections.hasRefreshToken(connection.tenantId, connection.id))
            if (decidePing({ code: result.failure._tag, canRefresh, refreshed, autopause: true }).kind === "refresh") {
              refreshed = true
              const renewed = yield* Effect.result(recovery.refreshTokens(connection.tenantId, connection.id))
              result = Result.isFailure(renewed) ? Result.fail(renewed.failure) : yield* read(renewed.success)
            }
          }
          if (Result.isFailure(result)) {
            const decision = decidePing({ code: result.failure._tag, canRefresh: false, refreshed, autopause: true })
            if (decision.kind === "pause") return decision.code
            return yield* Effect.fail(result.failure)
          }
          return result.success === "gone" ? ("RESOURCE_NOT_FOUND" as const) : result.success === "restricted" ? ("ACCOUNT_RESTRICTED" as const) : undefined
        })

      const matchOf = (platform: Platform, action: WebhookAction) =>
        connections.findByPartner(platform, action.match.by === "user" ? { userId: action.match.userId } : { accountId: action.match.accountId })

      /** Carries the event's actions out; the number of connections it acted on. */
      const apply = (event: WebhookEvent, interpretation: Interpretation) =>
        Effect.gen(function* () {
          if (Result.isFailure(interpretation)) return yield* Effect.fail(new Error(`stored payload no longer decodes: ${interpretation.failure}`))
          let acted = 0
          for (const action of interpretation.success.actions) {
            for (const connection of yield* matchOf(event.platform, action)) {
              if (yield* actOn(event, action, connection)) acted += 1
            }
          }
          return acted
        })

      /** The tenant a dead-lettered event belongs to, when one of its connections can still be matched. */
      const tenantOf = (event: WebhookEvent, interpretation: Interpretation) =>
        Effect.gen(function* () {
          if (Result.isFailure(interpretation)) return null
          for (const action of interpretation.success.actions) {
            const [first] = yield* matchOf(event.platform, action)
            if (first !== undefined) return first.tenantId
          }
          return null
        }).pipe(Effect.orElseSucceed(() => null))

      const process = Effect.fn("WebhookProcessor.process")(function* (eventId: string) {
        const event = yield* events.get(eventId)
        if (event.status === "processed" || event.status === "ignored" || event.status === "dead_lettered") return "done_before" as const
        const interpretation = interpretStored(event)
        const result = yield* Effect.result(apply(event, interpretation))
        if (Result.isSuccess(result)) {
          const outcome = result.success > 0 ? ("processed" as const) : ("ignored" as const)
          yield* events.finish(event.id, outcome, result.success)
          // An event that failed before may be a DLQ replay's: its entry is resolved with it.
          if (event.lastError !== null) yield* dlq.resolveForWebhookEvent(event.id, `webhook event ${outcome} after replay`)
          yield* Effect.logInfo("webhook event processed").pipe(
            Effect.annotateLogs({ platform: event.platform, webhookEventId: event.id, eventType: event.eventType, outcome, connections: result.success })
          )
          return outcome
        }
        const message = describe(result.failure)
        const attempts = yield* events.recordFailure(event.id, message)
        yield* metrics.increment("connector.webhook.processing_failed", { platform: event.platform, code: "WEBHOOK_FAILURE" })
        const delayMs = retryDelay({ code: "WEBHOOK_FAILURE", attempt: attempts, random: yield* Random.next })
        if (delayMs !== undefined) {
          yield* queue.send("webhook", { eventId: event.id }, { startAfterMs: delayMs, priority: webhookPriority(interpretation) })
          yield* Effect.logWarning("webhook event failed; retrying").pipe(
            Effect.annotateLogs({ platform: event.platform, webhookEventId: event.id, attempts, delayMs, errorCode: "WEBHOOK_FAILURE", cause: message })
          )
          return "retry_scheduled" as const
        }
        const tenant = yield* tenantOf(event, interpretation)
        yield* dlq.add({
          jobId: event.id,
          tenantId: tenant,
          platform: event.platform,
          action: "webhook",
          payload: { webhookEventId: event.id, platform: event.platform, eventType: event.eventType },
          errorCode: "WEBHOOK_FAILURE",
          reasonCode: "WEBHOOK_FAILURE",
          lastErrorMessage: message,
          retryCount: Math.max(0, attempts - 1),
          firstAttempt: event.receivedAt
        })
        yield* events.markDeadLettered(event.id)
        yield* metrics.increment("dlq.entries", { queue: "webhook", code: "WEBHOOK_FAILURE", reason: "WEBHOOK_FAILURE" })
        yield* Effect.logError("webhook event dead-lettered").pipe(
          Effect.annotateLogs({ platform: event.platform, webhookEventId: event.id, attempts, errorCode: "WEBHOOK_FAILURE", cause: message })
        )
        return "dead_lettered" as const
      })

      return WebhookProcessor.of({ process })
    })
  )
}
