// Meta (Facebook Pages and Instagram Graph API): the error's `code` + `error_subcode` decide, with
// Instagram's 2207xxx subcodes overriding the code, `is_transient` as a retry hint and the message
// only for the four documented traps. HTTP status and `type` are not keyed on: Meta sends token,
// parameter and throttling errors alike as 400/403. Localised `error_user_*` fields are never read.
import type { ErrorCode } from "../taxonomy/Taxonomy.ts"
import { booleanField, intField, recordField, stringField } from "./Fields.ts"
import { header, isHttpStatus, type ResponseView } from "./PartnerResponse.ts"
import { longest, metaAdAccountUsageMs, metaBusinessUseCaseMs, metaUsageMs } from "./RetryHints.ts"
import { classifyOAuthError } from "./OAuthError.ts"
import { statusFallback } from "./StatusFallback.ts"
import { type Verdict, verdict } from "./Verdict.ts"

interface Rule {
  readonly code: ErrorCode
  readonly why: string
}

const TOKEN_SUBCODES = new Map<number, Rule>([
  [463, { code: "AUTH_EXPIRED", why: "token expired" }],
  [493, { code: "AUTH_EXPIRED", why: "token expired after 90 days of inactivity" }],
  [460, { code: "AUTH_INVALID", why: "password changed" }],
  [467, { code: "AUTH_INVALID", why: "user logged out" }],
  [458, { code: "APP_DEAUTHORIZED", why: "app not authorized by the user" }],
  [459, { code: "ACCOUNT_RESTRICTED", why: "user checkpointed" }],
  [464, { code: "ACCOUNT_RESTRICTED", why: "unconfirmed user" }],
  [492, { code: "PERMISSION_INSUFFICIENT", why: "page role missing or 2FA required" }]
])

// Instagram publishing subcodes (the doc's six, plus the rest of Meta's Instagram error-code table
// where its recommended action is unambiguous). Unlisted 2207xxx fall through to the top-level code.
const INSTAGRAM_SUBCODES = new Map<number, Rule>([
  [2207051, { code: "ACCOUNT_RESTRICTED", why: "action blocked as suspected spam (not an app rate limit)" }],
  [2207042, { code: "QUOTA_EXCEEDED", why: "24-hour publishing cap reached" }],
  [2207027, { code: "PARTNER_5XX", why: "container not ready for publishing yet (transient)" }],
  [2207052, { code: "MEDIA_INVALID", why: "media URI could not be fetched" }],
  [2207050, { code: "ACCOUNT_RESTRICTED", why: "account inactive, checkpointed or restricted" }],
  [2207004, { code: "MEDIA_INVALID", why: "image too large" }],
  [2207001, { code: "PARTNER_5XX", why: "Instagram server error" }],
  [2207003, { code: "TIMEOUT", why: "Instagram timed out downloading the media" }],
  [2207005, { code: "MEDIA_INVALID", why: "unsupported image format" }],
  [2207008, { code: "PARTNER_5XX", why: "temporary error publishing the container" }],
  [2207009, { code: "MEDIA_INVALID", why: "unsupported aspect ratio" }],
  [2207010, { code: "VALIDATION_ERROR", why: "caption too long" }],
  [2207023, { code: "MEDIA_INVALID", why: "unknown media type" }],
  [2207026, { code: "MEDIA_INVALID", why: "unsupported video format" }],
  [2207028, { code: "MEDIA_INVALID", why: "carousel validation failed" }],
  [2207032, { code: "PARTNER_5XX", why: "media container creation failed" }],
  [2207053, { code: "PARTNER_5XX", why: "unknown upload error" }],
  [2207057, { code: "VALIDATION_ERROR", why: "thumbnail offset outside the video" }]
])

// 341 "Application limit reached" and 3 "Capability" come from Meta's Graph error table beside the
// doc's codes: the first is throttling, the second a missing app capability or permission.
const isThrottleCode = (code: number): boolean =>
  code === 4 || code === 17 || code === 32 || code === 613 || code === 341 || (code >= 80000 && code <= 80014)

const isPermissionCode = (code: number): boolean => code === 3 || code === 10 || (code >= 200 && code <= 299)

