// The platforms' webhook signature schemes, as the partner computes them (partner-error-models.md,
// "Webhooks"): Meta's X-Hub-Signature-256 and signed_request, LinkedIn's challenge response and
// X-LI-Signature, TikTok's TikTok-Signature over "<t>.<body>". Google's push token is a JWT
// (GoogleSigningKey); Mailchimp signs nothing.
import { createHmac } from "node:crypto"

export const hmacSha256Hex = (secret: string, message: string): string => createHmac("sha256", secret).update(message, "utf8").digest("hex")

/** The secret a "wrong" signature is made with: anything but the app's. */
export const wrongSecret = (secret: string): string => `not-${secret}`

/** `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`. */
export const metaSignature256 = (appSecret: string, rawBody: string): string => `sha256=${hmacSha256Hex(appSecret, rawBody)}`

/** The legacy `X-Hub-Signature: sha1=<hex>` Meta still sends beside it. */
export const metaSignatureSha1 = (appSecret: string, rawBody: string): string =>
  `sha1=${createHmac("sha1", appSecret).update(rawBody, "utf8").digest("hex")}`

/**
 * A Facebook Login signed_request: `<base64url(sig)>.<base64url(payload)>`, the sig being
 * HMAC-SHA256(app secret, the payload segment as sent). An undefined secret leaves the sig empty.
 */
export const metaSignedRequest = (appSecret: string | undefined, payloadJson: string): string => {
  const payload = Buffer.from(payloadJson, "utf8").toString("base64url")
  const sig = appSecret === undefined ? "" : createHmac("sha256", appSecret).update(payload, "utf8").digest("base64url")
  return `${sig}.${payload}`
}

/** LinkedIn's challengeResponse: hex HMAC-SHA256(client secret, challengeCode). */
export const linkedinChallengeResponse = (clientSecret: string, challengeCode: string): string => hmacSha256Hex(clientSecret, challengeCode)

/** `TikTok-Signature: t=<unix sec>,s=<hex HMAC-SHA256(client secret, "<t>.<raw body>")>`. */
export const tiktokSignature = (clientSecret: string, timestampSec: number, rawBody: string): string =>
  `t=${timestampSec},s=${hmacSha256Hex(clientSecret, `${timestampSec}.${rawBody}`)}`
