// Facebook Login for Pages and Instagram: the versioned login dialog (no PKCE; `auth_type=rerequest`
// asks again for declined permissions), the code redeemed with a GET on the Graph API, and the grant
// identified as the user (/me) with the pages they manage and each page's linked Instagram account.
import { Effect, Redacted, Result } from "effect"
import { arrayField, field, recordField, stringField } from "../../../core/classify/Fields.ts"
import type { AuthorizeParams, CodeExchange, GrantedAccount, OAuthProvider } from "../../../core/oauth/OAuthProvider.ts"
import type { TokenSet } from "../../../core/publish/Connector.ts"
import { clientFor, unexpectedReply } from "../ConnectorFailure.ts"
import { INSTAGRAM_PREFIX, metaTargetOf } from "../MetaConnector.ts"
import type { PartnerEndpoints } from "../PartnerEndpoints.ts"
import type { PartnerHttp } from "../PartnerHttp.ts"
import { authorizationUrl, redeemCode } from "./OAuthCalls.ts"

export const META_SCOPES = ["pages_show_list", "pages_read_engagement", "pages_manage_posts", "instagram_basic", "instagram_content_publish"]

export const PAGE_FIELDS = "id,name,access_token,instagram_business_account"
/** Graph's page size for /me/accounts is 25 by default; the bound keeps a hostile `next` from looping. */
export const PAGES_PER_CALL = 100
export const MAX_PAGE_CALLS = 10

/** An id the Meta connector can publish to (a page id, or `ig:<id>`); anything else in a reply is skipped. */
const publishable = (accountId: string): boolean => Result.isSuccess(metaTargetOf(accountId))

/** The pages of one /me/accounts reply, each with its own token, then the Instagram accounts they link. */
export const metaAccountsOf = (pages: ReadonlyArray<unknown>): ReadonlyArray<GrantedAccount> => {
  const accounts: Array<GrantedAccount> = []
  const instagram: Array<GrantedAccount> = []
  const seen = new Set<string>()
  for (const page of pages) {
    const id = stringField(page, "id")
    if (id === undefined || id.startsWith(INSTAGRAM_PREFIX) || !publishable(id) || seen.has(id)) continue
    seen.add(id)
    const pageToken = stringField(page, "access_token")
    accounts.push({
      accountId: id,
      displayName: stringField(page, "name") ?? null,
      ...(pageToken === undefined || pageToken === "" ? {} : { accessToken: Redacted.make(pageToken) })
    })
    const linked = recordField(page, "instagram_business_account")
    const igId = stringField(linked, "id")
    if (igId === undefined) continue
    const igAccount = `${INSTAGRAM_PREFIX}${igId}`
    if (!publishable(igAccount) || seen.has(igAccount)) continue
    seen.add(igAccount)
    // Instagram publishing takes the user token: no accessToken of its own, so the grant's is used.
    instagram.push({ accountId: igAccount, displayName: stringField(linked, "username") ?? null })
  }
  return [...accounts, ...instagram]
}

export const makeMetaOAuth = (endpoints: PartnerEndpoints, http: PartnerHttp): OAuthProvider => {
  const graph = `${endpoints.hosts.metaGraph}/${endpoints.metaGraphVersion}`

  const authorizeUrl = Effect.fn("MetaOAuth.authorizeUrl")(function* (params: AuthorizeParams) {
    const client = yield* clientFor(endpoints, "meta")
    return authorizationUrl(`${endpoints.hosts.metaLogin}/${endpoints.metaGraphVersion}/dialog/oauth`, {
      client_id: Redacted.value(client.id),
      redirect_uri: params.redirectUri,
      state: params.state,
      response_type: "code",
      scope: params.scopes.join(","),
      auth_type: params.rerequest ? "rerequest" : undefined
    })
  })

  const exchangeCode = Effect.fn("MetaOAuth.exchangeCode")(function* (exchange: CodeExchange) {
    const client = yield* clientFor(endpoints, "meta")
    return yield* redeemCode(http, {
      platform: "meta",
      method: "GET",
      url: `${graph}/oauth/access_token`,
      params: { client_id: client.id, client_secret: client.secret, redirect_uri: exchange.redirectUri, code: exchange.code }
    })
  })

  const identify = Effect.fn("MetaOAuth.identify")(function* (tokens: TokenSet) {
    const me = yield* http.call({ platform: "meta", method: "GET", url: `${graph}/me`, query: { fields: "id,name" }, token: tokens.accessToken })
    const userId = stringField(me.body, "id")
    if (userId === undefined || userId === "") return yield* Effect.fail(unexpectedReply("meta", "GET /me (no id)", me))

    const pages: Array<unknown> = []
    let after: string | undefined
    for (let call = 0; call < MAX_PAGE_CALLS; call++) {
      const reply = yield* http.call({
        platform: "meta",
        method: "GET",
        url: `${graph}/me/accounts`,
        query: { fields: PAGE_FIELDS, limit: PAGES_PER_CALL, after },
        token: tokens.accessToken
      })
      const data = arrayField(reply.body, "data")
      if (data === undefined) return yield* Effect.fail(unexpectedReply("meta", "GET /me/accounts (no data)", reply))
      pages.push(...data)
      const paging = recordField(reply.body, "paging")
      after = stringField(recordField(paging, "cursors"), "after")
      // Graph gives `next` only when there is another page; the cursor alone is not enough.
      if (data.length === 0 || field(paging, "next") === undefined || after === undefined) break
    }
    return { partnerUserId: userId, accounts: metaAccountsOf(pages) }
  })

  return {
    platform: "meta",
    requiredScopes: META_SCOPES,
    supportsPkce: false,
    configured: endpoints.clients.meta !== undefined,
    authorizeUrl,
    exchangeCode,
    identify
  }
}
