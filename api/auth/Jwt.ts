// HS256 JSON Web Tokens, the way POSTD's frontend authenticates every API call: only HS256 is
// accepted (an `alg` of `none` or any other is refused before the signature is looked at), the
// signature is compared in constant time over the bytes as sent, and the claims are decoded with
// Schema: `sub`, `tenant_id`, `role` and an `exp` that must be in the future.
import { Result, Schema } from "effect"
import { BASE64URL_SEGMENT, hmacSha256, verifyHmacSha256 } from "./Hmac.ts"

const ROLES = ["member", "admin", "ops"] as const
export const Role = Schema.Literals(ROLES)
export type Role = typeof Role.Type

/** Who is calling: the subject, the tenant every query is scoped to, and what they may do. */
export interface Principal {
  readonly subject: string
  readonly tenantId: string
  readonly role: Role
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

const Claims = Schema.Struct({
  sub: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(256)),
  tenant_id: Schema.String.check(Schema.isPattern(UUID)),
  role: Role,
  exp: Schema.Number.check(Schema.isFinite()),
  nbf: Schema.optionalKey(Schema.Number.check(Schema.isFinite())),
  iat: Schema.optionalKey(Schema.Number.check(Schema.isFinite()))
})

const Header = Schema.Struct({ alg: Schema.String, typ: Schema.optionalKey(Schema.String) })

export type JwtRefusal = "missing" | "malformed" | "algorithm" | "signature" | "claims" | "expired" | "not_yet_valid"

/** Clock skew tolerated on exp and nbf. */
export const LEEWAY_SECONDS = 30

const b64urlJson = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url")

const parseSegment = (segment: string): unknown => {
  if (!BASE64URL_SEGMENT.test(segment)) return undefined
  try {
    return JSON.parse(Buffer.from(segment, "base64url").toString("utf8"))
  } catch {
    return undefined
  }
}

/** A token for `principal`, valid `ttlSeconds` from `nowSeconds` (the local run's dev token, tests). */
export const issueJwt = (secret: Uint8Array, principal: Principal, nowSeconds: number, ttlSeconds: number): string => {
  const signingInput = `${b64urlJson({ alg: "HS256", typ: "JWT" })}.${b64urlJson({
    sub: principal.subject,
    tenant_id: principal.tenantId,
    role: principal.role,
    iat: nowSeconds,
    exp: nowSeconds + ttlSeconds
  })}`
  return `${signingInput}.${hmacSha256(secret, signingInput).toString("base64url")}`
}

const decodeClaims = Schema.decodeUnknownResult(Claims)
const decodeHeader = Schema.decodeUnknownResult(Header)

/** Verifies a compact JWS; the reason a token is refused never reveals anything about the secret. */
export const verifyJwt = (secret: Uint8Array, token: string, nowSeconds: number): Result.Result<Principal, JwtRefusal> => {
  const parts = token.split(".")
  if (parts.length !== 3) return Result.fail("malformed")
  const [headerText = "", payloadText = "", signatureText = ""] = parts
  const header = decodeHeader(parseSegment(headerText))
  if (Result.isFailure(header)) return Result.fail("malformed")
  if (header.success.alg !== "HS256") return Result.fail("algorithm")
  const refusal = verifyHmacSha256(secret, `${headerText}.${payloadText}`, signatureText)
  if (refusal !== undefined) return Result.fail(refusal === "malformed" ? "malformed" : "signature")
  const claims = decodeClaims(parseSegment(payloadText))
  if (Result.isFailure(claims)) return Result.fail("claims")
  if (claims.success.exp + LEEWAY_SECONDS <= nowSeconds) return Result.fail("expired")
  if (claims.success.nbf !== undefined && claims.success.nbf - LEEWAY_SECONDS > nowSeconds) return Result.fail("not_yet_valid")
  return Result.succeed({ subject: claims.success.sub, tenantId: claims.success.tenant_id.toLowerCase(), role: claims.success.role })
}

/** The token of an `Authorization: Bearer <token>` header; undefined for anything else. */
export const bearerToken = (header: string | undefined): string | undefined => {
  const match = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header ?? "")
  return match?.[1]
}
