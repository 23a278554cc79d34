// Google Business Profile local posts (v4 `localPosts`) for the location in partnerAccountId
// (`accounts/A/locations/L`). A 2xx with state REJECTED is CONTENT_REJECTED (the classifier reads it);
// PROCESSING counts as accepted. Google refresh responses carry no refresh token: keep the stored one.
// The location's own state (gone, suspended) comes from the Business Information API.
import { Effect, type Redacted, Result } from "effect"
import { detectFailure } from "../../core/classify/Classifier.ts"
import { arrayField, field, recordField, stringField } from "../../core/classify/Fields.ts"
import type { AccountStatus, Connector, Credentials, PostContent, PublishedPost, PublishRequest } from "../../core/publish/Connector.ts"
import { toTaxonomyError } from "../../core/taxonomy/Classification.ts"
import type { TaxonomyError } from "../../core/taxonomy/TaxonomyError.ts"
import { clientFor, invalidRequest, unexpectedReply, unsupported } from "./ConnectorFailure.ts"
import type { PartnerEndpoints } from "./PartnerEndpoints.ts"
import type { PartnerHttp } from "./PartnerHttp.ts"
import { findOurPost, type PartnerPost, parsePartnerTime } from "./PostMatch.ts"
import { refreshAt, splitScopes } from "./TokenRefresh.ts"

/** localPosts.list's page maximum. */
export const RECENT_POSTS = 100
/** The connection carries no language; Google uses it only to label the post. */
export const LANGUAGE_CODE = "en"

const LOCATION = /^accounts\/[A-Za-z0-9_-]{1,64}\/locations\/[A-Za-z0-9_-]{1,64}$/

export const gbpLocationOf = (partnerAccountId: string): Result.Result<string, TaxonomyError> =>
  LOCATION.test(partnerAccountId)
    ? Result.succeed(partnerAccountId)
    : Result.fail(invalidRequest("gbp", "partnerAccountId is not accounts/{a}/locations/{l}"))

export const localPostBody = (content: PostContent): Result.Result<Record<string, unknown>, TaxonomyError> => {
  if (content.format === "video") return Result.fail(unsupported("gbp", "local posts take photos only, not video"))
  if (content.format !== "text" && content.mediaUrls.length === 0) {
    return Result.fail(invalidRequest("gbp", `a ${content.format} post needs at least one image URL`))
  }
  return Result.succeed({
    languageCode: LANGUAGE_CODE,
    summary: content.text,
    topicType: "STANDARD",
    ...(content.format === "text" ? {} : { media: content.mediaUrls.map((sourceUrl) => ({ mediaFormat: "PHOTO", sourceUrl })) }),
    ...(content.link === undefined ? {} : { callToAction: { actionType: "LEARN_MORE", url: content.link } })
  })
}

export interface LocalPost extends PartnerPost {
  readonly raw: unknown
}

export const localPostsOf = (body: unknown): ReadonlyArray<LocalPost> =>
  (arrayField(body, "localPosts") ?? []).flatMap((post) => {
    const name = stringField(post, "name")
    return name === undefined
      ? []
      : [{ id: name, text: stringField(post, "summary"), createdAt: parsePartnerTime(field(post, "createTime")), raw: post }]
  })

const publishedOf = (post: unknown, name: string): PublishedPost => {
  const url = stringField(post, "searchUrl")
  return { partnerPostId: name, ...(url === undefined ? {} : { url }) }
}

/** The location fields accountStatus reads. */
export const LOCATION_READ_MASK = "name,title,metadata"

/**
 * A location read as an account status: it may not post once it lost its voice of merchant or the
 * right to local posts. Proto3 JSON leaves false booleans out, so inside a metadata that is there an
 * absent flag counts as false; without metadata at all there is nothing to go on, and it stays "ok".
 */
export const locationStatusOf = (body: unknown): AccountStatus => {
  const metadata = recordField(body, "metadata")
  if (metadata === undefined) return "ok"
  return metadata["hasVoiceOfMerchant"] !== true || metadata["canOperateLocalPost"] !== true ? "restricted" : "ok"
}

