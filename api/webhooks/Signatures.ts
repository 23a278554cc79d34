// Each platform's webhook signature scheme, checked on the raw bytes as received and compared in
// constant time (partner-error-models.md, "Webhooks"): Meta's X-Hub-Signature-256 and its
// deauthorize callback's signed_request (HMAC-SHA256 only), LinkedIn's X-LI-Signature and its
// challengeCode answer, TikTok's `t=…,s=…` over `t.body` with a timestamp tolerance, Google's OIDC
// push token (RS256 against the JWKS; issuer, audience, service account), and Mailchimp's secret in
// the URL. A refusal never says anything about the secret.
import { createPublicKey, type JsonWebKey, verify } from "node:crypto"
import { Result, Schema } from "effect"
import { constantTimeEqual, hmacSha256 as hmac } from "../auth/Hmac.ts"

export type SignatureRefusal = "missing" | "wrong" | "stale" | "algorithm"

const HEX = /^[0-9a-f]{64}$/i

const hexEqual = (given: string, expected: Buffer): boolean => HEX.test(given) && constantTimeEqual(Buffer.from(given, "hex"), expected)

/** Meta Graph webhooks: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`. */
export const verifyHubSignature = (appSecret: string, raw: Uint8Array, header: string | undefined): SignatureRefusal | undefined => {
  if (header === undefined || header.trim() === "") return "missing"
  const match = /^sha256=([0-9a-fA-F]+)$/.exec(header.trim())
  return match?.[1] !== undefined && hexEqual(match[1], hmac(appSecret, raw)) ? undefined : "wrong"
}

const B64URL = /^[A-Za-z0-9_-]+={0,2}$/

/**
 * Facebook Login's `signed_request` = `<base64url(sig)>.<base64url(payload)>`: HMAC-SHA256 of the
 * payload segment as sent, the payload's algorithm HMAC-SHA256 and nothing else, issued within the
 * tolerance. Returns the payload's JSON text.
 */
export const verifySignedRequest = (
  appSecret: string,
  signedRequest: string | undefined,
  nowSeconds: number,
  toleranceSeconds: number
): Result.Result<string, SignatureRefusal> => {
  if (signedRequest === undefined || signedRequest === "") return Result.fail("missing")
  const [sigPart, payloadPart, ...rest] = signedRequest.split(".")
  if (sigPart === undefined || payloadPart === undefined || rest.length > 0 || !B64URL.test(sigPart) || !B64URL.test(payloadPart)) return Result.fail("wrong")
  if (!constantTimeEqual(Buffer.from(sigPart, "base64url"), hmac(appSecret, payloadPart))) return Result.fail("wrong")
  const text = Buffer.from(payloadPart, "base64url").toString("utf8")
  const header = Schema.decodeUnknownResult(Schema.fromJsonString(Schema.Struct({ algorithm: Schema.String, issued_at: Schema.optionalKey(Schema.Number) })))(text)
  if (Result.isFailure(header)) return Result.succeed(text)
  if (header.success.algorithm.toUpperCase() !== "HMAC-SHA256") return Result.fail("algorithm")
  const issuedAt = header.success.issued_at
  if (issuedAt !== undefined && Math.abs(nowSeconds - issuedAt) > toleranceSeconds) return Result.fail("stale")
  return Result.succeed(text)
}

/**
 * LinkedIn events: `X-LI-Signature: <hex HMAC-SHA256(client secret, …)>`, with an optional
 * `hmacsha256=` prefix. LinkedIn's documentation is read both as signing the raw body and as signing
 * `"hmacsha256=" + body`; both are keyed with the client secret, so accepting either admits nobody
 * without it.
 */
export const verifyLinkedInSignature = (clientSecret: string, raw: Uint8Array, header: string | undefined): SignatureRefusal | undefined => {
  if (header === undefined || header.trim() === "") return "missing"
  const given = header.trim().replace(/^hmacsha256=/i, "")
  const prefixed = Buffer.concat([Buffer.from("hmacsha256="), raw])
  return hexEqual(given, hmac(clientSecret, raw)) || hexEqual(given, hmac(clientSecret, prefixed)) ? undefined : "wrong"
}

/** The answer to LinkedIn's validation: `{ challengeCode, challengeResponse: hex HMAC-SHA256(client secret, code) }`. */
export const linkedInChallengeResponse = (clientSecret: string, challengeCode: string): string => hmac(clientSecret, challengeCode).toString("hex")

