// The OAuth 2.0 every platform shares: authorize (consent page, or approve/deny at once through
// `sim_account` + `sim_decision`) checked against registered apps, single-use codes with PKCE S256,
// code and refresh grants. Each platform brings its parameter names, token body and error shapes.
import { createHash } from "node:crypto"
import type { Platform } from "../../core/taxonomy/Taxonomy.ts"
import type { RouteContext } from "./platforms/PlatformModule.ts"
import { headerOf, paramOf, type SimRequest } from "./SimRequest.ts"
import { escapeHtml, htmlResponse, redirectResponse, type SimResponse } from "./SimResponse.ts"
import type { App, IssuedTokens } from "./SimulatorState.ts"
import { TOKEN_POLICIES } from "./TokenPolicy.ts"

export type OAuthErrorKind = "invalid_request" | "invalid_client" | "invalid_grant" | "unsupported_grant_type"

/** Which part of the token call failed, so platforms can word the error as they do. */
export type OAuthErrorContext = "code" | "refresh" | "client" | "request"

export type GrantType = "authorization_code" | "refresh_token"

export interface OAuthSpec {
  readonly platform: Platform
  readonly title: string
  readonly clientIdParam: "client_id" | "client_key"
  readonly scopeSeparator: "," | " "
  /** Platforms that use PKCE verify S256 challenges (TikTok, Google). */
  readonly pkce: boolean
  /** Meta's token endpoint takes no grant_type. */
  readonly defaultGrantType?: GrantType
  /** Extra query parameters on the approval redirect (TikTok's `scopes`, Google's `scope`). */
  readonly redirectExtras?: (scopes: ReadonlyArray<string>) => Readonly<Record<string, string>>
  readonly tokenBody: (tokens: IssuedTokens, grantType: GrantType) => unknown
  readonly tokenError: (kind: OAuthErrorKind, context: OAuthErrorContext) => SimResponse
}

const LOOPBACK_REDIRECT = /^http:\/\/(?:127\.0\.0\.1|localhost)(?::\d{1,5})?(?:[/?#]|$)/

export const redirectAllowed = (app: App, redirectUri: string): boolean =>
  app.redirectUris.includes(redirectUri) || (app.anyLoopbackRedirect && LOOPBACK_REDIRECT.test(redirectUri))

export const pkceS256 = (verifier: string): string => createHash("sha256").update(verifier).digest("base64url")

const errorPage = (message: string): SimResponse =>
  htmlResponse(400, `<!doctype html><html><head><title>Error</title></head><body><h1>Error</h1><p>${escapeHtml(message)}</p></body></html>`)

const withParams = (base: string, params: Readonly<Record<string, string | undefined>>): string => {
  const url = new URL(base)
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value)
  return url.toString()
}

const splitList = (value: string, separator: "," | " "): ReadonlyArray<string> =>
  value
    .split(separator === " " ? /[\s+]+/ : /,/)
    .map((s) => s.trim())
    .filter((s) => s !== "")

const consentPage = (spec: OAuthSpec, ctx: RouteContext, app: App, scopes: ReadonlyArray<string>): SimResponse => {
  const { req, state } = ctx
  const hidden = [...req.query.entries()]
    .filter(([name]) => !name.startsWith("sim_"))
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join("")
  const accounts = state
    .listAccounts(spec.platform)
    .filter((a) => !a.deleted)
    .map((a) => `<option value="${escapeHtml(a.accountId)}">${escapeHtml(a.name)} (${escapeHtml(a.accountId)})</option>`)
    .join("")
  const html = `<!doctype html>
<html><head><meta charset="utf-8"><title>${escapeHtml(spec.title)}: authorize ${escapeHtml(app.clientId)}</title></head>
<body>
<h1>${escapeHtml(spec.title)} (simulated)</h1>
<p><strong>${escapeHtml(app.clientId)}</strong> asks for: ${scopes.map(escapeHtml).join(", ") || "basic access"}</p>
<form method="get" action="/${escapeHtml(req.host)}${escapeHtml(req.path)}">${hidden}
<label>Account <select name="sim_account">${accounts}</select></label>
<button type="submit" name="sim_decision" value="approve">Allow</button>
<button type="submit" name="sim_decision" value="deny">Cancel</button>
</form>
</body></html>`
  return htmlResponse(200, html)
}

export const authorizeEndpoint =
  (spec: OAuthSpec) =>
  (ctx: RouteContext): SimResponse => {
    const { req, state } = ctx
    const clientId = req.query.get(spec.clientIdParam) ?? ""
    const redirectUri = req.query.get("redirect_uri") ?? ""
    const app = state.app(spec.platform, clientId)
    if (app === undefined) return errorPage(`Invalid ${spec.clientIdParam}: the app is not registered`)
    if (!redirectAllowed(app, redirectUri)) return errorPage("redirect_uri does not match a registered redirect URI")
    const oauthState = req.query.get("state") ?? undefined
    const fail = (error: string, description: string): SimResponse =>
      redirectResponse(withParams(redirectUri, { error, error_description: description, state: oauthState }))

    if (req.query.get("response_type") !== "code") return fail("unsupported_response_type", "response_type must be code")
    const challenge = req.query.get("code_challenge") ?? undefined
    if (spec.pkce && challenge !== undefined && (req.query.get("code_challenge_method") ?? "") !== "S256") {
      return fail("invalid_request", "code_challenge_method must be S256")
    }
    const requested = splitList(req.query.get("scope") ?? "", spec.scopeSeparator)
    const decision = req.query.get("sim_decision")
    if (decision === null) return consentPage(spec, ctx, app, requested)
    if (decision === "deny") {
      const extra = spec.platform === "meta" ? { error_reason: "user_denied" } : {}
      return redirectResponse(
        withParams(redirectUri, { error: "access_denied", ...extra, error_description: "The user denied the request", state: oauthState })
      )
    }
    if (decision !== "approve") return errorPage("sim_decision must be approve or deny")

    const accountIds = splitList(req.query.get("sim_account") ?? "", ",")
    if (accountIds.length === 0) return errorPage("sim_account is required to approve")
    const accounts = accountIds.map((id) => state.account(spec.platform, id))
    const missing = accountIds.filter((_, i) => accounts[i] === undefined || accounts[i]?.deleted === true)
    if (missing.length > 0) return errorPage(`unknown ${spec.platform} account(s): ${missing.join(", ")}`)
    const simScopes = req.query.get("sim_scopes")
    const scopes =
      simScopes !== null ? splitList(simScopes, ",") : requested.length > 0 ? requested : TOKEN_POLICIES[spec.platform].defaultScopes
    const code = state.issueCode({
      platform: spec.platform,
      clientId,
      redirectUri,
      userId: accounts[0]?.userId ?? `${spec.platform}-user-1`,
      accountIds,
      scopes,
      ...(spec.pkce && challenge !== undefined ? { codeChallenge: challenge } : {})
    })
    return redirectResponse(withParams(redirectUri, { code, state: oauthState, ...(spec.redirectExtras?.(scopes) ?? {}) }))
  }

const basicCredentials = (req: SimRequest): { readonly id: string; readonly secret: string } | undefined => {
  const match = /^basic\s+(.+)$/i.exec(headerOf(req, "authorization")?.trim() ?? "")
  const encoded = match?.[1]
  if (encoded === undefined) return undefined
  const decoded = Buffer.from(encoded, "base64").toString("utf8")
  const colon = decoded.indexOf(":")
  if (colon < 0) return undefined
  return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) }
}

