import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import type { AuthorizeParams } from "../../../core/oauth/OAuthProvider.ts"
import { fakeFetch, formOf, type Route } from "../FakeFetch.ts"
import { partnerEndpointsFor } from "../PartnerEndpoints.ts"
import { makePartnerHttp } from "../PartnerHttp.ts"
import { audiencesOf, MAILCHIMP_SCOPES, makeMailchimpOAuth } from "./MailchimpOAuth.ts"

const REDIRECT = "https://app.postd.test/oauth/mailchimp/callback"
const PARAMS: AuthorizeParams = { state: "signed-state", redirectUri: REDIRECT, scopes: ["campaigns"], codeChallenge: "challenge-1", rerequest: true }
const EXCHANGE = { code: "code-1", redirectUri: REDIRECT, codeVerifier: "verifier-1" }
const providerWith = (routes: ReadonlyArray<Route>, endpoints = partnerEndpointsFor("http://sim.test")) => {
  const fake = fakeFetch(routes)
  return { fake, provider: makeMailchimpOAuth(endpoints, makePartnerHttp({ timeoutMs: 1_000, fetch: fake.fetch })) }
}
const tokens = { accessToken: Redacted.make("mc-token-1") }
const METADATA_PATH = "/login.mailchimp.com/oauth2/metadata"
const metadata = (body: unknown): Route => ({ method: "GET", path: METADATA_PATH, reply: { body } })

describe("MailchimpOAuth.authorizeUrl", () => {
  it.effect("opens login.mailchimp.com's authorize page with no scope and no PKCE", () =>
    Effect.gen(function* () {
      const { provider } = providerWith([])
      const url = new URL(yield* provider.authorizeUrl(PARAMS))
      assert.strictEqual(`${url.origin}${url.pathname}`, "http://sim.test/login.mailchimp.com/oauth2/authorize")
      assert.deepStrictEqual([...url.searchParams], [
        ["response_type", "code"],
        ["client_id", "sim-mailchimp-client"],
        ["redirect_uri", REDIRECT],
        ["state", "signed-state"]
      ])
      assert.isFalse(provider.supportsPkce)
      assert.deepStrictEqual(provider.requiredScopes, MAILCHIMP_SCOPES)
      assert.lengthOf(provider.requiredScopes, 0)
    }))

  it.effect("fails for an operator when MAILCHIMP_CLIENT_ID/SECRET are not set", () =>
    Effect.gen(function* () {
      const { fake, provider } = providerWith([], partnerEndpointsFor())
      assert.isFalse(provider.configured)
      assert.include((yield* Effect.flip(provider.authorizeUrl(PARAMS))).message, "MAILCHIMP_CLIENT_ID")
      assert.strictEqual((yield* Effect.flip(provider.exchangeCode(EXCHANGE)))._tag, "UNKNOWN")
      assert.lengthOf(fake.requests, 0)
    }))
})

describe("MailchimpOAuth.exchangeCode", () => {
  it.effect("posts the code with the client credentials and no verifier; the token never expires", () =>
    Effect.gen(function* () {
      const { fake, provider } = providerWith([
        { method: "POST", path: "/login.mailchimp.com/oauth2/token", reply: { body: { access_token: "mc-new", expires_in: 0, scope: null } } }
      ])
      const set = yield* provider.exchangeCode(EXCHANGE)
      assert.deepStrictEqual({ ...set, accessToken: Redacted.value(set.accessToken) }, { accessToken: "mc-new" })
      assert.deepStrictEqual(formOf(fake.requests[0]), {
        grant_type: "authorization_code",
        client_id: "sim-mailchimp-client",
        client_secret: "sim-mailchimp-secret",
        redirect_uri: REDIRECT,
        code: "code-1"
      })
    }))

  it.effect("fails a refused code with the partner's reading, and a 200 without a token as UNKNOWN", () =>
    Effect.gen(function* () {
      const { provider } = providerWith([
        {
          method: "POST",
          path: "/login.mailchimp.com/oauth2/token",
          reply: [{ status: 400, body: { error: "invalid_grant", error_description: "Invalid authorization code" } }, { body: {} }]
        }
      ])
      const refused = yield* Effect.flip(provider.exchangeCode(EXCHANGE))
      // The OAuth envelope's reading (core/classify/OAuthError.ts): a rejected grant.
      assert.strictEqual(refused._tag, "TOKEN_REFRESH_FAILED")
      assert.strictEqual(refused.partnerCode, "invalid_grant")
      assert.strictEqual(refused.httpStatus, 400)
      assert.notInclude(refused.message, "sim-mailchimp-secret")
      assert.strictEqual((yield* Effect.flip(provider.exchangeCode(EXCHANGE)))._tag, "UNKNOWN")
    }))
})

