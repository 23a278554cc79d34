import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { DEFAULT_ACCOUNTS, defaultClientId, SimulatorState } from "./SimulatorState.ts"

const stateAt = (start = 1_000_000): { readonly state: SimulatorState; readonly advance: (ms: number) => void } => {
  let now = start
  return { state: new SimulatorState(() => now), advance: (ms) => (now += ms) }
}

describe("SimulatorState", () => {
  it("seeds the default accounts and one default app per platform", () => {
    const { state } = stateAt()
    expect(state.listAccounts().map((a) => a.accountId)).toEqual(DEFAULT_ACCOUNTS.map((a) => a.accountId))
    expect(state.app("tiktok", defaultClientId("tiktok"))).toMatchObject({ clientSecret: "sim-tiktok-secret", anyLoopbackRedirect: true })
  })

  it("mints tokens with the platform's lifetime, creating unknown accounts for the grant's user", () => {
    const { state, advance } = stateAt()
    const tokens = state.mintToken({ platform: "gbp", accountIds: ["accounts/1/locations/2"], userId: "u", withRefreshToken: true })
    expect(tokens.expiresAt).toBe(1_000_000 + 3_599_000)
    expect(tokens.refreshToken).toMatch(/^1\/\/0g/)
    expect(state.account("gbp", "accounts/1/locations/2")).toMatchObject({ userId: "u", deleted: false })
    advance(3_599_000)
    expect(state.accessToken(tokens.accessToken)?.token.expiresAt).toBe(1_000_000 + 3_599_000)
    expect(state.mintToken({ platform: "mailchimp", accountIds: ["us1:x"] }).expiresAt).toBeNull()
    expect(state.mintToken({ platform: "meta", accountIds: ["1"], withRefreshToken: true }).refreshToken).toBeUndefined()
  })

  it("an authorization code redeems at most once, and never after ten minutes", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 400_000 }), { minLength: 1, maxLength: 6 }), (gaps) => {
        const { state, advance } = stateAt()
        const code = state.issueCode({ platform: "linkedin", clientId: "c", redirectUri: "http://127.0.0.1/cb", userId: "u", accountIds: ["a"], scopes: [] })
        let elapsed = 0
        let redeemed = 0
        for (const gap of gaps) {
          advance(gap)
          elapsed += gap
          const found = state.redeemCode("linkedin", code)
          if (found !== undefined) {
            redeemed += 1
            expect(elapsed).toBeLessThan(600_000)
          }
        }
        expect(redeemed).toBeLessThanOrEqual(1)
      })
    )
  })

  it("rotating refresh tokens work exactly once each; Google's keeps working and returns none", () => {
    const { state } = stateAt()
    let current = state.mintToken({ platform: "tiktok", accountIds: ["o"], withRefreshToken: true }).refreshToken ?? ""
    const seen = new Set([current])
    for (let i = 0; i < 5; i++) {
      const outcome = state.refresh("tiktok", current, defaultClientId("tiktok"))
      if (!outcome.ok) throw new Error(outcome.reason)
      expect(state.refresh("tiktok", current, defaultClientId("tiktok"))).toEqual({ ok: false, reason: "rotated" })
      current = outcome.tokens.refreshToken ?? ""
      expect(seen.has(current)).toBe(false)
      seen.add(current)
    }
    const google = state.mintToken({ platform: "gbp", accountIds: ["l"], withRefreshToken: true }).refreshToken ?? ""
    for (let i = 0; i < 3; i++) {
      const outcome = state.refresh("gbp", google, defaultClientId("gbp"))
      expect(outcome.ok && outcome.tokens.refreshToken === undefined).toBe(true)
    }
    expect(state.refresh("gbp", google, "another-client")).toEqual({ ok: false, reason: "client_mismatch" })
    expect(state.refresh("linkedin", google, defaultClientId("linkedin"))).toEqual({ ok: false, reason: "unknown" })
  })

  it("revocation and scope removal apply to whole grants, chosen by user, account or token", () => {
    const { state } = stateAt()
    const a = state.mintToken({ platform: "linkedin", accountIds: ["org:1"], userId: "m1", withRefreshToken: true })
    const b = state.mintToken({ platform: "linkedin", accountIds: ["org:2"], userId: "m2", withRefreshToken: true })
    expect(state.removeScope({ accountId: "org:1" }, "w_organization_social")).toBe(1)
    expect(state.grantOf(a.accessToken)?.scopes.has("w_organization_social")).toBe(false)
    expect(state.grantOf(a.refreshToken ?? "")?.removedScopes.has("w_organization_social")).toBe(true)
    expect(state.grantOf(b.accessToken)?.scopes.has("w_organization_social")).toBe(true)
    expect(state.revoke({ token: a.refreshToken })).toBe(1)
    expect(state.grantOf(a.accessToken)?.revoked).toBe(true)
    expect(state.grantOf(b.accessToken)?.revoked).toBe(false)
    expect(state.refresh("linkedin", a.refreshToken ?? "", defaultClientId("linkedin"))).toEqual({ ok: false, reason: "revoked" })
    expect(state.revoke({ token: "unknown" })).toBe(0)
  })

  it("counts accepted posts per dedupe key, ignoring posts sent without one", () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.constantFrom("k1", "k2", "k3"), { nil: undefined }), { maxLength: 40 }), (keys) => {
        const { state } = stateAt()
        keys.forEach((dedupeKey, i) => {
          state.addPost({ platform: "meta", accountId: "p", partnerId: `p_${i}`, text: "", media: [], status: "PUBLISHED", ...(dedupeKey === undefined ? {} : { dedupeKey }) })
        })
        const expected: Record<string, number> = {}
        for (const key of keys) if (key !== undefined) expected[key] = (expected[key] ?? 0) + 1
        expect(state.postCounts()).toEqual(expected)
        expect(state.postCounts({ platform: "tiktok" })).toEqual({})
      })
    )
  })
})
