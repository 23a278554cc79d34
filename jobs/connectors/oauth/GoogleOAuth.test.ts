import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import type { AuthorizeParams } from "../../../core/oauth/OAuthProvider.ts"
import { fakeFetch, formOf, type Route } from "../FakeFetch.ts"
import { partnerEndpointsFor } from "../PartnerEndpoints.ts"
import { makePartnerHttp } from "../PartnerHttp.ts"
import { accountNamesOf, GOOGLE_SCOPES, locationsOf, makeGoogleOAuth } from "./GoogleOAuth.ts"

const REDIRECT = "https://app.postd.test/oauth/gbp/callback"
const PARAMS: AuthorizeParams = { state: "signed-state", redirectUri: REDIRECT, scopes: GOOGLE_SCOPES, codeChallenge: "challenge-1", rerequest: false }
const EXCHANGE = { code: "4/code-1", redirectUri: REDIRECT, codeVerifier: "verifier-1" }
const providerWith = (routes: ReadonlyArray<Route>, endpoints = partnerEndpointsFor("http://sim.test")) => {
  const fake = fakeFetch(routes)
  return { fake, provider: makeGoogleOAuth(endpoints, makePartnerHttp({ timeoutMs: 1_000, fetch: fake.fetch })) }
}
const tokens = { accessToken: Redacted.make("ya29.a") }
const USERINFO: Route = { method: "GET", path: "/www.googleapis.com/oauth2/v3/userinfo", reply: { body: { sub: "1100000000001", email: "owner@example.com" } } }
const ACCOUNTS_PATH = "/mybusinessaccountmanagement.googleapis.com/v1/accounts"
const locationsPath = (account: string) => `/mybusinessbusinessinformation.googleapis.com/v1/accounts/${account}/locations`

describe("GoogleOAuth.authorizeUrl", () => {
  it.effect("asks for offline access with forced consent, incremental scopes (%20-separated) and the S256 challenge", () =>
    Effect.gen(function* () {
      const { provider } = providerWith([])
      const raw = yield* provider.authorizeUrl(PARAMS)
      const url = new URL(raw)
      assert.strictEqual(`${url.origin}${url.pathname}`, "http://sim.test/accounts.google.com/o/oauth2/v2/auth")
      assert.deepStrictEqual([...url.searchParams], [
        ["client_id", "sim-gbp-client"],
        ["redirect_uri", REDIRECT],
        ["response_type", "code"],
        ["scope", "https://www.googleapis.com/auth/business.manage openid email"],
        ["state", "signed-state"],
        ["access_type", "offline"],
        ["prompt", "consent"],
        ["include_granted_scopes", "true"],
        ["code_challenge", "challenge-1"],
        ["code_challenge_method", "S256"]
      ])
      assert.notInclude(raw, "+")
      assert.isTrue(provider.supportsPkce)
    }))

  it.effect("preselects the account with login_hint when given", () =>
    Effect.gen(function* () {
      const { provider } = providerWith([])
      const url = new URL(yield* provider.authorizeUrl({ ...PARAMS, loginHint: "owner@example.com" }))
      assert.strictEqual(url.searchParams.get("login_hint"), "owner@example.com")
    }))

  it.effect("fails for an operator when GOOGLE_CLIENT_ID/SECRET are not set", () =>
    Effect.gen(function* () {
      const { fake, provider } = providerWith([], partnerEndpointsFor())
      assert.isFalse(provider.configured)
      assert.include((yield* Effect.flip(provider.authorizeUrl(PARAMS))).message, "GOOGLE_CLIENT_ID")
      assert.strictEqual((yield* Effect.flip(provider.exchangeCode(EXCHANGE)))._tag, "UNKNOWN")
      assert.lengthOf(fake.requests, 0)
    }))
})

describe("GoogleOAuth.exchangeCode", () => {
  it.effect("posts the code with the verifier and keeps the refresh token Google issues on consent", () =>
    Effect.gen(function* () {
      const { fake, provider } = providerWith([
        {
          method: "POST",
          path: "/oauth2.googleapis.com/token",
          reply: { body: { access_token: "ya29.new", expires_in: 3_599, refresh_token: "1//0g-r", scope: "openid https://www.googleapis.com/auth/business.manage", token_type: "Bearer" } }
        }
      ])
      const set = yield* provider.exchangeCode(EXCHANGE)
      assert.strictEqual(Redacted.value(set.accessToken), "ya29.new")
      assert.strictEqual(set.refreshToken === undefined ? undefined : Redacted.value(set.refreshToken), "1//0g-r")
      assert.deepStrictEqual(set.scopes, ["openid", "https://www.googleapis.com/auth/business.manage"])
      assert.deepStrictEqual(formOf(fake.requests[0]), {
        code: "4/code-1",
        client_id: "sim-gbp-client",
        client_secret: "sim-gbp-secret",
        redirect_uri: REDIRECT,
        grant_type: "authorization_code",
        code_verifier: "verifier-1"
      })
    }))

  it.effect("fails a refused code (invalid_grant) with the classified error, never the secret in the message", () =>
    Effect.gen(function* () {
      const { provider } = providerWith([
        { method: "POST", path: "/oauth2.googleapis.com/token", reply: { status: 400, body: { error: "invalid_grant", error_description: "Bad Request" } } }
      ])
      const error = yield* Effect.flip(provider.exchangeCode(EXCHANGE))
      assert.strictEqual(error._tag, "TOKEN_REFRESH_FAILED")
      assert.strictEqual(error.httpStatus, 400)
      assert.notInclude(error.message, "sim-gbp-secret")
    }))
})

