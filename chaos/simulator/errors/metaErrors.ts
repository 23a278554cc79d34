// Meta Graph API error envelopes: `{"error": {message, type, code, error_subcode, is_transient,
// fbtrace_id}}`, token errors with the `www-authenticate: OAuth "Facebook Platform" "invalid_token"`
// header, throttling as 400/403 with X-App-Usage / X-Business-Use-Case-Usage, never 429.
import { jsonResponse, type SimResponse } from "../SimResponse.ts"
import type { CallInfo, Denial, PlatformErrors, RateLimitOptions } from "../platforms/PlatformModule.ts"
import { fbtraceId } from "./ErrorIds.ts"

interface GraphError {
  readonly message: string
  readonly type: string
  readonly code: number
  readonly error_subcode?: number
  readonly is_transient?: boolean
  readonly error_user_title?: string
  readonly error_user_msg?: string
}

export const graphError = (status: number, error: GraphError, headers: Readonly<Record<string, string>> = {}): SimResponse => {
  const trace = fbtraceId()
  return jsonResponse(status, { error: { ...error, fbtrace_id: trace } }, { "x-fb-trace-id": trace, ...headers })
}

const tokenError = (error: GraphError): SimResponse =>
  graphError(400, error, { "www-authenticate": `OAuth "Facebook Platform" "invalid_token" "${error.message}"` })

const META_APP_ID = "1234567890123456"

const sessionExpiredMessage = (): string =>
  "Error validating access token: Session has expired on Friday, 20-Nov-26 10:00:00 PST. The current time is Monday, 23-Nov-26 09:00:00 PST."

const isInstagram = (call: CallInfo): boolean => call.accountId?.startsWith("ig:") === true

const denied = (denial: Denial, call: CallInfo): SimResponse => {
  switch (denial.kind) {
    case "missing_token":
    case "invalid_token":
      return tokenError({ message: "Invalid OAuth access token - Cannot parse access token", type: "OAuthException", code: 190 })
    case "expired":
      return tokenError({ message: sessionExpiredMessage(), type: "OAuthException", code: 190, error_subcode: 463 })
    case "revoked":
      return tokenError({
        message: `Error validating access token: The user has not authorized application ${META_APP_ID}.`,
        type: "OAuthException",
        code: 190,
        error_subcode: 458
      })
    case "not_found":
      return graphError(400, {
        message: `Unsupported ${call.method.toLowerCase()} request. Object with ID '${objectId(denial.accountId)}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
        type: "GraphMethodException",
        code: 100,
        error_subcode: 33
      })
    case "not_authorized_for_account":
      return graphError(403, {
        message: "(#200) If posting to a page, requires both pages_read_engagement and pages_manage_posts as an admin with sufficient administrative permission",
        type: "OAuthException",
        code: 200
      })
    case "scope":
      return graphError(403, {
        message: `(#200) Requires ${denial.missing.join(" and ")} permission${denial.missing.length > 1 ? "s" : ""} to manage the object`,
        type: "OAuthException",
        code: 200
      })
    case "restricted":
      if (denial.variant === "checkpoint") {
        return tokenError({
          message: "Error validating access token: You cannot access the app till you log in to www.facebook.com and follow the instructions given.",
          type: "OAuthException",
          code: 190,
          error_subcode: 459
        })
      }
      return graphError(400, {
        message: "It looks like you were misusing this feature by going too fast. You've been temporarily blocked from using it.",
        type: "OAuthException",
        code: 368,
        error_subcode: 1390008,
        is_transient: false,
        error_user_title: "You're Temporarily Blocked",
        error_user_msg: "It looks like you were misusing this feature by going too fast. You've been temporarily blocked from using it."
      })
  }
}

/** Graph paths carry the bare Instagram user id; our account ids prefix it with "ig:". */
const objectId = (accountId: string): string => (accountId.startsWith("ig:") ? accountId.slice(3) : accountId)

const serverError = (status: number): SimResponse =>
  status === 503
    ? graphError(503, { message: "(#2) Service temporarily unavailable", type: "OAuthException", code: 2, is_transient: true })
    : graphError(status, {
        message: "An unexpected error has occurred. Please retry your request later.",
        type: "OAuthException",
        code: 2,
        is_transient: true
      })

const FULL_USAGE = { call_count: 100, total_cputime: 37, total_time: 52 }

const retryAfter = (options: RateLimitOptions): Readonly<Record<string, string>> =>
  options.retryAfterSec === undefined ? {} : { "retry-after": String(Math.ceil(options.retryAfterSec)) }

/**
 * Variants: "app" (code 4, HTTP 403, X-App-Usage), "page" (code 32, HTTP 400, X-Page-Usage) and
 * "buc" (80001 pages / 80002 Instagram, HTTP 400, X-Business-Use-Case-Usage with Meta's regain
 * estimate in minutes). Calls on a page or Instagram account default to "buc", others to "app".
 */
const rateLimit = (options: RateLimitOptions, call: CallInfo): SimResponse => {
  const variant = options.variant ?? (call.accountId === undefined ? "app" : "buc")
  if (variant === "app") {
    return graphError(
      403,
      { message: "(#4) Application request limit reached", type: "OAuthException", code: 4, is_transient: true },
      { "x-app-usage": JSON.stringify(FULL_USAGE), ...retryAfter(options) }
    )
  }
  if (variant === "page") {
    return graphError(
      400,
      { message: "(#32) Page request limit reached", type: "OAuthException", code: 32, is_transient: true },
      { "x-page-usage": JSON.stringify(FULL_USAGE), ...retryAfter(options) }
    )
  }
  const instagram = isInstagram(call)
  const id = objectId(call.accountId ?? "0")
  const minutes = options.retryAfterSec === undefined ? 0 : Math.ceil(options.retryAfterSec / 60)
  const usage = { [id]: [{ type: instagram ? "instagram" : "pages", ...FULL_USAGE, estimated_time_to_regain_access: minutes }] }
  return graphError(
    400,
    {
      message: instagram
        ? "(#80002) There have been too many calls to this Instagram account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting."
        : "(#80001) There have been too many calls to this Page account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
      type: "OAuthException",
      code: instagram ? 80002 : 80001,
      is_transient: true
    },
    { "x-business-use-case-usage": JSON.stringify(usage), ...retryAfter(options) }
  )
}

// Meta documents a daily cap only for Instagram publishing (9/2207042); Pages calls get it as well.
const quota = (options: RateLimitOptions): SimResponse =>
  graphError(
    400,
    {
      message: "Application request limit reached",
      type: "OAuthException",
      code: 9,
      error_subcode: 2207042,
      is_transient: false,
      error_user_title: "Maximum posts reached",
      error_user_msg: "You have reached the maximum number of posts that is allowed via API during a 24 hour period."
    },
    retryAfter(options)
  )

export const metaErrors: PlatformErrors = {
  denied,
  serverError,
  rateLimit,
  quota: (options) => quota(options),
  unknownPath: (call) => graphError(400, { message: `Unknown path components: ${call.path}`, type: "OAuthException", code: 2500 }),
  invalidRequest: (message) => graphError(400, { message: `(#100) ${message}`, type: "OAuthException", code: 100 })
}
