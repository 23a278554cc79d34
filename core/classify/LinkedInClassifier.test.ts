// LinkedIn shapes beyond the corpus: serviceErrorCode and code-string rows, the v1 and OAuth
// envelopes, the 422 duplicate, the 65608 trap and the DAY-limit deferral to midnight UTC.
import { describe, expect, it } from "vitest"
import { classifyResponse, detectFailure } from "./Classifier.ts"
import type { Classification } from "../taxonomy/Classification.ts"

const linkedin = (status: number, body: unknown, headers: Readonly<Record<string, string>> = {}, nowMs?: number): Classification =>
  classifyResponse({ platform: "linkedin", status, headers, body, ...(nowMs === undefined ? {} : { nowMs }) })

const rest = (status: number, serviceErrorCode: number | undefined, message: string, code?: string) => ({
  status,
  message,
  ...(serviceErrorCode === undefined ? {} : { serviceErrorCode }),
  ...(code === undefined ? {} : { code })
})

describe("LinkedIn serviceErrorCode", () => {
  it.each([
    [401, 65600, "Invalid access token", "AUTH_INVALID"],
    [401, 65601, "The token used in the request has been revoked by the user", "APP_DEAUTHORIZED"],
    [401, 65602, "The token used in the request has expired", "AUTH_EXPIRED"],
    [403, 100, "Not enough permissions to access: GET /organizations", "PERMISSION_INSUFFICIENT"],
    [429, 101, "Resource level throttle limit for calls to this resource is reached.", "RATE_LIMIT_429"]
  ] as const)("reads HTTP %i serviceErrorCode %i as its canonical code", (status, serviceErrorCode, message, expected) => {
    expect(linkedin(status, rest(status, serviceErrorCode, message)).code).toBe(expected)
  })

  it("reads 65608 RESTRICTED_MEMBER as ACCOUNT_RESTRICTED although it is a 401", () => {
    const c = linkedin(401, rest(401, 65608, "Member is restricted", "RESTRICTED_MEMBER"))
    expect(c.code).toBe("ACCOUNT_RESTRICTED")
    expect(c.action).toBe("PAUSE_CHANNEL")
    expect(c.requiresReauth).toBe(false)
    expect(c.partnerCode).toBe("65608")
  })

  it("reads 65602 as AUTH_EXPIRED and logs the x-li-request-id (falling back to x-li-uuid)", () => {
    const withId = linkedin(401, rest(401, 65602, "The token used in the request has expired"), { "X-LI-Request-Id": "li-req-1" })
    expect(withId).toMatchObject({ code: "AUTH_EXPIRED", requestId: "li-req-1", partnerCode: "65602" })
    expect(linkedin(401, rest(401, 65602, "expired"), { "x-li-uuid": "uuid-2" }).requestId).toBe("uuid-2")
  })
})

describe("LinkedIn code strings and messages", () => {
  it.each([
    [400, "ILLEGAL_ARGUMENT", "VALIDATION_ERROR"],
    [404, "RESOURCE_NOT_FOUND", "RESOURCE_NOT_FOUND"],
    [429, "TOO_MANY_REQUESTS", "RATE_LIMIT_429"],
    [426, "NONEXISTENT_VERSION", "VALIDATION_ERROR"],
    [403, "ACCESS_DENIED", "PERMISSION_INSUFFICIENT"],
    [401, "REVOKED_ACCESS_TOKEN", "APP_DEAUTHORIZED"],
    [401, "EXPIRED_ACCESS_TOKEN", "AUTH_EXPIRED"]
  ] as const)("reads HTTP %i code %s as %s", (status, code, expected) => {
    expect(linkedin(status, rest(status, undefined, "something", code)).code).toBe(expected)
  })

  it("reads 404 'Resource X does not exist' as our wrong path, not a missing entity", () => {
    expect(linkedin(404, rest(404, undefined, "Resource adAccounts does not exist")).code).toBe("VALIDATION_ERROR")
    expect(linkedin(404, rest(404, undefined, "Resource foo does not exist", "RESOURCE_NOT_FOUND")).code).toBe("VALIDATION_ERROR")
    expect(linkedin(404, rest(404, undefined, "Not found: urn:li:organization:123")).code).toBe("RESOURCE_NOT_FOUND")
  })

  it("reads the 422 DUPLICATE_POST envelope as DUPLICATE_CONTENT", () => {
    const body = {
      errorDetailType: "com.linkedin.common.error.BadRequest",
      message: "ERROR :: /commentary :: Content is a duplicate of urn:li:share:7000000000000000000",
      errorDetails: { inputErrors: [{ description: "Duplicate post", input: { inputPath: { fieldPath: "/commentary" } }, code: "DUPLICATE_POST" }] },
      status: 422
    }
    const c = linkedin(422, body)
    expect(c.code).toBe("DUPLICATE_CONTENT")
    expect(c.partnerCode).toBe("DUPLICATE_POST")
  })

  it("reads the duplicate message alone as DUPLICATE_CONTENT, and any other 422 as VALIDATION_ERROR", () => {
    expect(linkedin(422, rest(422, undefined, "Content is a duplicate of urn:li:share:123")).code).toBe("DUPLICATE_CONTENT")
    expect(linkedin(422, rest(422, undefined, "Field /commentary is too long")).code).toBe("VALIDATION_ERROR")
  })
})

