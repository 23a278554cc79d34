// TikTok API v2 (Content Posting, Display, Login Kit): `error.code` decides whatever the HTTP status,
// because TikTok reports failures inside HTTP 200 too: a non-"ok" `error.code` (creator_info's
// spam_risk_too_many_posts) or a status fetch with `data.status: "FAILED"` and a `fail_reason`.
import type { ErrorCode } from "../taxonomy/Taxonomy.ts"
import { field, recordField, shortText, stringField } from "./Fields.ts"
import { classifyOAuthError } from "./OAuthError.ts"
import { header, isSuccessStatus, type ResponseView } from "./PartnerResponse.ts"
import { TIKTOK_WINDOW_MS } from "./RetryHints.ts"
import { statusFallback } from "./StatusFallback.ts"
import { type Verdict, verdict } from "./Verdict.ts"

interface Rule {
  readonly code: ErrorCode
  readonly why: string
}

// One table for `error.code` and `fail_reason`: the names do not collide, and a fail_reason showing
// up as an error code (or the reverse) should still be read.
const CODES = new Map<string, Rule>([
  // The code covers expired and invalid tokens alike; TikTok's advice is "refresh the token and retry".
  ["access_token_invalid", { code: "AUTH_EXPIRED", why: "access token invalid or expired (refresh, then retry)" }],
  ["scope_not_authorized", { code: "PERMISSION_INSUFFICIENT", why: "scope not authorized" }],
  ["scope_permission_missed", { code: "PERMISSION_INSUFFICIENT", why: "scope permission missing" }],
  ["rate_limit_exceeded", { code: "RATE_LIMIT_429", why: "rate limit exceeded (one-minute window)" }],
  ["spam_risk_too_many_posts", { code: "QUOTA_EXCEEDED", why: "daily per-user post cap reached" }],
  ["spam_risk_too_many_pending_share", { code: "QUOTA_EXCEEDED", why: "pending inbox share cap reached" }],
  ["reached_active_user_cap", { code: "QUOTA_EXCEEDED", why: "app-wide daily active user cap reached" }],
  ["spam_risk_user_banned_from_posting", { code: "ACCOUNT_RESTRICTED", why: "user banned from posting" }],
  ["unaudited_client_can_only_post_to_private_accounts", { code: "PERMISSION_INSUFFICIENT", why: "unaudited app may post only to private accounts" }],
  ["url_ownership_unverified", { code: "MEDIA_INVALID", why: "PULL_FROM_URL host not verified" }],
  ["invalid_param", { code: "VALIDATION_ERROR", why: "invalid parameter" }],
  ["invalid_params", { code: "VALIDATION_ERROR", why: "invalid parameters" }],
  ["invalid_publish_id", { code: "RESOURCE_NOT_FOUND", why: "publish id not found" }],
  ["internal_error", { code: "PARTNER_5XX", why: "internal error" }],
  ["file_format_check_failed", { code: "MEDIA_INVALID", why: "file format check failed" }],
  ["duration_check_failed", { code: "MEDIA_INVALID", why: "duration check failed" }],
  ["frame_rate_check_failed", { code: "MEDIA_INVALID", why: "frame rate check failed" }],
  ["picture_size_check_failed", { code: "MEDIA_INVALID", why: "picture size check failed" }],
  ["video_pull_failed", { code: "MEDIA_INVALID", why: "video could not be pulled from the URL" }],
  ["photo_pull_failed", { code: "MEDIA_INVALID", why: "photo could not be pulled from the URL" }],
  ["spam_risk_text", { code: "CONTENT_REJECTED", why: "text flagged as spam risk" }],
  ["spam_risk", { code: "CONTENT_REJECTED", why: "flagged as spam risk" }],
  ["auth_removed", { code: "APP_DEAUTHORIZED", why: "user removed the app's authorization" }],
  ["internal", { code: "PARTNER_5XX", why: "internal error while publishing" }],
  // A cancelled publish is neither ours to retry blindly nor the user's content: triage it.
  ["publish_cancelled", { code: "UNKNOWN", why: "publish cancelled" }]
])

export const classifyTikTok = (view: ResponseView): Verdict | undefined => {
  const body = view.body
  const error = recordField(body, "error")
  const requestId = stringField(error, "log_id") ?? stringField(body, "log_id") ?? header(view, "x-tt-logid")

  if (error === undefined) {
    const oauth = classifyOAuthError(body, "tiktok", { requestId })
    if (oauth !== undefined) return oauth
  }

  const rawCode = field(error, "code")
  const code = typeof rawCode === "string" ? rawCode.trim().toLowerCase() : undefined
  if (code !== undefined && code !== "ok" && code !== "") {
    const partnerCode = shortText(code)
    const rule = CODES.get(code)
    const evidence = {
      requestId,
      partnerCode,
      ...(rule?.code === "RATE_LIMIT_429" ? { defaultRetryAfterMs: TIKTOK_WINDOW_MS } : {})
    }
    if (rule !== undefined) return verdict(rule.code, `tiktok error.code ${partnerCode}: ${rule.why}`, evidence)
    if (isSuccessStatus(view.status)) {
      return verdict("UNKNOWN", `tiktok error.code ${partnerCode} in an HTTP 2xx: unrecognised failure`, evidence)
    }
    return statusFallback(view, `tiktok error.code ${partnerCode} unrecognised`, {
      unauthorized: "AUTH_EXPIRED",
      evidence: { ...evidence, ...(view.status === 429 ? { defaultRetryAfterMs: TIKTOK_WINDOW_MS } : {}) }
    })
  }

  const data = recordField(body, "data")
  const publishStatus = stringField(data, "status")
  if (publishStatus !== undefined && publishStatus.trim().toUpperCase() === "FAILED") {
    const failReason = stringField(data, "fail_reason")?.trim().toLowerCase()
    const rule = failReason === undefined ? undefined : CODES.get(failReason)
    const partnerCode = failReason === undefined || failReason === "" ? undefined : shortText(failReason)
    if (rule !== undefined) {
      return verdict(rule.code, `tiktok publish FAILED with fail_reason ${partnerCode}: ${rule.why}`, { requestId, partnerCode })
    }
    return verdict("UNKNOWN", `tiktok publish FAILED with ${partnerCode === undefined ? "no" : "an unrecognised"} fail_reason`, {
      requestId,
      partnerCode
    })
  }

  // error.code "ok" (or no envelope) and no FAILED status: a 2xx is a success, PROCESSING_* included.
  if (isSuccessStatus(view.status)) return undefined
  return statusFallback(view, "tiktok", {
    unauthorized: "AUTH_EXPIRED",
    evidence: { requestId, ...(view.status === 429 ? { defaultRetryAfterMs: TIKTOK_WINDOW_MS } : {}) }
  })
}
