import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Layer } from "effect"
import { Connectors } from "../../core/publish/Connector.ts"
import { PLATFORMS } from "../../core/taxonomy/Taxonomy.ts"
import { PartnersLive, partnersLayer } from "./PartnersLive.ts"
import { partnerEndpointsFor } from "./PartnerEndpoints.ts"

const fromEnv = (env: Record<string, string>) => PartnersLive.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown(env))))

describe("PartnersLive: the connectors", () => {
  it.effect("hands out one connector per platform, with refreshToken exactly where the platform has refresh tokens", () =>
    Effect.gen(function* () {
      const connectors = yield* Connectors
      for (const platform of PLATFORMS) assert.strictEqual(connectors.forPlatform(platform).platform, platform)
      const refreshing = PLATFORMS.filter((p) => connectors.forPlatform(p).refreshToken !== undefined)
      assert.deepStrictEqual([...refreshing].sort(), ["gbp", "linkedin", "tiktok"])
    }).pipe(Effect.provide(fromEnv({ PARTNER_SIMULATOR_URL: "http://127.0.0.1:9" }))))

  it.effect("fails to build on broken partner configuration", () =>
    Effect.gen(function* () {
      const exit = yield* Layer.build(fromEnv({ PARTNER_TIMEOUT_MS: "-5" })).pipe(Effect.scoped, Effect.exit)
      assert.isTrue(Exit.isFailure(exit))
    }))

  it.effect("builds from explicit endpoints without reading the environment", () =>
    Effect.gen(function* () {
      const connectors = yield* Connectors
      assert.strictEqual(connectors.forPlatform("mailchimp").platform, "mailchimp")
    }).pipe(Effect.provide(partnersLayer(partnerEndpointsFor("http://127.0.0.1:9")))))
})
