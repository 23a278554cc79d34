// Google Business Profile: v4 localPosts create and list on a location, Google OAuth (consent page,
// token endpoint with PKCE; refreshes answer without a refresh token; revoke), userinfo and
// tokeninfo. A location is addressed by its resource name "accounts/A/locations/L".
import { gbpErrors, gbpTokenError } from "../errors/gbpErrors.ts"
import { authorizeEndpoint, type OAuthSpec, tokenEndpoint } from "../OAuthFlow.ts"
import { authorizationToken, dedupeKeyOf, paramOf, stringAt, valueAt } from "../SimRequest.ts"
import { jsonResponse, type SimResponse } from "../SimResponse.ts"
import { GBP_SCOPE } from "../TokenPolicy.ts"
import { checkAccess } from "./AccessCheck.ts"
import { callInfo, exactHost, type Handler, type PlatformModule, type RouteContext, route } from "./PlatformModule.ts"

const API = "mybusiness.googleapis.com"
const OAUTH = "oauth2.googleapis.com"
const ACCOUNTS = "accounts.google.com"
const WWW = "www.googleapis.com"
const LOCAL_POSTS = "/v4/accounts/{account}/locations/{location}/localPosts"

const TOPIC_TYPES = ["STANDARD", "EVENT", "OFFER", "ALERT"]
const MEDIA_FORMATS = ["PHOTO", "VIDEO"]

const locationOf = (ctx: RouteContext): string => `accounts/${ctx.params["account"] ?? ""}/locations/${ctx.params["location"] ?? ""}`

const mediaOf = (value: unknown): ReadonlyArray<{ readonly mediaFormat: string; readonly sourceUrl: string }> | undefined => {
  if (value === undefined) return []
  if (!Array.isArray(value)) return undefined
  const items = value.map((m: unknown) => ({ mediaFormat: stringAt(m, "mediaFormat") ?? "", sourceUrl: stringAt(m, "sourceUrl") ?? "" }))
  return items.every((m) => MEDIA_FORMATS.includes(m.mediaFormat) && m.sourceUrl !== "") ? items : undefined
}

const createLocalPost: Handler = (ctx, template) => {
  const { req, state } = ctx
  const location = locationOf(ctx)
  const call = callInfo(req, template, location)
  const access = checkAccess(state, "gbp", authorizationToken(req), { accountId: location, scopes: [GBP_SCOPE], write: true })
  if (!access.ok) return gbpErrors.denied(access.denial, call)
  if (req.bodyKind !== "json") return gbpErrors.invalidRequest("Invalid JSON payload received.", call)
  const topicType = stringAt(req.body, "topicType") ?? "STANDARD"
  const summary = stringAt(req.body, "summary") ?? ""
  const media = mediaOf(valueAt(req.body, "media"))
  if (!TOPIC_TYPES.includes(topicType) || media === undefined || (summary === "" && media.length === 0) || summary.length > 1_500) {
    return gbpErrors.invalidRequest("Request contains an invalid argument.", call)
  }
  const number = `1${String(state.nextNumber("gbp-post", 1)).padStart(18, "0")}`
  const name = `${location}/localPosts/${number}`
  const dedupeKey = dedupeKeyOf(req)
  const post = state.addPost({
    platform: "gbp",
    accountId: location,
    partnerId: name,
    text: summary,
    media: media.map((m) => m.sourceUrl),
    status: "LIVE",
    ...(dedupeKey === undefined ? {} : { dedupeKey })
  })
  const languageCode = stringAt(req.body, "languageCode")
  const callToAction = valueAt(req.body, "callToAction")
  return jsonResponse(200, {
    ...localPost(post.partnerId, post.text, post.createdAt, topicType),
    ...(languageCode === undefined ? {} : { languageCode }),
    ...(callToAction === undefined ? {} : { callToAction }),
    ...(media.length === 0
      ? {}
      : { media: media.map((m, i) => ({ name: `${location}/media/${number}-${i}`, mediaFormat: m.mediaFormat, sourceUrl: m.sourceUrl, googleUrl: m.sourceUrl })) })
  })
}

const localPost = (name: string, summary: string, createdAt: number, topicType = "STANDARD"): Readonly<Record<string, unknown>> => {
  const time = new Date(createdAt).toISOString()
  const id = name.split("/").pop() ?? ""
  return {
    name,
    summary,
    state: "LIVE",
    topicType,
    createTime: time,
    updateTime: time,
    searchUrl: `https://local.google.com/place?id=1234567890123456789&use=posts&lpsid=${id}`
  }
}

