// Meta Graph / Instagram shapes beyond the corpus: every row of the model document's code table, its
// traps, and its retry hints.
import { describe, expect, it } from "vitest"
import { classifyResponse, detectFailure } from "./Classifier.ts"
import type { Classification } from "../taxonomy/Classification.ts"
import type { ErrorCode } from "../taxonomy/Taxonomy.ts"

type Headers = Readonly<Record<string, string>>

const graphError = (error: Record<string, unknown>) => ({
  error: { message: "An error occurred", type: "OAuthException", fbtrace_id: "AbCdEfGh123", ...error }
})

const meta = (status: number, body: unknown, headers: Headers = {}): Classification =>
  classifyResponse({ platform: "meta", status, headers, body })

const codeOf = (status: number, error: Record<string, unknown>, headers: Headers = {}): ErrorCode =>
  meta(status, graphError(error), headers).code

describe("Meta token family (code 190)", () => {
  it.each([
    [463, "AUTH_EXPIRED"],
    [493, "AUTH_EXPIRED"],
    [460, "AUTH_INVALID"],
    [467, "AUTH_INVALID"],
    [458, "APP_DEAUTHORIZED"],
    [459, "ACCOUNT_RESTRICTED"],
    [464, "ACCOUNT_RESTRICTED"],
    [492, "PERMISSION_INSUFFICIENT"]
  ] as const)("reads 190/%i as %s whatever the message says", (subcode, expected) => {
    expect(codeOf(400, { code: 190, error_subcode: subcode, message: "Session has expired" })).toBe(expected)
  })

  it("reads 190/463 as AUTH_EXPIRED and reports the rule, the partner code and the trace id", () => {
    const c = meta(400, graphError({ code: 190, error_subcode: 463 }))
    expect(c).toMatchObject({
      code: "AUTH_EXPIRED",
      action: "REFRESH_TOKEN",
      platform: "meta",
      httpStatus: 400,
      partnerCode: "190/463",
      requestId: "AbCdEfGh123",
      reason: "meta code 190 subcode 463: token expired"
    })
  })

  it("treats a bare 190 as an invalid token (reconnect)", () => {
    expect(codeOf(400, { code: 190, message: "Invalid OAuth access token." })).toBe("AUTH_INVALID")
  })

  it("reads 190 'permissions must be granted before impersonating' as PERMISSION_INSUFFICIENT", () => {
    const message = "(#190) The manage_pages permission must be granted before impersonating a user's page."
    expect(codeOf(400, { code: 190, message })).toBe("PERMISSION_INSUFFICIENT")
  })

  it("reads the API-session code 102 with the 190 subcodes", () => {
    expect(codeOf(400, { code: 102, error_subcode: 463 })).toBe("AUTH_EXPIRED")
    expect(codeOf(400, { code: 102 })).toBe("AUTH_INVALID")
  })

  it("keys on the code even when it arrives as a numeric string", () => {
    expect(codeOf(400, { code: "190", error_subcode: "458" })).toBe("APP_DEAUTHORIZED")
  })
})

