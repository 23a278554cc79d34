// TikTok Content Posting API (direct post, PULL_FROM_URL): creator_info for the privacy levels the
// creator allows, video/init or content/init (photos), then status fetch until PUBLISH_COMPLETE. A
// FAILED publish arrives as HTTP 200 and the classifier reads its fail_reason. Refresh tokens rotate.
import { Effect, type Redacted, Result } from "effect"
import { arrayField, booleanField, recordField, stringField } from "../../core/classify/Fields.ts"
import type { Connector, Credentials, PostContent, PublishedPost, PublishRequest } from "../../core/publish/Connector.ts"
import { TAXONOMY } from "../../core/taxonomy/Taxonomy.ts"
import type { TaxonomyError } from "../../core/taxonomy/TaxonomyError.ts"
import { clientFor, invalidRequest, stillProcessing, unexpectedReply, unsupported } from "./ConnectorFailure.ts"
import type { PartnerEndpoints } from "./PartnerEndpoints.ts"
import type { PartnerHttp } from "./PartnerHttp.ts"
import { pollUntil } from "./Polling.ts"
import { refreshAt } from "./TokenRefresh.ts"

export const PUBLISH_COMPLETE = "PUBLISH_COMPLETE"
/** TikTok's photo title limit, in characters; the full text goes into the description. */
export const PHOTO_TITLE_MAX = 90

export interface CreatorInfo {
  readonly privacyLevelOptions: ReadonlyArray<string>
  readonly commentDisabled: boolean
  readonly duetDisabled: boolean
  readonly stitchDisabled: boolean
}

export const creatorInfoOf = (body: unknown): CreatorInfo => {
  const data = recordField(body, "data")
  return {
    privacyLevelOptions: (arrayField(data, "privacy_level_options") ?? []).filter((o): o is string => typeof o === "string"),
    commentDisabled: booleanField(data, "comment_disabled") ?? false,
    duetDisabled: booleanField(data, "duet_disabled") ?? false,
    stitchDisabled: booleanField(data, "stitch_disabled") ?? false
  }
}

/**
 * Public when the creator allows it, else the first level offered. Unaudited apps are offered
 * SELF_ONLY only, and anything else is refused.
 */
export const privacyLevelFor = (creator: CreatorInfo): string =>
  creator.privacyLevelOptions.includes("PUBLIC_TO_EVERYONE") ? "PUBLIC_TO_EVERYONE" : (creator.privacyLevelOptions[0] ?? "SELF_ONLY")

const truncate = (text: string, max: number): string => Array.from(text).slice(0, max).join("")

export type TikTokInit = { readonly path: "video/init" | "content/init"; readonly body: Record<string, unknown> }

export const tiktokInitFor = (content: PostContent, creator: CreatorInfo): Result.Result<TikTokInit, TaxonomyError> => {
  const privacy_level = privacyLevelFor(creator)
  switch (content.format) {
    case "video": {
      const video_url = content.mediaUrls[0]
      if (video_url === undefined) return Result.fail(invalidRequest("tiktok", "a video post needs a video URL"))
      return Result.succeed({
        path: "video/init",
        body: {
          post_info: {
            title: content.text,
            privacy_level,
            disable_comment: creator.commentDisabled,
            disable_duet: creator.duetDisabled,
            disable_stitch: creator.stitchDisabled
          },
          source_info: { source: "PULL_FROM_URL", video_url }
        }
      })
    }
    case "image":
    case "carousel": {
      if (content.mediaUrls.length === 0) return Result.fail(invalidRequest("tiktok", "a photo post needs at least one image URL"))
      return Result.succeed({
        path: "content/init",
        body: {
          post_info: {
            title: truncate(content.title ?? content.text, PHOTO_TITLE_MAX),
            description: content.text,
            privacy_level,
            disable_comment: creator.commentDisabled
          },
          source_info: { source: "PULL_FROM_URL", photo_images: content.mediaUrls, photo_cover_index: 0 },
          post_mode: "DIRECT_POST",
          media_type: "PHOTO"
        }
      })
    }
    default:
      return Result.fail(unsupported("tiktok", "TikTok posts need a video or photos; text-only posts are not possible"))
  }
}

export interface PublishStatus {
  readonly status: string | undefined
  /** The public post id once complete (absent for private posts). */
  readonly postId: string | undefined
}

// Post ids are int64: one that JSON.parse could not hold exactly is dropped for the publish_id.
const postIdOf = (value: unknown): string | undefined =>
  typeof value === "string" && value !== "" ? value : typeof value === "number" && Number.isSafeInteger(value) ? String(value) : undefined