const listLocalPosts: Handler = (ctx, template) => {
  const { req, state } = ctx
  const location = locationOf(ctx)
  const access = checkAccess(state, "gbp", authorizationToken(req), { accountId: location, scopes: [GBP_SCOPE] })
  if (!access.ok) return gbpErrors.denied(access.denial, callInfo(req, template, location))
  const requested = Number(req.query.get("pageSize") ?? "20")
  const pageSize = Number.isInteger(requested) && requested > 0 ? Math.min(requested, 100) : 20
  const posts = [...state.posts({ platform: "gbp", accountId: location })].reverse()
  return jsonResponse(200, { localPosts: posts.slice(0, pageSize).map((p) => localPost(p.partnerId, p.text, p.createdAt)) })
}

const userinfo: Handler = (ctx, template) => {
  const access = checkAccess(ctx.state, "gbp", authorizationToken(ctx.req))
  if (!access.ok) return gbpErrors.denied(access.denial, callInfo(ctx.req, template, undefined))
  const sub = access.grant.userId
  return jsonResponse(200, { sub, name: `Sim User ${sub}`, given_name: "Sim", email: `${sub}@example.com`, email_verified: true })
}

const invalidToken = (): SimResponse => jsonResponse(400, { error: "invalid_token", error_description: "Invalid Value" })

const tokeninfo: Handler = (ctx) => {
  const token = paramOf(ctx.req, "access_token")
  const access = checkAccess(ctx.state, "gbp", token)
  const found = token === undefined ? undefined : ctx.state.accessToken(token)
  if (!access.ok || found === undefined) return invalidToken()
  const expiresAt = found.token.expiresAt
  const now = ctx.state.now()
  return jsonResponse(200, {
    azp: access.grant.clientId,
    aud: access.grant.clientId,
    sub: access.grant.userId,
    scope: [...access.grant.scopes].join(" "),
    ...(expiresAt === null ? {} : { exp: String(Math.floor(expiresAt / 1_000)), expires_in: String(Math.max(0, Math.floor((expiresAt - now) / 1_000))) }),
    access_type: "offline"
  })
}

/** POST https://oauth2.googleapis.com/revoke?token=…: the user's grant ends, as when they remove the app. */
const revoke: Handler = (ctx) => {
  const token = paramOf(ctx.req, "token")
  const grant = token === undefined ? undefined : ctx.state.grantOf(token)
  if (token === undefined || grant === undefined || grant.platform !== "gbp" || grant.revoked) {
    return jsonResponse(400, { error: "invalid_token", error_description: "Token expired or revoked" })
  }
  ctx.state.revoke({ token })
  return jsonResponse(200, {})
}

export const GOOGLE_OAUTH: OAuthSpec = {
  platform: "gbp",
  title: "Sign in with Google",
  clientIdParam: "client_id",
  scopeSeparator: " ",
  pkce: true,
  redirectExtras: (scopes) => ({ scope: scopes.join(" ") }),
  tokenBody: (tokens) => ({
    access_token: tokens.accessToken,
    expires_in: tokens.expiresInSec,
    ...(tokens.refreshToken === undefined ? {} : { refresh_token: tokens.refreshToken }),
    scope: tokens.scopes.join(" "),
    token_type: "Bearer"
  }),
  tokenError: gbpTokenError
}

export const gbp: PlatformModule = {
  platform: "gbp",
  hosts: [exactHost(API), exactHost(OAUTH), exactHost(ACCOUNTS), exactHost(WWW)],
  tokenOf: authorizationToken,
  errors: gbpErrors,
  routes: [
    route("GET", ACCOUNTS, "/o/oauth2/v2/auth", authorizeEndpoint(GOOGLE_OAUTH)),
    route("GET", ACCOUNTS, "/o/oauth2/auth", authorizeEndpoint(GOOGLE_OAUTH)),
    route("POST", OAUTH, "/token", tokenEndpoint(GOOGLE_OAUTH)),
    route("POST", OAUTH, "/revoke", revoke),
    route("POST", API, LOCAL_POSTS, createLocalPost, locationOf),
    route("GET", API, LOCAL_POSTS, listLocalPosts, locationOf),
    route("GET", WWW, "/oauth2/v3/userinfo", userinfo),
    route("GET", WWW, "/oauth2/v3/tokeninfo", tokeninfo)
  ]
}