export const tokenEndpoint =
  (spec: OAuthSpec) =>
  (ctx: RouteContext): SimResponse => {
    const { req, state } = ctx
    const basic = basicCredentials(req)
    const clientId = paramOf(req, spec.clientIdParam) ?? basic?.id
    const secret = paramOf(req, "client_secret") ?? basic?.secret
    const app = clientId === undefined ? undefined : state.app(spec.platform, clientId)
    if (clientId === undefined || app === undefined || app.clientSecret !== secret) return spec.tokenError("invalid_client", "client")

    const grantType = paramOf(req, "grant_type") ?? spec.defaultGrantType
    if (grantType === "authorization_code") {
      const code = paramOf(req, "code")
      if (code === undefined || code === "") return spec.tokenError("invalid_request", "request")
      const redeemed = state.redeemCode(spec.platform, code)
      if (redeemed === undefined || redeemed.clientId !== clientId) return spec.tokenError("invalid_grant", "code")
      if (paramOf(req, "redirect_uri") !== redeemed.redirectUri) return spec.tokenError("invalid_grant", "code")
      if (redeemed.codeChallenge !== undefined) {
        const verifier = paramOf(req, "code_verifier")
        if (verifier === undefined || pkceS256(verifier) !== redeemed.codeChallenge) return spec.tokenError("invalid_grant", "code")
      }
      return jsonTokens(spec.tokenBody(state.exchangeCode(redeemed), "authorization_code"))
    }
    if (grantType === "refresh_token" && TOKEN_POLICIES[spec.platform].refresh !== null) {
      const refreshToken = paramOf(req, "refresh_token")
      if (refreshToken === undefined || refreshToken === "") return spec.tokenError("invalid_request", "request")
      const outcome = state.refresh(spec.platform, refreshToken, clientId)
      if (!outcome.ok) return spec.tokenError("invalid_grant", "refresh")
      return jsonTokens(spec.tokenBody(outcome.tokens, "refresh_token"))
    }
    return spec.tokenError("unsupported_grant_type", "request")
  }

const jsonTokens = (body: unknown): SimResponse => ({
  status: 200,
  headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", pragma: "no-cache" },
  body: JSON.stringify(body)
})
