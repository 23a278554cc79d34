// Google Business Profile: v4 localPosts create and list on a location, the v1 account and location
// listings and one location's state (Account Management and Business Information APIs), Google OAuth
// (consent page, token endpoint with PKCE; refreshes answer without a refresh token; revoke),
// userinfo, tokeninfo and Google's OIDC certs (JWKS). A location is addressed by its resource name
// "accounts/A/locations/L".
import { gbpErrors, gbpTokenError, googleError } from "../errors/gbpErrors.ts"
import { authorizeEndpoint, type OAuthSpec, tokenEndpoint } from "../OAuthFlow.ts"
import { authorizationToken, dedupeKeyOf, intParam, paramOf, stringAt, valueAt } from "../SimRequest.ts"
import { jsonResponse, onlyFields, type SimResponse, seconds } from "../SimResponse.ts"
import { GBP_SCOPE } from "../TokenPolicy.ts"
import { GOOGLE_CERTS_CACHE_CONTROL, GOOGLE_CERTS_MAX_AGE_SEC } from "../webhooks/GoogleSigningKey.ts"
import { checkAccess } from "./AccessCheck.ts"
import { callInfo, exactHost, type Handler, type PlatformModule, type RouteContext, route } from "./PlatformModule.ts"

const API = "mybusiness.googleapis.com"
const ACCOUNT_MANAGEMENT = "mybusinessaccountmanagement.googleapis.com"
const BUSINESS_INFORMATION = "mybusinessbusinessinformation.googleapis.com"
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
  const pageSize = intParam(req, "pageSize", 20, 100)
  const posts = [...state.posts({ platform: "gbp", accountId: location })].reverse()
  return jsonResponse(200, { localPosts: posts.slice(0, pageSize).map((p) => localPost(p.partnerId, p.text, p.createdAt)) })
}

const LOCATION_NAME = /^accounts\/([^/]+)\/locations\/([^/]+)$/

/** The grant's locations as `{account, location}` ids, deleted ones left out. */
const grantLocations = (ctx: RouteContext, accountIds: ReadonlyArray<string>): ReadonlyArray<{ readonly account: string; readonly location: string; readonly title: string }> =>
  ctx.state.liveAccounts("gbp", accountIds).flatMap((found) => {
    const match = LOCATION_NAME.exec(found.accountId)
    const account = match?.[1]
    const location = match?.[2]
    return account === undefined || location === undefined ? [] : [{ account, location, title: found.name }]
  })

/** GET v1/accounts: the accounts holding the grant's locations. Proto3 JSON leaves out an empty list. */
const listAccounts: Handler = (ctx, template) => {
  const access = checkAccess(ctx.state, "gbp", authorizationToken(ctx.req), { scopes: [GBP_SCOPE] })
  if (!access.ok) return gbpErrors.denied(access.denial, callInfo(ctx.req, template, undefined))
  const accounts = [...new Set(grantLocations(ctx, access.grant.accountIds).map((l) => l.account))].map((account) => ({
    name: `accounts/${account}`,
    accountName: `Sim User ${access.grant.userId}`,
    type: "PERSONAL",
    verificationState: "UNVERIFIED",
    vettedState: "NOT_VETTED"
  }))
  return jsonResponse(200, accounts.length === 0 ? {} : { accounts })
}

/** The readMask with its empty entries left out; "" when it names no field (the API then refuses the call). */
const readMaskOf = (ctx: RouteContext): string =>
  (ctx.req.query.get("readMask") ?? ctx.req.query.get("read_mask") ?? "")
    .split(",")
    .map((f) => f.trim())
    .filter((f) => f !== "")
    .join(",")

const missingReadMask = (): SimResponse =>
  googleError(400, "INVALID_ARGUMENT", "Request contains an invalid argument.", {
    errors: [{ message: "Request contains an invalid argument.", domain: "global", reason: "badRequest" }],
    details: [{ "@type": "type.googleapis.com/google.rpc.BadRequest", fieldViolations: [{ field: "read_mask", description: "Field is required" }] }]
  })

/**
 * GET v1/accounts/{a}/locations?readMask=…: the grant's locations under that account (name and
 * title), with the fields the mask names (readMask is required, as on the real API). An account the
 * grant holds no location of is refused as Google refuses an account the caller cannot see.
 */
