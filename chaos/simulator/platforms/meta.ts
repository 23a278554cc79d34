// Meta: Graph API pages feed and photos, Instagram containers and media_publish, /me,
// /me/permissions and /me/accounts (the pages a user manages, with their linked Instagram accounts),
// and Facebook Login (dialog + code exchange; Meta has no refresh tokens). A page is addressed by its
// id, an Instagram user by its bare id in the path and "ig:<id>" as account id.
import { graphError, metaErrors } from "../errors/metaErrors.ts"
import { authorizeEndpoint, type OAuthErrorContext, type OAuthErrorKind, type OAuthSpec, tokenEndpoint } from "../OAuthFlow.ts"
import { authorizationToken, dedupeKeyOf, intParam, paramOf, type SimRequest } from "../SimRequest.ts"
import { jsonResponse, type SimResponse } from "../SimResponse.ts"
import type { Post } from "../SimulatorState.ts"
import { type AccessRequirements, checkAccess } from "./AccessCheck.ts"
import { callInfo, exactHost, type Handler, type PlatformModule, type RouteContext, route } from "./PlatformModule.ts"

const GRAPH = "graph.facebook.com"
const WWW = "www.facebook.com"
const V = "{version:v\\d+\\.\\d+}"

const tokenOf = (req: SimRequest): string | undefined => authorizationToken(req) ?? paramOf(req, "access_token")

const igAccount = (id: string): string => `ig:${id}`

/** Meta's created_time format: 2026-11-23T10:00:00+0000. */
const graphTime = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "+0000")


const guarded =
  (requirements: (ctx: RouteContext) => AccessRequirements, then: Handler): Handler =>
  (ctx, template) => {
    const needs = requirements(ctx)
    const access = checkAccess(ctx.state, "meta", tokenOf(ctx.req), needs)
    if (!access.ok) return metaErrors.denied(access.denial, callInfo(ctx.req, template, needs.accountId))
    return then(ctx, template)
  }

const idParam = (ctx: RouteContext): string => ctx.params["id"] ?? ""
const pageOf = (ctx: RouteContext): string => idParam(ctx)
const igOf = (ctx: RouteContext): string => igAccount(idParam(ctx))

const invalid = (ctx: RouteContext, template: string, message: string): SimResponse =>
  metaErrors.invalidRequest(message, callInfo(ctx.req, template, undefined))

const limitOf = (req: SimRequest): number => intParam(req, "limit", 25, 100)

const newest = (posts: ReadonlyArray<Post>, limit: number): ReadonlyArray<Post> => [...posts].reverse().slice(0, limit)

const createFeedPost: Handler = (ctx, template) => {
  if (ctx.req.bodyKind === "invalid") return invalid(ctx, template, "Invalid JSON for postdata")
  const message = paramOf(ctx.req, "message")
  const link = paramOf(ctx.req, "link")
  if ((message ?? "") === "" && (link ?? "") === "") return invalid(ctx, template, "Requires one of the params: message, link")
  const page = pageOf(ctx)
  const dedupeKey = dedupeKeyOf(ctx.req)
  const post = ctx.state.addPost({
    platform: "meta",
    accountId: page,
    partnerId: `${page}_${ctx.state.nextNumber("meta-post", 100_000_000_000_001)}`,
    text: message ?? "",
    media: [],
    status: "PUBLISHED",
    ...(link === undefined ? {} : { link }),
    ...(dedupeKey === undefined ? {} : { dedupeKey })
  })
  return jsonResponse(200, { id: post.partnerId })
}

const createPhoto: Handler = (ctx, template) => {
  if (ctx.req.bodyKind === "invalid") return invalid(ctx, template, "Invalid JSON for postdata")
  const url = paramOf(ctx.req, "url")
  if ((url ?? "") === "" || url === undefined) return invalid(ctx, template, "Invalid parameter: url is required")
  const page = pageOf(ctx)
  const photoId = String(ctx.state.nextNumber("meta-photo", 200_000_000_000_001))
  const dedupeKey = dedupeKeyOf(ctx.req)
  const post = ctx.state.addPost({
    platform: "meta",
    accountId: page,
    partnerId: `${page}_${ctx.state.nextNumber("meta-post", 100_000_000_000_001)}`,
    text: paramOf(ctx.req, "caption") ?? paramOf(ctx.req, "message") ?? "",
    media: [url],
    status: "PUBLISHED",
    ...(dedupeKey === undefined ? {} : { dedupeKey })
  })
  return jsonResponse(200, { id: photoId, post_id: post.partnerId })
}

