import { assert, describe, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import type { PublishRequest } from "../../core/publish/Connector.ts"
import { credentialsFor, driveClock, fakeFetch, formOf, type Route } from "./FakeFetch.ts"
import {
  facebookPostFor,
  graphPostsOf,
  grantedScopes,
  instagramContainerFor,
  makeMetaConnector,
  metaTargetOf
} from "./MetaConnector.ts"
import { DEDUPE_HEADER, makePartnerHttp } from "./PartnerHttp.ts"
import { partnerEndpointsFor } from "./PartnerEndpoints.ts"

const endpoints = partnerEndpointsFor("http://sim.test", { polling: { attempts: 4, intervalMs: 1_000 } })
const connectorWith = (routes: ReadonlyArray<Route>) => {
  const fake = fakeFetch(routes)
  return { fake, connector: makeMetaConnector(endpoints, makePartnerHttp({ timeoutMs: 1_000, fetch: fake.fetch })) }
}
const G = "/graph.facebook.com/v21.0"
const INTENT = new Date("2026-11-23T10:00:00Z")

const request = (partnerAccountId: string, content: PublishRequest["content"], extra: Partial<PublishRequest> = {}): PublishRequest => ({
  credentials: credentialsFor("meta", partnerAccountId),
  content,
  dedupeKey: "dk-1",
  intentAt: INTENT,
  ...extra
})

const text = { text: "Hello page", format: "text", mediaUrls: [] } as const
const image = { text: "A photo", format: "image", mediaUrls: ["https://cdn.test/a.jpg"] } as const

describe("Meta payloads", () => {
  it("reads page ids and ig: ids, and refuses anything that could leave the path", () => {
    assert.deepStrictEqual(Result.getOrUndefined(metaTargetOf("1234")), { kind: "page", id: "1234" })
    assert.deepStrictEqual(Result.getOrUndefined(metaTargetOf("ig:1789")), { kind: "instagram", id: "1789" })
    for (const bad of ["", "ig:", "12/feed", "1?x=1", "ig:../me"]) assert.isTrue(Result.isFailure(metaTargetOf(bad)), bad)
  })

  it("sends text with its link to /feed and an image by URL to /photos", () => {
    assert.deepStrictEqual(Result.getOrUndefined(facebookPostFor({ ...text, link: "https://x.test" })), {
      edge: "feed",
      form: { message: "Hello page", link: "https://x.test" }
    })
    assert.deepStrictEqual(Result.getOrUndefined(facebookPostFor(image)), {
      edge: "photos",
      form: { url: "https://cdn.test/a.jpg", caption: "A photo" }
    })
  })

  it("refuses video and carousel page posts as unsupported and an image without a URL as invalid", () => {
    const video = facebookPostFor({ text: "v", format: "video", mediaUrls: ["https://cdn.test/v.mp4"] })
    assert.strictEqual(Result.isFailure(video) ? video.failure._tag : undefined, "CAPABILITY_UNSUPPORTED")
    const empty = facebookPostFor({ ...image, mediaUrls: [] })
    assert.strictEqual(Result.isFailure(empty) ? empty.failure._tag : undefined, "VALIDATION_ERROR")
  })

  it("builds Instagram image and Reels containers, and refuses text-only posts", () => {
    assert.deepStrictEqual(Result.getOrUndefined(instagramContainerFor(image)), { image_url: "https://cdn.test/a.jpg", caption: "A photo" })
    assert.deepStrictEqual(Result.getOrUndefined(instagramContainerFor({ text: "v", format: "video", mediaUrls: ["https://cdn.test/v.mp4"] })), {
      video_url: "https://cdn.test/v.mp4",
      media_type: "REELS",
      caption: "v"
    })
    const textOnly = instagramContainerFor(text)
    assert.strictEqual(Result.isFailure(textOnly) ? textOnly.failure._tag : undefined, "CAPABILITY_UNSUPPORTED")
  })

  it("reports only granted permissions as scopes", () => {
    const body = {
      data: [
        { permission: "pages_manage_posts", status: "granted" },
        { permission: "pages_read_engagement", status: "declined" },
        { permission: "instagram_content_publish", status: "expired" },
        { status: "granted" }
      ]
    }
    assert.deepStrictEqual(grantedScopes(body), ["pages_manage_posts"])
    assert.deepStrictEqual(grantedScopes("garbage"), [])
  })

  it("lists feed and media entries with their text and creation time", () => {
    const posts = graphPostsOf({ data: [{ id: "1_2", message: "m", created_time: "2026-11-23T10:01:00+0000" }, { message: "no id" }] }, "message", "created_time")
    assert.deepStrictEqual(posts, [{ id: "1_2", text: "m", createdAt: new Date("2026-11-23T10:01:00Z") }])
  })
})

describe("MetaConnector", () => {
  it.effect("publishes a page post to /feed with the dedupe key and returns its id and URL", () =>
    Effect.gen(function* () {
      const { fake, connector } = connectorWith([{ method: "POST", path: `${G}/1234/feed`, reply: { body: { id: "1234_99" } } }])
      const post = yield* connector.publish(request("1234", text))
      assert.deepStrictEqual(post, { partnerPostId: "1234_99", url: "https://www.facebook.com/1234_99" })
      const sent = fake.requests[0]
      assert.strictEqual(sent?.headers[DEDUPE_HEADER], "dk-1")
      assert.strictEqual(sent?.headers["authorization"], "Bearer access-token-1")
      assert.deepStrictEqual(formOf(sent), { message: "Hello page" })
    }))

  it.effect("takes the page post id (post_id) of a photo, not the photo id", () =>
    Effect.gen(function* () {
      const { connector } = connectorWith([{ method: "POST", path: `${G}/1234/photos`, reply: { body: { id: "777", post_id: "1234_778" } } }])
      assert.strictEqual((yield* connector.publish(request("1234", image))).partnerPostId, "1234_778")
    }))

  it.effect("polls an Instagram container until FINISHED, then publishes it exactly once", () =>
    Effect.gen(function* () {
      const { fake, connector } = connectorWith([
        { method: "POST", path: `${G}/1789/media`, reply: { body: { id: "c-1" } } },
        {
          method: "GET",
          path: `${G}/c-1`,
          reply: [{ body: { status_code: "IN_PROGRESS", id: "c-1" } }, { body: { status_code: "IN_PROGRESS", id: "c-1" } }, { body: { status_code: "FINISHED", id: "c-1" } }]
        },
        { method: "POST", path: `${G}/1789/media_publish`, reply: { body: { id: "m-9" } } }
      ])
      const post = yield* driveClock(connector.publish(request("ig:1789", image)), 1_000)
      assert.strictEqual(post.partnerPostId, "m-9")
      assert.strictEqual(fake.callsTo("GET", `${G}/c-1`).length, 3)
      assert.deepStrictEqual(formOf(fake.callsTo("POST", `${G}/1789/media_publish`)[0]), { creation_id: "c-1" })
      assert.deepStrictEqual(formOf(fake.callsTo("POST", `${G}/1789/media`)[0]), { image_url: "https://cdn.test/a.jpg", caption: "A photo" })
    }))

  it.effect("gives up after the bounded number of checks with TIMEOUT and never publishes", () =>
    Effect.gen(function* () {
      const { fake, connector } = connectorWith([
        { method: "POST", path: `${G}/1789/media`, reply: { body: { id: "c-2" } } },
        { method: "GET", path: `${G}/c-2`, reply: { body: { status_code: "IN_PROGRESS" } } }
      ])
      const error = yield* Effect.flip(driveClock(connector.publish(request("ig:1789", image)), 1_000))
      assert.strictEqual(error._tag, "TIMEOUT")
      assert.strictEqual(fake.callsTo("GET", `${G}/c-2`).length, 4)
      assert.strictEqual(fake.callsTo("POST", `${G}/1789/media_publish`).length, 0)
    }))

  it.effect("reuses the container of an earlier attempt (partnerRef) instead of creating another", () =>
    Effect.gen(function* () {
      const { fake, connector } = connectorWith([
        { method: "GET", path: `${G}/c-old`, reply: { body: { status_code: "FINISHED" } } },
        { method: "POST", path: `${G}/1789/media_publish`, reply: { body: { id: "m-1" } } }
      ])
      const post = yield* connector.publish(request("ig:1789", image, { partnerRef: "c-old" }))
      assert.strictEqual(post.partnerPostId, "m-1")
      assert.strictEqual(fake.callsTo("POST", `${G}/1789/media`).length, 0)
    }))

  it.effect("fails a container in ERROR as MEDIA_INVALID, with the Instagram subcode when given", () =>
    Effect.gen(function* () {
      const { connector } = connectorWith([
        { method: "POST", path: `${G}/1789/media`, reply: { body: { id: "c-3" } } },
        { method: "GET", path: `${G}/c-3`, reply: { body: { status_code: "ERROR", status: "Error: Media upload has failed with error code 2207026" } } }
      ])
      const error = yield* Effect.flip(connector.publish(request("ig:1789", image)))
      assert.strictEqual(error._tag, "MEDIA_INVALID")
      assert.strictEqual(error.partnerCode, "2207026")
    }))

  it.effect("finds our page post by exact text after the intent, and nothing when only an older one exists", () =>
    Effect.gen(function* () {
      const feed = {
        data: [
          { id: "1234_3", message: "Other", created_time: "2026-11-23T10:05:00+0000" },
          { id: "1234_2", message: "Hello page", created_time: "2026-11-23T10:00:30+0000" },
          { id: "1234_1", message: "Hello page", created_time: "2026-11-20T08:00:00+0000" }
        ]
      }
      const { fake, connector } = connectorWith([{ method: "GET", path: `${G}/1234/feed`, reply: { body: feed } }])
      assert.deepStrictEqual(yield* connector.findPublished(request("1234", text)), {
        partnerPostId: "1234_2",
        url: "https://www.facebook.com/1234_2"
      })
      assert.isUndefined(yield* connector.findPublished(request("1234", text, { intentAt: new Date("2026-11-23T11:00:00Z") })))
      assert.strictEqual(fake.requests[0]?.url.searchParams.get("fields"), "id,message,created_time")
      assert.strictEqual(fake.requests.filter((r) => r.method !== "GET").length, 0)
    }))

  it.effect("reconciles Instagram over the media list by caption", () =>
    Effect.gen(function* () {
      const { connector } = connectorWith([
        { method: "GET", path: `${G}/1789/media`, reply: { body: { data: [{ id: "m-5", caption: "A photo", timestamp: "2026-11-23T10:00:10+0000" }] } } }
      ])
      assert.strictEqual((yield* connector.findPublished(request("ig:1789", image)))?.partnerPostId, "m-5")
    }))

  it.effect("reports the granted scopes on a health check and has no refreshToken", () =>
    Effect.gen(function* () {
      const { connector } = connectorWith([
        { method: "GET", path: `${G}/me`, reply: { body: { id: "1234", name: "Page" } } },
        { method: "GET", path: `${G}/me/permissions`, reply: { body: { data: [{ permission: "pages_manage_posts", status: "granted" }] } } }
      ])
      assert.deepStrictEqual(yield* connector.healthCheck(credentialsFor("meta", "1234")), { scopes: ["pages_manage_posts"] })
      assert.isFalse("refreshToken" in connector)
    }))

  it.effect("surfaces an expired token as AUTH_EXPIRED from the classifier", () =>
    Effect.gen(function* () {
      const { connector } = connectorWith([
        {
          method: "GET",
          path: `${G}/me`,
          reply: { status: 400, body: { error: { message: "Session has expired", type: "OAuthException", code: 190, error_subcode: 463 } } }
        }
      ])
      const error = yield* Effect.flip(connector.healthCheck(credentialsFor("meta", "1234")))
      assert.strictEqual(error._tag, "AUTH_EXPIRED")
      assert.strictEqual(error.partnerCode, "190/463")
    }))
})
