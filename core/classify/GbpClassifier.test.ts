// Google Business Profile shapes beyond the corpus: ErrorInfo reasons (with the quota_limit_value
// "0" trap), ValidationError photo codes, every status row, "Method not found.", HTML 404 pages,
// state REJECTED in a 200 and the OAuth token endpoint.
import { describe, expect, it } from "vitest"
import { classifyResponse, detectFailure } from "./Classifier.ts"
import type { Classification } from "../taxonomy/Classification.ts"

const gbp = (status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): Classification =>
  classifyResponse({ platform: "gbp", status, headers, body })

const rpcError = (code: number, status: string | undefined, message: string, details: ReadonlyArray<unknown> = []) => ({
  error: { code, message, ...(status === undefined ? {} : { status }), details }
})

const errorInfo = (reason: string, metadata: Record<string, string> = {}) => ({
  "@type": "type.googleapis.com/google.rpc.ErrorInfo",
  reason,
  domain: "googleapis.com",
  metadata: { service: "mybusinessbusinessinformation.googleapis.com", ...metadata }
})

const validationError = (...codes: ReadonlyArray<number>) => ({
  "@type": "type.googleapis.com/google.mybusiness.v4.ValidationError",
  errorDetails: codes.map((code) => ({ code, field: "media.sourceUrl", message: "problem" }))
})

