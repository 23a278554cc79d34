import { createHmac, generateKeyPairSync, type JsonWebKey, sign } from "node:crypto"
import { Result } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import {
  linkedInChallengeResponse,
  verifyHubSignature,
  verifyLinkedInSignature,
  verifyPushToken,
  verifySignedRequest,
  verifyTikTokSignature,
  verifyUrlSecret
} from "./Signatures.ts"

const SECRET = "app-secret-1"
const NOW = 1_800_000_000
const body = Buffer.from('{"object":"permissions","entry":[]}')
const hex = (key: string, data: Uint8Array | string) => createHmac("sha256", key).update(data).digest("hex")
const b64url = (data: Uint8Array | string) => Buffer.from(data).toString("base64url")

describe("Meta X-Hub-Signature-256", () => {
  it("accepts the HMAC of the raw body and refuses a missing, wrong or re-encoded one", () => {
    expect(verifyHubSignature(SECRET, body, `sha256=${hex(SECRET, body)}`)).toBeUndefined()
    expect(verifyHubSignature(SECRET, body, undefined)).toBe("missing")
    expect(verifyHubSignature(SECRET, body, `sha256=${hex("other", body)}`)).toBe("wrong")
    expect(verifyHubSignature(SECRET, body, `sha1=${hex(SECRET, body)}`)).toBe("wrong")
    // The same JSON with other whitespace is other bytes: not what was signed.
    expect(verifyHubSignature(SECRET, Buffer.from('{"object": "permissions","entry":[]}'), `sha256=${hex(SECRET, body)}`)).toBe("wrong")
  })

  it("refuses every body it was not computed for (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (other) => {
        fc.pre(!Buffer.from(other).equals(body))
        expect(verifyHubSignature(SECRET, other, `sha256=${hex(SECRET, body)}`)).toBe("wrong")
      })
    )
  })
})

describe("Meta signed_request", () => {
  const signed = (payload: unknown, key = SECRET) => {
    const p = b64url(JSON.stringify(payload))
    return `${createHmac("sha256", key).update(p).digest("base64url")}.${p}`
  }
  it("verifies the payload segment as sent and returns its JSON", () => {
    const result = verifySignedRequest(SECRET, signed({ algorithm: "HMAC-SHA256", issued_at: NOW, user_id: "42" }), NOW, 300)
    expect(Result.isSuccess(result) && JSON.parse(result.success)).toEqual({ algorithm: "HMAC-SHA256", issued_at: NOW, user_id: "42" })
  })
  it("refuses another algorithm, another key, a stale issue time, and no signed_request", () => {
    expect(verifySignedRequest(SECRET, signed({ algorithm: "none", issued_at: NOW, user_id: "42" }), NOW, 300)).toEqual(Result.fail("algorithm"))
    expect(verifySignedRequest(SECRET, signed({ algorithm: "HMAC-SHA256", issued_at: NOW }, "other"), NOW, 300)).toEqual(Result.fail("wrong"))
    expect(verifySignedRequest(SECRET, signed({ algorithm: "HMAC-SHA256", issued_at: NOW - 301, user_id: "42" }), NOW, 300)).toEqual(Result.fail("stale"))
    expect(verifySignedRequest(SECRET, undefined, NOW, 300)).toEqual(Result.fail("missing"))
    expect(verifySignedRequest(SECRET, "no-dot", NOW, 300)).toEqual(Result.fail("wrong"))
  })
})

describe("LinkedIn", () => {
  it("answers the challengeCode with its HMAC and verifies X-LI-Signature with or without its prefix", () => {
    expect(linkedInChallengeResponse(SECRET, "f1b2")).toBe(hex(SECRET, "f1b2"))
    expect(verifyLinkedInSignature(SECRET, body, hex(SECRET, body))).toBeUndefined()
    expect(verifyLinkedInSignature(SECRET, body, `hmacsha256=${hex(SECRET, body)}`)).toBeUndefined()
    expect(verifyLinkedInSignature(SECRET, body, hex("x", body))).toBe("wrong")
    expect(verifyLinkedInSignature(SECRET, body, "")).toBe("missing")
  })
})

