// The OAuth `state` of a connect or reconnect: what the flow is for (tenant, platform, connection,
// reason, who started it, the backfill opt-in), signed with the API's state key and expiring. It is
// stateless until used; its single use is recorded when the callback consumes it (OAuthStateRepo).
// The PKCE verifier is derived from the state's id with the same key, so it is never stored.
import { createHash } from "node:crypto"
import { Result, Schema } from "effect"
import { ErrorCode, Platform } from "../../core/taxonomy/Taxonomy.ts"
import { OAUTH_PURPOSES } from "../../db/DatabaseSchema.ts"
import { BASE64URL_SEGMENT, hmacSha256 as mac, verifyHmacSha256 } from "../auth/Hmac.ts"

const OAuthPurpose = Schema.Literals(OAUTH_PURPOSES)

const Claims = Schema.Struct({
  /** Random id: the key of its single use and the PKCE seed. */
  id: Schema.String,
  tenantId: Schema.String,
  platform: Platform,
  purpose: OAuthPurpose,
  connectionId: Schema.optionalKey(Schema.String),
  reason: Schema.optionalKey(ErrorCode),
  brandId: Schema.String,
  /** The JWT subject who asked for the link. */
  actor: Schema.String,
  backfill: Schema.Boolean,
  /** Epoch seconds. */
  expiresAt: Schema.Number
})
export type OAuthStateClaims = typeof Claims.Type

export type StateRefusal = "malformed" | "signature" | "expired"

const VERSION = "s1"
export const signState = (key: Uint8Array, claims: OAuthStateClaims): string => {
  const payload = Buffer.from(JSON.stringify(claims)).toString("base64url")
  return `${VERSION}.${payload}.${mac(key, `${VERSION}.${payload}`).toString("base64url")}`
}

const decodeClaims = Schema.decodeUnknownResult(Schema.fromJsonString(Claims))

export const verifyState = (key: Uint8Array, token: string, nowSeconds: number): Result.Result<OAuthStateClaims, StateRefusal> => {
  const parts = token.split(".")
  if (parts.length !== 3 || parts[0] !== VERSION) return Result.fail("malformed")
  const [, payload = "", signature = ""] = parts
  if (!BASE64URL_SEGMENT.test(payload) || !BASE64URL_SEGMENT.test(signature)) return Result.fail("malformed")
  // Past the segment check, a signature spelled other than canonically is refused like a wrong one.
  if (verifyHmacSha256(key, `${VERSION}.${payload}`, signature) !== undefined) return Result.fail("signature")
  const claims = decodeClaims(Buffer.from(payload, "base64url").toString("utf8"))
  if (Result.isFailure(claims)) return Result.fail("malformed")
  if (claims.success.expiresAt <= nowSeconds) return Result.fail("expired")
  return Result.succeed(claims.success)
}

/** RFC 7636 verifier (43 characters of base64url) for the state `id`, and its S256 challenge. */
export const pkceFor = (key: Uint8Array, id: string): { readonly verifier: string; readonly challenge: string } => {
  const verifier = mac(key, `pkce.${id}`).toString("base64url")
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") }
}

/** The start path of a flow: `/api/oauth/{platform}/start?…&state=…`, the parameters mirroring the state. */
export const startPath = (claims: OAuthStateClaims, state: string): string => {
  const params = new URLSearchParams()
  if (claims.purpose === "reconnect") {
    params.set("reconnect", "true")
    if (claims.connectionId !== undefined) params.set("prev_connection", claims.connectionId)
    if (claims.reason !== undefined) params.set("reason", claims.reason)
  }
  params.set("state", state)
  return `/api/oauth/${claims.platform}/start?${params.toString()}`
}

/** The start link's visible parameters must be the ones the state was signed with. */
export const startParamsMatch = (claims: OAuthStateClaims, query: URLSearchParams): boolean => {
  const reconnect = claims.purpose === "reconnect"
  const flag = query.get("reconnect")
  if (reconnect ? flag !== "true" : flag !== null && flag !== "false") return false
  if (!reconnect) return query.get("prev_connection") === null && query.get("reason") === null
  return query.get("prev_connection") === (claims.connectionId ?? null) && query.get("reason") === (claims.reason ?? null)
}