const listLocations: Handler = (ctx, template) => {
  const call = callInfo(ctx.req, template, undefined)
  const access = checkAccess(ctx.state, "gbp", authorizationToken(ctx.req), { scopes: [GBP_SCOPE] })
  if (!access.ok) return gbpErrors.denied(access.denial, call)
  const readMask = readMaskOf(ctx)
  if (readMask.length === 0) return missingReadMask()
  const account = ctx.params["account"] ?? ""
  if (!access.grant.accountIds.some((id) => id.startsWith(`accounts/${account}/locations/`))) {
    return gbpErrors.denied({ kind: "not_authorized_for_account", accountId: `accounts/${account}` }, call)
  }
  const locations = grantLocations(ctx, access.grant.accountIds)
    .filter((l) => l.account === account)
    .map((l) => onlyFields({ name: `locations/${l.location}`, title: l.title }, readMask))
  return jsonResponse(200, locations.length === 0 ? {} : { locations })
}

/** The location's full resource name (`accounts/A/locations/L`) for a bare location id, found among the accounts. */
const locationNameOf = (ctx: RouteContext): string => {
  const id = ctx.params["location"] ?? ""
  return ctx.state.listAccounts("gbp").find((a) => a.accountId.endsWith(`/locations/${id}`))?.accountId ?? `accounts/-/locations/${id}`
}

/**
 * GET v1/locations/{id}?readMask=…: one location with the fields the mask names (`metadata.x` picks
 * one metadata field). A restricted (suspended) location reads fine but has lost its voice of
 * merchant and may not post; a deleted one is NOT_FOUND.
 */
const getLocation: Handler = (ctx, template) => {
  const name = locationNameOf(ctx)
  const access = checkAccess(ctx.state, "gbp", authorizationToken(ctx.req), { accountId: name, scopes: [GBP_SCOPE] })
  if (!access.ok) return gbpErrors.denied(access.denial, callInfo(ctx.req, template, name))
  const readMask = readMaskOf(ctx)
  if (readMask.length === 0) return missingReadMask()
  const id = ctx.params["location"] ?? ""
  const healthy = access.account?.restricted === null
  const full: Readonly<Record<string, unknown>> = {
    name: `locations/${id}`,
    title: access.account?.name ?? name,
    metadata: {
      mapsUri: `https://maps.google.com/maps?cid=${id}`,
      newReviewUri: `https://search.google.com/local/writereview?placeid=ChIJsim${id}`,
      placeId: `ChIJsim${id}`,
      canDelete: true,
      canModifyServiceList: true,
      canHaveBusinessCalls: true,
      canHaveFoodMenus: false,
      hasGoogleUpdated: false,
      hasPendingEdits: false,
      hasVoiceOfMerchant: healthy,
      canOperateLocalPost: healthy
    }
  }
  return jsonResponse(200, onlyFields(full, readMask))
}

/** Google's OIDC certs: the keys Pub/Sub push tokens are signed with. */
const certs: Handler = (ctx) => {
  const expires = new Date(ctx.state.now() + GOOGLE_CERTS_MAX_AGE_SEC * 1_000).toUTCString()
  return jsonResponse(200, ctx.state.googleSigningKey().jwks(), { "cache-control": GOOGLE_CERTS_CACHE_CONTROL, expires })
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
    ...(expiresAt === null ? {} : { exp: String(seconds(expiresAt)), expires_in: String(Math.max(0, seconds(expiresAt - now))) }),
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
  hosts: [exactHost(API), exactHost(ACCOUNT_MANAGEMENT), exactHost(BUSINESS_INFORMATION), exactHost(OAUTH), exactHost(ACCOUNTS), exactHost(WWW)],
  tokenOf: authorizationToken,
  errors: gbpErrors,
  routes: [
    route("GET", ACCOUNTS, "/o/oauth2/v2/auth", authorizeEndpoint(GOOGLE_OAUTH)),
    route("GET", ACCOUNTS, "/o/oauth2/auth", authorizeEndpoint(GOOGLE_OAUTH)),
    route("POST", OAUTH, "/token", tokenEndpoint(GOOGLE_OAUTH)),
    route("POST", OAUTH, "/revoke", revoke),
    route("POST", API, LOCAL_POSTS, createLocalPost, locationOf),
    route("GET", API, LOCAL_POSTS, listLocalPosts, locationOf),
    route("GET", ACCOUNT_MANAGEMENT, "/v1/accounts", listAccounts),
    route("GET", BUSINESS_INFORMATION, "/v1/accounts/{account}/locations", listLocations),
    route("GET", BUSINESS_INFORMATION, "/v1/locations/{location}", getLocation, locationNameOf),
    route("GET", WWW, "/oauth2/v3/userinfo", userinfo),
    route("GET", WWW, "/oauth2/v3/tokeninfo", tokeninfo),
    route("GET", WWW, "/oauth2/v3/certs", certs)
  ]
}
