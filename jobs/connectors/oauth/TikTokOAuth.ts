// TikTok Login Kit for Web v2: the authorization page (client_key, scope, response_type,
// redirect_uri, state — Login Kit for Web has no PKCE; only its desktop flow does, with a hex
// challenge), the code redeemed at open.tiktokapis.com (which may answer a refusal as HTTP 200 with
// `{error, error_description}`), and the grant identified as the one creator it acts for (open_id).
import { Effect, Redacted } from "effect"
import { recordField, stringField } from "../../../core/classify/Fields.ts"
import type { AuthorizeParams, CodeExchange, OAuthProvider } from "../../../core/oauth/OAuthProvider.ts"
import type { TokenSet } from "../../../core/publish/Connector.ts"
import { clientFor, unexpectedReply } from "../ConnectorFailure.ts"
import type { PartnerEndpoints } from "../PartnerEndpoints.ts"
import type { PartnerHttp } from "../PartnerHttp.ts"
import { authorizationUrl, redeemCode } from "./OAuthCalls.ts"

export const TIKTOK_SCOPES = ["user.info.basic", "video.publish", "video.upload"]

export const makeTikTokOAuth = (endpoints: PartnerEndpoints, http: PartnerHttp): OAuthProvider => {
  const api = endpoints.hosts.tiktokApi

  const authorizeUrl = Effect.fn("TikTokOAuth.authorizeUrl")(function* (params: AuthorizeParams) {
    const client = yield* clientFor(endpoints, "tiktok")
    return authorizationUrl(`${endpoints.hosts.tiktokLogin}/v2/auth/authorize/`, {
      client_key: Redacted.value(client.id),
      response_type: "code",
      scope: params.scopes.join(","),
      redirect_uri: params.redirectUri,
      state: params.state
    })
  })

  const exchangeCode = Effect.fn("TikTokOAuth.exchangeCode")(function* (exchange: CodeExchange) {
    const client = yield* clientFor(endpoints, "tiktok")
    return yield* redeemCode(http, {
      platform: "tiktok",
      method: "POST",
      url: `${api}/v2/oauth/token/`,
      params: {
        client_key: client.id,
        client_secret: client.secret,
        code: exchange.code,
        grant_type: "authorization_code",
        redirect_uri: exchange.redirectUri
      }
    })
  })

  const identify = Effect.fn("TikTokOAuth.identify")(function* (tokens: TokenSet) {
    const reply = yield* http.call({
      platform: "tiktok",
      method: "GET",
      url: `${api}/v2/user/info/`,
      query: { fields: "open_id,union_id,display_name" },
      token: tokens.accessToken
    })
    const user = recordField(recordField(reply.body, "data"), "user")
    const openId = stringField(user, "open_id")
    if (openId === undefined || openId === "") return yield* Effect.fail(unexpectedReply("tiktok", "GET /v2/user/info/ (no open_id)", reply))
    return { partnerUserId: openId, accounts: [{ accountId: openId, displayName: stringField(user, "display_name") ?? null }] }
  })

  return {
    platform: "tiktok",
    requiredScopes: TIKTOK_SCOPES,
    supportsPkce: false,
    configured: endpoints.clients.tiktok !== undefined,
    authorizeUrl,
    exchangeCode,
    identify
  }
}
