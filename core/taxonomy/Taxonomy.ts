// The canonical error taxonomy (contract: shared/spec/taxonomy.md). Every failure is one of these
// codes; each code has exactly one entry here and exactly one tagged error class in TaxonomyError.ts.
// Numbers marked "default" in the contract are tuned here; their meaning must stay the contract's.
import { Schema } from "effect"

export const PLATFORMS = ["meta", "linkedin", "tiktok", "gbp", "mailchimp"] as const
export const Platform = Schema.Literals(PLATFORMS)
export type Platform = typeof Platform.Type

export const PLATFORM_NAMES: { readonly [P in Platform]: string } = {
  meta: "Facebook/Instagram",
  linkedin: "LinkedIn",
  tiktok: "TikTok",
  gbp: "Google Business Profile",
  mailchimp: "Mailchimp"
}

export const ERROR_ACTIONS = [
  "RETRY_WITH_BACKOFF",
  "RETRY_AFTER_WINDOW",
  "REFRESH_TOKEN",
  "TRIGGER_RECONNECT",
  "PAUSE_CHANNEL",
  "FAIL_AND_NOTIFY",
  "SEND_TO_DLQ",
  "ESCALATE_TO_SUPPORT"
] as const
export const ErrorAction = Schema.Literals(ERROR_ACTIONS)
export type ErrorAction = typeof ErrorAction.Type

export const ACTION_MEANINGS: { readonly [A in ErrorAction]: string } = {
  RETRY_WITH_BACKOFF:
    "retry the job with exponential backoff and full jitter, up to the entry's max retries, then DLQ (MAX_RETRIES)",
  RETRY_AFTER_WINDOW:
    "wait for the partner's window (Retry-After, reset headers, usage headers, or the entry's default window), then retry; never hot-loop",
  REFRESH_TOKEN:
    "refresh the access token with the stored refresh token, then retry once; if no refresh token or the refresh fails, becomes TOKEN_REFRESH_FAILED",
  TRIGGER_RECONNECT:
    "pause the channel (status attention), keep its pending jobs, offer a reconnect link; never auto-retry",
  PAUSE_CHANNEL: "pause the channel without implying re-auth (target gone, account restricted, breaker open)",
  FAIL_AND_NOTIFY:
    "the content must change: fail this job (DLQ, UNRETRYABLE), tell the user why, channel stays active",
  SEND_TO_DLQ: "unrecoverable and not the user's content: DLQ (UNRETRYABLE) for an operator",
  ESCALATE_TO_SUPPORT: "needs a human on our side: DLQ or security log, plus an alert"
}

export const ERROR_CODES = [
  "AUTH_EXPIRED",
  "AUTH_INVALID",
  "APP_DEAUTHORIZED",
  "PERMISSION_INSUFFICIENT",
  "TOKEN_REFRESH_FAILED",
  "ACCOUNT_RESTRICTED",
  "RESOURCE_NOT_FOUND",
  "RATE_LIMIT_429",
  "QUOTA_EXCEEDED",
  "PARTNER_5XX",
  "PARTNER_UNAVAILABLE",
  "NETWORK_ERROR",
  "TIMEOUT",
  "TLS_ERROR",
  "VALIDATION_ERROR",
  "CONTENT_REJECTED",
  "DUPLICATE_CONTENT",
  "MEDIA_INVALID",
  "CAPABILITY_UNSUPPORTED",
  "CIRCUIT_BREAKER_OPEN",
  "WEBHOOK_SIGNATURE_INVALID",
  "WEBHOOK_FAILURE",
  "UNKNOWN"
] as const
export const ErrorCode = Schema.Literals(ERROR_CODES)
export type ErrorCode = typeof ErrorCode.Type

export const Category = Schema.Literals([
  "auth",
  "account",
  "throttle",
  "partner",
  "system",
  "request",
  "content",
  "guardrail",
  "webhook",
  "unknown"
])
export type Category = typeof Category.Type

export const Severity = Schema.Literals(["LOW", "MEDIUM", "HIGH", "CRITICAL"])
export type Severity = typeof Severity.Type

/**
 * One code's contract. `retryable` means a retry schedule may re-run the failed call as it is:
 * AUTH_EXPIRED is `false` because it is retried only after a successful refresh (its own action),
 * never blindly. `maxRetries` bounds the attempts after the first one; for AUTH_EXPIRED it is the
 * single retry after refresh. `userMessage` may contain `{platform}`, filled in by `userMessageFor`.
 */
