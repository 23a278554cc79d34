// The per-connection circuit breaker's rules (spec §5): after 5 consecutive partner-health failures
// the connection's calls stop for 60 s, then exactly one probe decides between closing and another
// 60 s. Pure; db/CircuitBreakerStore.ts keeps the state in PostgreSQL so every worker shares it.
import type { ErrorCode } from "../taxonomy/Taxonomy.ts"

export const BREAKER_FAILURE_THRESHOLD = 5
export const BREAKER_RESET_TIMEOUT_MS = 60_000
/** The longest a partner call may take; a probe older than twice this lost its owner (crash, kill). */
export const PARTNER_CALL_TIMEOUT_MS = 30_000
export const BREAKER_PROBE_LEASE_MS = 2 * PARTNER_CALL_TIMEOUT_MS

/**
 * Whether a failure says something about the partner's health. The breaker protects a partner that
 * is down and our queue from piling onto it, so only failures of the partner or of the path to it
 * count: 5xx, unavailable, network, timeout, TLS, and unknown (an unexplained failure is treated as
 * the partner's until classified otherwise).
 * The rest are answers from a healthy partner about this request or this account: auth and
 * permission problems pause the channel themselves, content and validation fail the post, throttling
 * waits for its window. Counting them would open the breaker on a working partner and hide the real
 * reason behind CIRCUIT_BREAKER_OPEN. They neither count nor reset the count: a 401 between two 503s
 * proves nothing about whether the outage is over. Only a success resets it.
 */
const COUNTS_AS_PARTNER_FAILURE = {
  PARTNER_5XX: true,
  PARTNER_UNAVAILABLE: true,
  NETWORK_ERROR: true,
  TIMEOUT: true,
  TLS_ERROR: true,
  UNKNOWN: true,
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

export const acquire = (state: BreakerState, nowMs: number): { readonly decision: Acquire; readonly state: BreakerState } => {
  switch (state.status) {
    case "closed":
      return { decision: { kind: "allow" }, state }
    case "open": {
      const reopensAt = (state.openedAtMs ?? nowMs) + BREAKER_RESET_TIMEOUT_MS
      if (nowMs < reopensAt) return { decision: { kind: "reject", retryAfterMs: reopensAt - nowMs }, state }
      return { decision: { kind: "probe" }, state: { ...state, status: "half_open", probeStartedAtMs: nowMs } }
    }
    case "half_open": {
      const leaseEndsAt = (state.probeStartedAtMs ?? nowMs) + BREAKER_PROBE_LEASE_MS
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
  nowMs: number
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
      if (consecutiveFailures >= BREAKER_FAILURE_THRESHOLD) {
        return { state: { status: "open", consecutiveFailures, openedAtMs: nowMs, probeStartedAtMs: null }, opened: true }
      }
      return { state: { ...state, consecutiveFailures }, opened: false }
  }
}
