import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import type { AuthorizeParams } from "../../../core/oauth/OAuthProvider.ts"
import { fakeFetch, type Route } from "../FakeFetch.ts"
import { partnerEndpointsFor } from "../PartnerEndpoints.ts"
import { makePartnerHttp } from "../PartnerHttp.ts"
import { META_SCOPES, makeMetaOAuth, metaAccountsOf } from "./MetaOAuth.ts"

const REDIRECT = "https://app.postd.test/oauth/meta/callback"
const PARAMS: AuthorizeParams = { state: "signed-state", redirectUri: REDIRECT, scopes: META_SCOPES, codeChallenge: "challenge-1", rerequest: false }
const providerWith = (routes: ReadonlyArray<Route>, endpoints = partnerEndpointsFor("http://sim.test")) => {
  const fake = fakeFetch(routes)
  return { fake, provider: makeMetaOAuth(endpoints, makePartnerHttp({ timeoutMs: 1_000, fetch: fake.fetch })) }
}
const userTokens = { accessToken: Redacted.make("user-token-1") }

describe("MetaOAuth.authorizeUrl", () => {
  it.effect("opens the versioned login dialog with comma-separated scopes and no PKCE", () =>
    Effect.gen(function* () {
      const { provider } = providerWith([])
      const url = new URL(yield* provider.authorizeUrl(PARAMS))
      assert.strictEqual(`${url.origin}${url.pathname}`, "http://sim.test/www.facebook.com/v21.0/dialog/oauth")
      assert.deepStrictEqual([...url.searchParams], [
        ["client_id", "sim-meta-client"],
        ["redirect_uri", REDIRECT],
        ["state", "signed-state"],
        ["response_type", "code"],
        ["scope", "pages_show_list,pages_read_engagement,pages_manage_posts,instagram_basic,instagram_content_publish"]
      ])
      assert.isFalse(provider.supportsPkce)
    }))

  it.effect("adds auth_type=rerequest when declined permissions are asked again", () =>
    Effect.gen(function* () {
      const { provider } = providerWith([])
      const url = new URL(yield* provider.authorizeUrl({ ...PARAMS, rerequest: true, loginHint: "someone" }))
      assert.strictEqual(url.searchParams.get("auth_type"), "rerequest")
      assert.isNull(url.searchParams.get("login_hint"))
      assert.isNull(url.searchParams.get("code_challenge"))
    }))

  it.effect("is not configured without META_APP_ID/META_APP_SECRET, and fails for an operator without calling Meta", () =>
    Effect.gen(function* () {
      const { fake, provider } = providerWith([], partnerEndpointsFor())
      assert.isFalse(provider.configured)
      const error = yield* Effect.flip(provider.authorizeUrl(PARAMS))
      assert.strictEqual(error._tag, "UNKNOWN")
      assert.include(error.message, "META_APP_ID")
      assert.strictEqual((yield* Effect.flip(provider.exchangeCode({ code: "c", redirectUri: REDIRECT, codeVerifier: "v" })))._tag, "UNKNOWN")
      assert.lengthOf(fake.requests, 0)
    }))
})

describe("MetaOAuth.exchangeCode", () => {
  it.effect("redeems the code with a GET carrying the client, the redirect and the code, and no verifier", () =>
    Effect.gen(function* () {
      const { fake, provider } = providerWith([
        { method: "GET", path: "/graph.facebook.com/v21.0/oauth/access_token", reply: { body: { access_token: "EAAG-user", token_type: "bearer", expires_in: 5_183_944 } } }
      ])
      const tokens = yield* provider.exchangeCode({ code: "code-1", redirectUri: REDIRECT, codeVerifier: "verifier-1" })
      assert.strictEqual(Redacted.value(tokens.accessToken), "EAAG-user")
      assert.isUndefined(tokens.refreshToken)
      assert.isDefined(tokens.expiresAt)
      assert.deepStrictEqual([...(fake.requests[0]?.url.searchParams ?? [])], [
        ["client_id", "sim-meta-client"],
        ["client_secret", "sim-meta-secret"],
        ["redirect_uri", REDIRECT],
        ["code", "code-1"]
      ])
      assert.isUndefined(fake.requests[0]?.headers["authorization"])
    }))

  it.effect("fails a used code with Meta's classified error, and a 200 without access_token as UNKNOWN", () =>
    Effect.gen(function* () {
      const { provider } = providerWith([
        {
          method: "GET",
          path: "/graph.facebook.com/v21.0/oauth/access_token",
          reply: [
            { status: 400, body: { error: { message: "This authorization code has been used.", type: "OAuthException", code: 100, error_subcode: 36009 } } },
            { body: { token_type: "bearer" } }
          ]
        }
      ])
      const used = yield* Effect.flip(provider.exchangeCode({ code: "c", redirectUri: REDIRECT, codeVerifier: "v" }))
      // Meta's code 100 is a bad parameter (here: the code was used already), not an auth failure.
      assert.strictEqual(used._tag, "VALIDATION_ERROR")
      assert.strictEqual(used.httpStatus, 400)
      assert.notInclude(used.message, "sim-meta-secret")
      assert.strictEqual((yield* Effect.flip(provider.exchangeCode({ code: "c", redirectUri: REDIRECT, codeVerifier: "v" })))._tag, "UNKNOWN")
    }))
})

