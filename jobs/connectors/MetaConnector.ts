// Facebook Pages and Instagram through the Graph API: page text/link posts to /feed and images to
// /photos; Instagram as container → status_code polling → media_publish. Long-lived tokens, no
// refresh. A connection's partnerAccountId is the page id, or `ig:{ig-user-id}` for Instagram.
import { Effect, Result } from "effect"
import { arrayField, field, stringField } from "../../core/classify/Fields.ts"
import type { Connector, Credentials, PostContent, PublishedPost, PublishRequest } from "../../core/publish/Connector.ts"
import { classificationOf, toTaxonomyError } from "../../core/taxonomy/Classification.ts"
import type { TaxonomyError } from "../../core/taxonomy/TaxonomyError.ts"
import { invalidRequest, stillProcessing, unexpectedReply, unsupported } from "./ConnectorFailure.ts"
import type { PartnerEndpoints } from "./PartnerEndpoints.ts"
import type { PartnerHttp } from "./PartnerHttp.ts"
import { pollUntil } from "./Polling.ts"
import { findOurPost, type PartnerPost, parsePartnerTime } from "./PostMatch.ts"

export const INSTAGRAM_PREFIX = "ig:"
/** How many recent posts reconciliation reads: a retry follows its attempt within hours, not weeks. */
export const RECENT_POSTS = 50

export type MetaTarget = { readonly kind: "page" | "instagram"; readonly id: string }

const GRAPH_ID = /^[A-Za-z0-9_.-]{1,128}$/

export const metaTargetOf = (partnerAccountId: string): Result.Result<MetaTarget, TaxonomyError> => {
  const instagram = partnerAccountId.startsWith(INSTAGRAM_PREFIX)
  const id = instagram ? partnerAccountId.slice(INSTAGRAM_PREFIX.length) : partnerAccountId
  return GRAPH_ID.test(id)
    ? Result.succeed({ kind: instagram ? "instagram" : "page", id })
    : Result.fail(invalidRequest("meta", "partnerAccountId is neither a page id nor ig:{ig-user-id}"))
}

export type FacebookPost = { readonly edge: "feed" | "photos"; readonly form: Readonly<Record<string, string | undefined>> }

/** Text (with an optional link) goes to /feed, an image to /photos with its URL as `url`. */
export const facebookPostFor = (content: PostContent): Result.Result<FacebookPost, TaxonomyError> => {
  switch (content.format) {
    case "text":
      return Result.succeed({ edge: "feed", form: { message: content.text, link: content.link } })
    case "image": {
      const url = content.mediaUrls[0]
      if (url === undefined) return Result.fail(invalidRequest("meta", "an image post needs a media URL"))
      // /photos has no link parameter: the caption is the text as written.
      return Result.succeed({ edge: "photos", form: { url, caption: content.text } })
    }
    default:
      return Result.fail(unsupported("meta", `${content.format} posts to a Facebook page are not supported by this connector`))
  }
}

/** The container for an Instagram image or video (Reels are Instagram's video container type). */
export const instagramContainerFor = (content: PostContent): Result.Result<Readonly<Record<string, string>>, TaxonomyError> => {
  const url = content.mediaUrls[0]
  if (content.format === "image" || content.format === "video") {
    if (url === undefined) return Result.fail(invalidRequest("meta", `an Instagram ${content.format} post needs a media URL`))
    return Result.succeed(
      content.format === "image"
        ? { image_url: url, caption: content.text }
        : { video_url: url, media_type: "REELS", caption: content.text }
    )
  }
  return Result.fail(unsupported("meta", `Instagram cannot publish ${content.format} posts through this connector (media required, no carousels)`))
}

/** Granted permissions from `/me/permissions`; declined and expired ones are not scopes we have. */
export const grantedScopes = (body: unknown): ReadonlyArray<string> =>
  (arrayField(body, "data") ?? []).flatMap((entry) => {
    const permission = stringField(entry, "permission")
    return permission !== undefined && stringField(entry, "status") === "granted" ? [permission] : []
  })

/** Feed entries (`message`, `created_time`) or Instagram media (`caption`, `timestamp`). */
export const graphPostsOf = (body: unknown, textKey: "message" | "caption", timeKey: "created_time" | "timestamp"): ReadonlyArray<PartnerPost> =>
  (arrayField(body, "data") ?? []).flatMap((entry) => {
    const id = stringField(entry, "id")
    return id === undefined ? [] : [{ id, text: stringField(entry, textKey), createdAt: parsePartnerTime(field(entry, timeKey)) }]
  })

export const facebookPostUrl = (postId: string): string => `https://www.facebook.com/${postId}`

const CONTAINER_SUBCODE = /\b(2207\d{3})\b/

