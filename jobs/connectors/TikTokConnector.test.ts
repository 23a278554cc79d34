import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted, Result } from "effect"
import type { PublishRequest } from "../../core/publish/Connector.ts"
import { credentialsFor, driveClock, fakeFetch, formOf, jsonOf, type Route } from "./FakeFetch.ts"
import { partnerEndpointsFor } from "./PartnerEndpoints.ts"
import { makePartnerHttp } from "./PartnerHttp.ts"
import { creatorInfoOf, makeTikTokConnector, PHOTO_TITLE_MAX, privacyLevelFor, publishStatusOf, tiktokInitFor } from "./TikTokConnector.ts"

const T = "/open.tiktokapis.com/v2"
const OK = { code: "ok", message: "", log_id: "log-1" }
const endpoints = partnerEndpointsFor("http://sim.test", { polling: { attempts: 3, intervalMs: 2_000 } })
const connectorWith = (routes: ReadonlyArray<Route>) => {
  const fake = fakeFetch(routes)
  return { fake, connector: makeTikTokConnector(endpoints, makePartnerHttp({ timeoutMs: 1_000, fetch: fake.fetch })) }
}
const video = { text: "Watch this", format: "video", mediaUrls: ["https://cdn.test/v.mp4"] } as const
const photos = { text: "Two photos", format: "carousel", mediaUrls: ["https://cdn.test/1.jpg", "https://cdn.test/2.jpg"] } as const
const request = (content: PublishRequest["content"], extra: Partial<PublishRequest> = {}): PublishRequest => ({
  credentials: credentialsFor("tiktok", "open-id-1"),
  content,
  dedupeKey: "dk-tt",
  ...extra
})
const creator = { data: { privacy_level_options: ["SELF_ONLY", "PUBLIC_TO_EVERYONE"], comment_disabled: false }, error: OK }
const status = (s: string, extra: Record<string, unknown> = {}) => ({ body: { data: { status: s, ...extra }, error: OK } })

describe("TikTok payloads", () => {
  it("posts publicly when the creator allows it, else at the first offered level", () => {
    assert.strictEqual(privacyLevelFor(creatorInfoOf(creator)), "PUBLIC_TO_EVERYONE")
    assert.strictEqual(privacyLevelFor(creatorInfoOf({ data: { privacy_level_options: ["SELF_ONLY"] } })), "SELF_ONLY")
    assert.strictEqual(privacyLevelFor(creatorInfoOf({})), "SELF_ONLY")
  })

  it("inits a video with PULL_FROM_URL and photos through content/init", () => {
    const info = creatorInfoOf(creator)
    assert.deepStrictEqual(Result.getOrUndefined(tiktokInitFor(video, info)), {
      path: "video/init",
      body: {
        post_info: { title: "Watch this", privacy_level: "PUBLIC_TO_EVERYONE", disable_comment: false, disable_duet: false, disable_stitch: false },
        source_info: { source: "PULL_FROM_URL", video_url: "https://cdn.test/v.mp4" }
      }
    })
    const long = "x".repeat(200)
    const init = Result.getOrUndefined(tiktokInitFor({ ...photos, text: long }, info))
    assert.strictEqual(init?.path, "content/init")
    const body = init?.body as { post_info: { title: string; description: string }; source_info: unknown; media_type: string; post_mode: string }
    assert.strictEqual(body.post_info.title.length, PHOTO_TITLE_MAX)
    assert.strictEqual(body.post_info.description, long)
    assert.deepStrictEqual(body.source_info, { source: "PULL_FROM_URL", photo_images: photos.mediaUrls, photo_cover_index: 0 })
    assert.strictEqual(body.media_type, "PHOTO")
    assert.strictEqual(body.post_mode, "DIRECT_POST")
  })

  it("refuses text-only posts as unsupported", () => {
    const text = tiktokInitFor({ text: "hi", format: "text", mediaUrls: [] }, creatorInfoOf(creator))
    assert.strictEqual(Result.isFailure(text) ? text.failure._tag : undefined, "CAPABILITY_UNSUPPORTED")
  })

  it("reads the status and a public post id, dropping ids JSON could not hold exactly", () => {
    assert.deepStrictEqual(publishStatusOf({ data: { status: "PUBLISH_COMPLETE", publicaly_available_post_id: ["7311"] } }), {
      status: "PUBLISH_COMPLETE",
      postId: "7311"
    })
    assert.deepStrictEqual(publishStatusOf({ data: { status: "PUBLISH_COMPLETE", publicaly_available_post_id: [7311] } }).postId, "7311")
    assert.isUndefined(publishStatusOf({ data: { status: "PUBLISH_COMPLETE", publicaly_available_post_id: [2 ** 60] } }).postId)
  })
})

