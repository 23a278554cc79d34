import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Layer } from "effect"
import { OAuthProviders } from "../../core/oauth/OAuthProvider.ts"
import { PLATFORMS } from "../../core/taxonomy/Taxonomy.ts"
import { fakeFetch } from "./FakeFetch.ts"
import { makeOAuthProviders } from "./OAuthProvidersLive.ts"
import { PartnersLive, partnersLayer } from "./PartnersLive.ts"
import { partnerEndpointsFor } from "./PartnerEndpoints.ts"

const fromEnv = (env: Record<string, string>) => PartnersLive.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown(env))))

const PARAMS = { state: "s", redirectUri: "http://127.0.0.1:3000/cb", scopes: [], codeChallenge: "c", rerequest: false }

describe("PartnersLive: the OAuth providers", () => {
  it.effect("hands out one configured provider per platform under the simulator, with PKCE exactly for Google (TikTok's web login takes none)", () =>
    Effect.gen(function* () {
      const providers = yield* OAuthProviders
      for (const platform of PLATFORMS) {
        const provider = providers.forPlatform(platform)
        assert.strictEqual(provider.platform, platform)
        assert.isTrue(provider.configured, platform)
      }
      assert.deepStrictEqual(PLATFORMS.filter((p) => providers.forPlatform(p).supportsPkce), ["gbp"])
      assert.deepStrictEqual(PLATFORMS.filter((p) => providers.forPlatform(p).requiredScopes.length === 0), ["mailchimp"])
    }).pipe(Effect.provide(fromEnv({ PARTNER_SIMULATOR_URL: "http://127.0.0.1:9" }))))

  it.effect("configures only the platforms whose client is set against the real hosts", () =>
    Effect.gen(function* () {
      const providers = yield* OAuthProviders
      assert.deepStrictEqual(PLATFORMS.filter((p) => providers.forPlatform(p).configured), ["meta"])
      const url = yield* providers.forPlatform("meta").authorizeUrl(PARAMS)
      assert.isTrue(url.startsWith("https://www.facebook.com/v21.0/dialog/oauth?client_id=app-1&"), url)
    }).pipe(Effect.provide(fromEnv({ META_APP_ID: "app-1", META_APP_SECRET: "s" }))))

  it.effect("fails to build on broken partner configuration", () =>
    Effect.gen(function* () {
      const exit = yield* Layer.build(fromEnv({ GBP_BUSINESS_INFORMATION_URL: "not a url" })).pipe(Effect.scoped, Effect.exit)
      assert.isTrue(Exit.isFailure(exit))
    }))

  it.effect("builds from explicit endpoints without reading the environment", () =>
    Effect.gen(function* () {
      const providers = yield* OAuthProviders
      assert.isFalse(providers.forPlatform("linkedin").configured)
    }).pipe(Effect.provide(partnersLayer(partnerEndpointsFor()))))

  it.effect("makes no partner call when a provider is not configured", () =>
    Effect.gen(function* () {
      const fake = fakeFetch([])
      const providers = makeOAuthProviders(partnerEndpointsFor(), fake.fetch)
      for (const platform of PLATFORMS) {
        const provider = providers[platform]
        assert.strictEqual((yield* Effect.flip(provider.authorizeUrl(PARAMS)))._tag, "UNKNOWN")
        assert.strictEqual((yield* Effect.flip(provider.exchangeCode({ code: "c", redirectUri: PARAMS.redirectUri, codeVerifier: "v" })))._tag, "UNKNOWN")
      }
      assert.lengthOf(fake.requests, 0)
    }))
})