describe("LinkedIn daily limits", () => {
  const now = Date.parse("2026-03-10T18:30:00.000Z")
  const midnight = Date.parse("2026-03-11T00:00:00.000Z")

  it("defers an APPLICATION DAY limit 429 to the next midnight UTC", () => {
    const body = rest(429, 101, "Resource level throttle APPLICATION DAY limit for calls to this resource is reached.")
    const c = linkedin(429, body, {}, now)
    expect(c.code).toBe("QUOTA_EXCEEDED")
    expect(c.retryAfterMs).toBe(midnight - now)
  })

  it("defers a MEMBER DAY limit without a service code the same way", () => {
    const c = linkedin(429, { status: 429, message: "Member DAY limit reached" }, {}, now)
    expect(c.code).toBe("QUOTA_EXCEEDED")
    expect(c.retryAfterMs).toBe(5.5 * 3_600_000)
  })

  it("waits a whole day for a DAY limit when it does not know the time", () => {
    const c = linkedin(429, rest(429, 101, "APPLICATION DAY limit reached"))
    expect(c.retryAfterMs).toBe(24 * 3_600_000)
  })

  it("keeps a generic 429 a short-lived throttle with no stated wait", () => {
    const c = linkedin(429, rest(429, undefined, "Too many requests"))
    expect(c.code).toBe("RATE_LIMIT_429")
    expect(c.retryAfterMs).toBeUndefined()
  })
})

describe("LinkedIn legacy v1 and OAuth envelopes", () => {
  it("reads the v1 401 'expired' and 'revoked' messages", () => {
    const v1 = (message: string) => ({ errorCode: 0, message, requestId: "ABC123", status: 401, timestamp: 1392084765723 })
    expect(linkedin(401, v1("The token used in the request is expired.")).code).toBe("AUTH_EXPIRED")
    expect(linkedin(401, v1("The token used in the request has been revoked by the user.")).code).toBe("APP_DEAUTHORIZED")
    const other = linkedin(401, v1("Invalid access token."))
    expect(other).toMatchObject({ code: "AUTH_INVALID", requestId: "ABC123" })
  })

  it("reads a refused refresh as TOKEN_REFRESH_FAILED", () => {
    const body = {
      error: "invalid_request",
      error_description: "The provided authorization grant or refresh token is invalid, expired or revoked"
    }
    expect(linkedin(400, body).code).toBe("TOKEN_REFRESH_FAILED")
    expect(linkedin(400, { error: "invalid_grant", error_description: "revoked" }).code).toBe("TOKEN_REFRESH_FAILED")
  })

  it("falls back to the status family when the body says nothing", () => {
    expect(linkedin(500, "Internal Server Error").code).toBe("PARTNER_5XX")
    expect(linkedin(503, null).code).toBe("PARTNER_UNAVAILABLE")
    expect(linkedin(504, null).code).toBe("TIMEOUT")
    expect(linkedin(401, null).code).toBe("AUTH_INVALID")
  })

  it("sees no failure in a 201 Created", () => {
    expect(detectFailure({ platform: "linkedin", status: 201, headers: { "x-restli-id": "urn:li:share:1" }, body: null })).toBeUndefined()
  })
})