describe("MetaOAuth.identify", () => {
  it.effect("names the user and lists each page with its own token, then the Instagram accounts the pages link", () =>
    Effect.gen(function* () {
      const { fake, provider } = providerWith([
        { method: "GET", path: "/graph.facebook.com/v21.0/me", reply: { body: { id: "10150000001", name: "Sam Sim" } } },
        {
          method: "GET",
          path: "/graph.facebook.com/v21.0/me/accounts",
          reply: {
            body: {
              data: [
                { id: "1000001", name: "Sim Coffee Page", access_token: "page-token-1", instagram_business_account: { id: "17841400000000001" } },
                { id: "1000002", name: "Sim Roasters", access_token: "page-token-2" }
              ],
              paging: { cursors: { before: "b", after: "a" } }
            }
          }
        }
      ])
      const identity = yield* provider.identify(userTokens)
      assert.strictEqual(identity.partnerUserId, "10150000001")
      assert.deepStrictEqual(
        identity.accounts.map((a) => [a.accountId, a.displayName, a.accessToken === undefined ? undefined : Redacted.value(a.accessToken)]),
        [
          ["1000001", "Sim Coffee Page", "page-token-1"],
          ["1000002", "Sim Roasters", "page-token-2"],
          ["ig:17841400000000001", null, undefined]
        ]
      )
      assert.strictEqual(fake.requests[0]?.url.searchParams.get("fields"), "id,name")
      const pages = fake.callsTo("GET", "/graph.facebook.com/v21.0/me/accounts")
      assert.lengthOf(pages, 1, "no next page: one call")
      assert.strictEqual(pages[0]?.url.searchParams.get("fields"), "id,name,access_token,instagram_business_account")
      assert.strictEqual(pages[0]?.headers["authorization"], "Bearer user-token-1")
    }))

  it.effect("follows Graph's next page by its after cursor", () =>
    Effect.gen(function* () {
      const { fake, provider } = providerWith([
        { method: "GET", path: "/graph.facebook.com/v21.0/me", reply: { body: { id: "1" } } },
        {
          method: "GET",
          path: "/graph.facebook.com/v21.0/me/accounts",
          reply: (request) =>
            request.url.searchParams.get("after") === "cursor-1"
              ? { body: { data: [{ id: "2", name: "Second" }], paging: { cursors: { before: "cursor-2", after: "cursor-2" } } } }
              : { body: { data: [{ id: "1", name: "First" }], paging: { cursors: { before: "c0", after: "cursor-1" }, next: "https://graph.facebook.com/next" } } }
        }
      ])
      const identity = yield* provider.identify(userTokens)
      assert.deepStrictEqual(identity.accounts.map((a) => a.accountId), ["1", "2"])
      assert.lengthOf(fake.callsTo("GET", "/graph.facebook.com/v21.0/me/accounts"), 2)
    }))

  it.effect("fails a /me without an id, or /me/accounts without data, as UNKNOWN", () =>
    Effect.gen(function* () {
      const noId = providerWith([{ method: "GET", path: "/graph.facebook.com/v21.0/me", reply: { body: { name: "x" } } }])
      assert.strictEqual((yield* Effect.flip(noId.provider.identify(userTokens)))._tag, "UNKNOWN")
      const noData = providerWith([
        { method: "GET", path: "/graph.facebook.com/v21.0/me", reply: { body: { id: "1" } } },
        { method: "GET", path: "/graph.facebook.com/v21.0/me/accounts", reply: { body: { pages: [] } } }
      ])
      assert.strictEqual((yield* Effect.flip(noData.provider.identify(userTokens)))._tag, "UNKNOWN")
    }))

  it.effect("passes an expired user token's classified error through", () =>
    Effect.gen(function* () {
      const { provider } = providerWith([
        {
          method: "GET",
          path: "/graph.facebook.com/v21.0/me",
          reply: { status: 400, body: { error: { message: "Error validating access token: Session has expired", type: "OAuthException", code: 190, error_subcode: 463 } } }
        }
      ])
      const error = yield* Effect.flip(provider.identify(userTokens))
      assert.strictEqual(error._tag, "AUTH_EXPIRED")
      assert.notInclude(error.message, "user-token-1")
    }))
})

describe("metaAccountsOf", () => {
  it("skips entries without a usable id and lists an Instagram account linked twice once", () => {
    const accounts = metaAccountsOf([
      { id: "1", name: "A", instagram_business_account: { id: "9" } },
      { name: "no id" },
      { id: "bad id/../x" },
      { id: "ig:5" },
      { id: "1", name: "A again" },
      { id: "2", instagram_business_account: { id: "9", username: "simcoffee" } },
      "not an object"
    ])
    assert.deepStrictEqual(
      accounts.map((a) => [a.accountId, a.displayName]),
      [
        ["1", "A"],
        ["2", null],
        ["ig:9", null]
      ]
    )
  })
})
