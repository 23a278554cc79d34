// What the publish pipeline does with a classified failure: the taxonomy action, made concrete.
// Pure, so every rule (auth never retried blindly, one retry owner, pause gated by its flag) is a
// property test rather than a hope. The job layer carries the decision out.
import { retryDelay } from "../retry/RetryPolicy.ts"
import { type ErrorCode, TAXONOMY } from "../taxonomy/Taxonomy.ts"

export type DeadLetterReason = "MAX_RETRIES" | "UNRETRYABLE"

export type PublishDecision =
  /** Schedule another attempt after `delayMs` (the only retry loop: the job is re-enqueued). */
  | { readonly kind: "retry"; readonly code: ErrorCode; readonly delayMs: number }
  /** Refresh the access token, then retry once at once. */
  | { readonly kind: "refresh"; readonly code: ErrorCode }
  /** Pause the connection with `code` and hold the post: not failed, not retried. */
  | { readonly kind: "pause"; readonly code: ErrorCode }
  /** Dead-letter the post with `code`; the channel stays as it is. */
  | { readonly kind: "dead_letter"; readonly code: ErrorCode; readonly reason: DeadLetterReason }

export interface DecisionInput {
  readonly code: ErrorCode
  /** Partner calls made for this post so far, this one included (1 after the first failure). */
  readonly attempts: number
  readonly retryAfterMs?: number | undefined
  /** Uniform in [0, 1): the jitter. */
  readonly random: number
  /** RECOVERY_AUTOPAUSE_ENABLED for the tenant: off → what would pause goes to the DLQ instead. */
  readonly autopause: boolean
  /** A refresh token is stored and the platform supports refresh. */
  readonly canRefresh: boolean
  /** This attempt already followed a refresh: AUTH_EXPIRED again means the refresh did not help. */
  readonly refreshed: boolean
}

const pauseOr = (code: ErrorCode, autopause: boolean): PublishDecision =>
  autopause ? { kind: "pause", code } : { kind: "dead_letter", code, reason: "UNRETRYABLE" }

export const decide = (input: DecisionInput): PublishDecision => {
  const entry = TAXONOMY[input.code]
  switch (entry.action) {
    case "REFRESH_TOKEN":
      return input.canRefresh && !input.refreshed
        ? { kind: "refresh", code: input.code }
        : pauseOr("TOKEN_REFRESH_FAILED", input.autopause)
    case "TRIGGER_RECONNECT":
    case "PAUSE_CHANNEL":
      return pauseOr(input.code, input.autopause)
    default: {
      const delayMs = retryDelay({
        code: input.code,
        attempt: input.attempts,
        retryAfterMs: input.retryAfterMs,
        random: input.random
      })
      if (delayMs !== undefined) return { kind: "retry", code: input.code, delayMs }
      return { kind: "dead_letter", code: input.code, reason: entry.retryable ? "MAX_RETRIES" : "UNRETRYABLE" }
    }
  }
}
