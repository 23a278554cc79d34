import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import type { AuthorizeParams } from "../../../core/oauth/OAuthProvider.ts"
import { fakeFetch, formOf, type Route } from "../FakeFetch.ts"
import { partnerEndpointsFor } from "../PartnerEndpoints.ts"
import { makePartnerHttp } from "../PartnerHttp.ts"
import { LINKEDIN_SCOPES, makeLinkedInOAuth, organizationsOf } from "./LinkedInOAuth.ts"

const REDIRECT = "https://app.postd.test/oauth/linkedin/callback"
const PARAMS: AuthorizeParams = { state: "signed-state", redirectUri: REDIRECT, scopes: LINKEDIN_SCOPES, codeChallenge: "challenge-1", rerequest: true }
const providerWith = (routes: ReadonlyArray<Route>, endpoints = partnerEndpointsFor("http://sim.test")) => {
  const fake = fakeFetch(routes)
  return { fake, provider: makeLinkedInOAuth(endpoints, makePartnerHttp({ timeoutMs: 1_000, fetch: fake.fetch })) }
}
const TOKEN_PATH = "/www.linkedin.com/oauth/v2/accessToken"
const tokens = { accessToken: Redacted.make("AQV-member") }
const acl = (organization: string) => ({ organization, role: "ADMINISTRATOR", state: "APPROVED", roleAssignee: "urn:li:person:abc123" })

describe("LinkedInOAuth.authorizeUrl", () => {
  it.effect("opens www.linkedin.com's authorization page with space-separated scopes (%20) and no PKCE", () =>
    Effect.gen(function* () {
      const { provider } = providerWith([])
      const raw = yield* provider.authorizeUrl(PARAMS)
      const url = new URL(raw)
      assert.strictEqual(`${url.origin}${url.pathname}`, "http://sim.test/www.linkedin.com/oauth/v2/authorization")
      assert.deepStrictEqual([...url.searchParams], [
        ["response_type", "code"],
        ["client_id", "sim-linkedin-client"],
        ["redirect_uri", REDIRECT],
        ["state", "signed-state"],
        ["scope", "openid profile w_member_social w_organization_social r_organization_social"]
      ])
      assert.include(raw, "scope=openid%20profile%20")
      assert.isFalse(provider.supportsPkce)
    }))

  it.effect("fails for an operator when LINKEDIN_CLIENT_ID/SECRET are not set", () =>
    Effect.gen(function* () {
      const { fake, provider } = providerWith([], partnerEndpointsFor())
      assert.isFalse(provider.configured)
      assert.strictEqual((yield* Effect.flip(provider.authorizeUrl(PARAMS)))._tag, "UNKNOWN")
      assert.strictEqual((yield* Effect.flip(provider.exchangeCode({ code: "c", redirectUri: REDIRECT, codeVerifier: "v" })))._tag, "UNKNOWN")
      assert.lengthOf(fake.requests, 0)
    }))
})

describe("LinkedInOAuth.exchangeCode", () => {
  it.effect("posts the authorization_code grant with the client credentials and no verifier, keeping the refresh token", () =>
    Effect.gen(function* () {
      const { fake, provider } = providerWith([
        {
          method: "POST",
          path: TOKEN_PATH,
          reply: { body: { access_token: "AQV-new", expires_in: 5_184_000, refresh_token: "AQX-r", refresh_token_expires_in: 31_536_000, scope: "openid,w_member_social" } }
        }
      ])
      const set = yield* provider.exchangeCode({ code: "code-1", redirectUri: REDIRECT, codeVerifier: "verifier-1" })
      assert.strictEqual(Redacted.value(set.accessToken), "AQV-new")
      assert.strictEqual(set.refreshToken === undefined ? undefined : Redacted.value(set.refreshToken), "AQX-r")
      assert.deepStrictEqual(set.scopes, ["openid", "w_member_social"])
      assert.deepStrictEqual(formOf(fake.requests[0]), {
        grant_type: "authorization_code",
        code: "code-1",
        redirect_uri: REDIRECT,
        client_id: "sim-linkedin-client",
        client_secret: "sim-linkedin-secret"
      })
      assert.strictEqual(fake.requests[0]?.headers["content-type"], "application/x-www-form-urlencoded")
    }))

  it.effect("fails a refused code with the classified error, without the secret or the code in the message", () =>
    Effect.gen(function* () {
      const { provider } = providerWith([
        {
          method: "POST",
          path: TOKEN_PATH,
          reply: { status: 400, body: { error: "invalid_grant", error_description: "The provided authorization grant or refresh token is invalid, expired or revoked" } }
        }
      ])
      const error = yield* Effect.flip(provider.exchangeCode({ code: "code-secretish", redirectUri: REDIRECT, codeVerifier: "v" }))
      assert.strictEqual(error._tag, "TOKEN_REFRESH_FAILED")
      assert.strictEqual(error.partnerCode, "invalid_grant")
      assert.notInclude(error.message, "sim-linkedin-secret")
      assert.notInclude(error.message, "code-secretish")
    }))
})

