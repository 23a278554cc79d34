// The five OAuth providers end to end against the in-process partner simulator: each authorization
// URL passes the simulator's consent flow, its code redeems (with the PKCE verifier where checked),
// and identify lists the approved account with a token the platform's connector accepts.
import { createHash, randomBytes } from "node:crypto"
import { Effect, Redacted } from "effect"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import type { OAuthProvider } from "../../core/oauth/OAuthProvider.ts"
import type { Platform } from "../../core/taxonomy/Taxonomy.ts"
import type { TaxonomyError } from "../../core/taxonomy/TaxonomyError.ts"
import { type RunningSimulator, startPartnerSimulator } from "../../chaos/simulator/PartnerSimulator.ts"
import { makeConnectors } from "./ConnectorsLive.ts"
import { makeOAuthProviders } from "./OAuthProvidersLive.ts"
import { partnerEndpointsFor } from "./PartnerEndpoints.ts"

let sim: RunningSimulator
let providers: ReturnType<typeof makeOAuthProviders>
let connectors: ReturnType<typeof makeConnectors>

beforeAll(async () => {
  sim = await startPartnerSimulator()
  const endpoints = partnerEndpointsFor(sim.url)
  providers = makeOAuthProviders(endpoints)
  connectors = makeConnectors(endpoints)
})
afterAll(() => sim.close())
beforeEach(() => sim.control.reset())

const run = <A>(effect: Effect.Effect<A, TaxonomyError>): Promise<A> => Effect.runPromise(effect)
const failure = (effect: Effect.Effect<unknown, TaxonomyError>): Promise<TaxonomyError> => Effect.runPromise(Effect.flip(effect))

const pkcePair = (): { readonly verifier: string; readonly challenge: string } => {
  const verifier = randomBytes(32).toString("base64url")
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") }
}

const redirectFor = (platform: Platform): string => `http://127.0.0.1:3000/oauth/${platform}/callback`

/** Follows the authorization URL as a user approving `accounts`; answers the code the callback gets. */
const approve = async (provider: OAuthProvider, accounts: ReadonlyArray<string>, challenge: string): Promise<string> => {
  const url = await run(
    provider.authorizeUrl({
      state: `state-${provider.platform}`,
      redirectUri: redirectFor(provider.platform),
      scopes: provider.requiredScopes,
      codeChallenge: challenge,
      rerequest: false
    })
  )
  const response = await fetch(`${url}&${new URLSearchParams({ sim_account: accounts.join(","), sim_decision: "approve" })}`, { redirect: "manual" })
  expect(response.status, await response.clone().text()).toBe(302)
  const location = new URL(response.headers.get("location") ?? "")
  expect(`${location.origin}${location.pathname}`).toBe(redirectFor(provider.platform))
  expect(location.searchParams.get("state")).toBe(`state-${provider.platform}`)
  expect(location.searchParams.get("error")).toBeNull()
  return location.searchParams.get("code") ?? ""
}

interface Fixture {
  readonly platform: Platform
  /** What the user approves on the consent page. */
  readonly approve: ReadonlyArray<string>
  readonly partnerUserId: string
  /** Every account identify must list, with its display name. */
  readonly accounts: ReadonlyArray<readonly [accountId: string, displayName: string | null]>
}

const FIXTURES: ReadonlyArray<Fixture> = [
  {
    platform: "meta",
    approve: ["1000001", "ig:17841400000000001"],
    partnerUserId: "meta-user-1",
    accounts: [
      ["1000001", "Sim Coffee Page"],
      ["ig:17841400000000001", null]
    ]
  },
  {
    platform: "linkedin",
    approve: ["urn:li:organization:2000001"],
    partnerUserId: "sim-member-1",
    accounts: [
      ["urn:li:person:sim-member-1", "Sim Member sim-member-1"],
      ["urn:li:organization:2000001", null]
    ]
  },
  { platform: "tiktok", approve: ["sim-open-id-1"], partnerUserId: "sim-open-id-1", accounts: [["sim-open-id-1", "simcoffee"]] },
  {
    platform: "gbp",
    approve: ["accounts/3000001/locations/4000001"],
    partnerUserId: "google-user-1",
    accounts: [["accounts/3000001/locations/4000001", "Sim Coffee Downtown"]]
  },
  { platform: "mailchimp", approve: ["us1:a1b2c3d4e5"], partnerUserId: "mc-login-1", accounts: [["us1:a1b2c3d4e5", "Sim Coffee Newsletter"]] }
]

describe("OAuth providers against the partner simulator", () => {
  for (const fixture of FIXTURES) {
    it(`${fixture.platform}: authorize, approve, exchange the code and identify the approved account`, async () => {
      const provider = providers[fixture.platform]
      expect(provider.configured).toBe(true)
      const { verifier, challenge } = pkcePair()
      const code = await approve(provider, fixture.approve, challenge)
      const tokens = await run(provider.exchangeCode({ code, redirectUri: redirectFor(fixture.platform), codeVerifier: verifier }))
      expect(Redacted.value(tokens.accessToken)).not.toBe("")
      if (fixture.platform === "linkedin" || fixture.platform === "tiktok" || fixture.platform === "gbp") expect(tokens.refreshToken).toBeDefined()

      const identity = await run(provider.identify(tokens))
      expect(identity.partnerUserId).toBe(fixture.partnerUserId)
      expect(identity.accounts.map((a) => [a.accountId, a.displayName])).toEqual(fixture.accounts)

      // The token identify hands out for each account (a page's own, else the grant's) works there.
      const connector = connectors[fixture.platform]
      for (const account of identity.accounts) {
        const accessToken = account.accessToken ?? tokens.accessToken
        await run(
          connector.healthCheck({
            connectionId: `conn-${fixture.platform}`,
            platform: fixture.platform,
            partnerAccountId: account.accountId,
            partnerUserId: identity.partnerUserId,
            accessToken,
            scopes: tokens.scopes ?? []
          })
        )
      }
    })
  }

  it("meta: each page carries a page token of its own", async () => {
    const provider = providers.meta
    const code = await approve(provider, ["1000001"], "unused")
    const tokens = await run(provider.exchangeCode({ code, redirectUri: redirectFor("meta"), codeVerifier: "unused" }))
    const identity = await run(provider.identify(tokens))
    expect(identity.accounts.map((a) => [a.accountId, a.accessToken === undefined])).toEqual([["1000001", false]])
  })

  for (const platform of ["gbp"] as const) {
    it(`${platform}: a code redeemed with the wrong PKCE verifier is refused, never a token set`, async () => {
      const provider = providers[platform]
      const account = "accounts/3000001/locations/4000001"
      const { challenge } = pkcePair()
      const code = await approve(provider, [account], challenge)
      const error = await failure(provider.exchangeCode({ code, redirectUri: redirectFor(platform), codeVerifier: pkcePair().verifier }))
      expect(error.httpStatus).toBe(400)
      expect(error.partnerCode).toBe("invalid_grant")
      expect(error.message).not.toContain(`sim-${platform}-secret`)
    })
  }

  it("a code redeemed twice is refused the second time", async () => {
    const provider = providers.linkedin
    const code = await approve(provider, ["urn:li:organization:2000001"], "unused")
    const exchange = { code, redirectUri: redirectFor("linkedin"), codeVerifier: "unused" }
    await run(provider.exchangeCode(exchange))
    expect((await failure(provider.exchangeCode(exchange))).partnerCode).toBe("invalid_grant")
  })
})
