// Sign In with LinkedIn (OpenID) plus the Community Management scopes: the authorization page (no
// PKCE for web apps), the code redeemed at www.linkedin.com, and the grant identified as the member
// (userinfo `sub`, who may post as `urn:li:person:<sub>`) and the organizations they administer.
import { Effect, Redacted, Result } from "effect"
import { arrayField, field, stringField } from "../../../core/classify/Fields.ts"
import type { AuthorizeParams, CodeExchange, GrantedAccount, OAuthProvider } from "../../../core/oauth/OAuthProvider.ts"
import type { TokenSet } from "../../../core/publish/Connector.ts"
import { clientFor, unexpectedReply } from "../ConnectorFailure.ts"
import { linkedInAuthorOf } from "../LinkedInConnector.ts"
import type { PartnerEndpoints } from "../PartnerEndpoints.ts"
import type { PartnerHttp } from "../PartnerHttp.ts"
import { authorizationUrl, redeemCode } from "./OAuthCalls.ts"

export const LINKEDIN_SCOPES = ["openid", "profile", "w_member_social", "w_organization_social", "r_organization_social"]

export const ACLS_PER_CALL = 100
/** A bound on paging through a member's organizations (10 000 is far beyond any real member). */
export const MAX_ACL_CALLS = 100

const ORGANIZATION = /^urn:li:organization:/

/** The organizations of one organizationAcls page (approved administrators only), as publishable URNs. */
export const organizationsOf = (body: unknown): ReadonlyArray<string> =>
  (arrayField(body, "elements") ?? []).flatMap((element) => {
    const organization = stringField(element, "organization")
    const role = stringField(element, "role")
    const state = stringField(element, "state")
    return organization !== undefined &&
      ORGANIZATION.test(organization) &&
      Result.isSuccess(linkedInAuthorOf(organization)) &&
      (role === undefined || role === "ADMINISTRATOR") &&
      (state === undefined || state === "APPROVED")
      ? [organization]
      : []
  })

export const makeLinkedInOAuth = (endpoints: PartnerEndpoints, http: PartnerHttp): OAuthProvider => {
  const api = endpoints.hosts.linkedinApi
  const oauth = endpoints.hosts.linkedinOAuth
  const restHeaders = { "linkedin-version": endpoints.linkedinVersion, "x-restli-protocol-version": "2.0.0" }

  const authorizeUrl = Effect.fn("LinkedInOAuth.authorizeUrl")(function* (params: AuthorizeParams) {
    const client = yield* clientFor(endpoints, "linkedin")
    return authorizationUrl(`${oauth}/oauth/v2/authorization`, {
      response_type: "code",
      client_id: Redacted.value(client.id),
      redirect_uri: params.redirectUri,
      state: params.state,
      scope: params.scopes.join(" ")
    })
  })

  const exchangeCode = Effect.fn("LinkedInOAuth.exchangeCode")(function* (exchange: CodeExchange) {
    const client = yield* clientFor(endpoints, "linkedin")
    return yield* redeemCode(http, {
      platform: "linkedin",
      method: "POST",
      url: `${oauth}/oauth/v2/accessToken`,
      params: {
        grant_type: "authorization_code",
        code: exchange.code,
        redirect_uri: exchange.redirectUri,
        client_id: client.id,
        client_secret: client.secret
      }
    })
  })

  const identify = Effect.fn("LinkedInOAuth.identify")(function* (tokens: TokenSet) {
    const me = yield* http.call({ platform: "linkedin", method: "GET", url: `${api}/v2/userinfo`, token: tokens.accessToken })
    const sub = stringField(me.body, "sub")
    if (sub === undefined || sub === "") return yield* Effect.fail(unexpectedReply("linkedin", "GET /v2/userinfo (no sub)", me))
    const person = `urn:li:person:${sub}`
    const accounts: Array<GrantedAccount> = Result.isSuccess(linkedInAuthorOf(person))
      ? [{ accountId: person, displayName: stringField(me.body, "name") ?? null }]
      : []

    const organizations = new Set<string>()
    for (let call = 0, start = 0; call < MAX_ACL_CALLS; call++) {
      const reply = yield* http.call({
        platform: "linkedin",
        method: "GET",
        url: `${api}/rest/organizationAcls`,
        query: { q: "roleAssignee", role: "ADMINISTRATOR", state: "APPROVED", start, count: ACLS_PER_CALL },
        token: tokens.accessToken,
        headers: restHeaders
      })
      const elements = arrayField(reply.body, "elements")
      if (elements === undefined) return yield* Effect.fail(unexpectedReply("linkedin", "GET /rest/organizationAcls (no elements)", reply))
      for (const organization of organizationsOf(reply.body)) organizations.add(organization)
      start += elements.length
      const total = field(field(reply.body, "paging"), "total")
      if (elements.length < ACLS_PER_CALL || (typeof total === "number" && start >= total)) break
    }
    // organizationAcls names organizations by URN only; their names would need a lookup per organization.
    for (const organization of organizations) accounts.push({ accountId: organization, displayName: null })
    return { partnerUserId: sub, accounts }
  })

  return {
    platform: "linkedin",
    requiredScopes: LINKEDIN_SCOPES,
    supportsPkce: false,
    configured: endpoints.clients.linkedin !== undefined,
    authorizeUrl,
    exchangeCode,
    identify
  }
}
