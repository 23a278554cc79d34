// LinkedIn through the versioned REST API: text and article posts on /rest/posts as the member or
// organization named by partnerAccountId (a URN), reconciliation over the author's recent posts,
// health via OpenID userinfo plus token introspection for the scopes (when our OAuth client is
// configured), and refresh at www.linkedin.com's token endpoint.
import { Effect, type Redacted, Result } from "effect"
import { arrayField, booleanField, field, stringField } from "../../core/classify/Fields.ts"
import type { Connector, Credentials, HealthReport, PostContent, PublishedPost, PublishRequest } from "../../core/publish/Connector.ts"
import { classificationOf, toTaxonomyError } from "../../core/taxonomy/Classification.ts"
import type { TaxonomyError } from "../../core/taxonomy/TaxonomyError.ts"
import { clientFor, invalidRequest, unexpectedReply, unsupported } from "./ConnectorFailure.ts"
import type { PartnerEndpoints } from "./PartnerEndpoints.ts"
import type { PartnerHttp } from "./PartnerHttp.ts"
import { findOurPost, type PartnerPost, parsePartnerTime } from "./PostMatch.ts"
import { refreshAt, splitScopes } from "./TokenRefresh.ts"

export const RECENT_POSTS = 50

const AUTHOR_URN = /^urn:li:(?:organization|person):[A-Za-z0-9_-]{1,64}$/

export const linkedInAuthorOf = (partnerAccountId: string): Result.Result<string, TaxonomyError> =>
  AUTHOR_URN.test(partnerAccountId)
    ? Result.succeed(partnerAccountId)
    : Result.fail(invalidRequest("linkedin", "partnerAccountId is not a urn:li:organization or urn:li:person URN"))

