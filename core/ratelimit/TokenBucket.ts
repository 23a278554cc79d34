// The per-tenant, per-platform token bucket (spec §5): `burst` tokens at most, refilled continuously at
// `ratePerMinute`. Pure, so the PostgreSQL implementation (db/RateLimiter.ts) can be checked against it.
import { Result } from "effect"
import { PLATFORMS, type Platform } from "../taxonomy/Taxonomy.ts"

export interface BucketLimits {
  readonly ratePerMinute: number
  readonly burst: number
}

export interface BucketState {
  readonly tokens: number
  readonly refilledAtMs: number
}

export interface TakeResult {
  readonly allowed: boolean
  /** Unchanged when the take is denied. */
  readonly state: BucketState
  /** 0 when allowed; otherwise how long until one whole token is back. */
  readonly retryAfterMs: number
}

export type RateLimits = { readonly [P in Platform]: BucketLimits }

/** The spec's defaults: what each partner tolerates from one tenant. */
export const DEFAULT_RATE_LIMITS: RateLimits = {
  meta: { ratePerMinute: 100, burst: 200 },
  linkedin: { ratePerMinute: 50, burst: 100 },
  tiktok: { ratePerMinute: 300, burst: 500 },
  gbp: { ratePerMinute: 100, burst: 150 },
  mailchimp: { ratePerMinute: 100, burst: 200 }
}

const MINUTE_MS = 60_000

/** A bucket nobody has drawn from yet is full. */
export const initialBucket = (limits: BucketLimits, nowMs: number): BucketState => ({
  tokens: limits.burst,
  refilledAtMs: nowMs
})

/**
 * Tokens available at `nowMs`. A clock that steps back (another worker's, or NTP) adds nothing rather
 * than removing tokens. The arithmetic (seconds × rate / 60) mirrors the SQL in db/RateLimiter.ts.
 */
export const available = (limits: BucketLimits, state: BucketState, nowMs: number): number =>
  Math.min(limits.burst, state.tokens + ((Math.max(0, nowMs - state.refilledAtMs) / 1000) * limits.ratePerMinute) / 60)

export const take = (limits: BucketLimits, state: BucketState, nowMs: number): TakeResult => {
  const tokens = available(limits, state, nowMs)
  if (tokens >= 1) {
    return { allowed: true, state: { tokens: tokens - 1, refilledAtMs: Math.max(nowMs, state.refilledAtMs) }, retryAfterMs: 0 }
  }
  return { allowed: false, state, retryAfterMs: waitForToken(limits, state, nowMs) }
}

/**
 * How long a denied take at `nowMs` waits for a whole token: retryAfterMs, and — where float rounding
 * leaves the refill a hair short at exactly that wait — the millisecond or two more after which a
 * take is allowed (each adds rate/60000 of a token). db/RateLimiter.ts answers with this too.
 */
export const waitForToken = (limits: BucketLimits, state: BucketState, nowMs: number): number => {
  let wait = retryAfterMs(limits, available(limits, state, nowMs))
  for (let i = 0; i < 3 && available(limits, state, nowMs + wait) < 1; i++) wait += 1
  return wait
}

/** How long until `tokens` grows to one whole token; at least 1 ms so a caller never spins. */
export const retryAfterMs = (limits: BucketLimits, tokens: number): number =>
  Math.max(1, Math.ceil(((1 - tokens) * MINUTE_MS) / limits.ratePerMinute))

/**
 * Parses `RATE_LIMITS`, e.g. `meta=100/200,linkedin=50/100` (rate per minute / burst), over the
 * defaults. Rates must be positive, bursts whole and at least 1, and no platform may appear twice.
 */
export const parseRateLimits = (text: string): Result.Result<RateLimits, string> => {
  const limits: { [P in Platform]: BucketLimits } = { ...DEFAULT_RATE_LIMITS }
  const seen = new Set<string>()
  for (const raw of text.split(",")) {
    const item = raw.trim()
    if (item === "") continue
    const match = /^([a-z]+)\s*=\s*(\d+(?:\.\d+)?)\s*\/\s*(\d+)$/.exec(item)
    if (match === null) return Result.fail(`"${item}" is not platform=ratePerMinute/burst`)
    const [, name = "", rate = "", burst = ""] = match
    const platform = PLATFORMS.find((p) => p === name)
    if (platform === undefined) return Result.fail(`unknown platform "${name}" (known: ${PLATFORMS.join(", ")})`)
    if (seen.has(platform)) return Result.fail(`platform ${platform} is set twice`)
    seen.add(platform)
    const ratePerMinute = Number(rate)
    const burstSize = Number(burst)
    if (!(ratePerMinute > 0)) return Result.fail(`${platform}: the rate must be above 0`)
    if (!(burstSize >= 1)) return Result.fail(`${platform}: the burst must be at least 1`)
    limits[platform] = { ratePerMinute, burst: burstSize }
  }
  return Result.succeed(limits)
}
