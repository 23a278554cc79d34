// Google OAuth for Business Profile: the consent page with PKCE (S256), offline access and a forced
// consent so a refresh token is always issued, the code redeemed at oauth2.googleapis.com, and the
// grant identified as the Google user (userinfo `sub`) with every location of every account they see.
import { Effect, Redacted, Result } from "effect"
import { arrayField, field, isRecord, stringField } from "../../../core/classify/Fields.ts"
import type { AuthorizeParams, CodeExchange, GrantedAccount, OAuthProvider } from "../../../core/oauth/OAuthProvider.ts"
import type { TokenSet } from "../../../core/publish/Connector.ts"
import type { TaxonomyError } from "../../../core/taxonomy/TaxonomyError.ts"
import { clientFor, unexpectedReply } from "../ConnectorFailure.ts"
import { gbpLocationOf } from "../GbpConnector.ts"
import type { PartnerEndpoints } from "../PartnerEndpoints.ts"
import type { PartnerHttp, PartnerReply } from "../PartnerHttp.ts"
import { authorizationUrl, redeemCode } from "./OAuthCalls.ts"

export const GBP_SCOPE = "https://www.googleapis.com/auth/business.manage"
export const GOOGLE_SCOPES = [GBP_SCOPE, "openid", "email"]

/** accounts.list allows 20 per page, locations.list 100; the call bound stops a runaway nextPageToken. */
export const ACCOUNTS_PER_PAGE = 20
export const LOCATIONS_PER_PAGE = 100
export const MAX_PAGES = 50

// An account name goes into the next call's path: only Google's own shape is used.
const ACCOUNT_NAME = /^accounts\/[A-Za-z0-9_-]{1,64}$/
const LOCATION_NAME = /^locations\/[A-Za-z0-9_-]{1,64}$/

/** The account names of one accounts.list page; malformed entries are skipped, never put in a URL. */
export const accountNamesOf = (body: unknown): ReadonlyArray<string> =>
  (arrayField(body, "accounts") ?? []).flatMap((account) => {
    const name = stringField(account, "name")
    return name !== undefined && ACCOUNT_NAME.test(name) ? [name] : []
  })

/** `accounts/A` + `locations/L` → `accounts/A/locations/L`, the connection's partnerAccountId. */
export const locationsOf = (accountName: string, body: unknown): ReadonlyArray<GrantedAccount> =>
  (arrayField(body, "locations") ?? []).flatMap((location) => {
    const name = stringField(location, "name")
    if (name === undefined || !LOCATION_NAME.test(name)) return []
    const accountId = `${accountName}/${name}`
    return Result.isSuccess(gbpLocationOf(accountId)) ? [{ accountId, displayName: stringField(location, "title") ?? null }] : []
  })

export const makeGoogleOAuth = (endpoints: PartnerEndpoints, http: PartnerHttp): OAuthProvider => {
  const authorizeUrl = Effect.fn("GoogleOAuth.authorizeUrl")(function* (params: AuthorizeParams) {
    const client = yield* clientFor(endpoints, "gbp")
    return authorizationUrl(`${endpoints.hosts.googleAccounts}/o/oauth2/v2/auth`, {
      client_id: Redacted.value(client.id),
      redirect_uri: params.redirectUri,
      response_type: "code",
      scope: params.scopes.join(" "),
      state: params.state,
      access_type: "offline",
      prompt: "consent",
      include_granted_scopes: "true",
      code_challenge: params.codeChallenge,
      code_challenge_method: "S256",
      login_hint: params.loginHint
    })
  })

  const exchangeCode = Effect.fn("GoogleOAuth.exchangeCode")(function* (exchange: CodeExchange) {
    const client = yield* clientFor(endpoints, "gbp")
    return yield* redeemCode(http, {
      platform: "gbp",
      method: "POST",
      url: `${endpoints.hosts.googleOAuth}/token`,
      params: {
        code: exchange.code,
        client_id: client.id,
        client_secret: client.secret,
        redirect_uri: exchange.redirectUri,
        grant_type: "authorization_code",
        code_verifier: exchange.codeVerifier
      }
    })
  })

  /** Every page of a Google list call, following nextPageToken up to MAX_PAGES. */
  const allPages = (
    tokens: TokenSet,
    what: string,
    url: string,
    query: Readonly<Record<string, string | number>>,
    listField: string
  ): Effect.Effect<ReadonlyArray<PartnerReply>, TaxonomyError> =>
    Effect.gen(function* () {
      const replies: Array<PartnerReply> = []
      let pageToken: string | undefined
      for (let page = 0; page < MAX_PAGES; page++) {
        const reply = yield* http.call({ platform: "gbp", method: "GET", url, query: { ...query, pageToken }, token: tokens.accessToken })
        // Proto3 JSON leaves an empty list out (`{}`), so only a non-object or a non-list is wrong.
        const list = field(reply.body, listField)
        if (!isRecord(reply.body) || (list !== undefined && !Array.isArray(list))) return yield* Effect.fail(unexpectedReply("gbp", what, reply))
        replies.push(reply)
        pageToken = stringField(reply.body, "nextPageToken")
        if (pageToken === undefined || pageToken === "") break
      }
      return replies
    })

  const identify = Effect.fn("GoogleOAuth.identify")(function* (tokens: TokenSet) {
    const me = yield* http.call({ platform: "gbp", method: "GET", url: `${endpoints.hosts.googleApis}/oauth2/v3/userinfo`, token: tokens.accessToken })
    const sub = stringField(me.body, "sub")
    if (sub === undefined || sub === "") return yield* Effect.fail(unexpectedReply("gbp", "GET /oauth2/v3/userinfo (no sub)", me))

    const accountPages = yield* allPages(tokens, "GET /v1/accounts", `${endpoints.hosts.gbpAccountsApi}/v1/accounts`, { pageSize: ACCOUNTS_PER_PAGE }, "accounts")
    const accountNames = [...new Set(accountPages.flatMap((reply) => accountNamesOf(reply.body)))]
    const accounts: Array<GrantedAccount> = []
    for (const accountName of accountNames) {
      const pages = yield* allPages(
        tokens,
        "GET /v1/accounts/{a}/locations",
        `${endpoints.hosts.gbpInfoApi}/v1/${accountName}/locations`,
        { readMask: "name,title", pageSize: LOCATIONS_PER_PAGE },
        "locations"
      )
      accounts.push(...pages.flatMap((reply) => locationsOf(accountName, reply.body)))
    }
    return { partnerUserId: sub, accounts }
  })

  return {
    platform: "gbp",
    requiredScopes: GOOGLE_SCOPES,
    supportsPkce: true,
    configured: endpoints.clients.gbp !== undefined,
    authorizeUrl,
    exchangeCode,
    identify
  }
}