// The documented message tie-breakers, nothing else. "Missing permissions" is matched with its
// capital M: the 100/33 "does not exist, cannot be loaded due to missing permissions" text must
// not turn a missing object into a permission problem.
const MISSING_PERMISSIONS = /Missing permissions/
const TOO_SIMILAR = /duplicate of, or too similar to/i
const IMPERSONATING = /permissions? must be granted before impersonating/i
const ALREADY_POSTED = /you(?:['’]ve| have) already posted this/i

const byCode = (code: number, subcode: number | undefined, message: string): Rule | undefined => {
  // 102 is the API-session twin of 190 in Meta's error table and carries the same subcodes.
  if (code === 190 || code === 102) {
    const token = subcode === undefined ? undefined : TOKEN_SUBCODES.get(subcode)
    if (token !== undefined) return token
    if (IMPERSONATING.test(message)) return { code: "PERMISSION_INSUFFICIENT", why: "permission must be granted before impersonating" }
    return { code: "AUTH_INVALID", why: "access token invalid" }
  }
  if (isThrottleCode(code)) return { code: "RATE_LIMIT_429", why: "throttled" }
  if (isPermissionCode(code)) return { code: "PERMISSION_INSUFFICIENT", why: "permission missing" }
  if (code === 100) {
    if (subcode === 33) return { code: "RESOURCE_NOT_FOUND", why: "object does not exist or is not visible" }
    if (MISSING_PERMISSIONS.test(message)) return { code: "PERMISSION_INSUFFICIENT", why: "missing permissions" }
    if (TOO_SIMILAR.test(message)) return { code: "DUPLICATE_CONTENT", why: "duplicate of, or too similar to, a recent post" }
    return { code: "VALIDATION_ERROR", why: "invalid parameter" }
  }
  if (code === 803) return { code: "RESOURCE_NOT_FOUND", why: "alias does not exist" }
  if (code === 368) {
    if (ALREADY_POSTED.test(message)) return { code: "DUPLICATE_CONTENT", why: "already posted this" }
    return { code: "ACCOUNT_RESTRICTED", why: "temporarily blocked for policy violations" }
  }
  if (code === 506) return { code: "DUPLICATE_CONTENT", why: "duplicate post" }
  return undefined
}

/** Rate-limit headers Meta sends with throttling: BUC regain estimate, ad-account reset, usage percent. */
const usageHintMs = (view: ResponseView): number | undefined =>
  longest(
    metaBusinessUseCaseMs(header(view, "x-business-use-case-usage")),
    metaAdAccountUsageMs(header(view, "x-ad-account-usage")),
    metaUsageMs(header(view, "x-app-usage")),
    metaUsageMs(header(view, "x-page-usage"))
  )

const INVALID_TOKEN_HEADER = /"invalid_token"/

export const classifyMeta = (view: ResponseView): Verdict | undefined => {
  const error = recordField(view.body, "error")
  const fbtrace = stringField(error, "fbtrace_id")
  const evidence = {
    requestId: fbtrace ?? header(view, "x-fb-trace-id"),
    retryAfterMs: usageHintMs(view)
  }
  if (error === undefined) {
    const oauth = classifyOAuthError(view.body, "meta", evidence)
    if (oauth !== undefined) return oauth
    if (isHttpStatus(view.status) && view.status >= 200 && view.status <= 299) return undefined
    if (view.status === 400 || view.status === 401) {
      const authenticate = header(view, "www-authenticate")
      if (authenticate !== undefined && INVALID_TOKEN_HEADER.test(authenticate)) {
        return verdict("AUTH_INVALID", `meta http ${view.status} www-authenticate invalid_token without an error body`, evidence)
      }
    }
    return statusFallback(view, "meta response without a graph error envelope", { evidence })
  }

  const code = intField(error, "code")
  const subcode = intField(error, "error_subcode")
  const message = stringField(error, "message") ?? ""
  const partnerCode = code === undefined ? undefined : subcode === undefined ? String(code) : `${code}/${subcode}`
  const withCode = { ...evidence, partnerCode }
  const label = `meta code ${code ?? "?"}${subcode === undefined ? "" : ` subcode ${subcode}`}`

  const instagram = subcode === undefined ? undefined : INSTAGRAM_SUBCODES.get(subcode)
  if (instagram !== undefined) return verdict(instagram.code, `${label}: ${instagram.why}`, withCode)

  const rule = code === undefined ? undefined : byCode(code, subcode, message)
  if (rule !== undefined) return verdict(rule.code, `${label}: ${rule.why}`, withCode)

  const transient = booleanField(error, "is_transient")
  if (code === 1 || code === 2) {
    // Code 1 is "unknown"; only Meta's own transient flag (or its absence) makes it worth retrying.
    // An explicit is_transient:false with a subcode is a specific failure we cannot read: triage it.
    if (code === 1 && transient === false) return verdict("UNKNOWN", `${label}: unknown error, marked not transient`, withCode)
    const unavailable = view.status === 503
    return verdict(unavailable ? "PARTNER_UNAVAILABLE" : "PARTNER_5XX", `${label}: transient server error`, withCode)
  }
  if (transient === true) return verdict("PARTNER_5XX", `${label}: unrecognised code marked transient`, withCode)

  // An envelope with a code we do not know: Meta's 4xx status says nothing (it sends nearly every
  // error as 400/403), so keep it for triage; 408/429/5xx still mean what they say.
  const status = view.status
  if (isHttpStatus(status) && (status >= 500 || status === 429 || status === 408)) {
    return statusFallback(view, `${label} unrecognised`, { evidence: withCode })
  }
  return verdict("UNKNOWN", `${label}: unrecognised meta error code`, withCode)
}
