// The port for connecting an account through a platform's own OAuth: the authorization URL with the
// platform's real parameters, the code exchange at its token endpoint, and who the new grant belongs
// to (the accounts it may publish to), so a reconnect can refuse a grant for another account.
import { Context, type Effect, type Redacted } from "effect"
import type { TokenSet } from "../publish/Connector.ts"
import type { Platform } from "../taxonomy/Taxonomy.ts"
import type { TaxonomyError } from "../taxonomy/TaxonomyError.ts"

export interface AuthorizeParams {
  /** Our signed state, echoed back by the platform on the callback. */
  readonly state: string
  /** Exactly the callback URL registered with the platform. */
  readonly redirectUri: string
  /** Every scope to ask for (the platform's required ones plus any the connection lost). */
  readonly scopes: ReadonlyArray<string>
  /** PKCE S256 challenge; sent only where the platform supports PKCE. */
  readonly codeChallenge: string
  /** Ask again for permissions the user declined before (Meta `auth_type=rerequest`). */
  readonly rerequest: boolean
  /** The partner user to preselect, where the platform takes a hint (Google `login_hint`). */
  readonly loginHint?: string | undefined
}

export interface CodeExchange {
  readonly code: string
  readonly redirectUri: string
  /** The PKCE verifier of `codeChallenge`; sent only where the platform supports PKCE. */
  readonly codeVerifier: string
}

export interface GrantedAccount {
  /** In the form of a connection's partnerAccountId (page id or `ig:<id>`, URN, open_id, `accounts/A/locations/L`, `<dc>:<listId>`). */
  readonly accountId: string
  readonly displayName: string | null
  /** A token of this account's own, when the platform issues one (Meta page tokens); else the grant's. */
  readonly accessToken?: Redacted.Redacted<string> | undefined
}

export interface GrantedIdentity {
  /** The partner user who granted access (Meta user, LinkedIn member, Google account, Mailchimp login, open_id). */
  readonly partnerUserId: string | null
  /** Every account this grant may publish to. */
  readonly accounts: ReadonlyArray<GrantedAccount>
}

export interface OAuthProvider {
  readonly platform: Platform
  /** What publishing needs; a reconnect asks for these plus the connection's own. */
  readonly requiredScopes: ReadonlyArray<string>
  readonly supportsPkce: boolean
  /** False when no OAuth client is configured for the platform: nothing can be connected. */
  readonly configured: boolean
  /** The platform's authorization URL; fails (UNKNOWN, operator) when the client is not configured. */
  readonly authorizeUrl: (params: AuthorizeParams) => Effect.Effect<string, TaxonomyError>
  /** Redeems the code at the platform's token endpoint; a refused code fails with its classified error. */
  readonly exchangeCode: (exchange: CodeExchange) => Effect.Effect<TokenSet, TaxonomyError>
  /** Who the tokens belong to and which accounts they reach. Calls the platform; creates nothing. */
  readonly identify: (tokens: TokenSet) => Effect.Effect<GrantedIdentity, TaxonomyError>
}

export class OAuthProviders extends Context.Service<
  OAuthProviders,
  { readonly forPlatform: (platform: Platform) => OAuthProvider }
>()("postd/core/oauth/OAuthProviders") {}