// `commentary` is "little text": these characters are markup and must be escaped, or LinkedIn
// drops or mangles the text after them.
const LITTLE_TEXT_RESERVED = /[\\|{}@[\]()<>#*_~]/g

export const escapeLittleText = (text: string): string => text.replace(LITTLE_TEXT_RESERVED, "\\$&")

/** What LinkedIn may list back for our text: the escaped form we sent, or the plain text. */
export const commentaryForms = (text: string): ReadonlyArray<string> => {
  const escaped = escapeLittleText(text)
  return escaped === text ? [text] : [escaped, text]
}

export const linkedInPostBody = (author: string, content: PostContent): Result.Result<Record<string, unknown>, TaxonomyError> => {
  if (content.format !== "text") {
    return Result.fail(unsupported("linkedin", `${content.format} posts need LinkedIn's media upload, which this connector does not do`))
  }
  return Result.succeed({
    author,
    commentary: escapeLittleText(content.text),
    visibility: "PUBLIC",
    distribution: { feedDistribution: "MAIN_FEED", targetEntities: [], thirdPartyDistributionChannels: [] },
    lifecycleState: "PUBLISHED",
    isReshareDisabledByAuthor: false,
    ...(content.link === undefined ? {} : { content: { article: { source: content.link, title: content.title ?? content.link } } })
  })
}

export const linkedInPostsOf = (body: unknown): ReadonlyArray<PartnerPost> =>
  (arrayField(body, "elements") ?? []).flatMap((element) => {
    const id = stringField(element, "id")
    return id === undefined
      ? []
      : [{ id, text: stringField(element, "commentary"), createdAt: parsePartnerTime(field(element, "createdAt")) }]
  })

export const linkedInPostUrl = (urn: string): string => `https://www.linkedin.com/feed/update/${urn}`

/**
 * An introspection answer as a health report: an active token's scopes; an inactive one fails as
 * its documented status says (expired → AUTH_EXPIRED, revoked → APP_DEAUTHORIZED as 65601 reads),
 * and as AUTH_INVALID when LinkedIn does not know it (`{"active":false}`).
 */
export const introspectionReport = (body: unknown): Result.Result<HealthReport, TaxonomyError> => {
  if (booleanField(body, "active") === true) {
    const scopes = splitScopes(field(body, "scope"))
    return Result.succeed(scopes === undefined ? {} : { scopes })
  }
  const status = stringField(body, "status")?.toLowerCase()
  const code = status === "expired" ? "AUTH_EXPIRED" : status === "revoked" ? "APP_DEAUTHORIZED" : "AUTH_INVALID"
  return Result.fail(
    toTaxonomyError(
      classificationOf(code, {
        reason: `linkedin token introspection: inactive token (status ${status ?? "absent"})`,
        platform: "linkedin",
        httpStatus: 200,
        partnerCode: `introspect:${status ?? "inactive"}`
      })
    )
  )
}

export const makeLinkedInConnector = (endpoints: PartnerEndpoints, http: PartnerHttp): Connector => {
  const api = endpoints.hosts.linkedinApi
  const restHeaders = { "linkedin-version": endpoints.linkedinVersion, "x-restli-protocol-version": "2.0.0" }

  const publish = Effect.fn("LinkedInConnector.publish")(function* (request: PublishRequest) {
    const author = yield* Effect.fromResult(linkedInAuthorOf(request.credentials.partnerAccountId))
    const body = yield* Effect.fromResult(linkedInPostBody(author, request.content))
    const reply = yield* http.call({
      platform: "linkedin",
      method: "POST",
      url: `${api}/rest/posts`,
      token: request.credentials.accessToken,
      headers: restHeaders,
      body: { json: body },
      dedupeKey: request.dedupeKey
    })
    const urn = reply.headers["x-restli-id"] ?? reply.headers["x-linkedin-id"]
    if (urn === undefined || urn === "") return yield* Effect.fail(unexpectedReply("linkedin", "POST /rest/posts (no x-restli-id)", reply))
    return { partnerPostId: urn, url: linkedInPostUrl(urn) } satisfies PublishedPost
  })

  const findPublished = Effect.fn("LinkedInConnector.findPublished")(function* (request: PublishRequest) {
    const author = yield* Effect.fromResult(linkedInAuthorOf(request.credentials.partnerAccountId))
    const reply = yield* http.call({
      platform: "linkedin",
      method: "GET",
      url: `${api}/rest/posts`,
      query: { author, q: "author", count: RECENT_POSTS },
      token: request.credentials.accessToken,
      headers: restHeaders
    })
    const found = findOurPost(linkedInPostsOf(reply.body), request, commentaryForms)
    return found === undefined ? undefined : ({ partnerPostId: found.id, url: linkedInPostUrl(found.id) } satisfies PublishedPost)
  })

  // userinfo first: it is on the API host a breaker probe must see recover, and its errors tell an
  // expired token from a revoked one. It cannot tell a token that lost w_organization_social, so
  // introspection (which needs our client) then reports the token's scopes.
  const healthCheck = Effect.fn("LinkedInConnector.healthCheck")(function* (credentials: Credentials) {
    yield* http.call({ platform: "linkedin", method: "GET", url: `${api}/v2/userinfo`, token: credentials.accessToken })
    const client = endpoints.clients.linkedin
    if (client === undefined) return {}
    const reply = yield* http.call({
      platform: "linkedin",
      method: "POST",
      url: `${endpoints.hosts.linkedinOAuth}/oauth/v2/introspectToken`,
      body: { form: { client_id: client.id, client_secret: client.secret, token: credentials.accessToken } }
    })
    return yield* Effect.fromResult(introspectionReport(reply.body))
  })

  const refreshToken = Effect.fn("LinkedInConnector.refreshToken")(function* (refreshToken: Redacted.Redacted<string>) {
    const client = yield* clientFor(endpoints, "linkedin")
    return yield* refreshAt(http, {
      platform: "linkedin",
      url: `${endpoints.hosts.linkedinOAuth}/oauth/v2/accessToken`,
      form: { grant_type: "refresh_token", refresh_token: refreshToken, client_id: client.id, client_secret: client.secret }
    })
  })

  return { platform: "linkedin", publish, findPublished, healthCheck, refreshToken }
}
