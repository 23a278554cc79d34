// The retry hints on their own: Retry-After in both forms, reset headers, Meta usage headers and the
// midnight-UTC arithmetic.
import { describe, expect, it } from "vitest"
import {
  MAX_HINT_MS,
  metaAdAccountUsageMs,
  metaBusinessUseCaseMs,
  metaUsageMs,
  msUntilNextMidnightUtc,
  rateLimitResetMs,
  retryAfterHeaderMs
} from "./RetryHints.ts"
import { classifyResponse } from "./Classifier.ts"

const NOW = Date.parse("2026-03-10T18:30:00.000Z")

describe("Retry-After", () => {
  it("reads delay-seconds", () => {
    expect(retryAfterHeaderMs("120", 0)).toBe(120_000)
    expect(retryAfterHeaderMs(" 0 ", 0)).toBe(0)
  })

  it("reads an HTTP-date relative to now, and a past date as no wait", () => {
    expect(retryAfterHeaderMs("Tue, 10 Mar 2026 18:31:30 GMT", NOW)).toBe(90_000)
    expect(retryAfterHeaderMs("Tue, 10 Mar 2026 18:00:00 GMT", NOW)).toBe(0)
  })

  it("ignores an HTTP-date when it does not know the time, and garbage always", () => {
    expect(retryAfterHeaderMs("Tue, 10 Mar 2026 18:31:30 GMT", 0)).toBeUndefined()
    expect(retryAfterHeaderMs("soon", NOW)).toBeUndefined()
    expect(retryAfterHeaderMs("-5", NOW)).toBeUndefined()
    expect(retryAfterHeaderMs("2026", NOW)).toBe(2_026_000)
  })

  it("caps an absurd wait at a day", () => {
    expect(retryAfterHeaderMs("999999999999", 0)).toBe(MAX_HINT_MS)
  })

  it("turns an HTTP-date Retry-After into a wait when the caller passes its clock", () => {
    const c = classifyResponse({ platform: "mailchimp", status: 503, headers: { "Retry-After": "Tue, 10 Mar 2026 18:32:00 GMT" }, body: null, nowMs: NOW })
    expect(c).toMatchObject({ code: "PARTNER_UNAVAILABLE", retryAfterMs: 120_000 })
    expect(classifyResponse({ platform: "mailchimp", status: 503, headers: { "Retry-After": "Tue, 10 Mar 2026 18:32:00 GMT" }, body: null }).retryAfterMs).toBeUndefined()
  })

  it("reaches the classification on a retried code, whatever the header's case", () => {
    const c = classifyResponse({ platform: "gbp", status: 429, headers: { "RETRY-AFTER": ["45", "90"] }, body: null })
    expect(c.retryAfterMs).toBe(45_000)
  })
})

describe("X-RateLimit-Reset", () => {
  it("reads small values as a delta in seconds", () => {
    expect(rateLimitResetMs("30", 0)).toBe(30_000)
  })

  it("reads epoch seconds and epoch ms against now, and ignores them without a clock", () => {
    expect(rateLimitResetMs(String(NOW / 1000 + 60), NOW)).toBe(60_000)
    expect(rateLimitResetMs(String(NOW + 5_000), NOW)).toBe(5_000)
    expect(rateLimitResetMs(String(NOW / 1000 + 60), 0)).toBeUndefined()
  })
})

describe("Meta usage headers", () => {
  it("gives no wait under 100% and a window from 100% up, never more than the rolling hour", () => {
    expect(metaUsageMs('{"call_count":99,"total_time":10,"total_cputime":10}')).toBeUndefined()
    expect(metaUsageMs('{"call_count":100}')).toBe(5 * 60_000)
    expect(metaUsageMs('{"call_count":400}')).toBe(45 * 60_000)
    expect(metaUsageMs('{"call_count":1e9}')).toBeLessThanOrEqual(60 * 60_000)
  })

  it("reads BUC estimated_time_to_regain_access in minutes, taking the longest entry", () => {
    const header = JSON.stringify({
      "111": [{ type: "pages", call_count: 20, estimated_time_to_regain_access: 0 }],
      "222": [
        { type: "instagram", call_count: 100, estimated_time_to_regain_access: 12 },
        { type: "pages", call_count: 30, estimated_time_to_regain_access: 3 }
      ]
    })
    expect(metaBusinessUseCaseMs(header)).toBe(12 * 60_000)
  })

  it("falls back to the BUC percentage when the estimate is zero", () => {
    expect(metaBusinessUseCaseMs('{"1":[{"type":"pages","call_count":100,"estimated_time_to_regain_access":0}]}')).toBe(5 * 60_000)
  })

  it("reads X-Ad-Account-Usage reset_time_duration in seconds, preferring it to the percentage", () => {
    expect(metaAdAccountUsageMs('{"acc_id_util_pct":100,"reset_time_duration":120}')).toBe(120_000)
    expect(metaAdAccountUsageMs('{"acc_id_util_pct":100,"reset_time_duration":0}')).toBe(300_000)
  })

  it("prefers Meta's own regain estimate to the percentage estimate", () => {
    expect(metaBusinessUseCaseMs('{"1":[{"type":"pages","call_count":400,"estimated_time_to_regain_access":2}]}')).toBe(120_000)
  })

  it("ignores headers that are not the documented JSON", () => {
    expect(metaUsageMs("100")).toBeUndefined()
    expect(metaBusinessUseCaseMs('{"__proto__":[{"estimated_time_to_regain_access":5}]}')).toBe(5 * 60_000)
    expect(metaBusinessUseCaseMs('{"1":"x"}')).toBeUndefined()
    expect(metaUsageMs(undefined)).toBeUndefined()
  })
})

describe("midnight UTC", () => {
  it("counts the time to the next 00:00 UTC", () => {
    expect(msUntilNextMidnightUtc(NOW)).toBe(5.5 * 3_600_000)
    expect(msUntilNextMidnightUtc(Date.parse("2026-03-11T00:00:00.000Z"))).toBe(24 * 3_600_000)
    expect(msUntilNextMidnightUtc(Date.parse("2026-03-10T23:59:59.000Z"))).toBe(1_000)
  })

  it("waits a whole day when the time is unknown", () => {
    expect(msUntilNextMidnightUtc(0)).toBe(24 * 3_600_000)
  })
})
