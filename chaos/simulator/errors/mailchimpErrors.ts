// Mailchimp Marketing API 3.0 problem documents (`application/problem+json`: type, title, status,
// detail, instance) with the stable titles the classifier keys on, and the OAuth token errors.
import type { OAuthErrorContext, OAuthErrorKind } from "../OAuthFlow.ts"
import { jsonResponse, type SimResponse } from "../SimResponse.ts"
import type { Denial, PlatformErrors, RateLimitOptions } from "../platforms/PlatformModule.ts"
import { requestId } from "./ErrorIds.ts"

const ERROR_DOCS = "https://mailchimp.com/developer/marketing/docs/errors/"

export const problem = (
  status: number,
  title: string,
  detail: string,
  extra: Readonly<Record<string, unknown>> = {},
  headers: Readonly<Record<string, string>> = {}
): SimResponse => {
  const instance = requestId()
  return {
    status,
    headers: { "content-type": "application/problem+json; charset=utf-8", "x-request-id": instance, ...headers },
    body: JSON.stringify({ type: ERROR_DOCS, title, status, detail, instance, ...extra })
  }
}

const KEY_INVALID = "Your API key may be invalid, or you've attempted to access the wrong datacenter."

export const resourceNotFound = (): SimResponse => problem(404, "Resource Not Found", "The requested resource could not be found.")

const denied = (denial: Denial): SimResponse => {
  switch (denial.kind) {
    case "missing_token":
      return problem(401, "API Key Missing", "Your request did not include an API key.")
    // OAuth tokens never expire and a de-authorized app looks the same: one answer for all three.
    case "invalid_token":
    case "expired":
    case "revoked":
      return problem(401, "API Key Invalid", KEY_INVALID)
    case "scope":
    case "not_authorized_for_account":
      return problem(403, "Forbidden", "You don't have permission to access this resource.")
    case "restricted":
      return problem(403, "User Disabled", "This account has been disabled.")
    case "not_found":
      return resourceNotFound()
  }
}

export const wrongDatacenter = (dc: string): SimResponse =>
  problem(403, "Wrong Datacenter", `The API key provided is linked to datacenter '${dc}'`)

const retryAfter = (options: RateLimitOptions): Readonly<Record<string, string>> =>
  options.retryAfterSec === undefined ? {} : { "retry-after": String(Math.ceil(options.retryAfterSec)) }

const tooMany = (options: RateLimitOptions): SimResponse =>
  problem(429, "Too Many Requests", "You have exceeded the limit of 10 simultaneous connections.", {}, retryAfter(options))

export const mailchimpTokenError = (kind: OAuthErrorKind, _context: OAuthErrorContext): SimResponse =>
  jsonResponse(kind === "invalid_client" ? 401 : 400, {
    error: kind,
    error_description:
      kind === "invalid_grant" ? "Invalid authorization code" : kind === "invalid_client" ? "Invalid client credentials" : "Invalid request"
  })

export const mailchimpErrors: PlatformErrors = {
  denied,
  serverError: (status) =>
    status === 503
      ? problem(503, "Service Unavailable", "The service is temporarily unavailable. Please try again later.")
      : problem(status, "Internal Server Error", "An unexpected internal error has occurred. Please contact Support for more information."),
  rateLimit: tooMany,
  // Mailchimp documents no daily cap; its only throttle is the connection limit.
  quota: tooMany,
  unknownPath: () => resourceNotFound(),
  invalidRequest: (message) =>
    problem(400, "Invalid Resource", "The resource submitted could not be validated. For field-specific details, see the 'errors' array.", {
      errors: [{ field: "", message }]
    })
}
