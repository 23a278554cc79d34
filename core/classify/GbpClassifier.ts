// Google Business Profile (google.rpc.Status envelope): ErrorInfo.reason decides first, then the
// mybusiness ValidationError codes, then `status`, then the legacy `errors[].reason` when `status` is
// missing. Also the token endpoint's OAuth envelope, Google's HTML 404 page for a malformed path,
// and localPosts answering HTTP 200 with `state: "REJECTED"`.
import type { ErrorCode } from "../taxonomy/Taxonomy.ts"
import { arrayField, field, intField, recordField, shortText, stringField } from "./Fields.ts"
import { classifyOAuthError } from "./OAuthError.ts"
import { header, isHtml, isSuccessStatus, type ResponseView } from "./PartnerResponse.ts"
import { statusFallback } from "./StatusFallback.ts"
import { type Verdict, verdict } from "./Verdict.ts"

interface Rule {
  readonly code: ErrorCode
  readonly why: string
}

const ERROR_INFO_REASONS = new Map<string, Rule>([
  ["ACCESS_TOKEN_EXPIRED", { code: "AUTH_EXPIRED", why: "access token expired" }],
  ["CREDENTIALS_MISSING", { code: "AUTH_INVALID", why: "credentials missing" }],
  ["ACCESS_TOKEN_INVALID", { code: "AUTH_INVALID", why: "access token invalid" }],
  ["ACCESS_TOKEN_SCOPE_INSUFFICIENT", { code: "PERMISSION_INSUFFICIENT", why: "token lacks the business.manage scope" }],
  // Our Google Cloud project has the API switched off: no user action fixes it, alert operators.
  ["SERVICE_DISABLED", { code: "PERMISSION_INSUFFICIENT", why: "API disabled in our Google project (operators: enable it)" }],
  // Google's standard reason for a fixed (not per-minute) quota, e.g. GBP's per-day Create Location.
  ["RESOURCE_QUOTA_EXCEEDED", { code: "QUOTA_EXCEEDED", why: "resource quota exceeded" }]
])

// google.rpc.Code names (cloud.google.com/apis/design/errors). The doc's table, then the remaining
// codes by the same reading.
const STATUSES = new Map<string, Rule>([
  // The model says "refresh once, then treat as invalid". Google access tokens live an hour, so a
  // bare UNAUTHENTICATED is most often expiry: AUTH_EXPIRED's action is exactly refresh, retry once,
  // and reconnect if that fails. ErrorInfo reasons above still name an invalid token directly.
  ["UNAUTHENTICATED", { code: "AUTH_EXPIRED", why: "unauthenticated (refresh once, then reconnect)" }],
  ["PERMISSION_DENIED", { code: "PERMISSION_INSUFFICIENT", why: "permission denied" }],
  ["RESOURCE_EXHAUSTED", { code: "RATE_LIMIT_429", why: "resource exhausted" }],
  ["NOT_FOUND", { code: "RESOURCE_NOT_FOUND", why: "not found" }],
  ["INVALID_ARGUMENT", { code: "VALIDATION_ERROR", why: "invalid argument" }],
  ["INTERNAL", { code: "PARTNER_5XX", why: "internal error" }],
  ["UNAVAILABLE", { code: "PARTNER_UNAVAILABLE", why: "unavailable" }],
  ["DEADLINE_EXCEEDED", { code: "TIMEOUT", why: "deadline exceeded" }],
  ["ALREADY_EXISTS", { code: "DUPLICATE_CONTENT", why: "already exists" }],
  ["OUT_OF_RANGE", { code: "VALIDATION_ERROR", why: "out of range" }],
  ["FAILED_PRECONDITION", { code: "VALIDATION_ERROR", why: "failed precondition" }],
  // ABORTED is a concurrency conflict Google says to retry; UNKNOWN and DATA_LOSS are server-side.
  ["ABORTED", { code: "PARTNER_5XX", why: "aborted (concurrency conflict)" }],
  ["UNKNOWN", { code: "PARTNER_5XX", why: "unknown server error" }],
  ["DATA_LOSS", { code: "PARTNER_5XX", why: "data loss" }],
  ["UNIMPLEMENTED", { code: "VALIDATION_ERROR", why: "method not implemented (our call)" }]
])

// Legacy `errors[].reason` values of Google's JSON APIs, read only when `status` is missing.
const LEGACY_REASONS = new Map<string, Rule>([
  ["authError", { code: "AUTH_EXPIRED", why: "auth error (refresh once, then reconnect)" }],
  ["insufficientPermissions", { code: "PERMISSION_INSUFFICIENT", why: "insufficient permissions" }],
  ["forbidden", { code: "PERMISSION_INSUFFICIENT", why: "forbidden" }],
  ["notFound", { code: "RESOURCE_NOT_FOUND", why: "not found" }],
  ["rateLimitExceeded", { code: "RATE_LIMIT_429", why: "rate limit exceeded" }],
  ["userRateLimitExceeded", { code: "RATE_LIMIT_429", why: "user rate limit exceeded" }],
  ["dailyLimitExceeded", { code: "QUOTA_EXCEEDED", why: "daily limit exceeded" }],
  ["quotaExceeded", { code: "QUOTA_EXCEEDED", why: "quota exceeded" }],
  ["backendError", { code: "PARTNER_5XX", why: "backend error" }],
  ["badRequest", { code: "VALIDATION_ERROR", why: "bad request" }],
  ["invalid", { code: "VALIDATION_ERROR", why: "invalid value" }]
])

const MAX_DETAILS = 50
const METHOD_NOT_FOUND = /^\s*Method not found\.?\s*$/i
const PHOTO_CODE_NAME = /^PHOTO_/

