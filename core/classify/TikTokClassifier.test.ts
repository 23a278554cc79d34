// TikTok shapes beyond the corpus: every row of the model document's mapping table, failures inside
// HTTP 200, the OAuth envelope and the one-minute window.
import { describe, expect, it } from "vitest"
import { classifyResponse, detectFailure } from "./Classifier.ts"
import type { Classification } from "../taxonomy/Classification.ts"

const tiktok = (status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): Classification =>
  classifyResponse({ platform: "tiktok", status, headers, body })

const apiError = (code: string, data: Record<string, unknown> = {}) => ({
  data,
  error: { code, message: "message", log_id: "202501010101010101ABCDEF" }
})

const statusFetch = (status: string, failReason?: string) => ({
  data: { status, ...(failReason === undefined ? {} : { fail_reason: failReason }) },
  error: { code: "ok", message: "", log_id: "20250606070809F50617" }
})

describe("TikTok error.code", () => {
  it.each([
    ["access_token_invalid", 401, "AUTH_EXPIRED"],
    ["scope_not_authorized", 401, "PERMISSION_INSUFFICIENT"],
    ["scope_permission_missed", 401, "PERMISSION_INSUFFICIENT"],
    ["rate_limit_exceeded", 429, "RATE_LIMIT_429"],
    ["spam_risk_too_many_posts", 403, "QUOTA_EXCEEDED"],
    ["reached_active_user_cap", 403, "QUOTA_EXCEEDED"],
    ["spam_risk_user_banned_from_posting", 403, "ACCOUNT_RESTRICTED"],
    ["unaudited_client_can_only_post_to_private_accounts", 403, "PERMISSION_INSUFFICIENT"],
    ["url_ownership_unverified", 403, "MEDIA_INVALID"],
    ["invalid_param", 400, "VALIDATION_ERROR"],
    ["invalid_params", 400, "VALIDATION_ERROR"],
    ["invalid_publish_id", 400, "RESOURCE_NOT_FOUND"],
    ["internal_error", 500, "PARTNER_5XX"]
  ] as const)("reads %s (HTTP %i) as %s", (code, status, expected) => {
    const c = tiktok(status, apiError(code))
    expect(c.code).toBe(expected)
    expect(c.partnerCode).toBe(code)
    expect(c.requestId).toBe("202501010101010101ABCDEF")
  })

  it("reads spam_risk_too_many_posts inside an HTTP 200 from creator_info as QUOTA_EXCEEDED", () => {
    const failure = detectFailure({ platform: "tiktok", status: 200, headers: {}, body: apiError("spam_risk_too_many_posts") })
    expect(failure?.code).toBe("QUOTA_EXCEEDED")
  })

  it("waits TikTok's one-minute window on rate_limit_exceeded, unless the partner states a wait", () => {
    expect(tiktok(429, apiError("rate_limit_exceeded")).retryAfterMs).toBe(60_000)
    expect(tiktok(429, apiError("rate_limit_exceeded"), { "retry-after": "12" }).retryAfterMs).toBe(12_000)
    expect(tiktok(429, null).retryAfterMs).toBe(60_000)
  })

  it("treats an unknown non-ok code in a 2xx as a failure for triage", () => {
    const failure = detectFailure({ platform: "tiktok", status: 200, headers: {}, body: apiError("brand_new_code") })
    expect(failure?.code).toBe("UNKNOWN")
  })

  it("falls back to the status for an unknown code, reading an unexplained 401 as an expired token", () => {
    expect(tiktok(401, apiError("brand_new_code")).code).toBe("AUTH_EXPIRED")
    expect(tiktok(503, apiError("brand_new_code")).code).toBe("PARTNER_UNAVAILABLE")
    expect(tiktok(401, "Unauthorized").code).toBe("AUTH_EXPIRED")
  })
})

describe("TikTok publish status fetch (HTTP 200)", () => {
  it.each([
    ["file_format_check_failed", "MEDIA_INVALID"],
    ["duration_check_failed", "MEDIA_INVALID"],
    ["frame_rate_check_failed", "MEDIA_INVALID"],
    ["picture_size_check_failed", "MEDIA_INVALID"],
    ["video_pull_failed", "MEDIA_INVALID"],
    ["photo_pull_failed", "MEDIA_INVALID"],
    ["spam_risk_text", "CONTENT_REJECTED"],
    ["spam_risk", "CONTENT_REJECTED"],
    ["auth_removed", "APP_DEAUTHORIZED"],
    ["internal", "PARTNER_5XX"],
    ["publish_cancelled", "UNKNOWN"]
  ] as const)("reads FAILED with fail_reason %s as %s", (failReason, expected) => {
    const failure = detectFailure({ platform: "tiktok", status: 200, headers: {}, body: statusFetch("FAILED", failReason) })
    expect(failure?.code).toBe(expected)
    expect(failure?.partnerCode).toBe(failReason)
  })

  it("reads FAILED without a known fail_reason as UNKNOWN, never as success", () => {
    expect(detectFailure({ platform: "tiktok", status: 200, headers: {}, body: statusFetch("FAILED") })?.code).toBe("UNKNOWN")
    expect(detectFailure({ platform: "tiktok", status: 200, headers: {}, body: statusFetch("FAILED", "novel") })?.code).toBe("UNKNOWN")
  })

  it.each(["PROCESSING_UPLOAD", "PROCESSING_DOWNLOAD", "SEND_TO_USER_INBOX", "PUBLISH_COMPLETE"])(
    "treats %s with error.code ok as success (pending or done)",
    (status) => {
      expect(detectFailure({ platform: "tiktok", status: 200, headers: {}, body: statusFetch(status) })).toBeUndefined()
    }
  )
})

describe("TikTok OAuth envelope", () => {
  it("reads invalid_grant on refresh as TOKEN_REFRESH_FAILED with the log id", () => {
    const c = tiktok(400, { error: "invalid_grant", error_description: "Refresh token is invalid or expired.", log_id: "LOG1" })
    expect(c).toMatchObject({ code: "TOKEN_REFRESH_FAILED", partnerCode: "invalid_grant", requestId: "LOG1" })
  })

  it("reads access_denied as a missing permission", () => {
    expect(tiktok(400, { error: "access_denied", error_description: "The user denied the request." }).code).toBe(
      "PERMISSION_INSUFFICIENT"
    )
  })
})
