import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { ERROR_CODES, type ErrorCode, TAXONOMY } from "../taxonomy/Taxonomy.ts"
import { decidePing, missingPublishingScope, statusOf } from "./HealthVerdict.ts"

describe("missingPublishingScope", () => {
  it("names the scope each target needs when the partner reports scopes without it", () => {
    expect(missingPublishingScope("meta", "1000001", ["pages_show_list"])).toBe("pages_manage_posts")
    expect(missingPublishingScope("meta", "ig:1", ["pages_manage_posts"])).toBe("instagram_content_publish")
    expect(missingPublishingScope("linkedin", "urn:li:person:x", ["w_organization_social"])).toBe("w_member_social")
    expect(missingPublishingScope("tiktok", "open", ["video.publish"])).toBeUndefined()
    expect(missingPublishingScope("gbp", "accounts/1/locations/2", undefined)).toBeUndefined()
    expect(missingPublishingScope("mailchimp", "us1:x", [])).toBeUndefined()
  })
})

describe("statusOf", () => {
  it("reads auth and account failures critical, unreachable partners unknown, everything else a warning", () => {
    const expected: Record<string, ReadonlyArray<ErrorCode>> = {
      critical: ["AUTH_EXPIRED", "AUTH_INVALID", "APP_DEAUTHORIZED", "PERMISSION_INSUFFICIENT", "TOKEN_REFRESH_FAILED", "ACCOUNT_RESTRICTED", "RESOURCE_NOT_FOUND", "CIRCUIT_BREAKER_OPEN"],
      unknown: ["NETWORK_ERROR", "TIMEOUT", "TLS_ERROR"],
      warning: [
        "RATE_LIMIT_429", "QUOTA_EXCEEDED", "PARTNER_5XX", "PARTNER_UNAVAILABLE", "VALIDATION_ERROR", "CONTENT_REJECTED", "DUPLICATE_CONTENT",
        "MEDIA_INVALID", "CAPABILITY_UNSUPPORTED", "WEBHOOK_SIGNATURE_INVALID", "WEBHOOK_FAILURE", "UNKNOWN"
      ]
    }
    expect(Object.values(expected).flat().sort()).toEqual([...ERROR_CODES].sort())
    for (const [status, codes] of Object.entries(expected)) for (const code of codes) expect(`${code} ${statusOf(code)}`).toBe(`${code} ${status}`)
  })
})

describe("decidePing", () => {
  it("refreshes an expired token once, then pauses; pauses auth and account codes; never pauses network or partner trouble", () => {
    expect(decidePing({ code: "AUTH_EXPIRED", canRefresh: true, refreshed: false, autopause: true })).toEqual({ kind: "refresh" })
    expect(decidePing({ code: "AUTH_EXPIRED", canRefresh: true, refreshed: true, autopause: true })).toEqual({ kind: "pause", code: "TOKEN_REFRESH_FAILED" })
    expect(decidePing({ code: "AUTH_EXPIRED", canRefresh: false, refreshed: false, autopause: true })).toEqual({ kind: "pause", code: "TOKEN_REFRESH_FAILED" })
    expect(decidePing({ code: "PERMISSION_INSUFFICIENT", canRefresh: false, refreshed: false, autopause: true })).toEqual({ kind: "pause", code: "PERMISSION_INSUFFICIENT" })
    expect(decidePing({ code: "NETWORK_ERROR", canRefresh: true, refreshed: false, autopause: true })).toEqual({ kind: "record", code: "NETWORK_ERROR", status: "unknown" })
    expect(decidePing({ code: "PARTNER_5XX", canRefresh: true, refreshed: false, autopause: true })).toEqual({ kind: "record", code: "PARTNER_5XX", status: "warning" })
    expect(decidePing({ code: "AUTH_INVALID", canRefresh: false, refreshed: false, autopause: false })).toEqual({ kind: "record", code: "AUTH_INVALID", status: "critical" })
  })

  it("pauses exactly for the codes whose taxonomy entry pauses the channel, never for the breaker's (property)", () => {
    fc.assert(
      fc.property(fc.constantFrom(...ERROR_CODES), fc.boolean(), (code, canRefresh) => {
        const decision = decidePing({ code, canRefresh, refreshed: true, autopause: true })
        const pauses = TAXONOMY[code].pausesChannel && code !== "CIRCUIT_BREAKER_OPEN"
        expect(decision.kind === "pause").toBe(pauses)
        // An expired token after its one refresh is a failed refresh; every other code is itself.
        if (decision.kind !== "refresh") expect(decision.code).toBe(code === "AUTH_EXPIRED" && pauses ? "TOKEN_REFRESH_FAILED" : code)
        if (decision.kind === "record") expect(decision.status).toBe(code === "CIRCUIT_BREAKER_OPEN" ? "warning" : statusOf(code))
      })
    )
  })
})
