// LinkedIn REST error envelopes `{status, serviceErrorCode, code, message}` (65600-65608 token and
// member codes, 100 ACCESS_DENIED, 101 throttles), the 422 DUPLICATE_POST envelope, the 426 for a
// retired LinkedIn-Version and the OAuth `{error, error_description}` shapes of /oauth/v2/accessToken.
import type { OAuthErrorContext, OAuthErrorKind } from "../OAuthFlow.ts"
import { jsonResponse, type SimResponse } from "../SimResponse.ts"
import type { CallInfo, Denial, PlatformErrors, RateLimitOptions } from "../platforms/PlatformModule.ts"
import { requestId } from "./ErrorIds.ts"

const liHeaders = (): Readonly<Record<string, string>> => ({ "x-li-uuid": requestId(), "x-restli-protocol-version": "2.0.0" })

export const linkedinError = (status: number, body: Readonly<Record<string, unknown>>, headers: Readonly<Record<string, string>> = {}): SimResponse =>
  jsonResponse(status, body, { ...liHeaders(), ...headers })

const service = (status: number, serviceErrorCode: number, code: string | undefined, message: string): SimResponse =>
  linkedinError(status, { status, serviceErrorCode, ...(code === undefined ? {} : { code }), message })

/** The documented wording: "Not enough permissions to access: POST /rest/posts". */
const accessDenied = (call: CallInfo): SimResponse =>
  service(403, 100, "ACCESS_DENIED", `Not enough permissions to access: ${call.method} ${call.path}`)

const denied = (denial: Denial, call: CallInfo): SimResponse => {
  switch (denial.kind) {
    case "missing_token":
      return linkedinError(401, { message: "Empty oauth2_access_token", serviceErrorCode: 401, status: 401 })
    case "invalid_token":
      return service(401, 65600, "INVALID_ACCESS_TOKEN", "Invalid access token")
    case "expired":
      return service(401, 65602, "EXPIRED_ACCESS_TOKEN", "The token used in the request has expired")
    case "revoked":
      return service(401, 65601, "REVOKED_ACCESS_TOKEN", "The token used in the request has been revoked by the user")
    case "restricted":
      return service(401, 65608, "RESTRICTED_MEMBER", "The member is restricted")
    case "not_found":
      return linkedinError(404, { status: 404, code: "RESOURCE_NOT_FOUND", message: `Entity ${denial.accountId} was not found` })
    case "not_authorized_for_account":
    case "scope":
      return accessDenied(call)
  }
}

const serverError = (status: number): SimResponse => {
  const message = status === 503 ? "Service Unavailable" : status === 504 ? "Gateway Timeout" : "Internal Server Error"
  return linkedinError(status, { message, status })
}

const retryAfter = (options: RateLimitOptions): Readonly<Record<string, string>> =>
  options.retryAfterSec === undefined ? {} : { "retry-after": String(Math.ceil(options.retryAfterSec)) }

export const nonexistentVersion = (requested: string | undefined): SimResponse =>
  linkedinError(426, { status: 426, code: "NONEXISTENT_VERSION", message: `Requested version ${requested ?? "(none)"} is not active` })

export const duplicatePost = (existing: string): SimResponse =>
  linkedinError(422, {
    errorDetailType: "com.linkedin.common.error.BadRequest",
    message: `ERROR :: /commentary :: Content is a duplicate of ${existing}`,
    errorDetails: {
      inputErrors: [{ description: `Content is a duplicate of ${existing}`, input: { inputPath: { fieldPath: "/commentary" } }, code: "DUPLICATE_POST" }]
    },
    status: 422
  })

const OAUTH_DESCRIPTIONS: { readonly [K in OAuthErrorKind]: string } = {
  invalid_request: "A required parameter is missing or malformed",
  invalid_client: "Client authentication failed",
  invalid_grant: "The provided authorization grant or refresh token is invalid, expired or revoked",
  unsupported_grant_type: "The grant type is not supported"
}

export const linkedinTokenError = (kind: OAuthErrorKind, _context: OAuthErrorContext): SimResponse =>
  linkedinError(kind === "invalid_client" ? 401 : 400, { error: kind, error_description: OAUTH_DESCRIPTIONS[kind] })

export const linkedinErrors: PlatformErrors = {
  denied,
  serverError,
  rateLimit: (options) =>
    linkedinError(
      429,
      { status: 429, serviceErrorCode: 101, message: "Resource level throttle limit for calls to this resource is reached." },
      retryAfter(options)
    ),
  quota: (options) =>
    linkedinError(
      429,
      { status: 429, serviceErrorCode: 101, message: "Resource level throttle APPLICATION DAY limit for calls to this resource is reached." },
      retryAfter(options)
    ),
  // "Resource X does not exist" is how LinkedIn answers a path it does not serve.
  unknownPath: (call) => linkedinError(404, { status: 404, message: `Resource ${call.path.split("/").filter(Boolean).pop() ?? ""} does not exist` }),
  invalidRequest: (message) => linkedinError(400, { status: 400, code: "ILLEGAL_ARGUMENT", message })
}
