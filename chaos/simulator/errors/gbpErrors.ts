// Google's google.rpc.Status envelope as Business Profile sends it (`{"error": {code, message,
// errors[], status, details[ErrorInfo]}}`, www-authenticate on token and scope errors), its HTML 404
// page for a path it does not serve, and the token endpoint's `{error, error_description}`.
import type { OAuthErrorContext, OAuthErrorKind } from "../OAuthFlow.ts"
import { htmlResponse, jsonResponse, type SimResponse } from "../SimResponse.ts"
import type { CallInfo, Denial, PlatformErrors, RateLimitOptions } from "../platforms/PlatformModule.ts"
import { GBP_SCOPE } from "../TokenPolicy.ts"

const SERVICE = "mybusiness.googleapis.com"
const CONSUMER = "projects/123456789012"

interface LegacyError {
  readonly message: string
  readonly domain: string
  readonly reason: string
  readonly location?: string
  readonly locationType?: string
}

export const googleError = (
  code: number,
  status: string,
  message: string,
  extra: { readonly errors?: ReadonlyArray<LegacyError>; readonly details?: ReadonlyArray<unknown> } = {},
  headers: Readonly<Record<string, string>> = {}
): SimResponse =>
  jsonResponse(
    code,
    { error: { code, message, ...(extra.errors === undefined ? {} : { errors: extra.errors }), status, ...(extra.details === undefined ? {} : { details: extra.details }) } },
    { vary: "Origin, X-Origin, Referer", ...headers }
  )

const errorInfo = (reason: string, metadata: Readonly<Record<string, string>> = {}): unknown => ({
  "@type": "type.googleapis.com/google.rpc.ErrorInfo",
  reason,
  domain: "googleapis.com",
  metadata: { service: SERVICE, ...metadata }
})

const INVALID_CREDENTIALS =
  "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."

const unauthenticated = (reason: string, message: string): SimResponse =>
  googleError(
    401,
    "UNAUTHENTICATED",
    message,
    {
      errors: [{ message: "Invalid Credentials", domain: "global", reason: "authError", location: "Authorization", locationType: "header" }],
      details: [errorInfo(reason)]
    },
    { "www-authenticate": 'Bearer realm="https://accounts.google.com/", error="invalid_token"' }
  )

const permissionDenied = (message: string): SimResponse =>
  googleError(403, "PERMISSION_DENIED", message, { errors: [{ message, domain: "global", reason: "forbidden" }] })

const denied = (denial: Denial, _call: CallInfo): SimResponse => {
  switch (denial.kind) {
    case "missing_token":
      return unauthenticated(
        "CREDENTIALS_MISSING",
        "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
      )
    // Google cannot tell a revoked grant from an unknown token on an API call.
    case "invalid_token":
    case "revoked":
      return unauthenticated("ACCESS_TOKEN_INVALID", INVALID_CREDENTIALS)
    case "expired":
      return unauthenticated("ACCESS_TOKEN_EXPIRED", INVALID_CREDENTIALS)
    case "scope":
      return googleError(
        403,
        "PERMISSION_DENIED",
        "Request had insufficient authentication scopes.",
        {
          errors: [{ message: "Insufficient Permission", domain: "global", reason: "insufficientPermissions" }],
          details: [errorInfo("ACCESS_TOKEN_SCOPE_INSUFFICIENT", { method: "google.mybusiness.v4.LocalPosts.CreateLocalPost" })]
        },
        { "www-authenticate": `Bearer realm="https://accounts.google.com/", error="insufficient_scope", scope="${GBP_SCOPE}"` }
      )
    case "not_authorized_for_account":
      return permissionDenied("The caller does not have permission")
    // Google documents no reason for a suspended location; it answers with the permission error.
    case "restricted":
      return permissionDenied(`The caller does not have permission: location ${denial.accountId} is suspended`)
    case "not_found":
      return googleError(404, "NOT_FOUND", "Requested entity was not found.", {
        errors: [{ message: "Requested entity was not found.", domain: "global", reason: "notFound" }]
      })
  }
}

const serverError = (status: number): SimResponse => {
  if (status === 503) {
    return googleError(503, "UNAVAILABLE", "The service is currently unavailable.", {
      errors: [{ message: "The service is currently unavailable.", domain: "global", reason: "backendError" }]
    })
  }
  if (status === 504) return googleError(504, "DEADLINE_EXCEEDED", "The request timed out.")
  return googleError(status, "INTERNAL", "Internal error encountered.", {
    errors: [{ message: "Internal error encountered.", domain: "global", reason: "backendError" }]
  })
}

const retryAfter = (options: RateLimitOptions): Readonly<Record<string, string>> =>
  options.retryAfterSec === undefined ? {} : { "retry-after": String(Math.ceil(options.retryAfterSec)) }

const exhausted = (reason: string, limit: string, limitValue: string, options: RateLimitOptions): SimResponse => {
  const message = `Quota exceeded for quota metric 'Requests' and limit '${limit}' of service '${SERVICE}' for consumer 'project_number:123456789012'.`
  return googleError(
    429,
    "RESOURCE_EXHAUSTED",
    message,
    {
      errors: [{ message, domain: "global", reason: "rateLimitExceeded" }],
      details: [
        errorInfo(reason, {
          consumer: CONSUMER,
          quota_metric: `${SERVICE}/default_requests`,
          quota_limit: limit,
          quota_limit_value: limitValue,
          quota_location: "global"
        })
      ]
    },
    retryAfter(options)
  )
}

const GOOGLE_404 = (path: string): string => `<!DOCTYPE html>
<html lang=en>
  <meta charset=utf-8>
  <title>Error 404 (Not Found)!!1</title>
  <p><b>404.</b> <ins>That’s an error.</ins>
  <p>The requested URL <code>${path.replace(/[<>&]/g, "")}</code> was not found on this server.  <ins>That’s all we know.</ins>
`

export const gbpTokenError = (kind: OAuthErrorKind, context: OAuthErrorContext): SimResponse => {
  if (kind === "invalid_client") return jsonResponse(401, { error: "invalid_client", error_description: "The OAuth client was not found." })
  if (kind === "invalid_grant") {
    return jsonResponse(400, { error: "invalid_grant", error_description: context === "refresh" ? "Token has been expired or revoked." : "Bad Request" })
  }
  if (kind === "unsupported_grant_type") return jsonResponse(400, { error: "unsupported_grant_type", error_description: "Invalid grant_type: " })
  return jsonResponse(400, { error: "invalid_request", error_description: "Missing required parameter" })
}

export const gbpErrors: PlatformErrors = {
  denied,
  serverError,
  rateLimit: (options) => exhausted("RATE_LIMIT_EXCEEDED", "DefaultRequestsPerMinutePerProject", "300", options),
  // Google's standard reason for a fixed (per-day) quota, as opposed to a per-minute rate.
  quota: (options) => exhausted("RESOURCE_QUOTA_EXCEEDED", "DefaultRequestsPerDayPerProject", "10000", options),
  unknownPath: (call) => htmlResponse(404, GOOGLE_404(call.path)),
  invalidRequest: (message) =>
    googleError(400, "INVALID_ARGUMENT", message, { errors: [{ message, domain: "global", reason: "badRequest" }] })
}