const details = (error: unknown): ReadonlyArray<unknown> => (arrayField(error, "details") ?? []).slice(0, MAX_DETAILS)

const typeOf = (detail: unknown): string => stringField(detail, "@type") ?? ""

const classifyErrorInfo = (error: unknown, evidence: Omit<Verdict, "code" | "reason">): Verdict | undefined => {
  for (const detail of details(error)) {
    if (!typeOf(detail).endsWith("google.rpc.ErrorInfo")) continue
    const reason = stringField(detail, "reason")
    if (reason === undefined) continue
    const withCode = { ...evidence, partnerCode: shortText(reason) }
    const label = `gbp ErrorInfo.reason ${shortText(reason)}`
    if (reason === "RATE_LIMIT_EXCEEDED") {
      const limit = field(recordField(detail, "metadata"), "quota_limit_value")
      if (limit === "0" || limit === 0) {
        return verdict("PERMISSION_INSUFFICIENT", `${label} with quota_limit_value 0: project has no GBP API access`, withCode)
      }
      return verdict("RATE_LIMIT_429", `${label}: rate limit exceeded`, withCode)
    }
    const rule = ERROR_INFO_REASONS.get(reason)
    if (rule !== undefined) return verdict(rule.code, `${label}: ${rule.why}`, withCode)
  }
  return undefined
}

// ValidationError codes: 1000-1099 are the photo codes (fetch or upload failed, too small, ...).
// JSON renders the enum as an integer, but we also accept its name.
const isPhotoCode = (code: unknown): boolean =>
  (typeof code === "number" && code >= 1000 && code <= 1099) || (typeof code === "string" && PHOTO_CODE_NAME.test(code))

const classifyValidation = (error: unknown, evidence: Omit<Verdict, "code" | "reason">): Verdict | undefined => {
  for (const detail of details(error)) {
    if (!typeOf(detail).endsWith("ValidationError")) continue
    const errorDetails = (arrayField(detail, "errorDetails") ?? []).slice(0, MAX_DETAILS)
    const codes = errorDetails.map((d) => intField(d, "code") ?? stringField(d, "code"))
    const photo = codes.find(isPhotoCode)
    if (photo !== undefined) {
      return verdict("MEDIA_INVALID", `gbp ValidationError code ${photo}: photo error`, { ...evidence, partnerCode: String(photo) })
    }
    const first = codes.find((c) => c !== undefined)
    return verdict("VALIDATION_ERROR", `gbp ValidationError${first === undefined ? "" : ` code ${first}`}: invalid field`, {
      ...evidence,
      partnerCode: first === undefined ? undefined : shortText(String(first))
    })
  }
  return undefined
}

const classifyLegacyReason = (error: unknown, evidence: Omit<Verdict, "code" | "reason">): Verdict | undefined => {
  for (const entry of (arrayField(error, "errors") ?? []).slice(0, MAX_DETAILS)) {
    const reason = stringField(entry, "reason")
    const rule = reason === undefined ? undefined : LEGACY_REASONS.get(reason)
    if (reason !== undefined && rule !== undefined) {
      return verdict(rule.code, `gbp legacy errors[].reason ${reason}: ${rule.why}`, { ...evidence, partnerCode: reason })
    }
  }
  return undefined
}

export const classifyGbp = (view: ResponseView): Verdict | undefined => {
  const body = view.body
  const error = recordField(body, "error")
  const evidence = { requestId: header(view, "x-request-id") }

  if (error === undefined) {
    const oauth = classifyOAuthError(body, "gbp", evidence)
    if (oauth !== undefined) return oauth
    if (isSuccessStatus(view.status)) {
      const state = stringField(body, "state")?.trim().toUpperCase()
      if (state === "REJECTED") return verdict("CONTENT_REJECTED", "gbp HTTP 2xx with state REJECTED: post rejected", { ...evidence, partnerCode: "REJECTED" })
      // PROCESSING (and anything else) is pending or live: success for now.
      return undefined
    }
    if (view.status === 404 && isHtml(view)) {
      return verdict("VALIDATION_ERROR", "gbp HTML 404 page: malformed path (our URL), not a missing resource", evidence)
    }
    return statusFallback(view, "gbp response without a google error envelope", { evidence })
  }

  const fromInfo = classifyErrorInfo(error, evidence)
  if (fromInfo !== undefined) return fromInfo
  const fromValidation = classifyValidation(error, evidence)
  if (fromValidation !== undefined) return fromValidation

  const status = stringField(error, "status")?.trim().toUpperCase()
  if (status !== undefined && status !== "") {
    const withCode = { ...evidence, partnerCode: shortText(status) }
    const label = `gbp status ${shortText(status)}`
    if (status === "NOT_FOUND" && METHOD_NOT_FOUND.test(stringField(error, "message") ?? "")) {
      return verdict("VALIDATION_ERROR", `${label} "Method not found.": our URL is wrong`, withCode)
    }
    const rule = STATUSES.get(status)
    if (rule !== undefined) return verdict(rule.code, `${label}: ${rule.why}`, withCode)
  }

  const fromLegacy = classifyLegacyReason(error, evidence)
  if (fromLegacy !== undefined) return fromLegacy

  // `error.code` repeats the HTTP status; it only helps when the transport status is unusable.
  const bodyCode = intField(error, "code")
  const effective = isSuccessStatus(view.status) || !Number.isInteger(view.status) ? (bodyCode ?? view.status) : view.status
  return statusFallback({ ...view, status: effective }, "gbp error envelope unrecognised", { evidence })
}
