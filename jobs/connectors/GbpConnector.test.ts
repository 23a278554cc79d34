import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted, Result } from "effect"
import type { PublishRequest } from "../../core/publish/Connector.ts"
import { credentialsFor, fakeFetch, formOf, jsonOf, type Route } from "./FakeFetch.ts"
import { gbpLocationOf, localPostBody, localPostsOf, locationStatusOf, makeGbpConnector } from "./GbpConnector.ts"
import { partnerEndpointsFor } from "./PartnerEndpoints.ts"
import { makePartnerHttp } from "./PartnerHttp.ts"

const LOCATION = "accounts/1/locations/2"
const POSTS = `/mybusiness.googleapis.com/v4/${LOCATION}/localPosts`
const INTENT = new Date("2026-11-23T10:00:00Z")
const connectorWith = (routes: ReadonlyArray<Route>) => {
  const fake = fakeFetch(routes)
  return { fake, connector: makeGbpConnector(partnerEndpointsFor("http://sim.test"), makePartnerHttp({ timeoutMs: 1_000, fetch: fake.fetch })) }
}
const text = { text: "Open late on Friday", format: "text", mediaUrls: [] } as const
const request = (content: PublishRequest["content"] = text, extra: Partial<PublishRequest> = {}): PublishRequest => ({
  credentials: credentialsFor("gbp", LOCATION),
  content,
  dedupeKey: "dk-gbp",
  intentAt: INTENT,
  ...extra
})
const localPost = (n: number, state: string, summary = text.text, createTime = "2026-11-23T10:00:05Z") => ({
  name: `${LOCATION}/localPosts/${n}`,
  summary,
  state,
  createTime,
  searchUrl: `https://local.google.com/place?post=${n}`
})

describe("GBP payloads", () => {
  it("accepts accounts/{a}/locations/{l} only", () => {
    assert.isTrue(Result.isSuccess(gbpLocationOf(LOCATION)))
    for (const bad of ["locations/2", "accounts/1/locations/2/localPosts", "accounts/../locations/2", "accounts/1/locations/2?x"]) {
      assert.isTrue(Result.isFailure(gbpLocationOf(bad)), bad)
    }
  })

  it("builds a STANDARD post with photos and a LEARN_MORE call to action", () => {
    assert.deepStrictEqual(
      Result.getOrUndefined(localPostBody({ text: "New menu", format: "image", mediaUrls: ["https://cdn.test/m.jpg"], link: "https://x.test/menu" })),
      {
        languageCode: "en",
        summary: "New menu",
        topicType: "STANDARD",
        media: [{ mediaFormat: "PHOTO", sourceUrl: "https://cdn.test/m.jpg" }],
        callToAction: { actionType: "LEARN_MORE", url: "https://x.test/menu" }
      }
    )
    const videoPost = localPostBody({ text: "v", format: "video", mediaUrls: ["https://cdn.test/v.mp4"] })
    assert.strictEqual(Result.isFailure(videoPost) ? videoPost.failure._tag : undefined, "CAPABILITY_UNSUPPORTED")
  })

  it("lists local posts with their summary and createTime", () => {
    const [post] = localPostsOf({ localPosts: [localPost(1, "LIVE")] })
    assert.strictEqual(post?.id, `${LOCATION}/localPosts/1`)
    assert.strictEqual(post?.createdAt?.toISOString(), "2026-11-23T10:00:05.000Z")
  })
})