describe("TikTokConnector", () => {
  it.effect("inits, polls the status until PUBLISH_COMPLETE and returns the public post id", () =>
    Effect.gen(function* () {
      const { fake, connector } = connectorWith([
        { method: "POST", path: `${T}/post/publish/creator_info/query/`, reply: { body: creator } },
        { method: "POST", path: `${T}/post/publish/video/init/`, reply: { body: { data: { publish_id: "p-1" }, error: OK } } },
        {
          method: "POST",
          path: `${T}/post/publish/status/fetch/`,
          reply: [status("PROCESSING_DOWNLOAD"), status("PUBLISH_COMPLETE", { publicaly_available_post_id: ["7311"] })]
        }
      ])
      const post = yield* driveClock(connector.publish(request(video)), 2_000)
      assert.deepStrictEqual(post, { partnerPostId: "7311" })
      assert.deepStrictEqual(jsonOf(fake.callsTo("POST", `${T}/post/publish/status/fetch/`)[0]), { publish_id: "p-1" })
      assert.strictEqual(fake.callsTo("POST", `${T}/post/publish/video/init/`).length, 1)
    }))

  it.effect("fails with the classified fail_reason when the publish FAILED", () =>
    Effect.gen(function* () {
      const { connector } = connectorWith([
        { method: "POST", path: `${T}/post/publish/creator_info/query/`, reply: { body: creator } },
        { method: "POST", path: `${T}/post/publish/content/init/`, reply: { body: { data: { publish_id: "p-2" }, error: OK } } },
        { method: "POST", path: `${T}/post/publish/status/fetch/`, reply: status("FAILED", { fail_reason: "spam_risk_text" }) }
      ])
      const error = yield* Effect.flip(connector.publish(request(photos)))
      assert.strictEqual(error._tag, "CONTENT_REJECTED")
      assert.strictEqual(error.partnerCode, "spam_risk_text")
    }))

  it.effect("stops polling at the bound with TIMEOUT", () =>
    Effect.gen(function* () {
      const { fake, connector } = connectorWith([
        { method: "POST", path: `${T}/post/publish/status/fetch/`, reply: status("PROCESSING_UPLOAD") }
      ])
      const error = yield* Effect.flip(driveClock(connector.publish(request(video, { partnerRef: "p-3" })), 2_000))
      assert.strictEqual(error._tag, "TIMEOUT")
      assert.strictEqual(fake.requests.length, 3)
    }))

  it.effect("surfaces a creator over the daily cap (an error inside HTTP 200) before any init", () =>
    Effect.gen(function* () {
      const { fake, connector } = connectorWith([
        {
          method: "POST",
          path: `${T}/post/publish/creator_info/query/`,
          reply: { body: { data: {}, error: { code: "spam_risk_too_many_posts", message: "", log_id: "l" } } }
        }
      ])
      assert.strictEqual((yield* Effect.flip(connector.publish(request(video))))._tag, "QUOTA_EXCEEDED")
      assert.strictEqual(fake.callsTo("POST", `${T}/post/publish/video/init/`).length, 0)
    }))

  it.effect("reconciles only with a publish_id: undefined without one, without calling TikTok", () =>
    Effect.gen(function* () {
      const { fake, connector } = connectorWith([])
      assert.isUndefined(yield* connector.findPublished(request(video)))
      assert.strictEqual(fake.requests.length, 0)
    }))

  it.effect("finds a publish in progress or complete, and not one that failed for a transient reason", () =>
    Effect.gen(function* () {
      const { connector } = connectorWith([
        {
          method: "POST",
          path: `${T}/post/publish/status/fetch/`,
          reply: [status("PROCESSING_DOWNLOAD"), status("PUBLISH_COMPLETE", { publicaly_available_post_id: ["9"] }), status("FAILED", { fail_reason: "internal" }), status("FAILED", { fail_reason: "video_pull_failed" })]
        }
      ])
      const withRef = request(video, { partnerRef: "p-4" })
      assert.deepStrictEqual(yield* connector.findPublished(withRef), { partnerPostId: "p-4" })
      assert.deepStrictEqual(yield* connector.findPublished(withRef), { partnerPostId: "9" })
      assert.isUndefined(yield* connector.findPublished(withRef))
      assert.strictEqual((yield* Effect.flip(connector.findPublished(withRef)))._tag, "MEDIA_INVALID")
    }))

  it.effect("refreshes with client_key and keeps the rotated refresh token", () =>
    Effect.gen(function* () {
      const { fake, connector } = connectorWith([
        {
          method: "POST",
          path: `${T}/oauth/token/`,
          reply: { body: { access_token: "a-2", expires_in: 86_400, open_id: "open-id-1", refresh_token: "r-2", refresh_expires_in: 31_536_000, scope: "video.publish", token_type: "Bearer" } }
        }
      ])
      const tokens = yield* (connector.refreshToken?.(Redacted.make("r-1")) ?? Effect.die("TikTok must refresh"))
      assert.strictEqual(tokens.refreshToken === undefined ? undefined : Redacted.value(tokens.refreshToken), "r-2")
      assert.deepStrictEqual(formOf(fake.requests[0]), {
        client_key: "sim-tiktok-client",
        client_secret: "sim-tiktok-secret",
        grant_type: "refresh_token",
        refresh_token: "r-1"
      })
    }))

  it.effect("turns TikTok's invalid_grant into TOKEN_REFRESH_FAILED", () =>
    Effect.gen(function* () {
      const { connector } = connectorWith([
        { method: "POST", path: `${T}/oauth/token/`, reply: { status: 400, body: { error: "invalid_grant", error_description: "Refresh token is invalid or expired.", log_id: "l" } } }
      ])
      const error = yield* Effect.flip(connector.refreshToken?.(Redacted.make("r-x")) ?? Effect.die("TikTok must refresh"))
      assert.strictEqual(error._tag, "TOKEN_REFRESH_FAILED")
    }))

  it.effect("health-checks with creator_info, which fails on a token without video.publish", () =>
    Effect.gen(function* () {
      const { fake, connector } = connectorWith([
        {
          method: "POST",
          path: `${T}/post/publish/creator_info/query/`,
          reply: [
            { body: creator },
            { status: 401, body: { data: {}, error: { code: "scope_not_authorized", message: "The user did not authorize the scope required for completing this request.", log_id: "log-2" } } }
          ]
        }
      ])
      assert.deepStrictEqual(yield* connector.healthCheck(credentialsFor("tiktok", "open-id-1")), {})
      assert.strictEqual((yield* Effect.flip(connector.healthCheck(credentialsFor("tiktok", "open-id-1"))))._tag, "PERMISSION_INSUFFICIENT")
      assert.strictEqual(fake.requests.length, 2)
      assert.strictEqual(fake.requests[0]?.headers["authorization"], "Bearer access-token-1")
      assert.deepStrictEqual(jsonOf(fake.requests[0]), {})
    }))
})