const listFeed = (ctx: RouteContext): SimResponse =>
  jsonResponse(200, {
    data: newest(ctx.state.posts({ platform: "meta", accountId: pageOf(ctx) }), limitOf(ctx.req)).map((p) => ({
      id: p.partnerId,
      ...(p.text === "" ? {} : { message: p.text }),
      created_time: graphTime(p.createdAt)
    }))
  })

const createContainer: Handler = (ctx, template) => {
  if (ctx.req.bodyKind === "invalid") return invalid(ctx, template, "Invalid JSON for postdata")
  const media = paramOf(ctx.req, "image_url") ?? paramOf(ctx.req, "video_url")
  if (media === undefined || media === "") return invalid(ctx, template, "The parameter image_url or video_url is required")
  const container = ctx.state.addContainer({ accountId: igOf(ctx), caption: paramOf(ctx.req, "caption") ?? "", media: [media] })
  return jsonResponse(200, { id: container.id })
}

const publishContainer: Handler = (ctx, template) => {
  const creationId = paramOf(ctx.req, "creation_id")
  const container = creationId === undefined ? undefined : ctx.state.container(creationId)
  if (container === undefined || container.accountId !== igOf(ctx)) {
    return invalid(ctx, template, "Param creation_id must be a valid media container ID")
  }
  // A container publishes once; publishing it again answers the same media id without a new post.
  if (container.publishedId !== undefined) return jsonResponse(200, { id: container.publishedId })
  const dedupeKey = dedupeKeyOf(ctx.req)
  const post = ctx.state.addPost({
    platform: "meta",
    accountId: container.accountId,
    partnerId: `178000${String(ctx.state.nextNumber("ig-media", 1)).padStart(11, "0")}`,
    text: container.caption,
    media: container.media,
    status: "PUBLISHED",
    ...(dedupeKey === undefined ? {} : { dedupeKey })
  })
  ctx.state.markContainerPublished(container.id, post.partnerId)
  return jsonResponse(200, { id: post.partnerId })
}

const listMedia = (ctx: RouteContext): SimResponse =>
  jsonResponse(200, {
    data: newest(ctx.state.posts({ platform: "meta", accountId: igOf(ctx) }), limitOf(ctx.req)).map((p) => ({
      id: p.partnerId,
      caption: p.text,
      timestamp: graphTime(p.createdAt)
    }))
  })

/** GET /{id}: an Instagram container (status_code), a post or media, a page, or an IG user. */
const objectAccount = (ctx: RouteContext): string => {
  const id = idParam(ctx)
  const container = ctx.state.container(id)
  if (container !== undefined) return container.accountId
  const post = ctx.state.post("meta", id)
  if (post !== undefined) return post.accountId
  return ctx.state.account("meta", igAccount(id)) !== undefined ? igAccount(id) : id
}

const getObject = (ctx: RouteContext): SimResponse => {
  const id = idParam(ctx)
  const container = ctx.state.container(id)
  if (container !== undefined) return jsonResponse(200, { status_code: container.status, id })
  const post = ctx.state.post("meta", id)
  if (post !== undefined) {
    return post.accountId.startsWith("ig:")
      ? jsonResponse(200, { id, caption: post.text, timestamp: graphTime(post.createdAt) })
      : jsonResponse(200, { id, message: post.text, created_time: graphTime(post.createdAt) })
  }
  const account = ctx.state.account("meta", objectAccount(ctx))
  return jsonResponse(200, { id, name: account?.name ?? id })
}

const me: Handler = (ctx, template) => {
  const access = checkAccess(ctx.state, "meta", tokenOf(ctx.req))
  if (!access.ok) return metaErrors.denied(access.denial, callInfo(ctx.req, template, undefined))
  return jsonResponse(200, { id: access.grant.userId, name: `Sim User ${access.grant.userId}` })
}

const permissions: Handler = (ctx, template) => {
  const access = checkAccess(ctx.state, "meta", tokenOf(ctx.req))
  if (!access.ok) return metaErrors.denied(access.denial, callInfo(ctx.req, template, undefined))
  return jsonResponse(200, {
    data: [
      ...[...access.grant.scopes].map((permission) => ({ permission, status: "granted" })),
      ...[...access.grant.removedScopes].map((permission) => ({ permission, status: "declined" }))
    ]
  })
}

/** Meta's cursor paging: opaque base64 cursors of the first and last entry; no paging for an empty list. */
const cursors = (ids: ReadonlyArray<string>): Readonly<Record<string, unknown>> => {
  const first = ids[0]
  const last = ids[ids.length - 1]
  if (first === undefined || last === undefined) return {}
  const cursor = (id: string): string => Buffer.from(id).toString("base64")
  return { paging: { cursors: { before: cursor(first), after: cursor(last) } } }
}

