import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { ERROR_CODES, type ErrorCode, TAXONOMY } from "../taxonomy/Taxonomy.ts"
import { type DecisionInput, decide } from "./PublishDecision.ts"

const base: DecisionInput = {
  code: "PARTNER_5XX",
  attempts: 1,
  random: 0.5,
  autopause: true,
  canRefresh: true,
  refreshed: false
}

const input = fc.record({
  code: fc.constantFrom<ErrorCode>(...ERROR_CODES),
  attempts: fc.integer({ min: 1, max: 12 }),
  retryAfterMs: fc.option(fc.integer({ min: 0, max: 86_400_000 }), { nil: undefined }),
  random: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
  autopause: fc.boolean(),
  canRefresh: fc.boolean(),
  refreshed: fc.boolean()
})

const AUTH_CODES: ReadonlyArray<ErrorCode> = ERROR_CODES.filter((c) => TAXONOMY[c].category === "auth")

describe("publish decisions", () => {
  it("refreshes an expired token once when a refresh token exists", () => {
    expect(decide({ ...base, code: "AUTH_EXPIRED" })).toEqual({ kind: "refresh", code: "AUTH_EXPIRED" })
  })

  it("pauses with TOKEN_REFRESH_FAILED when there is nothing to refresh with, or the refresh did not help", () => {
    expect(decide({ ...base, code: "AUTH_EXPIRED", canRefresh: false })).toEqual({
      kind: "pause",
      code: "TOKEN_REFRESH_FAILED"
    })
    expect(decide({ ...base, code: "AUTH_EXPIRED", refreshed: true })).toEqual({
      kind: "pause",
      code: "TOKEN_REFRESH_FAILED"
    })
  })

  it("pauses on reconnect and pause codes, or dead-letters them when auto-pause is off for the tenant", () => {
    for (const code of ["AUTH_INVALID", "APP_DEAUTHORIZED", "PERMISSION_INSUFFICIENT", "ACCOUNT_RESTRICTED", "RESOURCE_NOT_FOUND"] as const) {
      expect(decide({ ...base, code })).toEqual({ kind: "pause", code })
      expect(decide({ ...base, code, autopause: false })).toEqual({ kind: "dead_letter", code, reason: "UNRETRYABLE" })
    }
  })

  it("retries PARTNER_5XX exactly maxRetries times, then dead-letters it as MAX_RETRIES", () => {
    const max = TAXONOMY.PARTNER_5XX.maxRetries
    for (let attempts = 1; attempts <= max; attempts++) {
      expect(decide({ ...base, attempts }).kind).toBe("retry")
    }
    expect(decide({ ...base, attempts: max + 1 })).toEqual({ kind: "dead_letter", code: "PARTNER_5XX", reason: "MAX_RETRIES" })
  })

  it("dead-letters content, validation and media errors at once as UNRETRYABLE, channel untouched", () => {
    for (const code of ["VALIDATION_ERROR", "CONTENT_REJECTED", "MEDIA_INVALID", "DUPLICATE_CONTENT", "CAPABILITY_UNSUPPORTED"] as const) {
      expect(decide({ ...base, code })).toEqual({ kind: "dead_letter", code, reason: "UNRETRYABLE" })
    }
  })

  it("never waits less than the partner's Retry-After", () => {
    const d = decide({ ...base, code: "RATE_LIMIT_429", retryAfterMs: 30_000, random: 0 })
    expect(d).toEqual({ kind: "retry", code: "RATE_LIMIT_429", delayMs: 30_000 })
  })

  it("property: auth and permission errors are never retried blindly", () => {
    fc.assert(
      fc.property(input, (i) => {
        if (!AUTH_CODES.includes(i.code)) return
        expect(decide(i).kind).not.toBe("retry")
      })
    )
  })

  it("property: a retry only for a retryable code, within maxRetries, never sooner than retryAfterMs", () => {
    fc.assert(
      fc.property(input, (i) => {
        const d = decide(i)
        if (d.kind !== "retry") return
        const entry = TAXONOMY[i.code]
        expect(entry.retryable).toBe(true)
        expect(i.attempts).toBeLessThanOrEqual(entry.maxRetries)
        expect(d.delayMs).toBeGreaterThanOrEqual(i.retryAfterMs ?? 0)
      })
    )
  })

  it("property: nothing pauses while auto-pause is off, and every dead letter carries a reason", () => {
    fc.assert(
      fc.property(input, (i) => {
        const d = decide(i)
        if (!i.autopause) expect(d.kind).not.toBe("pause")
        if (d.kind === "dead_letter") expect(["MAX_RETRIES", "UNRETRYABLE"]).toContain(d.reason)
        if (d.kind === "refresh") expect(i.canRefresh && !i.refreshed).toBe(true)
      })
    )
  })
})
