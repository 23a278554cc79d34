import { createHmac } from "node:crypto"
import { Result } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { bearerToken, issueJwt, LEEWAY_SECONDS, type Principal, verifyJwt } from "./Jwt.ts"

const KEY = new Uint8Array(Buffer.from("unit-test-secret-0123456789abcdef-0123456789"))
const NOW = 1_800_000_000
const ALICE: Principal = { subject: "alice", tenantId: "4f0c8a55-2b8e-4a1c-9f43-5f1d2e3c4b5a", role: "admin" }

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url")
const signed = (header: unknown, payload: unknown, key = KEY): string => {
  const input = `${b64(header)}.${b64(payload)}`
  return `${input}.${createHmac("sha256", key).update(input).digest("base64url")}`
}
const claims = (extra: Record<string, unknown> = {}) => ({ sub: "alice", tenant_id: ALICE.tenantId, role: "admin", exp: NOW + 60, ...extra })

describe("verifyJwt", () => {
  it("accepts the tokens it issues and reads sub, tenant_id and role", () => {
    expect(verifyJwt(KEY, issueJwt(KEY, ALICE, NOW, 60), NOW)).toEqual(Result.succeed(ALICE))
  })

  it("refuses an expired token (beyond the leeway) and one not valid yet", () => {
    const token = issueJwt(KEY, ALICE, NOW, 60)
    expect(verifyJwt(KEY, token, NOW + 60 + LEEWAY_SECONDS - 1)._tag).toBe("Success")
    expect(verifyJwt(KEY, token, NOW + 60 + LEEWAY_SECONDS)).toEqual(Result.fail("expired"))
    expect(verifyJwt(KEY, signed({ alg: "HS256" }, claims({ nbf: NOW + 3_600 })), NOW)).toEqual(Result.fail("not_yet_valid"))
  })

  it("refuses alg none, RS256 and HS512 before looking at the signature", () => {
    for (const alg of ["none", "RS256", "HS512", "hs256"]) {
      expect(verifyJwt(KEY, signed({ alg, typ: "JWT" }, claims()), NOW)).toEqual(Result.fail("algorithm"))
    }
    const unsigned = `${b64({ alg: "none" })}.${b64(claims())}.`
    expect(verifyJwt(KEY, unsigned, NOW)).toEqual(Result.fail("algorithm"))
  })

  it("refuses another key's signature and claims outside the contract", () => {
    const other = new Uint8Array(Buffer.from("another-secret-0123456789abcdef-0123456789"))
    expect(verifyJwt(KEY, issueJwt(other, ALICE, NOW, 60), NOW)).toEqual(Result.fail("signature"))
    for (const bad of [{ role: "root" }, { tenant_id: "tenant-a" }, { sub: "" }, { exp: "tomorrow" }, { exp: undefined }]) {
      expect(verifyJwt(KEY, signed({ alg: "HS256" }, claims(bad)), NOW)).toEqual(Result.fail("claims"))
    }
  })

  it("refuses any change to a signed token (property)", () => {
    const token = issueJwt(KEY, ALICE, NOW, 3_600)
    fc.assert(
      fc.property(fc.nat(token.length - 1), fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."), (at, char) => {
        fc.pre(token[at] !== char)
        const changed = `${token.slice(0, at)}${char}${token.slice(at + 1)}`
        expect(verifyJwt(KEY, changed, NOW)._tag).toBe("Failure")
      }),
      { numRuns: 500 }
    )
  })

  it("never throws on arbitrary strings (property)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        expect(verifyJwt(KEY, text, NOW)._tag).toBe("Failure")
      }),
      { numRuns: 500 }
    )
  })
})

describe("bearerToken", () => {
  it("takes the token of a Bearer header only", () => {
    expect(bearerToken("Bearer abc.def.ghi")).toBe("abc.def.ghi")
    expect(bearerToken("bearer   abc")).toBe("abc")
    expect(bearerToken("Basic abc")).toBeUndefined()
    expect(bearerToken("Bearer")).toBeUndefined()
    expect(bearerToken("Bearer a b")).toBeUndefined()
    expect(bearerToken(undefined)).toBeUndefined()
  })
})
