// LinkedIn: Posts API (/rest/posts create and list by author, LinkedIn-Version checked), the
// organizations a member administers (/rest/organizationAcls), OpenID userinfo, and OAuth
// (authorization page, code and refresh grants; refresh tokens rotate here; token introspection).
// A post whose commentary repeats the author's earlier post is refused as LinkedIn does (422).
import { duplicatePost, linkedinErrors, linkedinTokenError, nonexistentVersion } from "../errors/linkedinErrors.ts"
import { authorizeEndpoint, type OAuthSpec, tokenEndpoint } from "../OAuthFlow.ts"
import { authorizationToken, dedupeKeyOf, headerOf, intParam, paramOf, stringAt, type SimRequest } from "../SimRequest.ts"
import { emptyResponse, jsonResponse, type SimResponse, seconds } from "../SimResponse.ts"
import { checkAccess } from "./AccessCheck.ts"
import { callInfo, exactHost, type Handler, type PlatformModule, type RouteContext, route } from "./PlatformModule.ts"

const API = "api.linkedin.com"
const WWW = "www.linkedin.com"

/** The oldest LinkedIn-Version (YYYYMM) the simulator still serves; LinkedIn retires versions after about a year. */
export const LINKEDIN_MIN_VERSION = "202401"

const AUTHOR = /^urn:li:(organization|person):[^\s]+$/

const versionProblem = (req: SimRequest): SimResponse | undefined => {
  const version = headerOf(req, "linkedin-version")?.trim()
  if (version === undefined || !/^\d{6}(?:\.\d{2})?$/.test(version) || version.slice(0, 6) < LINKEDIN_MIN_VERSION) {
    return nonexistentVersion(version)
  }
  return undefined
}

const authorOfBody = (ctx: RouteContext): string | undefined => stringAt(ctx.req.body, "author")
const authorOfQuery = (ctx: RouteContext): string | undefined => ctx.req.query.get("author") ?? undefined

const createPost: Handler = (ctx, template) => {
  const { req, state } = ctx
  const version = versionProblem(req)
  if (version !== undefined) return version
  const author = authorOfBody(ctx)
  const call = callInfo(req, template, author)
  if (req.bodyKind === "invalid") return linkedinErrors.invalidRequest("Unable to parse the request body as JSON", call)
  // Token problems come before body problems, as on the real API.
  const early = checkAccess(state, "linkedin", authorizationToken(req))
  if (!early.ok) return linkedinErrors.denied(early.denial, call)
  if (author === undefined || !AUTHOR.test(author)) return linkedinErrors.invalidRequest("/author :: field is required and must be an organization or person URN", call)
  const commentary = stringAt(req.body, "commentary")
  if (commentary === undefined) return linkedinErrors.invalidRequest("/commentary :: field is required", call)
  const scope = author.startsWith("urn:li:organization:") ? "w_organization_social" : "w_member_social"
  const access = checkAccess(state, "linkedin", authorizationToken(req), { accountId: author, scopes: [scope], write: true })
  if (!access.ok) return linkedinErrors.denied(access.denial, call)

  const earlier = commentary === "" ? undefined : state.posts({ platform: "linkedin", accountId: author }).find((p) => p.text === commentary)
  if (earlier !== undefined) return duplicatePost(earlier.partnerId)

  const image = stringAt(req.body, "content", "media", "id")
  const article = stringAt(req.body, "content", "article", "source")
  const dedupeKey = dedupeKeyOf(req)
  const post = state.addPost({
    platform: "linkedin",
    accountId: author,
    partnerId: `urn:li:share:71${String(state.nextNumber("li-share", 1)).padStart(17, "0")}`,
    text: commentary,
    media: image === undefined ? [] : [image],
    status: "PUBLISHED",
    ...(article === undefined ? {} : { link: article }),
    ...(dedupeKey === undefined ? {} : { dedupeKey })
  })
  return emptyResponse(201, { "x-restli-id": post.partnerId, "x-linkedin-id": post.partnerId, "x-restli-protocol-version": "2.0.0" })
}

const pagingOf = (req: SimRequest, fallbackCount: number): { readonly start: number; readonly count: number } => ({
  start: intParam(req, "start", 0),
  count: intParam(req, "count", fallbackCount, 100)
})

const listPosts: Handler = (ctx, template) => {
  const { req, state } = ctx
  const version = versionProblem(req)
  if (version !== undefined) return version
  const author = authorOfQuery(ctx)
  const call = callInfo(req, template, author)
  if (req.query.get("q") !== "author" || author === undefined) return linkedinErrors.invalidRequest("q=author and author are required", call)
  const access = checkAccess(state, "linkedin", authorizationToken(req), { accountId: author })
  if (!access.ok) return linkedinErrors.denied(access.denial, call)
  const { count } = pagingOf(req, 10)
  const all = [...state.posts({ platform: "linkedin", accountId: author })].reverse()
  return jsonResponse(200, {
    paging: { start: 0, count, links: [], total: all.length },
    elements: all.slice(0, count).map((p) => ({
      id: p.partnerId,
      author: p.accountId,
      commentary: p.text,
      createdAt: p.createdAt,
      lastModifiedAt: p.createdAt,
      publishedAt: p.createdAt,
      lifecycleState: "PUBLISHED",
      visibility: "PUBLIC",
      distribution: { feedDistribution: "MAIN_FEED", targetEntities: [], thirdPartyDistributionChannels: [] }
    }))
  })
}