/**
 * The grant's pages, each with a page token (here the caller's own, valid for every account of the
 * grant) and the first Instagram account of the grant owned by the page's user. `fields` is
 * accepted and ignored. Without pages_show_list Meta lists no pages rather than refusing the call.
 */
const meAccounts: Handler = (ctx, template) => {
  const token = tokenOf(ctx.req)
  const access = checkAccess(ctx.state, "meta", token)
  if (!access.ok) return metaErrors.denied(access.denial, callInfo(ctx.req, template, undefined))
  const live = ctx.state.liveAccounts("meta", access.grant.accountIds)
  const pages = access.grant.scopes.has("pages_show_list") ? live.filter((a) => !a.accountId.startsWith("ig:")) : []
  const instagram = live.filter((a) => a.accountId.startsWith("ig:"))
  const data = pages.map((page) => {
    const linked = instagram.find((ig) => ig.userId === page.userId)
    return {
      id: page.accountId,
      name: page.name,
      access_token: token,
      category: "Coffee Shop",
      category_list: [{ id: "128673187201735", name: "Coffee Shop" }],
      tasks: ["MANAGE", "CREATE_CONTENT"],
      ...(linked === undefined ? {} : { instagram_business_account: { id: linked.accountId.slice("ig:".length) } })
    }
  })
  return jsonResponse(200, { data, ...cursors(data.map((page) => page.id)) })
}

const tokenError = (kind: OAuthErrorKind, context: OAuthErrorContext): SimResponse => {
  if (kind === "invalid_client") return graphError(400, { message: "Error validating client secret.", type: "OAuthException", code: 1 })
  if (kind === "invalid_grant" && context === "code") {
    return graphError(400, { message: "This authorization code has been used.", type: "OAuthException", code: 100, error_subcode: 36009 })
  }
  return graphError(400, { message: "Missing authorization code", type: "OAuthException", code: 100 })
}

export const META_OAUTH: OAuthSpec = {
  platform: "meta",
  title: "Facebook Login",
  clientIdParam: "client_id",
  scopeSeparator: ",",
  pkce: false,
  defaultGrantType: "authorization_code",
  tokenBody: (tokens) => ({ access_token: tokens.accessToken, token_type: "bearer", expires_in: tokens.expiresInSec ?? undefined }),
  tokenError
}

const write = (accountOf: (ctx: RouteContext) => string, scope: string) => (ctx: RouteContext): AccessRequirements => ({
  accountId: accountOf(ctx),
  scopes: [scope],
  write: true
})

const read = (accountOf: (ctx: RouteContext) => string) => (ctx: RouteContext): AccessRequirements => ({ accountId: accountOf(ctx) })

export const meta: PlatformModule = {
  platform: "meta",
  hosts: [exactHost(GRAPH), exactHost(WWW)],
  tokenOf,
  errors: metaErrors,
  routes: [
    route("GET", WWW, `/${V}/dialog/oauth`, authorizeEndpoint(META_OAUTH)),
    route("GET", WWW, "/dialog/oauth", authorizeEndpoint(META_OAUTH)),
    route("GET", GRAPH, `/${V}/oauth/access_token`, tokenEndpoint(META_OAUTH)),
    route("POST", GRAPH, `/${V}/oauth/access_token`, tokenEndpoint(META_OAUTH)),
    route("GET", GRAPH, `/${V}/me`, me),
    route("GET", GRAPH, `/${V}/me/permissions`, permissions),
    route("GET", GRAPH, `/${V}/me/accounts`, meAccounts),
    route("POST", GRAPH, `/${V}/{id}/feed`, guarded(write(pageOf, "pages_manage_posts"), createFeedPost), pageOf),
    route("GET", GRAPH, `/${V}/{id}/feed`, guarded(read(pageOf), listFeed), pageOf),
    route("POST", GRAPH, `/${V}/{id}/photos`, guarded(write(pageOf, "pages_manage_posts"), createPhoto), pageOf),
    route(
      "POST",
      GRAPH,
      `/${V}/{id}/media`,
      guarded(write(igOf, "instagram_content_publish"), createContainer),
      igOf
    ),
    route("GET", GRAPH, `/${V}/{id}/media`, guarded(read(igOf), listMedia), igOf),
    route(
      "POST",
      GRAPH,
      `/${V}/{id}/media_publish`,
      guarded(write(igOf, "instagram_content_publish"), publishContainer),
      igOf
    ),
    route("GET", GRAPH, `/${V}/{id}`, guarded(read(objectAccount), getObject), objectAccount)
  ]
}