describe("MailchimpOAuth.identify", () => {
  it.effect("reads the login and data centre from metadata (OAuth scheme), then lists the audiences there", () =>
    Effect.gen(function* () {
      const { fake, provider } = providerWith([
        metadata({ dc: "us21", login: { login_id: 12_345, login_name: "owner" }, api_endpoint: "https://us21.api.mailchimp.com" }),
        {
          method: "GET",
          path: "/us21.api.mailchimp.com/3.0/lists",
          reply: { body: { lists: [{ id: "a1b2c3d4e5", name: "Newsletter" }, { id: "f6e5d4c3b2", name: "Wholesale" }] } }
        }
      ])
      const identity = yield* provider.identify(tokens)
      assert.deepStrictEqual(identity, {
        partnerUserId: "12345",
        accounts: [
          { accountId: "us21:a1b2c3d4e5", displayName: "Newsletter" },
          { accountId: "us21:f6e5d4c3b2", displayName: "Wholesale" }
        ]
      })
      assert.strictEqual(fake.callsTo("GET", METADATA_PATH)[0]?.headers["authorization"], "OAuth mc-token-1")
      const [lists] = fake.callsTo("GET", "/us21.api.mailchimp.com/3.0/lists")
      assert.strictEqual(lists?.headers["authorization"], "Bearer mc-token-1")
      assert.strictEqual(lists?.url.searchParams.get("count"), "1000")
      assert.strictEqual(lists?.url.searchParams.get("fields"), "lists.id,lists.name")
    }))

  it.effect("refuses a data centre that is not letters then digits before it reaches a host name", () =>
    Effect.gen(function* () {
      for (const dc of ["us1.evil.example/x", "", "US 1", "us1@evil"]) {
        const { fake, provider } = providerWith([metadata({ dc, login: { login_id: "l" } })])
        assert.strictEqual((yield* Effect.flip(provider.identify(tokens)))._tag, "UNKNOWN", dc)
        assert.lengthOf(fake.requests, 1, "only the metadata call")
      }
      const noLogin = providerWith([metadata({ dc: "us1" })])
      assert.strictEqual((yield* Effect.flip(noLogin.provider.identify(tokens)))._tag, "UNKNOWN")
    }))

  it.effect("passes an invalid token's classified error through, and fails a lists reply without lists as UNKNOWN", () =>
    Effect.gen(function* () {
      const invalid = providerWith([{ method: "GET", path: METADATA_PATH, reply: { status: 401, body: { error: "invalid_token", error_description: "Invalid or expired token" } } }])
      const error = yield* Effect.flip(invalid.provider.identify(tokens))
      assert.strictEqual(error._tag, "AUTH_INVALID")
      assert.notInclude(error.message, "mc-token-1")
      const noLists = providerWith([
        metadata({ dc: "us1", login: { login_id: "l" } }),
        { method: "GET", path: "/us1.api.mailchimp.com/3.0/lists", reply: { body: { total_items: 0 } } }
      ])
      assert.strictEqual((yield* Effect.flip(noLists.provider.identify(tokens)))._tag, "UNKNOWN")
    }))
})

describe("audiencesOf", () => {
  it("keeps list ids the Mailchimp connector can address", () => {
    assert.deepStrictEqual(audiencesOf("us1", { lists: [{ id: "abc123", name: "A" }, { id: "bad/id" }, { name: "no id" }, { id: "" }] }), [
      { accountId: "us1:abc123", displayName: "A" }
    ])
  })
})
