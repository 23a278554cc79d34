// Mailchimp OAuth 2: the authorization page (no scopes, no PKCE), the code redeemed at
// login.mailchimp.com for a token that never expires, and the grant identified through the metadata
// call (the login and its data centre) and the audiences in that data centre.
import { Effect, Redacted, Result } from "effect"
import { arrayField, field, stringField } from "../../../core/classify/Fields.ts"
import type { AuthorizeParams, CodeExchange, GrantedAccount, OAuthProvider } from "../../../core/oauth/OAuthProvider.ts"
import type { TokenSet } from "../../../core/publish/Connector.ts"
import { clientFor, unexpectedReply } from "../ConnectorFailure.ts"
import { mailchimpAudienceOf } from "../MailchimpConnector.ts"
import { mailchimpApiUrl, type PartnerEndpoints } from "../PartnerEndpoints.ts"
import type { PartnerHttp } from "../PartnerHttp.ts"
import { authorizationUrl, redeemCode } from "./OAuthCalls.ts"

/** Mailchimp has no scopes: what a token may do is the user's role. */
export const MAILCHIMP_SCOPES: ReadonlyArray<string> = []

/** The most lists one call returns. */
export const LISTS_PER_CALL = 1_000

// The dc becomes part of a host name: letters then digits (`us1`, `us21`), as MailchimpConnector takes it.
const DATA_CENTRE = /^[a-z]{2,6}\d{1,4}$/

/** The audiences of a lists reply as `<dc>:<listId>` accounts; ids the connector could not use are skipped. */
export const audiencesOf = (dc: string, body: unknown): ReadonlyArray<GrantedAccount> =>
  (arrayField(body, "lists") ?? []).flatMap((list) => {
    const id = stringField(list, "id")
    const accountId = `${dc}:${id ?? ""}`
    return id !== undefined && Result.isSuccess(mailchimpAudienceOf(accountId)) ? [{ accountId, displayName: stringField(list, "name") ?? null }] : []
  })

export const makeMailchimpOAuth = (endpoints: PartnerEndpoints, http: PartnerHttp): OAuthProvider => {
  const login = endpoints.hosts.mailchimpLogin

  const authorizeUrl = Effect.fn("MailchimpOAuth.authorizeUrl")(function* (params: AuthorizeParams) {
    const client = yield* clientFor(endpoints, "mailchimp")
    return authorizationUrl(`${login}/oauth2/authorize`, {
      response_type: "code",
      client_id: Redacted.value(client.id),
      redirect_uri: params.redirectUri,
      state: params.state
    })
  })

  const exchangeCode = Effect.fn("MailchimpOAuth.exchangeCode")(function* (exchange: CodeExchange) {
    const client = yield* clientFor(endpoints, "mailchimp")
    return yield* redeemCode(http, {
      platform: "mailchimp",
      method: "POST",
      url: `${login}/oauth2/token`,
      params: {
        grant_type: "authorization_code",
        client_id: client.id,
        client_secret: client.secret,
        redirect_uri: exchange.redirectUri,
        code: exchange.code
      }
    })
  })

  const identify = Effect.fn("MailchimpOAuth.identify")(function* (tokens: TokenSet) {
    // The metadata endpoint documents the `OAuth` scheme; PartnerHttp's `token` would send Bearer.
    const metadata = yield* http.call({
      platform: "mailchimp",
      method: "GET",
      url: `${login}/oauth2/metadata`,
      headers: { authorization: `OAuth ${Redacted.value(tokens.accessToken)}` }
    })
    const dc = stringField(metadata.body, "dc")
    // Mailchimp sends login_id as a number; the simulator's logins are strings.
    const loginId = field(field(metadata.body, "login"), "login_id")
    const partnerUserId = typeof loginId === "string" || (typeof loginId === "number" && Number.isSafeInteger(loginId)) ? String(loginId) : undefined
    if (dc === undefined || !DATA_CENTRE.test(dc) || partnerUserId === undefined || partnerUserId === "") {
      return yield* Effect.fail(unexpectedReply("mailchimp", "GET /oauth2/metadata (no dc or login_id)", metadata))
    }
    const lists = yield* http.call({
      platform: "mailchimp",
      method: "GET",
      url: `${mailchimpApiUrl(endpoints, dc)}/3.0/lists`,
      query: { count: LISTS_PER_CALL, fields: "lists.id,lists.name" },
      token: tokens.accessToken
    })
    if (arrayField(lists.body, "lists") === undefined) return yield* Effect.fail(unexpectedReply("mailchimp", "GET /3.0/lists (no lists)", lists))
    return { partnerUserId, accounts: audiencesOf(dc, lists.body) }
  })

  return {
    platform: "mailchimp",
    requiredScopes: MAILCHIMP_SCOPES,
    supportsPkce: false,
    configured: endpoints.clients.mailchimp !== undefined,
    authorizeUrl,
    exchangeCode,
    identify
  }
}
