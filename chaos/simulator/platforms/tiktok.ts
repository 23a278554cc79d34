// TikTok: Content Posting API (creator_info, video and photo init by PULL_FROM_URL, status fetch that
// moves PROCESSING_DOWNLOAD → PUBLISH_COMPLETE), user info, and Login Kit OAuth with PKCE and
// rotating refresh tokens. A token acts for one creator (its open_id), who is the target of every call.
import { tiktokLogId } from "../errors/ErrorIds.ts"
import { invalidPublishId, tiktokErrors, tiktokTokenError } from "../errors/tiktokErrors.ts"
import { authorizeEndpoint, type OAuthSpec, tokenEndpoint } from "../OAuthFlow.ts"
import { authorizationToken, dedupeKeyOf, stringAt, valueAt } from "../SimRequest.ts"
import { jsonResponse, type SimResponse } from "../SimResponse.ts"
import { checkAccess } from "./AccessCheck.ts"
import { callInfo, exactHost, type Handler, type PlatformModule, type RouteContext, route } from "./PlatformModule.ts"

const API = "open.tiktokapis.com"
const WWW = "www.tiktok.com"
const PUBLISH_SCOPE = "video.publish"
const PRIVACY_LEVELS = ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY"]

const ok = (data: unknown): SimResponse => {
  const logId = tiktokLogId()
  return jsonResponse(200, { data, error: { code: "ok", message: "", log_id: logId } }, { "x-tt-logid": logId })
}

const creatorOf = (ctx: RouteContext): string | undefined => {
  const token = authorizationToken(ctx.req)
  return token === undefined ? undefined : ctx.state.accessToken(token)?.grant.accountIds[0]
}

const publishIdOf = (ctx: RouteContext): string | undefined => stringAt(ctx.req.body, "publish_id")

const statusAccount = (ctx: RouteContext): string | undefined => {
  const publishId = publishIdOf(ctx)
  return (publishId === undefined ? undefined : ctx.state.post("tiktok", publishId)?.accountId) ?? creatorOf(ctx)
}

/** Token first, then the creator it acts for, with scopes and (for posting) restrictions. */
const access = (ctx: RouteContext, template: string, scopes: ReadonlyArray<string>, write: boolean) => {
  const token = authorizationToken(ctx.req)
  const first = checkAccess(ctx.state, "tiktok", token)
  if (!first.ok) return { ok: false as const, response: tiktokErrors.denied(first.denial, callInfo(ctx.req, template, undefined)) }
  const creator = first.grant.accountIds[0] ?? first.grant.userId
  const full = checkAccess(ctx.state, "tiktok", token, { accountId: creator, scopes, write })
  if (!full.ok) return { ok: false as const, response: tiktokErrors.denied(full.denial, callInfo(ctx.req, template, creator)) }
  return { ok: true as const, creator }
}

const creatorInfo: Handler = (ctx, template) => {
  const checked = access(ctx, template, [PUBLISH_SCOPE], true)
  if (!checked.ok) return checked.response
  const account = ctx.state.account("tiktok", checked.creator)
  return ok({
    creator_avatar_url: "https://p16-sign.tiktokcdn-us.com/sim-avatar.jpeg",
    creator_username: account?.name ?? checked.creator,
    creator_nickname: account?.name ?? checked.creator,
    privacy_level_options: PRIVACY_LEVELS,
    comment_disabled: false,
    duet_disabled: false,
    stitch_disabled: false,
    max_video_post_duration_sec: 600
  })
}

const publishNumber = (ctx: RouteContext): number => ctx.state.nextNumber("tiktok-publish", 7_000_000_001)

const initVideo: Handler = (ctx, template) => {
  const call = callInfo(ctx.req, template, creatorOf(ctx))
  const checked = access(ctx, template, [PUBLISH_SCOPE], true)
  if (!checked.ok) return checked.response
  const body = ctx.req.body
  if (ctx.req.bodyKind !== "json") return tiktokErrors.invalidRequest("The request body must be JSON.", call)
  const privacy = stringAt(body, "post_info", "privacy_level")
  if (privacy === undefined || !PRIVACY_LEVELS.includes(privacy)) return tiktokErrors.invalidRequest("post_info.privacy_level is invalid.", call)
  const videoUrl = stringAt(body, "source_info", "video_url")
  if (stringAt(body, "source_info", "source") !== "PULL_FROM_URL" || videoUrl === undefined || videoUrl === "") {
    return tiktokErrors.invalidRequest("source_info must be PULL_FROM_URL with a video_url.", call)
  }
  const dedupeKey = dedupeKeyOf(ctx.req)
  const post = ctx.state.addPost({
    platform: "tiktok",
    accountId: checked.creator,
    partnerId: `v_pub_url~v2-1.${publishNumber(ctx)}`,
    text: stringAt(body, "post_info", "title") ?? "",
    media: [videoUrl],
    status: "PROCESSING_DOWNLOAD",
    ...(dedupeKey === undefined ? {} : { dedupeKey })
  })
  return ok({ publish_id: post.partnerId })
}