export const makeMetaConnector = (endpoints: PartnerEndpoints, http: PartnerHttp): Connector => {
  const graph = (...segments: ReadonlyArray<string>): string =>
    `${endpoints.hosts.metaGraph}/${endpoints.metaGraphVersion}/${segments.map(encodeURIComponent).join("/")}`

  const findPost = Effect.fn("MetaConnector.findPost")(function* (credentials: Credentials, target: MetaTarget, request: PublishRequest) {
    const page = target.kind === "page"
    const reply = yield* http.call({
      platform: "meta",
      method: "GET",
      url: graph(target.id, page ? "feed" : "media"),
      query: { fields: page ? "id,message,created_time" : "id,caption,timestamp", limit: RECENT_POSTS },
      token: credentials.accessToken
    })
    const posts = page ? graphPostsOf(reply.body, "message", "created_time") : graphPostsOf(reply.body, "caption", "timestamp")
    const found = findOurPost(posts, request)
    return found === undefined ? undefined : ({ partnerPostId: found.id, ...(page ? { url: facebookPostUrl(found.id) } : {}) } satisfies PublishedPost)
  })

  const publishToPage = Effect.fn("MetaConnector.publishToPage")(function* (request: PublishRequest, pageId: string) {
    const post = yield* Effect.fromResult(facebookPostFor(request.content))
    const reply = yield* http.call({
      platform: "meta",
      method: "POST",
      url: graph(pageId, post.edge),
      token: request.credentials.accessToken,
      body: { form: post.form },
      dedupeKey: request.dedupeKey
    })
    // /photos answers {id: photo, post_id: page post}; the page post is what the feed lists.
    const postId = stringField(reply.body, "post_id") ?? stringField(reply.body, "id")
    if (postId === undefined) return yield* Effect.fail(unexpectedReply("meta", `/${post.edge}`, reply))
    return { partnerPostId: postId, url: facebookPostUrl(postId) } satisfies PublishedPost
  })

  const containerStatus = (request: PublishRequest, containerId: string) =>
    http
      .call({
        platform: "meta",
        method: "GET",
        url: graph(containerId),
        query: { fields: "status_code,status" },
        token: request.credentials.accessToken,
        dedupeKey: request.dedupeKey
      })
      .pipe(Effect.map((reply) => ({ code: stringField(reply.body, "status_code")?.toUpperCase(), detail: stringField(reply.body, "status") })))

  const createContainer = Effect.fn("MetaConnector.createContainer")(function* (request: PublishRequest, igUserId: string) {
    const form = yield* Effect.fromResult(instagramContainerFor(request.content))
    const reply = yield* http.call({
      platform: "meta",
      method: "POST",
      url: graph(igUserId, "media"),
      token: request.credentials.accessToken,
      body: { form },
      dedupeKey: request.dedupeKey
    })
    const id = stringField(reply.body, "id")
    if (id === undefined) return yield* Effect.fail(unexpectedReply("meta", "instagram container", reply))
    return id
  })

  const publishToInstagram = Effect.fn("MetaConnector.publishToInstagram")(function* (request: PublishRequest, target: MetaTarget) {
    let containerId =
      request.partnerRef ??
      (yield* createContainer(request, target.id).pipe(Effect.tap((id) => request.onPartnerRef?.(id) ?? Effect.void)))
    let polled = yield* pollUntil(containerStatus(request, containerId), (s) => s.code !== "IN_PROGRESS", endpoints.polling)
    // A container from an earlier attempt lives 24 hours; an expired one is replaced, never published.
    if (polled.value.code === "EXPIRED" && request.partnerRef !== undefined) {
      containerId = yield* createContainer(request, target.id).pipe(
        Effect.tap((id) => request.onPartnerRef?.(id) ?? Effect.void)
      )
      polled = yield* pollUntil(containerStatus(request, containerId), (s) => s.code !== "IN_PROGRESS", endpoints.polling)
    }
    const status = polled.value
    if (status.code === "PUBLISHED") {
      // An earlier attempt published this container; the media list says under which id.
      const found = yield* findPost(request.credentials, target, request)
      if (found !== undefined) return found
      return yield* Effect.fail(
        toTaxonomyError(classificationOf("UNKNOWN", { reason: "meta: instagram container PUBLISHED but its media is not in the recent list", platform: "meta" }))
      )
    }
    if (status.code === "ERROR") {
      const subcode = status.detail === undefined ? undefined : CONTAINER_SUBCODE.exec(status.detail)?.[1]
      return yield* Effect.fail(
        toTaxonomyError(
          classificationOf("MEDIA_INVALID", {
            reason: "meta: instagram container status_code ERROR (the media could not be processed)",
            platform: "meta",
            partnerCode: subcode ?? "ERROR"
          })
        )
      )
    }
    if (!polled.done) {
      return yield* Effect.fail(stillProcessing("meta", `instagram container ${containerId} still IN_PROGRESS after ${polled.checks} checks`))
    }
    if (status.code !== "FINISHED") return yield* Effect.fail(unsupportedStatus(status.code))
    const reply = yield* http.call({
      platform: "meta",
      method: "POST",
      url: graph(target.id, "media_publish"),
      token: request.credentials.accessToken,
      body: { form: { creation_id: containerId } },
      dedupeKey: request.dedupeKey
    })
    const mediaId = stringField(reply.body, "id")
    if (mediaId === undefined) return yield* Effect.fail(unexpectedReply("meta", "media_publish", reply))
    return { partnerPostId: mediaId } satisfies PublishedPost
  })

  const publish = Effect.fn("MetaConnector.publish")(function* (request: PublishRequest) {
    const target = yield* Effect.fromResult(metaTargetOf(request.credentials.partnerAccountId))
    return target.kind === "page" ? yield* publishToPage(request, target.id) : yield* publishToInstagram(request, target)
  })

  const findPublished = Effect.fn("MetaConnector.findPublished")(function* (request: PublishRequest) {
    const target = yield* Effect.fromResult(metaTargetOf(request.credentials.partnerAccountId))
    return yield* findPost(request.credentials, target, request)
  })

  const healthCheck = Effect.fn("MetaConnector.healthCheck")(function* (credentials: Credentials) {
    yield* http.call({ platform: "meta", method: "GET", url: graph("me"), query: { fields: "id,name" }, token: credentials.accessToken })
    const permissions = yield* http.call({ platform: "meta", method: "GET", url: graph("me", "permissions"), token: credentials.accessToken })
    return { scopes: grantedScopes(permissions.body) }
  })

  return { platform: "meta", publish, findPublished, healthCheck }
}

const unsupportedStatus = (code: string | undefined): TaxonomyError =>
  toTaxonomyError(
    classificationOf("UNKNOWN", { reason: `meta: instagram container status_code ${code ?? "missing"} is not publishable`, platform: "meta" })
  )
