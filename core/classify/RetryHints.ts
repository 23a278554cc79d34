// Turns what partners say about waiting (Retry-After, reset headers, Meta usage headers, LinkedIn's
// midnight-UTC daily reset, TikTok's one-minute window) into milliseconds. Absolute timestamps need
// the caller's clock (`nowMs`); without it only relative hints count.
import { isRecord, numberField, parseJson } from "./Fields.ts"

const SECOND = 1_000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

/**
 * No partner here documents a wait longer than its daily window, so a larger hint is a broken or
 * hostile header; capping it keeps one bad header from parking a job for years.
 */
export const MAX_HINT_MS = DAY

/** TikTok rate limits are a one-minute sliding window per endpoint and token, with no Retry-After. */
export const TIKTOK_WINDOW_MS = MINUTE

/**
 * LinkedIn daily limits reset at midnight UTC. Without a clock we cannot know how far that is, and
 * retrying before the reset burns one of QUOTA_EXCEEDED's two retries, so we wait a whole day:
 * late is better than failed.
 */
export const LINKEDIN_DAY_DEFAULT_MS = DAY

// Meta's usage headers give a percentage of a rolling one-hour window, not a reset time. If calls
// were spread evenly over the hour, usage p% falls below 100% after (1 - 100/p) of the hour; we wait
// that long, but at least five minutes (at exactly 100% the formula says zero, which would hot-loop)
// and at most the whole hour (the worst case: every call made in the last minute).
const META_USAGE_WINDOW_MS = HOUR
const META_USAGE_FLOOR_MS = 5 * MINUTE

const clamp = (ms: number): number | undefined =>
  Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_HINT_MS) : undefined

/** The longest of the given waits (waiting the longest satisfies every one of them). */
export const longest = (...hints: ReadonlyArray<number | undefined>): number | undefined => {
  let best: number | undefined
  for (const hint of hints) if (hint !== undefined && (best === undefined || hint > best)) best = hint
  return best
}

const DELAY_SECONDS = /^\s*(\d{1,12}(?:\.\d+)?)\s*$/
// HTTP-dates (IMF-fixdate, RFC 850, asctime) all start with a day name; requiring it keeps
// Date.parse from reading "1" or "2026" as a year.
const HTTP_DATE = /^\s*(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,?\s/i

/** Retry-After: delay-seconds, or an HTTP-date (needs `nowMs`; a date in the past means "now"). */
export const retryAfterHeaderMs = (value: string | undefined, nowMs: number): number | undefined => {
  if (value === undefined) return undefined
  const seconds = DELAY_SECONDS.exec(value)?.[1]
  if (seconds !== undefined) return clamp(Number(seconds) * SECOND)
  if (nowMs > 0 && HTTP_DATE.test(value)) {
    const at = Date.parse(value)
    return Number.isNaN(at) ? undefined : clamp(at - nowMs)
  }
  return undefined
}

const NUMBER = /^\s*(\d{1,16}(?:\.\d+)?)\s*$/
const EPOCH_SECONDS_FROM = 1_000_000_000 // 2001-09-09: smaller values are deltas in seconds
const EPOCH_MS_FROM = 1_000_000_000_000

/**
 * X-RateLimit-Reset is an epoch timestamp on some APIs and a delta in seconds on others. Values
 * past 1e9 can only be epoch seconds (a delta of 31 years is meaningless), past 1e12 epoch ms.
 */
export const rateLimitResetMs = (value: string | undefined, nowMs: number): number | undefined => {
  const text = value === undefined ? undefined : NUMBER.exec(value)?.[1]
  if (text === undefined) return undefined
  const n = Number(text)
  if (n >= EPOCH_MS_FROM) return nowMs > 0 ? clamp(n - nowMs) : undefined
  if (n >= EPOCH_SECONDS_FROM) return nowMs > 0 ? clamp(n * SECOND - nowMs) : undefined
  return clamp(n * SECOND)
}

const parseHeaderJson = (value: string | undefined): unknown =>
  value === undefined ? undefined : parseJson(value)?.value

const percentWindowMs = (percent: number | undefined): number | undefined => {
  if (percent === undefined || percent < 100) return undefined
  const evenSpreadMs = META_USAGE_WINDOW_MS * (1 - 100 / percent)
  return Math.min(Math.max(evenSpreadMs, META_USAGE_FLOOR_MS), META_USAGE_WINDOW_MS)
}

const USAGE_FIELDS = ["call_count", "total_cputime", "total_time", "acc_id_util_pct"] as const

const highestPercent = (usage: unknown): number | undefined =>
  longest(...USAGE_FIELDS.map((key) => numberField(usage, key)))

const regainMs = (usage: unknown): number | undefined => {
  const minutes = numberField(usage, "estimated_time_to_regain_access")
  return minutes !== undefined && minutes > 0 ? clamp(minutes * MINUTE) : undefined
}

// Everywhere below, a wait Meta states (regain estimate, reset duration) beats our estimate from the
// percentages, which is only for when Meta states none.

/** X-App-Usage / X-Page-Usage: `{"call_count","total_cputime","total_time"}` in percent of the limit. */
export const metaUsageMs = (value: string | undefined): number | undefined => {
  const usage = parseHeaderJson(value)
  return regainMs(usage) ?? percentWindowMs(highestPercent(usage))
}

/** X-Ad-Account-Usage: `{"acc_id_util_pct", "reset_time_duration" (seconds), ...}`. */
export const metaAdAccountUsageMs = (value: string | undefined): number | undefined => {
  const usage = parseHeaderJson(value)
  const reset = numberField(usage, "reset_time_duration")
  return reset !== undefined && reset > 0 ? clamp(reset * SECOND) : percentWindowMs(highestPercent(usage))
}

// A hostile header could hold millions of entries; real ones hold a handful of business objects.
const MAX_BUC_ENTRIES = 100

/**
 * X-Business-Use-Case-Usage: `{"<business-object-id>": [{type, call_count, total_cputime,
 * total_time, estimated_time_to_regain_access (minutes)}]}`; the regain estimate is Meta's
 * Retry-After equivalent, the percentages the fallback when it is 0 or missing.
 */
export const metaBusinessUseCaseMs = (value: string | undefined): number | undefined => {
  const usage = parseHeaderJson(value)
  if (!isRecord(usage)) return undefined
  let best: number | undefined
  let seen = 0
  for (const id of Object.keys(usage)) {
    const entries = usage[id]
    if (!Array.isArray(entries)) continue
    for (const entry of entries) {
      if (++seen > MAX_BUC_ENTRIES) return best
      best = longest(best, regainMs(entry) ?? percentWindowMs(highestPercent(entry)))
    }
  }
  return best
}

/** Milliseconds until the next 00:00 UTC; LinkedIn's documented daily reset. */
export const msUntilNextMidnightUtc = (nowMs: number): number => {
  if (!(nowMs > 0) || !Number.isFinite(nowMs)) return LINKEDIN_DAY_DEFAULT_MS
  const sinceMidnight = ((nowMs % DAY) + DAY) % DAY
  return DAY - sinceMidnight
}
