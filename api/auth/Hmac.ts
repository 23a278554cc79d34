// HMAC-SHA256 as the API signs and checks its own tokens (the JWTs, the OAuth state) and the
// platforms' webhooks: the MAC, a constant-time comparison, and the check of a base64url signature
// as it was sent.
import { createHmac, timingSafeEqual } from "node:crypto"

/** One base64url segment as a compact token writes it: no padding, nothing else. */
export const BASE64URL_SEGMENT = /^[A-Za-z0-9_-]+$/

export const hmacSha256 = (key: Uint8Array | string, data: Uint8Array | string): Buffer => createHmac("sha256", key).update(data).digest()

/** Equal bytes, compared in constant time; different lengths are unequal (the length is not secret). */
export const constantTimeEqual = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && timingSafeEqual(a, b)

/** Why a signature was refused: not one canonical base64url segment, or not the MAC. */
type HmacRefusal = "malformed" | "mismatch"

/**
 * Checks `signature` (base64url, as sent) against HMAC-SHA256(key, signingInput). Only the canonical
 * spelling is accepted: another spelling of the same bytes is a different token, so "malformed".
 * Undefined when it is the MAC.
 */
export const verifyHmacSha256 = (key: Uint8Array, signingInput: string, signature: string): HmacRefusal | undefined => {
  if (!BASE64URL_SEGMENT.test(signature)) return "malformed"
  const given = Buffer.from(signature, "base64url")
  if (given.toString("base64url") !== signature) return "malformed"
  return constantTimeEqual(given, hmacSha256(key, signingInput)) ? undefined : "mismatch"
}