/** TikTok: `TikTok-Signature: t=<unix>,s=<hex HMAC-SHA256(client secret, "<t>.<raw body>")>`, t within the tolerance. */
export const verifyTikTokSignature = (
  clientSecret: string,
  raw: Uint8Array,
  header: string | undefined,
  nowSeconds: number,
  toleranceSeconds: number
): SignatureRefusal | undefined => {
  if (header === undefined || header.trim() === "") return "missing"
  const parts = new Map(
    header.split(",").map((part) => {
      const at = part.indexOf("=")
      return [part.slice(0, at).trim(), part.slice(at + 1).trim()] as const
    })
  )
  const t = parts.get("t") ?? ""
  const s = parts.get("s") ?? ""
  if (!/^\d{1,12}$/.test(t) || s === "") return "wrong"
  const expected = hmac(clientSecret, Buffer.concat([Buffer.from(`${t}.`), raw]))
  if (!hexEqual(s, expected)) return "wrong"
  return Math.abs(nowSeconds - Number(t)) > toleranceSeconds ? "stale" : undefined
}

/** Mailchimp has no signature: an unguessable secret in the URL's query string. */
export const verifyUrlSecret = (expected: string, given: string | null): SignatureRefusal | undefined => {
  if (given === null || given === "") return "missing"
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return constantTimeEqual(a, b) ? undefined : "wrong"
}

// Google's OIDC token on a Pub/Sub push

export const GOOGLE_ISSUERS: ReadonlySet<string> = new Set(["https://accounts.google.com", "accounts.google.com"])

const JwtHeader = Schema.Struct({ alg: Schema.String, kid: Schema.optionalKey(Schema.String), typ: Schema.optionalKey(Schema.String) })
const PushClaims = Schema.Struct({
  iss: Schema.String,
  aud: Schema.String,
  email: Schema.String,
  email_verified: Schema.Boolean,
  exp: Schema.Number,
  iat: Schema.Number
})

export interface PushExpectation {
  readonly audience: string
  readonly serviceAccount: string
  readonly nowSeconds: number
}

/** Clock skew allowed between Google and us. */
export const PUSH_CLOCK_SKEW_SECONDS = 60

export type PushTokenRefusal = SignatureRefusal | "unknown_key"

const segment = (text: string): unknown => {
  try {
    return JSON.parse(Buffer.from(text, "base64url").toString("utf8"))
  } catch {
    return undefined
  }
}

/** The `kid` of a bearer JWT, to find its key before verifying (an unknown kid refreshes the JWKS). */
export const jwtKeyId = (token: string): string | undefined => {
  const header = Schema.decodeUnknownResult(JwtHeader)(segment(token.split(".")[0] ?? ""))
  return Result.isSuccess(header) ? header.success.kid : undefined
}

/**
 * `Authorization: Bearer <JWT>`: RS256 only, signed by the key of its `kid`, issued by Google for our
 * audience and our push service account (verified e-mail), not expired (Google's push tokens live an
 * hour; `exp` is the timestamp they carry) and not issued in the future beyond the clock skew.
 */
export const verifyPushToken = (
  token: string | undefined,
  keys: ReadonlyMap<string, JsonWebKey>,
  expect: PushExpectation
): PushTokenRefusal | undefined => {
  if (token === undefined || token === "") return "missing"
  const parts = token.split(".")
  if (parts.length !== 3 || !parts.every((p) => B64URL.test(p))) return "wrong"
  const [headerText = "", claimsText = "", signatureText = ""] = parts
  const header = Schema.decodeUnknownResult(JwtHeader)(segment(headerText))
  if (Result.isFailure(header)) return "wrong"
  if (header.success.alg !== "RS256") return "algorithm"
  const jwk = header.success.kid === undefined ? undefined : keys.get(header.success.kid)
  if (jwk === undefined) return "unknown_key"
  let valid: boolean
  try {
    valid = verify("RSA-SHA256", Buffer.from(`${headerText}.${claimsText}`), createPublicKey({ key: jwk, format: "jwk" }), Buffer.from(signatureText, "base64url"))
  } catch {
    return "wrong"
  }
  if (!valid) return "wrong"
  const claims = Schema.decodeUnknownResult(PushClaims)(segment(claimsText))
  if (Result.isFailure(claims)) return "wrong"
  const c = claims.success
  if (!GOOGLE_ISSUERS.has(c.iss) || c.aud !== expect.audience || c.email !== expect.serviceAccount || !c.email_verified) return "wrong"
  if (c.exp + PUSH_CLOCK_SKEW_SECONDS <= expect.nowSeconds || c.iat > expect.nowSeconds + PUSH_CLOCK_SKEW_SECONDS) return "stale"
  return undefined
}