describe("Meta throttling", () => {
  it.each([4, 17, 32, 613, 80000, 80001, 80002, 80014])("reads code %i as RATE_LIMIT_429 at 400 and at 403", (code) => {
    expect(codeOf(400, { code, is_transient: true })).toBe("RATE_LIMIT_429")
    expect(codeOf(403, { code, is_transient: true })).toBe("RATE_LIMIT_429")
  })

  it("does not key on type: an OAuthException with code 4 is throttling, not a token problem", () => {
    expect(codeOf(403, { code: 4, type: "OAuthException", message: "(#4) Application request limit reached" })).toBe(
      "RATE_LIMIT_429"
    )
  })

  it("waits for X-Business-Use-Case-Usage's estimated_time_to_regain_access (minutes)", () => {
    const buc = JSON.stringify({
      "1234567890": [{ type: "pages", call_count: 100, total_cputime: 30, total_time: 40, estimated_time_to_regain_access: 7 }]
    })
    const c = meta(400, graphError({ code: 80001 }), { "X-Business-Use-Case-Usage": buc })
    expect(c.code).toBe("RATE_LIMIT_429")
    expect(c.retryAfterMs).toBe(7 * 60_000)
  })

  it("turns X-App-Usage at 100% into a five-minute floor and higher usage into a longer share of the hour", () => {
    const at100 = meta(400, graphError({ code: 4 }), { "x-app-usage": '{"call_count":100,"total_time":25,"total_cputime":25}' })
    expect(at100.retryAfterMs).toBe(5 * 60_000)
    const at200 = meta(400, graphError({ code: 4 }), { "x-app-usage": '{"call_count":12,"total_time":200,"total_cputime":25}' })
    expect(at200.retryAfterMs).toBe(30 * 60_000)
  })

  it("sets no wait while X-App-Usage is under 100%", () => {
    const c = meta(400, graphError({ code: 4 }), { "x-app-usage": '{"call_count":28,"total_time":25,"total_cputime":25}' })
    expect(c.code).toBe("RATE_LIMIT_429")
    expect(c.retryAfterMs).toBeUndefined()
  })

  it("honours X-Page-Usage and X-Ad-Account-Usage reset_time_duration, taking the longest wait", () => {
    const c = meta(400, graphError({ code: 32 }), {
      "x-page-usage": '{"call_count":110,"total_time":10,"total_cputime":10}',
      "x-ad-account-usage": '{"acc_id_util_pct":50,"reset_time_duration":1800,"ads_api_access_tier":"standard_access"}'
    })
    expect(c.retryAfterMs).toBe(1_800_000)
  })

  it("ignores a malformed usage header rather than failing", () => {
    const c = meta(400, graphError({ code: 4 }), { "x-app-usage": "{not json", "x-business-use-case-usage": "[]" })
    expect(c.code).toBe("RATE_LIMIT_429")
    expect(c.retryAfterMs).toBeUndefined()
  })

  it("does not attach a usage wait to a code that is never retried", () => {
    const c = meta(400, graphError({ code: 190, error_subcode: 460 }), { "x-app-usage": '{"call_count":150}' })
    expect(c.code).toBe("AUTH_INVALID")
    expect(c.retryAfterMs).toBeUndefined()
  })
})

describe("Meta permissions, parameters and content", () => {
  it.each([3, 10, 200, 220, 299])("reads code %i as PERMISSION_INSUFFICIENT", (code) => {
    expect(codeOf(403, { code })).toBe("PERMISSION_INSUFFICIENT")
  })

  it("reads 100 as a VALIDATION_ERROR and 100/33 as a missing object", () => {
    expect(codeOf(400, { code: 100, message: "(#100) Invalid parameter" })).toBe("VALIDATION_ERROR")
    expect(codeOf(400, { code: 100, error_subcode: 33 })).toBe("RESOURCE_NOT_FOUND")
  })

  it("keeps 100/33 a missing object although its message mentions missing permissions", () => {
    const message =
      "Unsupported post request. Object with ID '1' does not exist, cannot be loaded due to missing permissions, or does not support this operation."
    expect(codeOf(400, { code: 100, error_subcode: 33, message })).toBe("RESOURCE_NOT_FOUND")
  })

  it("breaks the code-100 ties on the documented messages only", () => {
    expect(codeOf(400, { code: 100, message: "(#100) Missing permissions" })).toBe("PERMISSION_INSUFFICIENT")
    expect(codeOf(400, { code: 100, message: "This status update is a duplicate of, or too similar to, a recent post" })).toBe(
      "DUPLICATE_CONTENT"
    )
  })

  it("never matches on the localised error_user_title / error_user_msg", () => {
    const c = codeOf(400, {
      code: 100,
      message: "Invalid parameter",
      error_user_title: "Missing permissions",
      error_user_msg: "Esta publicación es un duplicate of, or too similar to una reciente"
    })
    expect(c).toBe("VALIDATION_ERROR")
  })

  it("reads 368 as a temporary block and 368 'You've already posted this' as a duplicate", () => {
    expect(codeOf(400, { code: 368, message: "It looks like you were misusing this feature by going too fast." })).toBe(
      "ACCOUNT_RESTRICTED"
    )
    expect(codeOf(400, { code: 368, message: "You've already posted this. Please try posting something else." })).toBe(
      "DUPLICATE_CONTENT"
    )
    expect(codeOf(400, { code: 368, message: "You’ve already posted this." })).toBe("DUPLICATE_CONTENT")
  })

  it("reads 506 as a duplicate post", () => {
    expect(codeOf(400, { code: 506, message: "Duplicate status message" })).toBe("DUPLICATE_CONTENT")
  })
})