describe("GBP ErrorInfo.reason", () => {
  it.each([
    [401, "UNAUTHENTICATED", "ACCESS_TOKEN_EXPIRED", "AUTH_EXPIRED"],
    [401, "UNAUTHENTICATED", "CREDENTIALS_MISSING", "AUTH_INVALID"],
    [401, "UNAUTHENTICATED", "ACCESS_TOKEN_INVALID", "AUTH_INVALID"],
    [403, "PERMISSION_DENIED", "ACCESS_TOKEN_SCOPE_INSUFFICIENT", "PERMISSION_INSUFFICIENT"],
    [403, "PERMISSION_DENIED", "SERVICE_DISABLED", "PERMISSION_INSUFFICIENT"],
    [429, "RESOURCE_EXHAUSTED", "RATE_LIMIT_EXCEEDED", "RATE_LIMIT_429"]
  ] as const)("reads HTTP %i %s with reason %s as %s", (status, rpcStatus, reason, expected) => {
    const c = gbp(status, rpcError(status, rpcStatus, "message", [errorInfo(reason, { quota_limit_value: "300" })]))
    expect(c.code).toBe(expected)
    expect(c.partnerCode).toBe(reason)
  })

  it("reads RATE_LIMIT_EXCEEDED with quota_limit_value \"0\" as no API access, not a throttle", () => {
    const info = errorInfo("RATE_LIMIT_EXCEEDED", {
      quota_metric: "mybusinessbusinessinformation.googleapis.com/default_requests",
      quota_limit: "DefaultRequestsPerMinutePerProject",
      quota_limit_value: "0"
    })
    const c = gbp(429, rpcError(429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Requests'", [info]))
    expect(c.code).toBe("PERMISSION_INSUFFICIENT")
    expect(c.retryAfterMs).toBeUndefined()
  })

  it("lets ErrorInfo win over the status (ACCESS_TOKEN_EXPIRED under UNAUTHENTICATED)", () => {
    const c = gbp(401, rpcError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.", [errorInfo("ACCESS_TOKEN_EXPIRED")]))
    expect(c.code).toBe("AUTH_EXPIRED")
  })
})

describe("GBP ValidationError", () => {
  it("reads a 1000-range photo code as MEDIA_INVALID", () => {
    const c = gbp(400, rpcError(400, "INVALID_ARGUMENT", "Request contains an invalid argument.", [validationError(1000)]))
    expect(c.code).toBe("MEDIA_INVALID")
    expect(c.partnerCode).toBe("1000")
  })

  it("reads any photo code among several as MEDIA_INVALID and other codes as VALIDATION_ERROR", () => {
    expect(gbp(400, rpcError(400, "INVALID_ARGUMENT", "x", [validationError(2, 1099)])).code).toBe("MEDIA_INVALID")
    expect(gbp(400, rpcError(400, "INVALID_ARGUMENT", "x", [validationError(2)])).code).toBe("VALIDATION_ERROR")
    expect(gbp(400, rpcError(400, "INVALID_ARGUMENT", "x", [validationError(1100)])).code).toBe("VALIDATION_ERROR")
  })
})

describe("GBP status", () => {
  it.each([
    [401, "UNAUTHENTICATED", "AUTH_EXPIRED"],
    [403, "PERMISSION_DENIED", "PERMISSION_INSUFFICIENT"],
    [429, "RESOURCE_EXHAUSTED", "RATE_LIMIT_429"],
    [404, "NOT_FOUND", "RESOURCE_NOT_FOUND"],
    [400, "INVALID_ARGUMENT", "VALIDATION_ERROR"],
    [500, "INTERNAL", "PARTNER_5XX"],
    [503, "UNAVAILABLE", "PARTNER_UNAVAILABLE"],
    [504, "DEADLINE_EXCEEDED", "TIMEOUT"],
    [409, "ALREADY_EXISTS", "DUPLICATE_CONTENT"]
  ] as const)("reads HTTP %i %s as %s", (status, rpcStatus, expected) => {
    expect(gbp(status, rpcError(status, rpcStatus, "Requested entity was not found.")).code).toBe(expected)
  })

  it("reads NOT_FOUND \"Method not found.\" as our wrong URL", () => {
    expect(gbp(404, rpcError(404, "NOT_FOUND", "Method not found.")).code).toBe("VALIDATION_ERROR")
  })

  it("reads the legacy errors[].reason when status is missing", () => {
    const body = { error: { code: 403, message: "Daily Limit Exceeded", errors: [{ domain: "usageLimits", reason: "dailyLimitExceeded", message: "x" }] } }
    expect(gbp(403, body).code).toBe("QUOTA_EXCEEDED")
  })

  it("reads a legacy 401 authError (Invalid Credentials) as expiry: refresh once, then reconnect", () => {
    const body = { error: { code: 401, message: "Invalid Credentials", errors: [{ domain: "global", reason: "authError", message: "Invalid Credentials", locationType: "header", location: "Authorization" }] } }
    expect(gbp(401, body)).toMatchObject({ code: "AUTH_EXPIRED", action: "REFRESH_TOKEN" })
  })

  it("honours a Retry-After Google sends on a 503", () => {
    expect(gbp(503, rpcError(503, "UNAVAILABLE", "The service is currently unavailable."), { "retry-after": "20" }).retryAfterMs).toBe(20_000)
  })
})

describe("GBP responses outside the JSON envelope", () => {
  const html404 = `<!DOCTYPE html>
<html lang=en>
  <meta charset=utf-8>
  <title>Error 404 (Not Found)!!1</title>
  <p><b>404.</b> <ins>That’s an error.</ins>
  <p>The requested URL <code>/v1/accounts/1/locations/2/localPostz</code> was not found on this server.`

  it("reads Google's HTML 404 page as a malformed path (VALIDATION_ERROR), not a missing location", () => {
    const c = gbp(404, html404, { "content-type": "text/html; charset=UTF-8" })
    expect(c.code).toBe("VALIDATION_ERROR")
    expect(c.pausesChannel).toBe(false)
  })

  it("falls back to the status for other HTML pages", () => {
    expect(gbp(502, "<html><body>502. That’s an error.</body></html>").code).toBe("PARTNER_5XX")
  })

  it("reads a 200 localPost with state REJECTED as CONTENT_REJECTED and PROCESSING as pending", () => {
    const rejected = detectFailure({ platform: "gbp", status: 200, headers: {}, body: { name: "accounts/1/locations/2/localPosts/3", state: "REJECTED" } })
    expect(rejected?.code).toBe("CONTENT_REJECTED")
    expect(detectFailure({ platform: "gbp", status: 200, headers: {}, body: { state: "PROCESSING" } })).toBeUndefined()
    expect(detectFailure({ platform: "gbp", status: 200, headers: {}, body: { state: "LIVE" } })).toBeUndefined()
  })

  it("reads the token endpoint's invalid_grant as TOKEN_REFRESH_FAILED", () => {
    expect(gbp(400, { error: "invalid_grant", error_description: "Token has been expired or revoked." }).code).toBe("TOKEN_REFRESH_FAILED")
    expect(gbp(400, { error: "invalid_grant", error_description: "Bad Request" }).code).toBe("TOKEN_REFRESH_FAILED")
  })
})
