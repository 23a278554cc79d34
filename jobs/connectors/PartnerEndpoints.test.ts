import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Redacted } from "effect"
import fc from "fast-check"
import { PLATFORMS, type Platform } from "../../core/taxonomy/Taxonomy.ts"
import {
  CLIENT_VARIABLES,
  HOST_VARIABLES,
  type HostKey,
  mailchimpApiUrl,
  type PartnerEndpoints,
  PartnerEndpointsConfig,
  partnerEndpointsFor,
  REAL_HOSTS
} from "./PartnerEndpoints.ts"

const fromEnv = (env: Record<string, string>) =>
  Effect.gen(function* () {
    return yield* PartnerEndpointsConfig
  }).pipe(Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown(env))))

const refusal = (env: Record<string, string>) =>
  Effect.gen(function* () {
    const exit = yield* Effect.exit(fromEnv(env))
    assert.isTrue(Exit.isFailure(exit), "the configuration must be refused")
    return Exit.isFailure(exit) ? String(exit.cause) : ""
  })

const clientValues = (endpoints: PartnerEndpoints, platform: Platform) => {
  const client = endpoints.clients[platform]
  return client === undefined ? undefined : [Redacted.value(client.id), Redacted.value(client.secret)]
}

describe("PartnerEndpoints from the environment", () => {
  it.effect("defaults to the real hosts, v21.0, LinkedIn-Version 202411, 15 s per call, and no OAuth clients", () =>
    Effect.gen(function* () {
      const endpoints = yield* fromEnv({})
      assert.deepStrictEqual(endpoints.hosts, REAL_HOSTS)
      assert.strictEqual(endpoints.metaGraphVersion, "v21.0")
      assert.strictEqual(endpoints.linkedinVersion, "202411")
      assert.strictEqual(endpoints.timeoutMs, 15_000)
      assert.deepStrictEqual(endpoints.clients, { meta: undefined, linkedin: undefined, tiktok: undefined, gbp: undefined, mailchimp: undefined })
      assert.strictEqual(mailchimpApiUrl(endpoints, "us21"), "https://us21.api.mailchimp.com")
    }))

  it.effect("mounts every host under PARTNER_SIMULATOR_URL by hostname and gives the simulator's OAuth clients", () =>
    Effect.gen(function* () {
      const endpoints = yield* fromEnv({ PARTNER_SIMULATOR_URL: "http://127.0.0.1:4010/" })
      assert.strictEqual(endpoints.hosts.metaGraph, "http://127.0.0.1:4010/graph.facebook.com")
      assert.strictEqual(endpoints.hosts.linkedinOAuth, "http://127.0.0.1:4010/www.linkedin.com")
      assert.strictEqual(endpoints.hosts.tiktokApi, "http://127.0.0.1:4010/open.tiktokapis.com")
      assert.strictEqual(endpoints.hosts.googleOAuth, "http://127.0.0.1:4010/oauth2.googleapis.com")
      assert.strictEqual(endpoints.hosts.googleApis, "http://127.0.0.1:4010/www.googleapis.com")
      assert.strictEqual(endpoints.hosts.gbpAccountsApi, "http://127.0.0.1:4010/mybusinessaccountmanagement.googleapis.com")
      assert.strictEqual(endpoints.hosts.gbpInfoApi, "http://127.0.0.1:4010/mybusinessbusinessinformation.googleapis.com")
      assert.strictEqual(mailchimpApiUrl(endpoints, "us1"), "http://127.0.0.1:4010/us1.api.mailchimp.com")
      for (const platform of PLATFORMS) {
        assert.deepStrictEqual(clientValues(endpoints, platform), [`sim-${platform}-client`, `sim-${platform}-secret`], platform)
      }
    }))

  it.effect("lets a per-host variable win over the simulator, and configured clients win over its defaults", () =>
    Effect.gen(function* () {
      const endpoints = yield* fromEnv({
        PARTNER_SIMULATOR_URL: "http://127.0.0.1:4010",
        META_GRAPH_URL: "http://meta.test:9000/",
        MAILCHIMP_API_URL_TEMPLATE: "http://mc.test/{dc}",
        LINKEDIN_CLIENT_ID: "li-id",
        LINKEDIN_CLIENT_SECRET: "li-secret",
        META_APP_ID: "meta-app",
        META_APP_SECRET: "meta-secret",
        MAILCHIMP_CLIENT_ID: "mc-id",
        MAILCHIMP_CLIENT_SECRET: "mc-secret",
        GBP_BUSINESS_INFORMATION_URL: "http://gbp-info.test/",
        META_GRAPH_VERSION: "v22.0",
        LINKEDIN_VERSION: "202501",
        PARTNER_TIMEOUT_MS: "250"
      })
      assert.strictEqual(endpoints.hosts.metaGraph, "http://meta.test:9000")
      assert.strictEqual(endpoints.hosts.gbpApi, "http://127.0.0.1:4010/mybusiness.googleapis.com")
      assert.strictEqual(mailchimpApiUrl(endpoints, "us1"), "http://mc.test/us1")
      assert.strictEqual(endpoints.hosts.gbpInfoApi, "http://gbp-info.test")
      assert.strictEqual(endpoints.hosts.gbpAccountsApi, "http://127.0.0.1:4010/mybusinessaccountmanagement.googleapis.com")
      assert.deepStrictEqual(clientValues(endpoints, "linkedin"), ["li-id", "li-secret"])
      assert.deepStrictEqual(clientValues(endpoints, "meta"), ["meta-app", "meta-secret"])
      assert.deepStrictEqual(clientValues(endpoints, "mailchimp"), ["mc-id", "mc-secret"])
      assert.deepStrictEqual(clientValues(endpoints, "tiktok"), ["sim-tiktok-client", "sim-tiktok-secret"])
      assert.strictEqual(endpoints.metaGraphVersion, "v22.0")
      assert.strictEqual(endpoints.linkedinVersion, "202501")
      assert.strictEqual(endpoints.timeoutMs, 250)
    }))

  it.effect("treats a client with only one half configured as not configured outside the simulator", () =>
    Effect.gen(function* () {
      const endpoints = yield* fromEnv({ GOOGLE_CLIENT_ID: "g-id", META_APP_SECRET: "m-secret", MAILCHIMP_CLIENT_ID: "mc-id" })
      assert.isUndefined(endpoints.clients.gbp)
      assert.isUndefined(endpoints.clients.meta)
      assert.isUndefined(endpoints.clients.mailchimp)
    }))

  it.effect("reads each platform's client from its own pair of variables", () =>
    Effect.gen(function* () {
      for (const platform of PLATFORMS) {
        const [idName, secretName] = CLIENT_VARIABLES[platform]
        const endpoints = yield* fromEnv({ [idName]: `${platform}-id`, [secretName]: `${platform}-secret` })
        assert.deepStrictEqual(clientValues(endpoints, platform), [`${platform}-id`, `${platform}-secret`])
        for (const other of PLATFORMS) if (other !== platform) assert.isUndefined(endpoints.clients[other], `${other} from ${idName}`)
      }
    }))

  it.effect("refuses a malformed URL, a Mailchimp template without {dc}, a zero timeout and a bad version", () =>
    Effect.gen(function* () {
      assert.include(yield* refusal({ LINKEDIN_API_URL: "not a url" }), "LINKEDIN_API_URL")
      assert.include(yield* refusal({ MAILCHIMP_API_URL_TEMPLATE: "https://api.mailchimp.com" }), "{dc}")
      assert.include(yield* refusal({ PARTNER_TIMEOUT_MS: "0" }), "PARTNER_TIMEOUT_MS")
      assert.include(yield* refusal({ META_GRAPH_VERSION: "21" }), "META_GRAPH_VERSION")
    }))

  it.effect("never shows a client secret when printed", () =>
    Effect.gen(function* () {
      const endpoints = yield* fromEnv({ TIKTOK_CLIENT_KEY: "key-1", TIKTOK_CLIENT_SECRET: "super-secret-value" })
      assert.notInclude(JSON.stringify(endpoints), "super-secret-value")
      assert.notInclude(String(endpoints.clients.tiktok?.secret), "super-secret-value")
    }))
})

