// Mailchimp Marketing API 3.0 (application/problem+json): the stable `title` with `status` decides;
// `detail` is templated with the member's e-mail address and is read only for the two documented
// sub-cases ("signed up to a lot of lists", "looks fake or invalid").
import type { ErrorCode } from "../taxonomy/Taxonomy.ts"
import { shortText, stringField } from "./Fields.ts"
import { classifyOAuthError } from "./OAuthError.ts"
import { header, isSuccessStatus, type ResponseView } from "./PartnerResponse.ts"
import { statusFallback } from "./StatusFallback.ts"
import { type Verdict, verdict } from "./Verdict.ts"

interface Rule {
  readonly code: ErrorCode
  readonly why: string
}

// Keys are titles lower-cased with spaces removed, so "API Key Invalid" and "APIKeyInvalid" (the
// glossary's spelling) read the same.
const TITLES = new Map<string, Rule>([
  ["apikeymissing", { code: "AUTH_INVALID", why: "API key missing" }],
  // OAuth tokens never expire; a de-authorized app surfaces exactly like this.
  ["apikeyinvalid", { code: "AUTH_INVALID", why: "API key invalid (or app de-authorized)" }],
  ["userdisabled", { code: "ACCOUNT_RESTRICTED", why: "user disabled" }],
  ["forbidden", { code: "PERMISSION_INSUFFICIENT", why: "forbidden" }],
  ["useractionnotpermitted", { code: "PERMISSION_INSUFFICIENT", why: "user action not permitted" }],
  ["wrongdatacenter", { code: "VALIDATION_ERROR", why: "wrong datacenter (our <dc> host)" }],
  ["resourcenotfound", { code: "RESOURCE_NOT_FOUND", why: "resource not found" }],
  ["memberexists", { code: "DUPLICATE_CONTENT", why: "member exists (use PUT to upsert)" }],
  ["memberincompliancestate", { code: "CONTENT_REJECTED", why: "member in compliance state" }],
  ["forgottenemailnotsubscribed", { code: "CONTENT_REJECTED", why: "forgotten e-mail cannot be re-subscribed" }],
  ["invalidresource", { code: "VALIDATION_ERROR", why: "invalid resource" }],
  ["badrequest", { code: "VALIDATION_ERROR", why: "bad request" }],
  ["jsonparseerror", { code: "VALIDATION_ERROR", why: "JSON parse error" }],
  ["methodnotallowed", { code: "VALIDATION_ERROR", why: "method not allowed" }],
  ["toomanyrequests", { code: "RATE_LIMIT_429", why: "too many simultaneous connections" }],
  ["internalservererror", { code: "PARTNER_5XX", why: "internal server error" }],
  // No captured body exists. "This method has been disabled" for compliance reasons is a restriction
  // on the account that retrying will not lift, so it pauses the channel instead of retrying a 503.
  ["compliancerelated", { code: "ACCOUNT_RESTRICTED", why: "method disabled for compliance reasons" }]
])

const LOT_OF_LISTS = /signed up to a lot of lists/i
const LOOKS_FAKE = /looks fake or invalid/i

const VALIDATION_TITLES = new Set(["invalidresource", "badrequest"])

export const classifyMailchimp = (view: ResponseView): Verdict | undefined => {
  const body = view.body
  const requestId = header(view, "x-request-id") ?? stringField(body, "instance")
  const oauth = classifyOAuthError(body, "mailchimp", { requestId })
  if (oauth !== undefined) return oauth
  if (isSuccessStatus(view.status)) return undefined

  const title = stringField(body, "title")
  const key = title?.toLowerCase().replace(/[\s_-]+/g, "")
  const evidence = { requestId, partnerCode: title === undefined ? undefined : shortText(title) }
  const rule = key === undefined ? undefined : TITLES.get(key)
  const detail = stringField(body, "detail") ?? ""

  if (key === undefined || rule === undefined || VALIDATION_TITLES.has(key)) {
    const label = `mailchimp ${title === undefined ? `http ${view.status}` : `"${shortText(title)}"`}`
    if (LOT_OF_LISTS.test(detail)) return verdict("CONTENT_REJECTED", `${label}: address signed up to a lot of lists recently`, evidence)
    if (LOOKS_FAKE.test(detail)) return verdict("CONTENT_REJECTED", `${label}: address looks fake or invalid`, evidence)
  }
  if (rule !== undefined && title !== undefined) return verdict(rule.code, `mailchimp "${shortText(title)}": ${rule.why}`, evidence)
  return statusFallback(view, "mailchimp", { evidence })
}