const initContent: Handler = (ctx, template) => {
  const call = callInfo(ctx.req, template, creatorOf(ctx))
  const checked = access(ctx, template, [PUBLISH_SCOPE], true)
  if (!checked.ok) return checked.response
  const body = ctx.req.body
  if (ctx.req.bodyKind !== "json") return tiktokErrors.invalidRequest("The request body must be JSON.", call)
  if (stringAt(body, "media_type") !== "PHOTO") return tiktokErrors.invalidRequest("media_type must be PHOTO.", call)
  const privacy = stringAt(body, "post_info", "privacy_level")
  if (privacy === undefined || !PRIVACY_LEVELS.includes(privacy)) return tiktokErrors.invalidRequest("post_info.privacy_level is invalid.", call)
  const images = valueAt(body, "source_info", "photo_images")
  const urls = Array.isArray(images) ? images.filter((u): u is string => typeof u === "string" && u !== "") : []
  if (stringAt(body, "source_info", "source") !== "PULL_FROM_URL" || urls.length === 0 || urls.length > 35) {
    return tiktokErrors.invalidRequest("source_info must be PULL_FROM_URL with 1 to 35 photo_images.", call)
  }
  const dedupeKey = dedupeKeyOf(ctx.req)
  const post = ctx.state.addPost({
    platform: "tiktok",
    accountId: checked.creator,
    partnerId: `p_pub_url~v2-1.${publishNumber(ctx)}`,
    text: stringAt(body, "post_info", "description") ?? stringAt(body, "post_info", "title") ?? "",
    media: urls,
    status: "PROCESSING_DOWNLOAD",
    ...(dedupeKey === undefined ? {} : { dedupeKey })
  })
  return ok({ publish_id: post.partnerId })
}

const publicPostId = (publishId: string): string => `73${(/(\d+)$/.exec(publishId)?.[1] ?? "0").padStart(17, "0")}`

const fetchStatus: Handler = (ctx, template) => {
  const publishId = publishIdOf(ctx)
  const post = publishId === undefined ? undefined : ctx.state.post("tiktok", publishId)
  const token = authorizationToken(ctx.req)
  const first = checkAccess(ctx.state, "tiktok", token)
  if (!first.ok) return tiktokErrors.denied(first.denial, callInfo(ctx.req, template, undefined))
  if (post === undefined || publishId === undefined) return invalidPublishId()
  const full = checkAccess(ctx.state, "tiktok", token, { accountId: post.accountId, scopes: [PUBLISH_SCOPE] })
  if (!full.ok) return tiktokErrors.denied(full.denial, callInfo(ctx.req, template, post.accountId))
  // The first fetch sees the download in progress; any later one sees the post published — or, when
  // TikTok could not pull the media (a host under the reserved `.invalid` TLD never resolves), FAILED
  // with TikTok's pull failure reason, the way a real unreachable PULL_FROM_URL ends.
  if (post.status === "PROCESSING_DOWNLOAD") {
    const unreachable = post.media.some((url) => {
      try {
        return new URL(url).hostname.endsWith(".invalid")
      } catch {
        return true
      }
    })
    ctx.state.updatePost("tiktok", publishId, { status: unreachable ? "FAILED" : "PUBLISH_COMPLETE" })
    return ok({ status: "PROCESSING_DOWNLOAD", uploaded_bytes: 0 })
  }
  if (post.status === "FAILED") {
    return ok({ status: "FAILED", fail_reason: publishId.startsWith("p_") ? "photo_pull_failed" : "video_pull_failed" })
  }
  return ok({ status: post.status, publicaly_available_post_id: [publicPostId(publishId)], uploaded_bytes: 1_048_576 })
}

const userInfo: Handler = (ctx, template) => {
  const token = authorizationToken(ctx.req)
  const checked = checkAccess(ctx.state, "tiktok", token)
  if (!checked.ok) return tiktokErrors.denied(checked.denial, callInfo(ctx.req, template, undefined))
  const openId = checked.grant.accountIds[0] ?? checked.grant.userId
  const account = ctx.state.account("tiktok", openId)
  return ok({ user: { open_id: openId, union_id: `union-${openId}`, display_name: account?.name ?? openId, avatar_url: "https://p16-sign.tiktokcdn-us.com/sim-avatar.jpeg" } })
}

export const TIKTOK_OAUTH: OAuthSpec = {
  platform: "tiktok",
  title: "TikTok",
  clientIdParam: "client_key",
  scopeSeparator: ",",
  pkce: true,
  redirectExtras: (scopes) => ({ scopes: scopes.join(",") }),
  tokenBody: (tokens) => ({
    access_token: tokens.accessToken,
    expires_in: tokens.expiresInSec,
    open_id: tokens.accountIds[0] ?? tokens.userId,
    ...(tokens.refreshToken === undefined ? {} : { refresh_token: tokens.refreshToken, refresh_expires_in: tokens.refreshExpiresInSec }),
    scope: tokens.scopes.join(","),
    token_type: "Bearer"
  }),
  tokenError: tiktokTokenError
}

export const tiktok: PlatformModule = {
  platform: "tiktok",
  hosts: [exactHost(API), exactHost(WWW)],
  tokenOf: authorizationToken,
  errors: tiktokErrors,
  routes: [
    route("GET", WWW, "/v2/auth/authorize/", authorizeEndpoint(TIKTOK_OAUTH)),
    route("POST", API, "/v2/oauth/token/", tokenEndpoint(TIKTOK_OAUTH)),
    route("POST", API, "/v2/post/publish/creator_info/query/", creatorInfo, creatorOf),
    route("POST", API, "/v2/post/publish/video/init/", initVideo, creatorOf),
    route("POST", API, "/v2/post/publish/content/init/", initContent, creatorOf),
    route("POST", API, "/v2/post/publish/status/fetch/", fetchStatus, statusAccount),
    route("GET", API, "/v2/user/info/", userInfo, creatorOf)
  ]
}