describe("GbpConnector", () => {
  it.effect("publishes a local post and counts PROCESSING as accepted", () =>
    Effect.gen(function* () {
      const { fake, connector } = connectorWith([{ method: "POST", path: POSTS, reply: { body: localPost(5, "PROCESSING") } }])
      assert.deepStrictEqual(yield* connector.publish(request()), {
        partnerPostId: `${LOCATION}/localPosts/5`,
        url: "https://local.google.com/place?post=5"
      })
      assert.strictEqual((jsonOf(fake.requests[0]) as { summary: string }).summary, text.text)
    }))

  it.effect("fails a post Google answers with state REJECTED as CONTENT_REJECTED", () =>
    Effect.gen(function* () {
      const { connector } = connectorWith([{ method: "POST", path: POSTS, reply: { body: localPost(6, "REJECTED") } }])
      assert.strictEqual((yield* Effect.flip(connector.publish(request())))._tag, "CONTENT_REJECTED")
    }))

  it.effect("finds our post by summary after the intent; an older twin is not ours; a rejected one is its outcome", () =>
    Effect.gen(function* () {
      const { fake, connector } = connectorWith([
        {
          method: "GET",
          path: POSTS,
          reply: [
            { body: { localPosts: [localPost(7, "LIVE"), localPost(3, "LIVE", text.text, "2026-10-01T00:00:00Z")] } },
            { body: { localPosts: [localPost(3, "LIVE", text.text, "2026-10-01T00:00:00Z")] } },
            { body: { localPosts: [localPost(8, "REJECTED")] } }
          ]
        }
      ])
      assert.strictEqual((yield* connector.findPublished(request()))?.partnerPostId, `${LOCATION}/localPosts/7`)
      assert.isUndefined(yield* connector.findPublished(request()))
      assert.strictEqual((yield* Effect.flip(connector.findPublished(request())))._tag, "CONTENT_REJECTED")
      assert.strictEqual(fake.requests[0]?.url.searchParams.get("pageSize"), "100")
    }))

  it.effect("health-checks the location first, then reports tokeninfo's scopes", () =>
    Effect.gen(function* () {
      const { fake, connector } = connectorWith([
        { method: "GET", path: POSTS, reply: { body: { localPosts: [] } } },
        { method: "GET", path: "/www.googleapis.com/oauth2/v3/tokeninfo", reply: { body: { scope: "https://www.googleapis.com/auth/business.manage openid", exp: "1", sub: "s" } } }
      ])
      const report = yield* connector.healthCheck(credentialsFor("gbp", LOCATION))
      assert.deepStrictEqual(report, { scopes: ["https://www.googleapis.com/auth/business.manage", "openid"] })
      assert.strictEqual(fake.requests[0]?.url.searchParams.get("pageSize"), "1")
      assert.strictEqual(fake.requests[1]?.url.searchParams.get("access_token"), "access-token-1")
    }))

  it.effect("reads an expired Google token on the location call as AUTH_EXPIRED", () =>
    Effect.gen(function* () {
      const { connector } = connectorWith([
        { method: "GET", path: POSTS, reply: { status: 401, body: { error: { code: 401, message: "Request had invalid authentication credentials.", status: "UNAUTHENTICATED" } } } }
      ])
      assert.strictEqual((yield* Effect.flip(connector.healthCheck(credentialsFor("gbp", LOCATION))))._tag, "AUTH_EXPIRED")
    }))

  it.effect("refreshes without a refresh token in the answer: the stored one is kept", () =>
    Effect.gen(function* () {
      const { fake, connector } = connectorWith([
        { method: "POST", path: "/oauth2.googleapis.com/token", reply: { body: { access_token: "ya29.new", expires_in: 3599, scope: "https://www.googleapis.com/auth/business.manage", token_type: "Bearer" } } }
      ])
      const tokens = yield* (connector.refreshToken?.(Redacted.make("1//r")) ?? Effect.die("Google must refresh"))
      assert.strictEqual(Redacted.value(tokens.accessToken), "ya29.new")
      assert.isFalse("refreshToken" in tokens)
      assert.strictEqual(formOf(fake.requests[0])["client_id"], "sim-gbp-client")
    }))

  it.effect("turns Google's invalid_grant into TOKEN_REFRESH_FAILED", () =>
    Effect.gen(function* () {
      const { connector } = connectorWith([
        { method: "POST", path: "/oauth2.googleapis.com/token", reply: { status: 400, body: { error: "invalid_grant", error_description: "Token has been expired or revoked." } } }
      ])
      const error = yield* Effect.flip(connector.refreshToken?.(Redacted.make("1//r")) ?? Effect.die("Google must refresh"))
      assert.strictEqual(error._tag, "TOKEN_REFRESH_FAILED")
      assert.strictEqual(error.platform, "gbp")
    }))

  it("reads a location's metadata as its status: both posting flags true is ok, a false or left-out one restricted", () => {
    assert.strictEqual(locationStatusOf({ name: "locations/2", metadata: { hasVoiceOfMerchant: true, canOperateLocalPost: true } }), "ok")
    assert.strictEqual(locationStatusOf({ metadata: { hasVoiceOfMerchant: false, canOperateLocalPost: true } }), "restricted")
    assert.strictEqual(locationStatusOf({ metadata: { hasVoiceOfMerchant: true, canOperateLocalPost: false } }), "restricted")
    // Proto3 JSON leaves false out.
    assert.strictEqual(locationStatusOf({ metadata: { hasVoiceOfMerchant: true } }), "restricted")
    assert.strictEqual(locationStatusOf({ name: "locations/2" }), "ok")
  })

  const LOCATION_READ = "/mybusinessbusinessinformation.googleapis.com/v1/locations/2"

  it.effect("reads the location's state from the Business Information API", () =>
    Effect.gen(function* () {
      const { fake, connector } = connectorWith([
        {
          method: "GET",
          path: LOCATION_READ,
          reply: [
            { body: { name: "locations/2", title: "Downtown", metadata: { hasVoiceOfMerchant: true, canOperateLocalPost: true } } },
            { body: { name: "locations/2", title: "Downtown", metadata: { hasVoiceOfMerchant: false, canOperateLocalPost: false } } }
          ]
        }
      ])
      const status = connector.accountStatus
      if (status === undefined) return yield* Effect.die("GBP must read its account status")
      assert.strictEqual(yield* status(credentialsFor("gbp", LOCATION)), "ok")
      assert.strictEqual(yield* status(credentialsFor("gbp", LOCATION)), "restricted")
      assert.strictEqual(fake.requests[0]?.url.searchParams.get("readMask"), "name,title,metadata")
      assert.strictEqual(fake.requests[0]?.headers["authorization"], "Bearer access-token-1")
    }))

  it.effect("reads Google's NOT_FOUND as gone and fails other errors with their code", () =>
    Effect.gen(function* () {
      const notFound = { error: { code: 404, message: "Requested entity was not found.", status: "NOT_FOUND" } }
      const denied = {
        error: {
          code: 403,
          message: "Request had insufficient authentication scopes.",
          status: "PERMISSION_DENIED",
          details: [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "ACCESS_TOKEN_SCOPE_INSUFFICIENT", domain: "googleapis.com" }]
        }
      }
      const { connector } = connectorWith([{ method: "GET", path: LOCATION_READ, reply: [{ status: 404, body: notFound }, { status: 403, body: denied }, { status: 503, body: { error: { code: 503, message: "The service is currently unavailable.", status: "UNAVAILABLE" } } }] }])
      const status = connector.accountStatus
      if (status === undefined) return yield* Effect.die("GBP must read its account status")
      assert.strictEqual(yield* status(credentialsFor("gbp", LOCATION)), "gone")
      assert.strictEqual((yield* Effect.flip(status(credentialsFor("gbp", LOCATION))))._tag, "PERMISSION_INSUFFICIENT")
      assert.strictEqual((yield* Effect.flip(status(credentialsFor("gbp", LOCATION))))._tag, "PARTNER_UNAVAILABLE")
    }))
})