export const makeGbpConnector = (endpoints: PartnerEndpoints, http: PartnerHttp): Connector => {
  const localPosts = (location: string): string => `${endpoints.hosts.gbpApi}/v4/${location}/localPosts`

  const publish = Effect.fn("GbpConnector.publish")(function* (request: PublishRequest) {
    const location = yield* Effect.fromResult(gbpLocationOf(request.credentials.partnerAccountId))
    const body = yield* Effect.fromResult(localPostBody(request.content))
    const reply = yield* http.call({
      platform: "gbp",
      method: "POST",
      url: localPosts(location),
      token: request.credentials.accessToken,
      body: { json: body },
      dedupeKey: request.dedupeKey
    })
    const name = stringField(reply.body, "name")
    if (name === undefined) return yield* Effect.fail(unexpectedReply("gbp", "localPosts.create", reply))
    return publishedOf(reply.body, name)
  })

  const findPublished = Effect.fn("GbpConnector.findPublished")(function* (request: PublishRequest) {
    const location = yield* Effect.fromResult(gbpLocationOf(request.credentials.partnerAccountId))
    const reply = yield* http.call({
      platform: "gbp",
      method: "GET",
      url: localPosts(location),
      query: { pageSize: RECENT_POSTS },
      token: request.credentials.accessToken
    })
    const posts = localPostsOf(reply.body)
    const found = findOurPost(posts, request)
    if (found === undefined) return undefined
    // Our earlier attempt's post was rejected: that is its outcome, not a reason to post again.
    const rejected = detectFailure({ platform: "gbp", status: 200, headers: {}, body: found.raw })
    if (rejected !== undefined) return yield* Effect.fail(toTaxonomyError(rejected))
    return publishedOf(found.raw, found.id)
  })

  const healthCheck = Effect.fn("GbpConnector.healthCheck")(function* (credentials: Credentials) {
    const location = yield* Effect.fromResult(gbpLocationOf(credentials.partnerAccountId))
    // The location call first: its google.rpc errors tell an expired token (refresh) from a missing
    // scope, which tokeninfo's bare invalid_token cannot.
    yield* http.call({ platform: "gbp", method: "GET", url: localPosts(location), query: { pageSize: 1 }, token: credentials.accessToken })
    const info = yield* http.call({
      platform: "gbp",
      method: "GET",
      url: `${endpoints.hosts.googleApis}/oauth2/v3/tokeninfo`,
      tokenQuery: { name: "access_token", token: credentials.accessToken }
    })
    const scopes = splitScopes(field(info.body, "scope"))
    return scopes === undefined ? {} : { scopes }
  })

  const refreshToken = Effect.fn("GbpConnector.refreshToken")(function* (refreshToken: Redacted.Redacted<string>) {
    const client = yield* clientFor(endpoints, "gbp")
    return yield* refreshAt(http, {
      platform: "gbp",
      url: `${endpoints.hosts.googleOAuth}/token`,
      form: { grant_type: "refresh_token", refresh_token: refreshToken, client_id: client.id, client_secret: client.secret }
    })
  })

  const accountStatus = Effect.fn("GbpConnector.accountStatus")(function* (credentials: Credentials) {
    const location = yield* Effect.fromResult(gbpLocationOf(credentials.partnerAccountId))
    const id = location.slice(location.lastIndexOf("/") + 1)
    return yield* http
      .call({
        platform: "gbp",
        method: "GET",
        url: `${endpoints.hosts.gbpInfoApi}/v1/locations/${id}`,
        query: { readMask: LOCATION_READ_MASK },
        token: credentials.accessToken
      })
      .pipe(
        Effect.map((reply) => locationStatusOf(reply.body)),
        Effect.catchTag("RESOURCE_NOT_FOUND", () => Effect.succeed<AccountStatus>("gone"))
      )
  })

  return { platform: "gbp", publish, findPublished, healthCheck, refreshToken, accountStatus }
}