describe("TikTok-Signature", () => {
  const header = (t: number, key = SECRET, raw: Uint8Array = body) => `t=${t},s=${hex(key, Buffer.concat([Buffer.from(`${t}.`), raw]))}`
  it("verifies t.body and refuses a stale t, a wrong key, a changed t and no header", () => {
    expect(verifyTikTokSignature(SECRET, body, header(NOW), NOW, 300)).toBeUndefined()
    expect(verifyTikTokSignature(SECRET, body, header(NOW - 301), NOW, 300)).toBe("stale")
    expect(verifyTikTokSignature(SECRET, body, header(NOW, "other"), NOW, 300)).toBe("wrong")
    expect(verifyTikTokSignature(SECRET, body, header(NOW).replace(`t=${NOW}`, `t=${NOW + 1}`), NOW, 300)).toBe("wrong")
    expect(verifyTikTokSignature(SECRET, body, undefined, NOW, 300)).toBe("missing")
  })
})

describe("Mailchimp URL secret", () => {
  it("compares the secret in constant time", () => {
    expect(verifyUrlSecret("s3cret", "s3cret")).toBeUndefined()
    expect(verifyUrlSecret("s3cret", "s3creT")).toBe("wrong")
    expect(verifyUrlSecret("s3cret", "s3cret-longer")).toBe("wrong")
    expect(verifyUrlSecret("s3cret", null)).toBe("missing")
  })
})

describe("Google push token", () => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 })
  const other = generateKeyPairSync("rsa", { modulusLength: 2048 })
  const jwk = publicKey.export({ format: "jwk" }) as JsonWebKey
  const keys = new Map([["k1", jwk]])
  const expect_ = { audience: "https://api.example/api/webhooks/gbp", serviceAccount: "push@p.iam.gserviceaccount.com", nowSeconds: NOW }
  const token = (claims: Record<string, unknown>, options: { readonly alg?: string; readonly kid?: string; readonly key?: typeof privateKey } = {}) => {
    const input = `${b64url(JSON.stringify({ alg: options.alg ?? "RS256", kid: options.kid ?? "k1", typ: "JWT" }))}.${b64url(
      JSON.stringify({ iss: "https://accounts.google.com", aud: expect_.audience, email: expect_.serviceAccount, email_verified: true, iat: NOW - 10, exp: NOW + 3_590, ...claims })
    )}`
    return `${input}.${sign("RSA-SHA256", Buffer.from(input), options.key ?? privateKey).toString("base64url")}`
  }
  it("accepts Google's token for our audience and service account", () => {
    expect(verifyPushToken(token({}), keys, expect_)).toBeUndefined()
    expect(verifyPushToken(token({ iss: "accounts.google.com" }), keys, expect_)).toBeUndefined()
  })
  it("refuses another key, issuer, audience, account, an unverified e-mail, an expired token, another algorithm, an unknown key id", () => {
    expect(verifyPushToken(token({}, { key: other.privateKey }), keys, expect_)).toBe("wrong")
    expect(verifyPushToken(token({ iss: "https://evil.example" }), keys, expect_)).toBe("wrong")
    expect(verifyPushToken(token({ aud: "https://elsewhere" }), keys, expect_)).toBe("wrong")
    expect(verifyPushToken(token({ email: "someone@else.com" }), keys, expect_)).toBe("wrong")
    expect(verifyPushToken(token({ email_verified: false }), keys, expect_)).toBe("wrong")
    expect(verifyPushToken(token({ exp: NOW - 120, iat: NOW - 3_720 }), keys, expect_)).toBe("stale")
    expect(verifyPushToken(token({}, { alg: "HS256" }), keys, expect_)).toBe("algorithm")
    expect(verifyPushToken(token({}, { kid: "k9" }), keys, expect_)).toBe("unknown_key")
    expect(verifyPushToken(undefined, keys, expect_)).toBe("missing")
  })
})