// Any one of these lets a member read the organizations they hold a role in.
const ORGANIZATION_ROLE_SCOPES = ["r_organization_social", "w_organization_social", "r_organization_admin", "rw_organization_admin"]

/**
 * GET /rest/organizationAcls?q=roleAssignee: the token's member is ADMINISTRATOR (APPROVED) of every
 * organization in the grant; filtering by another role or state finds nothing.
 */
const organizationAcls: Handler = (ctx, template) => {
  const { req, state } = ctx
  const version = versionProblem(req)
  if (version !== undefined) return version
  const call = callInfo(req, template, undefined)
  if (req.query.get("q") !== "roleAssignee") return linkedinErrors.invalidRequest("q=roleAssignee is required", call)
  const access = checkAccess(state, "linkedin", authorizationToken(req))
  if (!access.ok) return linkedinErrors.denied(access.denial, call)
  if (!ORGANIZATION_ROLE_SCOPES.some((scope) => access.grant.scopes.has(scope))) {
    return linkedinErrors.denied({ kind: "scope", missing: ORGANIZATION_ROLE_SCOPES }, call)
  }
  const role = req.query.get("role") ?? "ADMINISTRATOR"
  const roleState = req.query.get("state") ?? "APPROVED"
  const organizations =
    role === "ADMINISTRATOR" && roleState === "APPROVED"
      ? state
          .liveAccounts("linkedin", access.grant.accountIds.filter((id) => id.startsWith("urn:li:organization:")))
          .map((a) => a.accountId)
      : []
  const { start, count } = pagingOf(req, 10)
  return jsonResponse(200, {
    paging: { start, count, links: [], total: organizations.length },
    elements: organizations.slice(start, start + count).map((organization) => ({
      organization,
      role: "ADMINISTRATOR",
      state: "APPROVED",
      roleAssignee: `urn:li:person:${access.grant.userId}`
    }))
  })
}

const userinfo: Handler = (ctx, template) => {
  const access = checkAccess(ctx.state, "linkedin", authorizationToken(ctx.req))
  if (!access.ok) return linkedinErrors.denied(access.denial, callInfo(ctx.req, template, undefined))
  return jsonResponse(200, {
    sub: access.grant.userId,
    name: `Sim Member ${access.grant.userId}`,
    given_name: "Sim",
    family_name: `Member ${access.grant.userId}`,
    locale: { country: "US", language: "en" }
  })
}

/**
 * POST /oauth/v2/introspectToken (form client_id, client_secret, token): a token of this client
 * answers its status (active, expired, revoked), scopes and lifetime; any other token `{"active":false}`.
 */
const introspectToken: Handler = (ctx) => {
  const clientId = paramOf(ctx.req, "client_id")
  const clientSecret = paramOf(ctx.req, "client_secret")
  const token = paramOf(ctx.req, "token")
  if (clientId === undefined || clientSecret === undefined || token === undefined || token === "") return linkedinTokenError("invalid_request", "request")
  if (ctx.state.app("linkedin", clientId)?.clientSecret !== clientSecret) return linkedinTokenError("invalid_client", "client")
  const found = ctx.state.accessToken(token)
  if (found === undefined || found.grant.platform !== "linkedin" || found.grant.clientId !== clientId) return jsonResponse(200, { active: false })
  const { grant, token: access } = found
  const expired = access.expiresAt !== null && ctx.state.now() >= access.expiresAt
  const status = grant.revoked ? "revoked" : expired ? "expired" : "active"
  return jsonResponse(200, {
    active: status === "active",
    client_id: clientId,
    authorized_at: seconds(access.issuedAt),
    created_at: seconds(access.issuedAt),
    status,
    ...(access.expiresAt === null ? {} : { expires_at: seconds(access.expiresAt) }),
    scope: [...grant.scopes].join(","),
    auth_type: "3L"
  })
}

export const LINKEDIN_OAUTH: OAuthSpec = {
  platform: "linkedin",
  title: "LinkedIn",
  clientIdParam: "client_id",
  scopeSeparator: " ",
  pkce: false,
  tokenBody: (tokens) => ({
    access_token: tokens.accessToken,
    expires_in: tokens.expiresInSec,
    ...(tokens.refreshToken === undefined ? {} : { refresh_token: tokens.refreshToken, refresh_token_expires_in: tokens.refreshExpiresInSec }),
    scope: tokens.scopes.join(",")
  }),
  tokenError: linkedinTokenError
}

export const linkedin: PlatformModule = {
  platform: "linkedin",
  hosts: [exactHost(API), exactHost(WWW)],
  tokenOf: authorizationToken,
  errors: linkedinErrors,
  routes: [
    route("GET", WWW, "/oauth/v2/authorization", authorizeEndpoint(LINKEDIN_OAUTH)),
    route("POST", WWW, "/oauth/v2/accessToken", tokenEndpoint(LINKEDIN_OAUTH)),
    route("POST", WWW, "/oauth/v2/introspectToken", introspectToken),
    route("POST", API, "/rest/posts", createPost, authorOfBody),
    route("GET", API, "/rest/posts", listPosts, authorOfQuery),
    route("GET", API, "/rest/organizationAcls", organizationAcls),
    route("GET", API, "/v2/userinfo", userinfo)
  ]
}