describe("Meta server errors", () => {
  it("retries codes 1 and 2 with backoff, and 2 at 503 as unavailable", () => {
    expect(codeOf(500, { code: 1, message: "An unknown error occurred" })).toBe("PARTNER_5XX")
    expect(codeOf(500, { code: 2, is_transient: true })).toBe("PARTNER_5XX")
    expect(codeOf(503, { code: 2, is_transient: true })).toBe("PARTNER_UNAVAILABLE")
  })

  it("sends code 1 explicitly marked not transient to triage", () => {
    expect(codeOf(400, { code: 1, error_subcode: 99, is_transient: false })).toBe("UNKNOWN")
  })

  it("retries an unknown code that Meta marks transient", () => {
    expect(codeOf(400, { code: 12345, is_transient: true })).toBe("PARTNER_5XX")
  })

  it("keeps an unknown code at 400 for triage (Meta's 4xx says nothing) but trusts a 5xx", () => {
    expect(codeOf(400, { code: 12345 })).toBe("UNKNOWN")
    expect(codeOf(403, { code: 12345 })).toBe("UNKNOWN")
    expect(codeOf(502, { code: 12345 })).toBe("PARTNER_5XX")
  })

  it("honours Retry-After on a retried server error", () => {
    expect(meta(503, graphError({ code: 2 }), { "Retry-After": "30" }).retryAfterMs).toBe(30_000)
  })
})

describe("Instagram publishing subcodes override the top-level code", () => {
  it.each([
    [4, 2207051, 403, "ACCOUNT_RESTRICTED"],
    [9, 2207042, 400, "QUOTA_EXCEEDED"],
    [9007, 2207027, 400, "PARTNER_5XX"],
    [9004, 2207052, 400, "MEDIA_INVALID"],
    [25, 2207050, 400, "ACCOUNT_RESTRICTED"],
    [36000, 2207004, 400, "MEDIA_INVALID"],
    [-1, 2207001, 400, "PARTNER_5XX"],
    [-2, 2207003, 400, "TIMEOUT"],
    [2, 2207026, 400, "MEDIA_INVALID"],
    [100, 2207010, 400, "VALIDATION_ERROR"]
  ] as const)("reads %i/%i (HTTP %i) as %s", (code, subcode, status, expected) => {
    expect(codeOf(status, { code, error_subcode: subcode, type: "IGApiException" })).toBe(expected)
  })

  it("reads 4/2207051 as an action block, not an app rate limit, even with usage headers at 100%", () => {
    const c = meta(403, graphError({ code: 4, error_subcode: 2207051 }), { "x-app-usage": '{"call_count":100}' })
    expect(c.code).toBe("ACCOUNT_RESTRICTED")
    expect(c.partnerCode).toBe("4/2207051")
    expect(c.retryAfterMs).toBeUndefined()
  })

  it("falls back to the top-level code for an unlisted 2207xxx subcode", () => {
    expect(codeOf(400, { code: 100, error_subcode: 2207999 })).toBe("VALIDATION_ERROR")
  })
})

describe("Meta responses without a Graph envelope", () => {
  it("reads a www-authenticate invalid_token header without a body as AUTH_INVALID", () => {
    const c = meta(400, null, { "WWW-Authenticate": 'OAuth "Facebook Platform" "invalid_token" "Error validating access token"' })
    expect(c.code).toBe("AUTH_INVALID")
  })

  it("falls back to the status family for HTML and empty bodies", () => {
    expect(meta(502, "<html><body>Bad Gateway</body></html>").code).toBe("PARTNER_5XX")
    expect(meta(503, "").code).toBe("PARTNER_UNAVAILABLE")
    expect(meta(404, null).code).toBe("RESOURCE_NOT_FOUND")
  })

  it("reads a JSON string body exactly like the parsed body", () => {
    const body = graphError({ code: 190, error_subcode: 463 })
    expect(meta(400, JSON.stringify(body))).toEqual(meta(400, body))
  })

  it("finds the error envelope inside an HTTP 200 (batch and some publish calls)", () => {
    const failure = detectFailure({ platform: "meta", status: 200, headers: {}, body: graphError({ code: 4 }) })
    expect(failure?.code).toBe("RATE_LIMIT_429")
  })

  it("sees no failure in an ordinary 200", () => {
    expect(detectFailure({ platform: "meta", status: 200, headers: {}, body: { id: "123_456" } })).toBeUndefined()
    const c = meta(200, { id: "123_456" })
    expect(c.code).toBe("UNKNOWN")
    expect(c.reason).toContain("no failure")
  })
})