export const publishStatusOf = (body: unknown): PublishStatus => {
  const data = recordField(body, "data")
  const ids = arrayField(data, "publicaly_available_post_id") ?? arrayField(data, "publicly_available_post_id") ?? []
  return { status: stringField(data, "status")?.toUpperCase(), postId: postIdOf(ids[0]) }
}

const publishedPost = (publishId: string, status: PublishStatus): PublishedPost => ({ partnerPostId: status.postId ?? publishId })

export const makeTikTokConnector = (endpoints: PartnerEndpoints, http: PartnerHttp): Connector => {
  const api = endpoints.hosts.tiktokApi

  const fetchStatus = (credentials: Credentials, publishId: string, dedupeKey?: string) =>
    http
      .call({
        platform: "tiktok",
        method: "POST",
        url: `${api}/v2/post/publish/status/fetch/`,
        token: credentials.accessToken,
        body: { json: { publish_id: publishId } },
        dedupeKey
      })
      .pipe(Effect.map((reply) => publishStatusOf(reply.body)))

  const init = Effect.fn("TikTokConnector.init")(function* (request: PublishRequest) {
    const creator = yield* http.call({
      platform: "tiktok",
      method: "POST",
      url: `${api}/v2/post/publish/creator_info/query/`,
      token: request.credentials.accessToken,
      body: { json: {} },
      dedupeKey: request.dedupeKey
    })
    const plan = yield* Effect.fromResult(tiktokInitFor(request.content, creatorInfoOf(creator.body)))
    const reply = yield* http.call({
      platform: "tiktok",
      method: "POST",
      url: `${api}/v2/post/publish/${plan.path}/`,
      token: request.credentials.accessToken,
      body: { json: plan.body },
      dedupeKey: request.dedupeKey
    })
    const publishId = stringField(recordField(reply.body, "data"), "publish_id")
    if (publishId === undefined || publishId === "") return yield* Effect.fail(unexpectedReply("tiktok", plan.path, reply))
    return publishId
  })

  const publish = Effect.fn("TikTokConnector.publish")(function* (request: PublishRequest) {
    // An earlier attempt's publish_id: TikTok already has the post, only its outcome is unknown.
    const publishId =
      request.partnerRef ?? (yield* init(request).pipe(Effect.tap((id) => request.onPartnerRef?.(id) ?? Effect.void)))
    const polled = yield* pollUntil(
      fetchStatus(request.credentials, publishId, request.dedupeKey),
      (s) => s.status === PUBLISH_COMPLETE,
      endpoints.polling
    )
    if (!polled.done) {
      return yield* Effect.fail(
        stillProcessing("tiktok", `publish ${publishId} still ${polled.value.status ?? "without a status"} after ${polled.checks} status checks`)
      )
    }
    return publishedPost(publishId, polled.value)
  })

  const findPublished = Effect.fn("TikTokConnector.findPublished")(function* (request: PublishRequest) {
    // TikTok offers no way to list a creator's posts by caption or by our key (video.list needs
    // another scope and covers public videos only), so without the publish_id of an earlier attempt
    // there is nothing to look up: undefined.
    if (request.partnerRef === undefined) return undefined
    const publishId = request.partnerRef
    return yield* fetchStatus(request.credentials, publishId).pipe(
      // Still processing means TikTok has the post: publishing again would make a second one.
      Effect.map((status): PublishedPost | undefined => publishedPost(publishId, status)),
      // A FAILED publish whose reason is transient left nothing behind: a fresh publish may work.
      // A lasting reason (media, content, account) is the post's real outcome and is returned.
      Effect.catchIf(
        (e) => e.httpStatus !== undefined && e.httpStatus >= 200 && e.httpStatus <= 299 && TAXONOMY[e._tag].retryable,
        () => Effect.succeed(undefined)
      )
    )
  })

  // creator_info is what TikTok asks for before every post and needs video.publish, so unlike
  // user/info it fails on a token that may no longer post (scope_not_authorized, a banned creator).
  const healthCheck = Effect.fn("TikTokConnector.healthCheck")(function* (credentials: Credentials) {
    yield* http.call({
      platform: "tiktok",
      method: "POST",
      url: `${api}/v2/post/publish/creator_info/query/`,
      token: credentials.accessToken,
      body: { json: {} }
    })
    return {}
  })

  const refreshToken = Effect.fn("TikTokConnector.refreshToken")(function* (refreshToken: Redacted.Redacted<string>) {
    const client = yield* clientFor(endpoints, "tiktok")
    return yield* refreshAt(http, {
      platform: "tiktok",
      url: `${api}/v2/oauth/token/`,
      form: { client_key: client.id, client_secret: client.secret, grant_type: "refresh_token", refresh_token: refreshToken }
    })
  })

  return { platform: "tiktok", publish, findPublished, healthCheck, refreshToken }
}
