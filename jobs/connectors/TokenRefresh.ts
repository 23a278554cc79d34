// Refreshing an access token at a platform's OAuth token endpoint (LinkedIn, TikTok, Google). The
// token endpoint is the one place where the grant itself is judged, so a rejected grant there is
// TOKEN_REFRESH_FAILED whatever the platform classifier made of the response.
import { Clock, Effect, Redacted } from "effect"
import { field, stringField } from "../../core/classify/Fields.ts"
import type { TokenSet } from "../../core/publish/Connector.ts"
import type { Platform } from "../../core/taxonomy/Taxonomy.ts"
import { makeTaxonomyError, type TaxonomyError } from "../../core/taxonomy/TaxonomyError.ts"
import { unexpectedReply } from "./ConnectorFailure.ts"
import type { FormValue, PartnerHttp } from "./PartnerHttp.ts"

// Our client id or secret refused is an operator's problem: reconnecting cannot fix it, so the
// classifier's reading (UNKNOWN, for triage) stands even on a 400/401.
const OPERATOR_CODES = new Set(["invalid_client", "unauthorized_client"])

/** A 400/401 or an invalid_grant from the token endpoint means the refresh grant was rejected. */
export const isRejectedGrant = (error: TaxonomyError): boolean => {
  const code = error.partnerCode?.toLowerCase()
  if (code === "invalid_grant") return true
  if (code !== undefined && OPERATOR_CODES.has(code)) return false
  return error.httpStatus === 400 || error.httpStatus === 401
}

export const asRefreshFailure = (error: TaxonomyError): TaxonomyError =>
  error._tag === "TOKEN_REFRESH_FAILED" || !isRejectedGrant(error)
    ? error
    : makeTaxonomyError("TOKEN_REFRESH_FAILED", {
        message: `token endpoint rejected the refresh grant (${error.message})`,
        ...(error.platform !== undefined ? { platform: error.platform } : {}),
        ...(error.httpStatus !== undefined ? { httpStatus: error.httpStatus } : {}),
        ...(error.partnerCode !== undefined ? { partnerCode: error.partnerCode } : {}),
        ...(error.requestId !== undefined ? { requestId: error.requestId } : {})
      })

const nonEmpty = (value: string | undefined): string | undefined => (value === undefined || value.trim() === "" ? undefined : value)

/** Google separates scopes with spaces, LinkedIn with commas; TikTok has used both. */
export const splitScopes = (value: unknown): ReadonlyArray<string> | undefined => {
  if (typeof value === "string") return value.split(/[\s,]+/).filter((s) => s !== "")
  const list = Array.isArray(value) ? value : undefined
  return list?.filter((s): s is string => typeof s === "string" && s !== "")
}

/**
 * The token set in a token endpoint's 2xx reply; undefined without an access token. A missing or
 * empty refresh_token stays absent, so the caller keeps the stored one.
 */
export const tokenSetOf = (body: unknown, nowMs: number): TokenSet | undefined => {
  const accessToken = nonEmpty(stringField(body, "access_token"))
  if (accessToken === undefined) return undefined
  const refreshToken = nonEmpty(stringField(body, "refresh_token"))
  const expiresIn = field(body, "expires_in")
  const scopes = splitScopes(field(body, "scope")) ?? splitScopes(field(body, "scopes"))
  return {
    accessToken: Redacted.make(accessToken),
    ...(refreshToken === undefined ? {} : { refreshToken: Redacted.make(refreshToken) }),
    ...(typeof expiresIn === "number" && Number.isFinite(expiresIn) && expiresIn > 0
      ? { expiresAt: new Date(nowMs + expiresIn * 1000) }
      : {}),
    ...(scopes === undefined ? {} : { scopes })
  }
}

export const refreshAt = (
  http: PartnerHttp,
  request: { readonly platform: Platform; readonly url: string; readonly form: Readonly<Record<string, FormValue>> }
): Effect.Effect<TokenSet, TaxonomyError> =>
  Effect.gen(function* () {
    const reply = yield* http.call({ platform: request.platform, method: "POST", url: request.url, body: { form: request.form } })
    const tokens = tokenSetOf(reply.body, yield* Clock.currentTimeMillis)
    if (tokens === undefined) return yield* Effect.fail(unexpectedReply(request.platform, "token refresh", reply))
    return tokens
  }).pipe(Effect.mapError(asRefreshFailure))
