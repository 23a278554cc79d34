// LinkedIn (REST / Community Management, plus the legacy v1 envelope and the OAuth endpoint):
// `serviceErrorCode` decides, then the `code` string, then the documented message cases (DAY limit,
// "Resource X does not exist", the v1 token messages), then the HTTP status. 65608 arrives as a 401
// but is a restricted member, not a token problem.
import type { ErrorCode } from "../taxonomy/Taxonomy.ts"
import { arrayField, intField, isRecord, recordField, shortText, stringField } from "./Fields.ts"
import { classifyOAuthError } from "./OAuthError.ts"
import { header, isSuccessStatus, type ResponseView } from "./PartnerResponse.ts"
import { msUntilNextMidnightUtc } from "./RetryHints.ts"
import { statusFallback } from "./StatusFallback.ts"
import { type Verdict, verdict } from "./Verdict.ts"

interface Rule {
  readonly code: ErrorCode
  readonly why: string
}

const SERVICE_ERROR_CODES = new Map<number, Rule>([
  [65600, { code: "AUTH_INVALID", why: "invalid access token" }],
  [65601, { code: "APP_DEAUTHORIZED", why: "access token revoked by the member" }],
  [65602, { code: "AUTH_EXPIRED", why: "access token expired" }],
  [65608, { code: "ACCOUNT_RESTRICTED", why: "restricted member (a 401 that is not a token problem)" }],
  [100, { code: "PERMISSION_INSUFFICIENT", why: "access denied: not enough permissions" }]
])

// The `code` strings LinkedIn documents, and the symbolic names of the service error codes above,
// which some responses carry instead of the number.
const CODE_STRINGS = new Map<string, Rule>([
  ["ILLEGAL_ARGUMENT", { code: "VALIDATION_ERROR", why: "illegal argument" }],
  ["RESOURCE_NOT_FOUND", { code: "RESOURCE_NOT_FOUND", why: "resource not found" }],
  ["TOO_MANY_REQUESTS", { code: "RATE_LIMIT_429", why: "too many requests" }],
  ["NONEXISTENT_VERSION", { code: "VALIDATION_ERROR", why: "API version no longer exists (our LinkedIn-Version header)" }],
  ["DUPLICATE_POST", { code: "DUPLICATE_CONTENT", why: "duplicate post" }],
  ["ACCESS_DENIED", { code: "PERMISSION_INSUFFICIENT", why: "access denied" }],
  ["INVALID_ACCESS_TOKEN", { code: "AUTH_INVALID", why: "invalid access token" }],
  ["REVOKED_ACCESS_TOKEN", { code: "APP_DEAUTHORIZED", why: "access token revoked by the member" }],
  ["EXPIRED_ACCESS_TOKEN", { code: "AUTH_EXPIRED", why: "access token expired" }],
  ["RESTRICTED_MEMBER", { code: "ACCOUNT_RESTRICTED", why: "restricted member" }]
])

const DAY_LIMIT = /\bday limit\b/i
const DUPLICATE_OF = /\bduplicate of urn:li:/i
// "Resource X does not exist" is LinkedIn saying our path is wrong, not that an entity vanished.
const WRONG_PATH = /^\s*Resource\s+\S+.*\bdoes not exist\b/i
// The v1 envelope has no serviceErrorCode; its messages are the documented texts of 65602 / 65601.
const V1_EXPIRED = /\bexpired\b/i
const V1_REVOKED = /\brevoked\b/i

const MAX_INPUT_ERRORS = 50

const hasDuplicatePost = (body: unknown): boolean => {
  const inputErrors = arrayField(recordField(body, "errorDetails"), "inputErrors")
  return (inputErrors ?? []).slice(0, MAX_INPUT_ERRORS).some((e) => stringField(e, "code") === "DUPLICATE_POST")
}

const throttle = (view: ResponseView, message: string, label: string, evidence: Omit<Verdict, "code" | "reason">): Verdict =>
  DAY_LIMIT.test(message)
    ? verdict("QUOTA_EXCEEDED", `${label}: daily limit reached, deferred to midnight UTC`, {
        ...evidence,
        retryAfterMs: msUntilNextMidnightUtc(view.nowMs)
      })
    : verdict("RATE_LIMIT_429", `${label}: throttled (short-lived; retry after a short delay)`, evidence)

export const classifyLinkedIn = (view: ResponseView): Verdict | undefined => {
  const body = view.body
  const requestId = header(view, "x-li-request-id") ?? header(view, "x-li-uuid") ?? stringField(body, "requestId")
  const oauth = classifyOAuthError(body, "linkedin", { requestId })
  if (oauth !== undefined) return oauth
  if (isSuccessStatus(view.status)) return undefined

  const serviceErrorCode = intField(body, "serviceErrorCode")
  const codeString = stringField(body, "code")
  const message = stringField(body, "message") ?? ""
  const partnerCode = serviceErrorCode !== undefined ? String(serviceErrorCode) : codeString === undefined ? undefined : shortText(codeString)
  const evidence = { requestId, partnerCode }

  if (hasDuplicatePost(body) || codeString === "DUPLICATE_POST" || DUPLICATE_OF.test(message)) {
    return verdict("DUPLICATE_CONTENT", "linkedin DUPLICATE_POST: content is a duplicate of an existing share", {
      ...evidence,
      partnerCode: partnerCode ?? "DUPLICATE_POST"
    })
  }

  if (serviceErrorCode !== undefined) {
    const label = `linkedin serviceErrorCode ${serviceErrorCode}`
    if (serviceErrorCode === 101) return throttle(view, message, label, evidence)
    const rule = SERVICE_ERROR_CODES.get(serviceErrorCode)
    if (rule !== undefined) return verdict(rule.code, `${label}: ${rule.why}`, evidence)
  }

  if (codeString !== undefined) {
    const label = `linkedin code ${shortText(codeString)}`
    if (codeString === "TOO_MANY_REQUESTS") return throttle(view, message, label, evidence)
    const rule = CODE_STRINGS.get(codeString)
    if (rule !== undefined) {
      if (rule.code === "RESOURCE_NOT_FOUND" && WRONG_PATH.test(message)) {
        return verdict("VALIDATION_ERROR", `${label}: "Resource X does not exist" means our path is wrong`, evidence)
      }
      return verdict(rule.code, `${label}: ${rule.why}`, evidence)
    }
  }

  const isEnvelope = isRecord(body) && message !== ""
  if (view.status === 429) return throttle(view, message, "linkedin http 429", evidence)
  if (view.status === 404 && isEnvelope && WRONG_PATH.test(message)) {
    return verdict("VALIDATION_ERROR", 'linkedin http 404 "Resource X does not exist": our path is wrong, not a missing entity', evidence)
  }
  if (view.status === 401 && isEnvelope && serviceErrorCode === undefined) {
    const v1 = { ...evidence, partnerCode: partnerCode ?? v1Code(body) }
    if (V1_EXPIRED.test(message)) return verdict("AUTH_EXPIRED", "linkedin http 401 token expired (v1 envelope message)", v1)
    if (V1_REVOKED.test(message)) return verdict("APP_DEAUTHORIZED", "linkedin http 401 token revoked (v1 envelope message)", v1)
  }
  return statusFallback(view, "linkedin", { evidence })
}

const v1Code = (body: unknown): string | undefined => {
  const errorCode = intField(body, "errorCode")
  return errorCode === undefined ? undefined : `v1:${errorCode}`
}
