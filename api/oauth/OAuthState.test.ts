import { createHash } from "node:crypto"
import { Result } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { type OAuthStateClaims, pkceFor, signState, startParamsMatch, startPath, verifyState } from "./OAuthState.ts"

const KEY = new Uint8Array(32).fill(9)
const NOW = 1_800_000_000
const CLAIMS: OAuthStateClaims = {
  id: "8d1f1e0e-8c55-4f1e-a4f5-0d8a6b7c9e10",
  tenantId: "4f0c8a55-2b8e-4a1c-9f43-5f1d2e3c4b5a",
  platform: "linkedin",
  purpose: "reconnect",
  connectionId: "0b5d7e2a-9c1f-4d3e-8a6b-7c9e10f1e0e8",
  reason: "PERMISSION_INSUFFICIENT",
  brandId: "brand-1",
  actor: "member:alice",
  backfill: true,
  expiresAt: NOW + 600
}

describe("OAuth state", () => {
  it("verifies what it signed, until it expires", () => {
    const state = signState(KEY, CLAIMS)
    expect(verifyState(KEY, state, NOW)).toEqual(Result.succeed(CLAIMS))
    expect(verifyState(KEY, state, NOW + 600)).toEqual(Result.fail("expired"))
    expect(verifyState(new Uint8Array(32).fill(8), state, NOW)).toEqual(Result.fail("signature"))
  })

  it("refuses any change to a signed state (property)", () => {
    const state = signState(KEY, CLAIMS)
    fc.assert(
      fc.property(fc.nat(state.length - 1), fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."), (at, char) => {
        fc.pre(state[at] !== char)
        expect(verifyState(KEY, `${state.slice(0, at)}${char}${state.slice(at + 1)}`, NOW)._tag).toBe("Failure")
      }),
      { numRuns: 500 }
    )
  })

  it("gives the start path the issue's parameters, and refuses a link whose visible parameters were changed", () => {
    const path = startPath(CLAIMS, signState(KEY, CLAIMS))
    const url = new URL(path, "http://x")
    expect(url.pathname).toBe("/api/oauth/linkedin/start")
    expect([...url.searchParams.keys()]).toEqual(["reconnect", "prev_connection", "reason", "state"])
    expect(startParamsMatch(CLAIMS, url.searchParams)).toBe(true)
    for (const [name, value] of [["reconnect", "false"], ["prev_connection", "x"], ["reason", "AUTH_INVALID"]] as const) {
      const altered = new URLSearchParams(url.searchParams)
      altered.set(name, value)
      expect(startParamsMatch(CLAIMS, altered)).toBe(false)
    }
    const { connectionId: _c, reason: _r, ...rest } = CLAIMS
    const plain: OAuthStateClaims = { ...rest, purpose: "connect" }
    const connectUrl = new URL(startPath(plain, "s"), "http://x")
    expect([...connectUrl.searchParams.keys()]).toEqual(["state"])
    expect(startParamsMatch(plain, connectUrl.searchParams)).toBe(true)
    connectUrl.searchParams.set("reconnect", "true")
    expect(startParamsMatch(plain, connectUrl.searchParams)).toBe(false)
  })

  it("derives an RFC 7636 verifier per state id, and its S256 challenge", () => {
    const { verifier, challenge } = pkceFor(KEY, CLAIMS.id)
    expect(verifier).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(challenge).toBe(createHash("sha256").update(verifier).digest("base64url"))
    expect(pkceFor(KEY, CLAIMS.id).verifier).toBe(verifier)
    expect(pkceFor(KEY, "another-id").verifier).not.toBe(verifier)
  })
})