describe("GoogleOAuth.identify", () => {
  it.effect("lists every location of every account as accounts/A/locations/L, titled, following nextPageToken", () =>
    Effect.gen(function* () {
      const { fake, provider } = providerWith([
        USERINFO,
        {
          method: "GET",
          path: ACCOUNTS_PATH,
          reply: (request) =>
            request.url.searchParams.get("pageToken") === "next-1"
              ? { body: { accounts: [{ name: "accounts/200", type: "LOCATION_GROUP" }] } }
              : { body: { accounts: [{ name: "accounts/100", accountName: "Owner", type: "PERSONAL" }], nextPageToken: "next-1" } }
        },
        { method: "GET", path: locationsPath("100"), reply: { body: { locations: [{ name: "locations/1", title: "Downtown" }, { name: "locations/2", title: "Uptown" }] } } },
        { method: "GET", path: locationsPath("200"), reply: { body: {} } }
      ])
      const identity = yield* provider.identify(tokens)
      assert.deepStrictEqual(identity, {
        partnerUserId: "1100000000001",
        accounts: [
          { accountId: "accounts/100/locations/1", displayName: "Downtown" },
          { accountId: "accounts/100/locations/2", displayName: "Uptown" }
        ]
      })
      const [locationCall] = fake.callsTo("GET", locationsPath("100"))
      assert.strictEqual(locationCall?.url.searchParams.get("readMask"), "name,title")
      assert.strictEqual(locationCall?.headers["authorization"], "Bearer ya29.a")
      assert.lengthOf(fake.callsTo("GET", ACCOUNTS_PATH), 2)
    }))

  it.effect("grants no accounts when Google answers {} (no accounts), and fails userinfo without sub or a non-object listing as UNKNOWN", () =>
    Effect.gen(function* () {
      const none = providerWith([USERINFO, { method: "GET", path: ACCOUNTS_PATH, reply: { body: {} } }])
      assert.deepStrictEqual((yield* none.provider.identify(tokens)).accounts, [])
      const noSub = providerWith([{ method: "GET", path: "/www.googleapis.com/oauth2/v3/userinfo", reply: { body: { email: "x@example.com" } } }])
      assert.strictEqual((yield* Effect.flip(noSub.provider.identify(tokens)))._tag, "UNKNOWN")
      const garbled = providerWith([USERINFO, { method: "GET", path: ACCOUNTS_PATH, reply: { body: { accounts: "none" } } }])
      assert.strictEqual((yield* Effect.flip(garbled.provider.identify(tokens)))._tag, "UNKNOWN")
    }))

  it.effect("passes a missing business.manage scope through as PERMISSION_INSUFFICIENT", () =>
    Effect.gen(function* () {
      const { provider } = providerWith([
        USERINFO,
        {
          method: "GET",
          path: ACCOUNTS_PATH,
          reply: {
            status: 403,
            body: {
              error: {
                code: 403,
                message: "Request had insufficient authentication scopes.",
                status: "PERMISSION_DENIED",
                details: [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "ACCESS_TOKEN_SCOPE_INSUFFICIENT", domain: "googleapis.com" }]
              }
            }
          }
        }
      ])
      assert.strictEqual((yield* Effect.flip(provider.identify(tokens)))._tag, "PERMISSION_INSUFFICIENT")
    }))
})

describe("Google listing readers", () => {
  it("never take a malformed account or location name into a URL or an account id", () => {
    assert.deepStrictEqual(accountNamesOf({ accounts: [{ name: "accounts/1" }, { name: "accounts/../x" }, { name: "locations/2" }, {}] }), ["accounts/1"])
    assert.deepStrictEqual(
      locationsOf("accounts/1", { locations: [{ name: "locations/9", title: "T" }, { name: "accounts/1/locations/9" }, { name: "locations/9?x" }, { title: "no name" }] }),
      [{ accountId: "accounts/1/locations/9", displayName: "T" }]
    )
  })
})