describe("partnerEndpointsFor", () => {
  it("maps each real host to {simulator}/{hostname} for any simulator address", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 65_535 }), fc.boolean(), (port, slash) => {
        const simulator = `http://127.0.0.1:${port}${slash ? "/" : ""}`
        const endpoints = partnerEndpointsFor(simulator)
        for (const key of Object.keys(REAL_HOSTS) as ReadonlyArray<HostKey>) {
          const hostname = REAL_HOSTS[key].replace("https://", "")
          assert.strictEqual(endpoints.hosts[key], `http://127.0.0.1:${port}/${hostname}`)
        }
      })
    )
  })

  it("names one override variable per host", () => {
    assert.deepStrictEqual(Object.keys(HOST_VARIABLES).sort(), Object.keys(REAL_HOSTS).sort())
    assert.strictEqual(new Set(Object.values(HOST_VARIABLES)).size, Object.keys(HOST_VARIABLES).length)
  })

  it("has no OAuth clients for the real hosts unless given, and the simulator's for every platform under it", () => {
    for (const platform of PLATFORMS) assert.isUndefined(partnerEndpointsFor().clients[platform])
    const sim = partnerEndpointsFor("http://127.0.0.1:4010")
    for (const platform of PLATFORMS) assert.deepStrictEqual(clientValues(sim, platform), [`sim-${platform}-client`, `sim-${platform}-secret`])
    const client = { id: Redacted.make("a"), secret: Redacted.make("b") }
    assert.strictEqual(partnerEndpointsFor(undefined, { clients: { tiktok: client } }).clients.tiktok, client)
  })
})