export interface TaxonomyEntry<C extends ErrorCode = ErrorCode> {
  readonly code: C
  readonly category: Category
  readonly action: ErrorAction
  readonly retryable: boolean
  readonly maxRetries: number
  readonly backoffBaseMs: number
  readonly backoffMultiplier: number
  /** Upper bound of one computed backoff delay (before honouring a partner's retryAfterMs). */
  readonly backoffCapMs: number
  readonly pausesChannel: boolean
  readonly requiresReauth: boolean
  readonly severity: Severity
  readonly userMessage: string
  readonly description: string
}

const SECOND = 1_000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE

/** The retry fields of every code that is never retried as it is. */
const NEVER_RETRIED = {
  retryable: false,
  maxRetries: 0,
  backoffBaseMs: 0,
  backoffMultiplier: 1,
  backoffCapMs: 0
} as const

// `satisfies` over the mapped type makes a missing code, an extra key, or an entry filed under the
// wrong code a type error.
export const TAXONOMY = {
  AUTH_EXPIRED: {
    code: "AUTH_EXPIRED",
    category: "auth",
    action: "REFRESH_TOKEN",
    retryable: false,
    maxRetries: 1,
    backoffBaseMs: 0,
    backoffMultiplier: 1,
    backoffCapMs: 0,
    pausesChannel: true,
    requiresReauth: false,
    severity: "HIGH",
    userMessage: "Your {platform} connection has expired. We are renewing it; if that fails, reconnect to keep publishing.",
    description: "token past expiry; refresh then retry once; pauses the channel only if refresh is impossible"
  },
  AUTH_INVALID: {
    code: "AUTH_INVALID",
    category: "auth",
    action: "TRIGGER_RECONNECT",
    ...NEVER_RETRIED,
    pausesChannel: true,
    requiresReauth: true,
    severity: "HIGH",
    userMessage: "Your {platform} connection is no longer valid (logged out or password changed). Reconnect to keep publishing.",
    description: "malformed token, logged out, password changed"
  },
  APP_DEAUTHORIZED: {
    code: "APP_DEAUTHORIZED",
    category: "auth",
    action: "TRIGGER_RECONNECT",
    ...NEVER_RETRIED,
    pausesChannel: true,
    requiresReauth: true,
    severity: "HIGH",
    userMessage: "POSTD was removed from your {platform} account. Reconnect to keep publishing.",
    description: "the user removed the app (also signalled by webhooks); connection status becomes revoked"
  },
  PERMISSION_INSUFFICIENT: {
    code: "PERMISSION_INSUFFICIENT",
    category: "auth",
    action: "TRIGGER_RECONNECT",
    ...NEVER_RETRIED,
    pausesChannel: true,
    requiresReauth: true,
    severity: "HIGH",
    userMessage: "Your {platform} connection is missing a permission POSTD needs to publish. Reconnect and approve all requested permissions.",
    description: "missing scope or role; reconnect asks for the missing scopes"
  },
  TOKEN_REFRESH_FAILED: {
    code: "TOKEN_REFRESH_FAILED",
    category: "auth",
    action: "TRIGGER_RECONNECT",
    ...NEVER_RETRIED,
    pausesChannel: true,
    requiresReauth: true,
    severity: "HIGH",
    userMessage: "We could not renew your {platform} connection. Reconnect to keep publishing.",
    description: "refresh grant rejected (invalid_grant, revoked refresh token)"
  },
  ACCOUNT_RESTRICTED: {
    code: "ACCOUNT_RESTRICTED",
    category: "account",
    action: "PAUSE_CHANNEL",
    ...NEVER_RETRIED,
    pausesChannel: true,
    requiresReauth: false,
    severity: "HIGH",
    userMessage: "{platform} has restricted this account, so posting is paused. Check the account on {platform}, then resume.",
    description: "blocked, suspended, checkpoint, banned from posting"
  },
  RESOURCE_NOT_FOUND: {
    code: "RESOURCE_NOT_FOUND",
    category: "account",
    action: "PAUSE_CHANNEL",
    ...NEVER_RETRIED,
    pausesChannel: true,
    requiresReauth: false,
    severity: "HIGH",
    userMessage: "The {platform} page, location, list or campaign this channel posts to no longer exists or is no longer visible to POSTD.",
    description: "page, organization, location, list or campaign gone"
  },
  RATE_LIMIT_429: {
    code: "RATE_LIMIT_429",
    category: "throttle",
    action: "RETRY_AFTER_WINDOW",
    retryable: true,
    maxRetries: 4,
    backoffBaseMs: SECOND,
    backoffMultiplier: 2,
    backoffCapMs: 15 * MINUTE,
    pausesChannel: false,
    requiresReauth: false,
    severity: "MEDIUM",
    userMessage: "{platform} is limiting how fast we can publish. Your post will go out shortly.",
    description: "throttled; honours Retry-After and usage headers"
  },
  QUOTA_EXCEEDED: {
    code: "QUOTA_EXCEEDED",
    category: "throttle",
    action: "RETRY_AFTER_WINDOW",
    retryable: true,
    maxRetries: 2,
    backoffBaseMs: HOUR,
    backoffMultiplier: 2,
    backoffCapMs: 24 * HOUR,
    pausesChannel: false,
    requiresReauth: false,
    severity: "MEDIUM",
    userMessage: "You reached {platform}'s daily posting limit. Your post will go out when the limit resets.",
    description: "daily caps; wait for the next window, not seconds"
  },
  PARTNER_5XX: {
    code: "PARTNER_5XX",
    category: "partner",
    action: "RETRY_WITH_BACKOFF",
    retryable: true,
    maxRetries: 5,
    backoffBaseMs: 2 * SECOND,
    backoffMultiplier: 2,
    backoffCapMs: 5 * MINUTE,
    pausesChannel: false,
    requiresReauth: false,
    severity: "MEDIUM",
    userMessage: "{platform} had a temporary error. We will retry automatically.",
    description: "500, 502, transient partner errors (the breaker may pause)"
  },
  PARTNER_UNAVAILABLE: {
    code: "PARTNER_UNAVAILABLE",
    category: "partner",
    action: "RETRY_WITH_BACKOFF",
    retryable: true,
    maxRetries: 6,
    backoffBaseMs: 5 * SECOND,
    backoffMultiplier: 2,
    backoffCapMs: 10 * MINUTE,
    pausesChannel: false,
    requiresReauth: false,
    severity: "MEDIUM",
    userMessage: "{platform} is temporarily unavailable. We will retry automatically.",
    description: "503, maintenance, service disabled temporarily (the breaker may pause)"
  },
  NETWORK_ERROR: {
    code: "NETWORK_ERROR",
    category: "system",
    action: "RETRY_WITH_BACKOFF",
    retryable: true,
    maxRetries: 5,
    backoffBaseMs: SECOND,
    backoffMultiplier: 2,
    backoffCapMs: 2 * MINUTE,
    pausesChannel: false,
    requiresReauth: false,
    severity: "LOW",
    userMessage: "We could not reach {platform}. We will retry automatically.",
    description: "reset, refused, DNS"
  },
  TIMEOUT: {
    code: "TIMEOUT",
    category: "system",
    action: "RETRY_WITH_BACKOFF",
    retryable: true,
    maxRetries: 3,
    backoffBaseMs: 2 * SECOND,
    backoffMultiplier: 2,
    backoffCapMs: 2 * MINUTE,
    pausesChannel: false,
    requiresReauth: false,
    severity: "LOW",
    userMessage: "{platform} took too long to answer. We will check and retry automatically.",
    description: "504 or client timeout; a publish that timed out may have succeeded: reconcile before re-posting"
  },
  TLS_ERROR: {
    code: "TLS_ERROR",
    category: "system",
    action: "ESCALATE_TO_SUPPORT",
    retryable: true,
    maxRetries: 2,
    backoffBaseMs: 30 * SECOND,
    backoffMultiplier: 2,
    backoffCapMs: 5 * MINUTE,
    pausesChannel: false,
    requiresReauth: false,
    severity: "MEDIUM",
    userMessage: "A secure connection to {platform} could not be established. Our team has been alerted.",
    description: "certificate or handshake failures"
  },
  VALIDATION_ERROR: {
    code: "VALIDATION_ERROR",
    category: "request",
    action: "FAIL_AND_NOTIFY",
    ...NEVER_RETRIED,
    pausesChannel: false,
    requiresReauth: false,
    severity: "LOW",
    userMessage: "{platform} rejected this post as invalid. Edit the post and try again.",
    description: "our request was malformed or a parameter invalid"
  },
  CONTENT_REJECTED: {
    code: "CONTENT_REJECTED",
    category: "content",
    action: "FAIL_AND_NOTIFY",
    ...NEVER_RETRIED,
    pausesChannel: false,
    requiresReauth: false,
    severity: "LOW",
    userMessage: "{platform} rejected this post under its content rules. Edit the post and try again.",
    description: "policy, spam, community standards"
  },
  DUPLICATE_CONTENT: {
    code: "DUPLICATE_CONTENT",
    category: "content",
    action: "FAIL_AND_NOTIFY",
    ...NEVER_RETRIED,
    pausesChannel: false,
    requiresReauth: false,
    severity: "LOW",
    userMessage: "{platform} says this post duplicates one already published. Change the text to post it again.",
    description: "if the duplicate is our own earlier attempt, the job is a success, not a failure"
  },
  MEDIA_INVALID: {
    code: "MEDIA_INVALID",
    category: "content",
    action: "FAIL_AND_NOTIFY",
    ...NEVER_RETRIED,
    pausesChannel: false,
    requiresReauth: false,
    severity: "LOW",
    userMessage: "{platform} could not use this post's media (format, size, duration or link). Replace the media and try again.",
    description: "format, size, duration, unreachable media URL"
  },
  CAPABILITY_UNSUPPORTED: {
    code: "CAPABILITY_UNSUPPORTED",
    category: "guardrail",
    action: "FAIL_AND_NOTIFY",
    ...NEVER_RETRIED,
    pausesChannel: false,
    requiresReauth: false,
    severity: "LOW",
    userMessage: "This kind of post is not supported on {platform} with the current connection.",
    description: "the platform or the connection's scopes cannot do this format"
  },
  CIRCUIT_BREAKER_OPEN: {
    code: "CIRCUIT_BREAKER_OPEN",
    category: "system",
    action: "PAUSE_CHANNEL",
    retryable: true,
    maxRetries: 1,
    backoffBaseMs: 60 * SECOND,
    backoffMultiplier: 1,
    backoffCapMs: 60 * SECOND,
    pausesChannel: true,
    requiresReauth: false,
    severity: "HIGH",
    userMessage: "Publishing to {platform} is paused after repeated failures. We will resume automatically once {platform} answers again.",
    description: "too many consecutive failures on one connection; retried after the reset timeout via a half-open probe"
  },
  WEBHOOK_SIGNATURE_INVALID: {
    code: "WEBHOOK_SIGNATURE_INVALID",
    category: "webhook",
    action: "ESCALATE_TO_SUPPORT",
    ...NEVER_RETRIED,
    pausesChannel: false,
    requiresReauth: false,
    severity: "MEDIUM",
    userMessage: "A notification claiming to come from {platform} failed its signature check and was ignored.",
    description: "request rejected with 401; nothing changes state"
  },
  WEBHOOK_FAILURE: {
    code: "WEBHOOK_FAILURE",
    category: "webhook",
    action: "RETRY_WITH_BACKOFF",
    retryable: true,
    maxRetries: 5,
    backoffBaseMs: 2 * SECOND,
    backoffMultiplier: 2,
    backoffCapMs: 5 * MINUTE,
    pausesChannel: false,
    requiresReauth: false,
    severity: "MEDIUM",
    userMessage: "We had trouble processing an update from {platform}. We will retry automatically.",
    description: "a verified event that we failed to process"
  },
  UNKNOWN: {
    code: "UNKNOWN",
    category: "unknown",
    action: "SEND_TO_DLQ",
    retryable: true,
    maxRetries: 2,
    backoffBaseMs: 5 * SECOND,
    backoffMultiplier: 2,
    backoffCapMs: 5 * MINUTE,
    pausesChannel: false,
    requiresReauth: false,
    severity: "MEDIUM",
    userMessage: "Something unexpected went wrong publishing to {platform}. Our team will look into it.",
    description: "never silently dropped; the raw response is kept for triage"
  }
} as const satisfies { readonly [C in ErrorCode]: TaxonomyEntry<C> }

export const userMessageFor = (code: ErrorCode, platform: Platform | undefined): string =>
  TAXONOMY[code].userMessage.replaceAll("{platform}", platform === undefined ? "the partner" : PLATFORM_NAMES[platform])

export const isErrorCode = (value: unknown): value is ErrorCode =>
  typeof value === "string" && (ERROR_CODES as ReadonlyArray<string>).includes(value)

export const isPlatform = (value: unknown): value is Platform =>
  typeof value === "string" && (PLATFORMS as ReadonlyArray<string>).includes(value)