describe("LinkedInOAuth.identify", () => {
  it.effect("names the member from userinfo and lists them and every organization they administer, with the versioned headers", () =>
    Effect.gen(function* () {
      const { fake, provider } = providerWith([
        { method: "GET", path: "/api.linkedin.com/v2/userinfo", reply: { body: { sub: "abc123", name: "Sam Sim" } } },
        {
          method: "GET",
          path: "/api.linkedin.com/rest/organizationAcls",
          reply: { body: { paging: { start: 0, count: 100, links: [], total: 2 }, elements: [acl("urn:li:organization:1"), acl("urn:li:organization:2")] } }
        }
      ])
      const identity = yield* provider.identify(tokens)
      assert.deepStrictEqual(identity, {
        partnerUserId: "abc123",
        accounts: [
          { accountId: "urn:li:person:abc123", displayName: "Sam Sim" },
          { accountId: "urn:li:organization:1", displayName: null },
          { accountId: "urn:li:organization:2", displayName: null }
        ]
      })
      const [call] = fake.callsTo("GET", "/api.linkedin.com/rest/organizationAcls")
      assert.strictEqual(call?.url.searchParams.get("q"), "roleAssignee")
      assert.strictEqual(call?.url.searchParams.get("role"), "ADMINISTRATOR")
      assert.strictEqual(call?.url.searchParams.get("state"), "APPROVED")
      assert.strictEqual(call?.headers["linkedin-version"], "202411")
      assert.strictEqual(call?.headers["x-restli-protocol-version"], "2.0.0")
      assert.strictEqual(call?.headers["authorization"], "Bearer AQV-member")
    }))

  it.effect("pages through organizationAcls while full pages come back", () =>
    Effect.gen(function* () {
      const full = Array.from({ length: 100 }, (_, i) => acl(`urn:li:organization:${i + 1}`))
      const { fake, provider } = providerWith([
        { method: "GET", path: "/api.linkedin.com/v2/userinfo", reply: { body: { sub: "abc123" } } },
        {
          method: "GET",
          path: "/api.linkedin.com/rest/organizationAcls",
          reply: (request) => ({ body: { elements: request.url.searchParams.get("start") === "0" ? full : [acl("urn:li:organization:101")] } })
        }
      ])
      const identity = yield* provider.identify(tokens)
      assert.lengthOf(identity.accounts, 102)
      assert.deepStrictEqual(
        fake.callsTo("GET", "/api.linkedin.com/rest/organizationAcls").map((r) => r.url.searchParams.get("start")),
        ["0", "100"]
      )
    }))

  it.effect("fails userinfo without sub, or organizationAcls without elements, as UNKNOWN; a revoked token as LinkedIn's code says", () =>
    Effect.gen(function* () {
      const noSub = providerWith([{ method: "GET", path: "/api.linkedin.com/v2/userinfo", reply: { body: { name: "x" } } }])
      assert.strictEqual((yield* Effect.flip(noSub.provider.identify(tokens)))._tag, "UNKNOWN")
      const noElements = providerWith([
        { method: "GET", path: "/api.linkedin.com/v2/userinfo", reply: { body: { sub: "abc123" } } },
        { method: "GET", path: "/api.linkedin.com/rest/organizationAcls", reply: { body: { paging: {} } } }
      ])
      assert.strictEqual((yield* Effect.flip(noElements.provider.identify(tokens)))._tag, "UNKNOWN")
      const revoked = providerWith([
        { method: "GET", path: "/api.linkedin.com/v2/userinfo", reply: { status: 401, body: { status: 401, serviceErrorCode: 65601, code: "REVOKED_ACCESS_TOKEN", message: "revoked" } } }
      ])
      assert.strictEqual((yield* Effect.flip(revoked.provider.identify(tokens)))._tag, "APP_DEAUTHORIZED")
    }))
})

describe("organizationsOf", () => {
  it("keeps approved administrator organizations with a well-formed URN only", () => {
    assert.deepStrictEqual(
      organizationsOf({
        elements: [
          acl("urn:li:organization:1"),
          { ...acl("urn:li:organization:2"), role: "ANALYST" },
          { ...acl("urn:li:organization:3"), state: "REQUESTED" },
          acl("urn:li:person:4"),
          acl("urn:li:organization:5&x=y"),
          { role: "ADMINISTRATOR" }
        ]
      }),
      ["urn:li:organization:1"]
    )
  })
})
