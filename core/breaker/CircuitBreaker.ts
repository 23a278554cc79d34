// The per-connection circuit breaker's rules (spec §5): after 5 consecutive partner failures (5xx,
// unavailable) the connection's calls stop for 60 s, then exactly one probe decides between closing
// and another 60 s. Pure; db/CircuitBreakerStore.ts keeps the state in PostgreSQL so every worker shares it.
import type { ErrorCode } from "../taxonomy/Taxonomy.ts"

export interface BreakerSettings {
  readonly failureThreshold: number
  readonly resetTimeoutMs: number
  /** A probe older than this lost its owner (crash, kill) and is offered again. */
  readonly probeLeaseMs: number
}

/** The spec's numbers: 5 consecutive failures, 60 s; the lease is twice the longest partner call (30 s). */
export const DEFAULT_BREAKER_SETTINGS: BreakerSettings = { failureThreshold: 5, resetTimeoutMs: 60_000, probeLeaseMs: 60_000 }

/**
 * Whether a failure counts towards opening the breaker. The contract (taxonomy.md) lets the breaker
 * pause only for PARTNER_5XX and PARTNER_UNAVAILABLE ("no (the breaker may)"); network errors,
 * timeouts, TLS and unknown failures are marked "pauses channel: no" and are retried, then
 * dead-lettered, on their own. The rest are answers from a healthy partner about this request or
 * this account: auth and permission problems pause the channel themselves, content and validation
 * fail the post, throttling waits for its window. Non-counting failures neither count nor reset the
 * count: a 401 between two 503s proves nothing about whether the outage is over. Only a success resets it.
 */
const COUNTS_AS_PARTNER_FAILURE = {
  PARTNER_5XX: true,
  PARTNER_UNAVAILABLE: true,
  NETWORK_ERROR: false,
  TIMEOUT: false,
  TLS_ERROR: false,
  UNKNOWN: false,
  AUTH_EXPIRED: false,
  AUTH_INVALID: false,
  APP_DEAUTHORIZED: false,
  PERMISSION_INSUFFICIENT: false,
  TOKEN_REFRESH_FAILED: false,
  ACCOUNT_RESTRICTED: false,
  RESOURCE_NOT_FOUND: false,
  RATE_LIMIT_429: false,
  QUOTA_EXCEEDED: false,
  VALIDATION_ERROR: false,
  CONTENT_REJECTED: false,
  DUPLICATE_CONTENT: false,
  MEDIA_INVALID: false,
  CAPABILITY_UNSUPPORTED: false,
  // Our own verdict, never the partner's answer.
  CIRCUIT_BREAKER_OPEN: false,
  // Inbound webhooks say nothing about the outbound API's health.
  WEBHOOK_SIGNATURE_INVALID: false,
  WEBHOOK_FAILURE: false
} as const satisfies { readonly [C in ErrorCode]: boolean }

export const countsAsPartnerFailure = (code: ErrorCode): boolean => COUNTS_AS_PARTNER_FAILURE[code]

export type BreakerStatus = "closed" | "open" | "half_open"

export interface BreakerState {
  readonly status: BreakerStatus
  readonly consecutiveFailures: number
  /** Set while open or half-open: the reset timeout runs from here. */
  readonly openedAtMs: number | null
  /** Set while half-open: the probe's lease runs from here. */
  readonly probeStartedAtMs: number | null
}

export type Acquire =
  | { readonly kind: "allow" }
  /** The caller is the single probe: its outcome closes or re-opens the breaker. */
  | { readonly kind: "probe" }
  | { readonly kind: "reject"; readonly retryAfterMs: number }

export const CLOSED: BreakerState = { status: "closed", consecutiveFailures: 0, openedAtMs: null, probeStartedAtMs: null }

export const acquire = (
  state: BreakerState,
  nowMs: number,
  settings: BreakerSettings = DEFAULT_BREAKER_SETTINGS
): { readonly decision: Acquire; readonly state: BreakerState } => {
  switch (state.status) {
    case "closed":
      return { decision: { kind: "allow" }, state }
    case "open": {
      const reopensAt = (state.openedAtMs ?? nowMs) + settings.resetTimeoutMs
      if (nowMs < reopensAt) return { decision: { kind: "reject", retryAfterMs: reopensAt - nowMs }, state }
      return { decision: { kind: "probe" }, state: { ...state, status: "half_open", probeStartedAtMs: nowMs } }
    }
    case "half_open": {
      const leaseEndsAt = (state.probeStartedAtMs ?? nowMs) + settings.probeLeaseMs
      if (nowMs < leaseEndsAt) return { decision: { kind: "reject", retryAfterMs: leaseEndsAt - nowMs }, state }
      // The probe's owner died without an answer: offer the probe again.
      return { decision: { kind: "probe" }, state: { ...state, probeStartedAtMs: nowMs } }
    }
  }
}

/** Any success closes the breaker and resets the count: the partner answered. */
export const recordSuccess = (state: BreakerState): { readonly state: BreakerState; readonly closedFromProbe: boolean } => ({
  state: CLOSED,
  closedFromProbe: state.status === "half_open"
})

/**
 * A counting failure adds to the count and opens the breaker at the threshold. A failed probe
 * re-opens it with a fresh timeout whatever the code, since the probe did not succeed. `opened`
 * says this call moved the breaker to open.
 */
export const recordFailure = (
  state: BreakerState,
  code: ErrorCode,
  nowMs: number,
  settings: BreakerSettings = DEFAULT_BREAKER_SETTINGS
): { readonly state: BreakerState; readonly opened: boolean } => {
  const counts = countsAsPartnerFailure(code)
  const consecutiveFailures = state.consecutiveFailures + (counts ? 1 : 0)
  switch (state.status) {
    case "half_open":
      return { state: { status: "open", consecutiveFailures, openedAtMs: nowMs, probeStartedAtMs: null }, opened: true }
    case "open":
      return { state: { ...state, consecutiveFailures }, opened: false }
    case "closed":
      if (!counts) return { state, opened: false }
      if (consecutiveFailures >= settings.failureThreshold) {
        return { state: { status: "open", consecutiveFailures, openedAtMs: nowMs, probeStartedAtMs: null }, opened: true }
      }
      return { state: { ...state, consecutiveFailures }, opened: false }
  }
}
