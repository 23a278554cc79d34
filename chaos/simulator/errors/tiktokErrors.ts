// TikTok API v2 envelopes `{"data": {}, "error": {code, message, log_id}}` with the documented
// codes and statuses, and the OAuth `{error, error_description, log_id}` of /v2/oauth/token/.
import type { OAuthErrorContext, OAuthErrorKind } from "../OAuthFlow.ts"
import { jsonResponse, type SimResponse } from "../SimResponse.ts"
import type { CallInfo, Denial, PlatformErrors, RateLimitOptions } from "../platforms/PlatformModule.ts"
import { tiktokLogId } from "./ErrorIds.ts"

export const tiktokError = (status: number, code: string, message: string, headers: Readonly<Record<string, string>> = {}): SimResponse => {
  const logId = tiktokLogId()
  return jsonResponse(status, { data: {}, error: { code, message, log_id: logId } }, { "x-tt-logid": logId, ...headers })
}

const TOKEN_INVALID = "The access token is invalid or not found in the request."

export const invalidPublishId = (): SimResponse => tiktokError(400, "invalid_publish_id", "The publish_id does not exist or has been deleted.")

const STATUS_FETCH = "/v2/post/publish/status/fetch/"

const denied = (denial: Denial, call: CallInfo): SimResponse => {
  switch (denial.kind) {
    // TikTok has one code for a missing, unknown, expired or revoked token.
    case "missing_token":
    case "invalid_token":
    case "expired":
    case "revoked":
    case "not_authorized_for_account":
      return tiktokError(401, "access_token_invalid", TOKEN_INVALID)
    case "scope":
      return tiktokError(401, "scope_not_authorized", "The user did not authorize the scope required for completing this request.")
    case "restricted":
      return tiktokError(403, "spam_risk_user_banned_from_posting", "The user is banned from making new posts.")
    // A deleted creator's publishes are gone (the documented invalid_publish_id); anything else the
    // creator's token can no longer do is answered as TikTok answers a dead token.
    case "not_found":
      return call.template === STATUS_FETCH ? invalidPublishId() : tiktokError(401, "access_token_invalid", TOKEN_INVALID)
  }
}

const retryAfter = (options: RateLimitOptions): Readonly<Record<string, string>> =>
  options.retryAfterSec === undefined ? {} : { "retry-after": String(Math.ceil(options.retryAfterSec)) }

export const tiktokTokenError = (kind: OAuthErrorKind, context: OAuthErrorContext): SimResponse => {
  const description =
    kind === "invalid_client"
      ? "Client key or secret is incorrect."
      : kind === "invalid_grant"
        ? context === "refresh"
          ? "Refresh token is invalid or expired."
          : "Authorization code is expired."
        : kind === "unsupported_grant_type"
          ? "Grant type is not supported."
          : "The request parameters are malformed."
  const logId = tiktokLogId()
  return jsonResponse(kind === "invalid_client" ? 401 : 400, { error: kind, error_description: description, log_id: logId }, { "x-tt-logid": logId })
}

export const tiktokErrors: PlatformErrors = {
  denied,
  serverError: (status) => tiktokError(status, "internal_error", "Something went wrong. Please try again later."),
  rateLimit: (options) => tiktokError(429, "rate_limit_exceeded", "API rate limit exceeded, please retry later.", retryAfter(options)),
  quota: (options) => tiktokError(403, "spam_risk_too_many_posts", "The daily post cap from the API is reached for the current user.", retryAfter(options)),
  unknownPath: () => tiktokError(404, "invalid_params", "The requested path is not supported."),
  invalidRequest: (message) => tiktokError(400, "invalid_params", message)
}
