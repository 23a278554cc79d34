// The OAuth 2.0 token-endpoint envelope `{"error": "<string>", "error_description"}` (RFC 6749
// §5.2, RFC 6750 §3.1), shared by LinkedIn, TikTok and Google. We only call token endpoints to
// refresh, so a rejected grant or request there means the refresh failed.
import type { ErrorCode } from "../taxonomy/Taxonomy.ts"
import { field, shortText } from "./Fields.ts"
import { type Verdict, verdict } from "./Verdict.ts"

const OAUTH_ERRORS = new Map<string, { readonly code: ErrorCode; readonly why: string }>([
  ["invalid_grant", { code: "TOKEN_REFRESH_FAILED", why: "refresh grant rejected (expired or revoked)" }],
  // LinkedIn answers a bad refresh token with invalid_request; TikTok with malformed parameters.
  ["invalid_request", { code: "TOKEN_REFRESH_FAILED", why: "refresh request rejected" }],
  // Our client id or secret is wrong: reconnecting cannot help, an operator has to fix the app config.
  ["invalid_client", { code: "UNKNOWN", why: "our client credentials were rejected (operator)" }],
  ["unauthorized_client", { code: "UNKNOWN", why: "our client may not use this grant (operator)" }],
  ["unsupported_grant_type", { code: "VALIDATION_ERROR", why: "grant type not supported" }],
  ["access_denied", { code: "PERMISSION_INSUFFICIENT", why: "access denied by the user or the platform" }],
  ["invalid_scope", { code: "PERMISSION_INSUFFICIENT", why: "requested scope invalid or not granted" }],
  ["insufficient_scope", { code: "PERMISSION_INSUFFICIENT", why: "token lacks the scope" }],
  ["invalid_token", { code: "AUTH_INVALID", why: "token invalid" }],
  ["server_error", { code: "PARTNER_5XX", why: "authorization server error" }],
  ["temporarily_unavailable", { code: "PARTNER_UNAVAILABLE", why: "authorization server unavailable" }]
])

/** Undefined when the body is not an OAuth error envelope or names an error we do not know. */
export const classifyOAuthError = (
  body: unknown,
  platform: string,
  evidence: Omit<Verdict, "code" | "reason" | "partnerCode"> = {}
): Verdict | undefined => {
  const error = field(body, "error")
  if (typeof error !== "string") return undefined
  const name = error.trim().toLowerCase()
  const known = OAUTH_ERRORS.get(name)
  if (known === undefined) return undefined
  return verdict(known.code, `${platform} oauth error ${name}: ${known.why}`, {
    ...evidence,
    partnerCode: shortText(name)
  })
}
