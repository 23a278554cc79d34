// The backfill rules, pure: which held posts go out late and which are skipped (and why, in words
// the user reads), and how long a backfill takes within the tenant's rate budget.

export interface BackfillRules {
  /** Posts held (failed) before this are not part of what the user asked to backfill. */
  readonly failedAfterMs: number
  /** A post later than this is skipped: news from yesterday is no longer news. */
  readonly maxLatenessMs: number
}

export type BackfillVerdict = { readonly kind: "publish" } | { readonly kind: "skip"; readonly reason: string }

export const DEFAULT_MAX_LATENESS_MS = 24 * 60 * 60 * 1_000

const hours = (ms: number): string => {
  const h = ms / 3_600_000
  return Number.isInteger(h) ? `${h} h` : `${Math.round(h * 10) / 10} h`
}

export interface HeldTimes {
  readonly scheduledAtMs: number
  /** When the post failed and was held. */
  readonly heldAtMs: number
}

/** What the backfill does with one held post, decided when the backfill runs. */
export const backfillVerdict = (post: HeldTimes, nowMs: number, rules: BackfillRules): BackfillVerdict => {
  const scheduledAtMs = post.scheduledAtMs
  const scheduled = new Date(scheduledAtMs).toISOString()
  if (post.heldAtMs < rules.failedAfterMs) {
    return {
      kind: "skip",
      reason: `not backfilled: held at ${new Date(post.heldAtMs).toISOString()}, before the backfill window that starts ${new Date(rules.failedAfterMs).toISOString()}`
    }
  }
  if (nowMs - scheduledAtMs > rules.maxLatenessMs) {
    return { kind: "skip", reason: `not backfilled: scheduled at ${scheduled}, more than ${hours(rules.maxLatenessMs)} ago` }
  }
  return { kind: "publish" }
}

/** Why a declined backfill skipped a post. */
export const declinedReason = (by: string): string => `not backfilled: the backfill was declined by ${by}`

/**
 * Time to publish `count` posts through a bucket that holds `availableTokens` now and refills at
 * `ratePerMinute`: the first ones go at once, the rest at the refill rate.
 */
export const estimateDurationMs = (count: number, availableTokens: number, ratePerMinute: number): number => {
  const waiting = Math.max(0, count - Math.floor(Math.max(0, availableTokens)))
  if (waiting === 0 || ratePerMinute <= 0) return 0
  return Math.ceil((waiting / ratePerMinute) * 60_000)
}

/** ISO 8601 duration (`PT2M30S`, `PT0S`), whole seconds rounded up. */
export const isoDuration = (ms: number): string => {
  let seconds = Math.ceil(Math.max(0, ms) / 1_000)
  const h = Math.floor(seconds / 3_600)
  seconds -= h * 3_600
  const m = Math.floor(seconds / 60)
  seconds -= m * 60
  const parts = `${h > 0 ? `${h}H` : ""}${m > 0 ? `${m}M` : ""}${seconds > 0 ? `${seconds}S` : ""}`
  return `PT${parts === "" ? "0S" : parts}`
}
