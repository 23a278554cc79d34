import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import type { AuthorizeParams } from "../../../core/oauth/OAuthProvider.ts"
import { fakeFetch, formOf, type Route } from "../FakeFetch.ts"
import { partnerEndpointsFor } from "../PartnerEndpoints.ts"
import { makePartnerHttp } from "../PartnerHttp.ts"
import { makeTikTokOAuth, TIKTOK_SCOPES } from "./TikTokOAuth.ts"

const REDIRECT = "https://app.postd.test/oauth/tiktok/callback"
const PARAMS: AuthorizeParams = { state: "signed-state", redirectUri: REDIRECT, scopes: TIKTOK_SCOPES, codeChallenge: "challenge-1", rerequest: true }
const EXCHANGE = { code: "code-1", redirectUri: REDIRECT, codeVerifier: "verifier-1" }
const TOKEN_PATH = "/open.tiktokapis.com/v2/oauth/token/"
const providerWith = (routes: ReadonlyArray<Route>, endpoints = partnerEndpointsFor("http://sim.test")) => {
  const fake = fakeFetch(routes)
  return { fake, provider: makeTikTokOAuth(endpoints, makePartnerHttp({ timeoutMs: 1_000, fetch: fake.fetch })) }
}

describe("TikTokOAuth.authorizeUrl", () => {
  it.effect("opens TikTok's v2 web authorization page with client_key and comma-separated scopes, without PKCE (web Login Kit has none)", () =>
    Effect.gen(function* () {
      const { provider } = providerWith([])
      const url = new URL(yield* provider.authorizeUrl(PARAMS))
      assert.strictEqual(`${url.origin}${url.pathname}`, "http://sim.test/www.tiktok.com/v2/auth/authorize/")
      assert.deepStrictEqual([...url.searchParams], [
        ["client_key", "sim-tiktok-client"],
        ["response_type", "code"],
        ["scope", "user.info.basic,video.publish,video.upload"],
        ["redirect_uri", REDIRECT],
        ["state", "signed-state"]
      ])
      assert.isFalse(provider.supportsPkce)
    }))

  it.effect("fails for an operator when TIKTOK_CLIENT_KEY/SECRET are not set", () =>
    Effect.gen(function* () {
      const { fake, provider } = providerWith([], partnerEndpointsFor())
      assert.isFalse(provider.configured)
      const error = yield* Effect.flip(provider.authorizeUrl(PARAMS))
      assert.strictEqual(error._tag, "UNKNOWN")
      assert.include(error.message, "TIKTOK_CLIENT_KEY")
      assert.strictEqual((yield* Effect.flip(provider.exchangeCode(EXCHANGE)))._tag, "UNKNOWN")
      assert.lengthOf(fake.requests, 0)
    }))
})

describe("TikTokOAuth.exchangeCode", () => {
  it.effect("posts the code with the client credentials and no PKCE verifier (TikTok's web login takes none)", () =>
    Effect.gen(function* () {
      const { fake, provider } = providerWith([
        {
          method: "POST",
          path: TOKEN_PATH,
          reply: {
            body: {
              access_token: "act.1",
              expires_in: 86_400,
              open_id: "open-1",
              refresh_expires_in: 31_536_000,
              refresh_token: "rft.1",
              scope: "user.info.basic,video.publish",
              token_type: "Bearer"
            }
          }
        }
      ])
      const tokens = yield* provider.exchangeCode(EXCHANGE)
      assert.strictEqual(Redacted.value(tokens.accessToken), "act.1")
      assert.strictEqual(tokens.refreshToken === undefined ? undefined : Redacted.value(tokens.refreshToken), "rft.1")
      assert.deepStrictEqual(tokens.scopes, ["user.info.basic", "video.publish"])
      assert.deepStrictEqual(formOf(fake.requests[0]), {
        client_key: "sim-tiktok-client",
        client_secret: "sim-tiktok-secret",
        code: "code-1",
        grant_type: "authorization_code",
        redirect_uri: REDIRECT
      })
    }))

  it.effect("never takes a 200 carrying {error, error_description} for a token set, known error or not", () =>
    Effect.gen(function* () {
      for (const error of ["invalid_grant", "some_future_error"]) {
        const { provider } = providerWith([
          {
            method: "POST",
            path: TOKEN_PATH,
            reply: { status: 200, body: { error, error_description: "Authorization code is expired.", log_id: "202611231000000000" } }
          }
        ])
        const failure = yield* Effect.flip(provider.exchangeCode(EXCHANGE))
        assert.strictEqual(failure.partnerCode, error)
        assert.strictEqual(failure.httpStatus, 200)
        assert.notInclude(failure.message, "sim-tiktok-secret")
      }
    }))

  it.effect("fails a 400 refusal with the classified error, and a 200 without access_token as UNKNOWN", () =>
    Effect.gen(function* () {
      const { provider } = providerWith([
        {
          method: "POST",
          path: TOKEN_PATH,
          reply: [{ status: 400, body: { error: "invalid_grant", error_description: "Authorization code is expired.", log_id: "x" } }, { body: { open_id: "o" } }]
        }
      ])
      assert.strictEqual((yield* Effect.flip(provider.exchangeCode(EXCHANGE)))._tag, "TOKEN_REFRESH_FAILED")
      assert.strictEqual((yield* Effect.flip(provider.exchangeCode(EXCHANGE)))._tag, "UNKNOWN")
    }))
})

describe("TikTokOAuth.identify", () => {
  it.effect("is the one creator of the token: open_id as user and account, display_name as its name", () =>
    Effect.gen(function* () {
      const { fake, provider } = providerWith([
        {
          method: "GET",
          path: "/open.tiktokapis.com/v2/user/info/",
          reply: { body: { data: { user: { open_id: "open-1", union_id: "union-1", display_name: "simcoffee" } }, error: { code: "ok", message: "", log_id: "l" } } }
        }
      ])
      const identity = yield* provider.identify({ accessToken: Redacted.make("act.1") })
      assert.deepStrictEqual(identity, { partnerUserId: "open-1", accounts: [{ accountId: "open-1", displayName: "simcoffee" }] })
      assert.strictEqual(fake.requests[0]?.url.searchParams.get("fields"), "open_id,union_id,display_name")
      assert.strictEqual(fake.requests[0]?.headers["authorization"], "Bearer act.1")
    }))

  it.effect("fails a reply without open_id as UNKNOWN, and TikTok's token error as its classified code", () =>
    Effect.gen(function* () {
      const { provider } = providerWith([
        {
          method: "GET",
          path: "/open.tiktokapis.com/v2/user/info/",
          reply: [
            { body: { data: { user: {} }, error: { code: "ok" } } },
            { status: 401, body: { data: {}, error: { code: "access_token_invalid", message: "The access token is invalid", log_id: "l" } } }
          ]
        }
      ])
      const tokens = { accessToken: Redacted.make("act.1") }
      assert.strictEqual((yield* Effect.flip(provider.identify(tokens)))._tag, "UNKNOWN")
      assert.strictEqual((yield* Effect.flip(provider.identify(tokens)))._tag, "AUTH_EXPIRED")
    }))
})
