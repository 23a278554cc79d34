// Everything the simulated partners remember, in memory: accounts, registered OAuth apps, grants
// with their access and refresh tokens, authorization codes, posts and Instagram containers. All
// operations are synchronous, so concurrent requests never interleave inside one of them.
import { randomBytes } from "node:crypto"
import { PLATFORMS, type Platform } from "../../core/taxonomy/Taxonomy.ts"
import { TOKEN_POLICIES } from "./TokenPolicy.ts"
import { GoogleSigningKey } from "./webhooks/GoogleSigningKey.ts"

export interface Account {
  readonly platform: Platform
  /** Exactly the connection's partnerAccountId: page id, "ig:<id>", organization/person URN, open_id, GBP location name, "<dc>:<listId>". */
  readonly accountId: string
  /** The partner user who owns it (Meta user, LinkedIn member id, open_id, Google user, Mailchimp login). */
  readonly userId: string
  readonly name: string
  /** null when not restricted; otherwise the shape variant to answer with ("" for the platform default). */
  readonly restricted: string | null
  readonly deleted: boolean
}

export interface App {
  readonly platform: Platform
  readonly clientId: string
  readonly clientSecret: string
  readonly redirectUris: ReadonlyArray<string>
  /** The default apps accept any http://127.0.0.1 or http://localhost redirect. */
  readonly anyLoopbackRedirect: boolean
}

export interface Grant {
  readonly id: string
  readonly platform: Platform
  readonly clientId: string
  readonly userId: string
  readonly accountIds: ReadonlyArray<string>
  readonly scopes: ReadonlySet<string>
  /** Scopes taken away after the grant (Meta lists them as "declined"). */
  readonly removedScopes: ReadonlySet<string>
  readonly revoked: boolean
}

export interface AccessToken {
  readonly token: string
  readonly grantId: string
  /** Epoch ms on the simulator clock. */
  readonly issuedAt: number
  readonly expiresAt: number | null
}

export interface Post {
  readonly platform: Platform
  readonly accountId: string
  /** The id the partner answered with (Meta "<page>_<n>", LinkedIn share URN, TikTok publish_id, GBP post name, Mailchimp campaign id). */
  readonly partnerId: string
  readonly text: string
  readonly media: ReadonlyArray<string>
  readonly link?: string
  readonly title?: string
  readonly createdAt: number
  readonly dedupeKey?: string
  /** PUBLISHED, PROCESSING_DOWNLOAD → PUBLISH_COMPLETE (TikTok), LIVE (GBP), save → sent (Mailchimp). */
  readonly status: string
}

export interface Container {
  readonly id: string
  readonly accountId: string
  readonly caption: string
  readonly media: ReadonlyArray<string>
  readonly status: "FINISHED" | "IN_PROGRESS" | "ERROR"
  readonly publishedId?: string
}

export interface AuthCode {
  readonly code: string
  readonly platform: Platform
  readonly clientId: string
  readonly redirectUri: string
  readonly userId: string
  readonly accountIds: ReadonlyArray<string>
  readonly scopes: ReadonlyArray<string>
  readonly codeChallenge?: string
  readonly expiresAt: number
}

export interface MintInput {
  readonly platform: Platform
  readonly accountIds: ReadonlyArray<string>
  readonly userId?: string | undefined
  readonly scopes?: ReadonlyArray<string> | undefined
  readonly expiresInSec?: number | undefined
  readonly withRefreshToken?: boolean | undefined
  readonly clientId?: string | undefined
}

export interface IssuedTokens {
  readonly accessToken: string
  readonly refreshToken?: string
  /** Epoch ms on the simulator clock; null when the token never expires. */
  readonly expiresAt: number | null
  readonly expiresInSec: number | null
  readonly refreshExpiresInSec?: number | null
  readonly scopes: ReadonlyArray<string>
  readonly userId: string
  readonly accountIds: ReadonlyArray<string>
}

export type RefreshOutcome =
  | { readonly ok: true; readonly tokens: IssuedTokens }
  | { readonly ok: false; readonly reason: "unknown" | "revoked" | "expired" | "rotated" | "client_mismatch" }

/** Who a revocation or a scope removal applies to; every given selector must match. */
export interface GrantSelector {
  readonly platform?: Platform | undefined
  readonly userId?: string | undefined
  readonly accountId?: string | undefined
  /** An access or refresh token: its whole grant. */
  readonly token?: string | undefined
}

export interface PostFilter {
  readonly platform?: Platform | undefined
  readonly accountId?: string | undefined
  readonly dedupeKey?: string | undefined
}

export const DEFAULT_ACCOUNTS: ReadonlyArray<Pick<Account, "platform" | "accountId" | "userId" | "name">> = [
  { platform: "meta", accountId: "1000001", userId: "meta-user-1", name: "Sim Coffee Page" },
  { platform: "meta", accountId: "ig:17841400000000001", userId: "meta-user-1", name: "simcoffee" },
  { platform: "linkedin", accountId: "urn:li:organization:2000001", userId: "sim-member-1", name: "Sim Coffee Co" },
  { platform: "linkedin", accountId: "urn:li:person:sim-member-1", userId: "sim-member-1", name: "Sam Sim" },
  { platform: "tiktok", accountId: "sim-open-id-1", userId: "sim-open-id-1", name: "simcoffee" },
  { platform: "gbp", accountId: "accounts/3000001/locations/4000001", userId: "google-user-1", name: "Sim Coffee Downtown" },
  { platform: "mailchimp", accountId: "us1:a1b2c3d4e5", userId: "mc-login-1", name: "Sim Coffee Newsletter" }
]

export const defaultClientId = (platform: Platform): string => `sim-${platform}-client`
export const defaultClientSecret = (platform: Platform): string => `sim-${platform}-secret`

const CODE_TTL_MS = 10 * 60_000

const randomToken = (prefix: string): string => `${prefix}${randomBytes(24).toString("base64url")}`

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

interface GrantRecord extends Omit<Grant, "scopes" | "removedScopes"> {
  scopes: Set<string>
  removedScopes: Set<string>
  revoked: boolean
}

interface RefreshRecord {
  readonly token: string
  readonly grantId: string
  readonly expiresAt: number | null
  retired: boolean
}

const key = (platform: Platform, id: string): string => `${platform}\u0000${id}`

export class SimulatorState {
  private readonly clock: () => number
  private accounts = new Map<string, Account>()
  private apps = new Map<string, App>()
  private grants = new Map<string, GrantRecord>()
  private accessTokens = new Map<string, AccessToken>()
  private refreshTokens = new Map<string, RefreshRecord>()
  private codes = new Map<string, AuthCode & { used: boolean }>()
  private postList: Array<Mutable<Post>> = []
  private postsById = new Map<string, Mutable<Post>>()
  private containers = new Map<string, Mutable<Container>>()
  private counters = new Map<string, number>()
  // Kept across resets: Google's keys outlive any one test's accounts.
  private googleKey: GoogleSigningKey | undefined

  constructor(clock: () => number) {
    this.clock = clock
    this.reset(true)
  }

  now(): number {
    return this.clock()
  }

  reset(seedDefaults: boolean): void {
    this.accounts = new Map()
    this.apps = new Map()
    this.grants = new Map()
    this.accessTokens = new Map()
    this.refreshTokens = new Map()
    this.codes = new Map()
    this.postList = []
    this.postsById = new Map()
    this.containers = new Map()
    this.counters = new Map()
    for (const platform of PLATFORMS) {
      this.registerApp({ platform, clientId: defaultClientId(platform), clientSecret: defaultClientSecret(platform), redirectUris: [] }, true)
    }
    if (seedDefaults) for (const account of DEFAULT_ACCOUNTS) this.upsertAccount(account)
  }

  /** Google's OIDC signing key (its JWKS and Pub/Sub push tokens), made on first use. */
  googleSigningKey(): GoogleSigningKey {
    this.googleKey ??= new GoogleSigningKey()
    return this.googleKey
  }

  /** A per-kind counter, for partner ids that look like the real ones and stay readable in tests. */
  nextNumber(kind: string, start: number): number {
    const next = (this.counters.get(kind) ?? start - 1) + 1
    this.counters.set(kind, next)
    return next
  }

  // Accounts

  /** Creates the account, or brings an existing one back to healthy (not restricted, not deleted). */
  upsertAccount(input: { readonly platform: Platform; readonly accountId: string; readonly userId?: string | undefined; readonly name?: string | undefined }): Account {
    const existing = this.accounts.get(key(input.platform, input.accountId))
    const account: Account = {
      platform: input.platform,
      accountId: input.accountId,
      userId: input.userId ?? existing?.userId ?? `${input.platform}-user-1`,
      name: input.name ?? existing?.name ?? input.accountId,
      restricted: null,
      deleted: false
    }
    this.accounts.set(key(input.platform, input.accountId), account)
    return account
  }

  account(platform: Platform, accountId: string): Account | undefined {
    return this.accounts.get(key(platform, accountId))
  }

  /** Those of `accountIds` that exist and are not deleted, in the given order (a grant's live accounts). */
  liveAccounts(platform: Platform, accountIds: ReadonlyArray<string>): ReadonlyArray<Account> {
    return accountIds.flatMap((id) => {
      const account = this.account(platform, id)
      return account === undefined || account.deleted ? [] : [account]
    })
  }

  listAccounts(platform?: Platform): ReadonlyArray<Account> {
    return [...this.accounts.values()].filter((a) => platform === undefined || a.platform === platform)
  }

  restrictAccount(platform: Platform, accountId: string, restricted: boolean, variant = ""): Account | undefined {
    return this.updateAccount(platform, accountId, { restricted: restricted ? variant : null })
  }

  deleteAccount(platform: Platform, accountId: string): Account | undefined {
    return this.updateAccount(platform, accountId, { deleted: true })
  }

  private updateAccount(platform: Platform, accountId: string, change: Partial<Pick<Account, "restricted" | "deleted">>): Account | undefined {
    const existing = this.accounts.get(key(platform, accountId))
    if (existing === undefined) return undefined
    const updated = { ...existing, ...change }
    this.accounts.set(key(platform, accountId), updated)
    return updated
  }

  // OAuth apps

  registerApp(input: Omit<App, "anyLoopbackRedirect">, anyLoopbackRedirect = false): App {
    const app: App = { ...input, redirectUris: [...input.redirectUris], anyLoopbackRedirect }
    this.apps.set(key(input.platform, input.clientId), app)
    return app
  }

  app(platform: Platform, clientId: string): App | undefined {
    return this.apps.get(key(platform, clientId))
  }

  listApps(platform?: Platform): ReadonlyArray<App> {
    return [...this.apps.values()].filter((a) => platform === undefined || a.platform === platform)
  }

  // Grants and tokens

  /** A new grant and its tokens; unknown accounts are created for the grant's user. */
  mintToken(input: MintInput): IssuedTokens {
    const policy = TOKEN_POLICIES[input.platform]
    const first = input.accountIds[0]
    const owner = first === undefined ? undefined : this.account(input.platform, first)?.userId
    const userId = input.userId ?? owner ?? `${input.platform}-user-1`
    for (const accountId of input.accountIds) {
      if (this.account(input.platform, accountId) === undefined) this.upsertAccount({ platform: input.platform, accountId, userId })
    }
    const grant: GrantRecord = {
      id: `grant-${this.nextNumber("grant", 1)}`,
      platform: input.platform,
      clientId: input.clientId ?? defaultClientId(input.platform),
      userId,
      accountIds: [...input.accountIds],
      scopes: new Set(input.scopes ?? policy.defaultScopes),
      removedScopes: new Set(),
      revoked: false
    }
    this.grants.set(grant.id, grant)
    const withRefresh = (input.withRefreshToken ?? false) && policy.refresh !== null
    return this.issue(grant, input.expiresInSec === undefined ? policy.accessTtlSec : input.expiresInSec, withRefresh)
  }

  private issue(grant: GrantRecord, ttlSec: number | null, withRefresh: boolean): IssuedTokens {
    const policy = TOKEN_POLICIES[grant.platform]
    const now = this.clock()
    const accessToken = randomToken(policy.accessPrefix)
    const expiresAt = ttlSec === null ? null : now + ttlSec * 1_000
    this.accessTokens.set(accessToken, { token: accessToken, grantId: grant.id, issuedAt: now, expiresAt })
    const base = {
      accessToken,
      expiresAt,
      expiresInSec: ttlSec,
      scopes: [...grant.scopes],
      userId: grant.userId,
      accountIds: grant.accountIds
    }
    if (!withRefresh || policy.refresh === null) return base
    const refreshToken = randomToken(policy.refreshPrefix)
    const refreshTtl = policy.refresh.ttlSec
    this.refreshTokens.set(refreshToken, {
      token: refreshToken,
      grantId: grant.id,
      expiresAt: refreshTtl === null ? null : now + refreshTtl * 1_000,
      retired: false
    })
    return { ...base, refreshToken, refreshExpiresInSec: refreshTtl }
  }

  accessToken(token: string): { readonly token: AccessToken; readonly grant: Grant } | undefined {
    const access = this.accessTokens.get(token)
    const grant = access === undefined ? undefined : this.grants.get(access.grantId)
    return access === undefined || grant === undefined ? undefined : { token: access, grant }
  }

  grantOf(token: string): Grant | undefined {
    const grantId = this.accessTokens.get(token)?.grantId ?? this.refreshTokens.get(token)?.grantId
    return grantId === undefined ? undefined : this.grants.get(grantId)
  }

  /** Moves an access (or refresh) token's expiry into the past. */
  expireToken(token: string): boolean {
    const past = this.clock() - 1_000
    const access = this.accessTokens.get(token)
    if (access !== undefined) {
      this.accessTokens.set(token, { ...access, expiresAt: past })
      return true
    }
    const refresh = this.refreshTokens.get(token)
    if (refresh !== undefined) {
      this.refreshTokens.set(token, { ...refresh, expiresAt: past })
      return true
    }
    return false
  }

  private grantsMatching(selector: GrantSelector): ReadonlyArray<GrantRecord> {
    const byToken = selector.token === undefined ? undefined : this.grantOf(selector.token)?.id
    if (selector.token !== undefined && byToken === undefined) return []
    return [...this.grants.values()].filter(
      (g) =>
        (byToken === undefined || g.id === byToken) &&
        (selector.platform === undefined || g.platform === selector.platform) &&
        (selector.userId === undefined || g.userId === selector.userId) &&
        (selector.accountId === undefined || g.accountIds.includes(selector.accountId))
    )
  }

  /** The user removed the app: every matching grant's access and refresh tokens stop working. */
  revoke(selector: GrantSelector): number {
    const grants = this.grantsMatching(selector)
    for (const grant of grants) grant.revoked = true
    return grants.length
  }

  removeScope(selector: GrantSelector, scope: string): number {
    const grants = this.grantsMatching(selector)
    for (const grant of grants) {
      grant.scopes.delete(scope)
      grant.removedScopes.add(scope)
    }
    return grants.length
  }

  // Authorization codes

  issueCode(input: Omit<AuthCode, "code" | "expiresAt">): string {
    const code = randomToken("")
    this.codes.set(code, { ...input, code, expiresAt: this.clock() + CODE_TTL_MS, used: false })
    return code
  }

  /** Single use: the first redemption wins, later ones get undefined, as do expired codes. */
  redeemCode(platform: Platform, code: string): AuthCode | undefined {
    const found = this.codes.get(code)
    if (found === undefined || found.platform !== platform || found.used || this.clock() >= found.expiresAt) return undefined
    found.used = true
    return found
  }

  /** Tokens for a redeemed code: a new grant, with a refresh token where the platform has them. */
  exchangeCode(code: AuthCode): IssuedTokens {
    return this.mintToken({
      platform: code.platform,
      accountIds: code.accountIds,
      userId: code.userId,
      scopes: code.scopes,
      withRefreshToken: true,
      clientId: code.clientId
    })
  }

  refresh(platform: Platform, refreshToken: string, clientId: string): RefreshOutcome {
    const record = this.refreshTokens.get(refreshToken)
    const grant = record === undefined ? undefined : this.grants.get(record.grantId)
    if (record === undefined || grant === undefined || grant.platform !== platform) return { ok: false, reason: "unknown" }
    if (grant.clientId !== clientId) return { ok: false, reason: "client_mismatch" }
    if (grant.revoked) return { ok: false, reason: "revoked" }
    if (record.retired) return { ok: false, reason: "rotated" }
    if (record.expiresAt !== null && this.clock() >= record.expiresAt) return { ok: false, reason: "expired" }
    const policy = TOKEN_POLICIES[platform]
    const rotates = policy.refresh?.rotates ?? false
    if (rotates) record.retired = true
    return { ok: true, tokens: this.issue(grant, policy.accessTtlSec, rotates) }
  }

  // Posts

  addPost(input: Omit<Post, "createdAt">): Post {
    const post: Mutable<Post> = { ...input, createdAt: this.clock() }
    this.postList.push(post)
    this.postsById.set(key(input.platform, input.partnerId), post)
    return { ...post }
  }

  post(platform: Platform, partnerId: string): Post | undefined {
    const found = this.postsById.get(key(platform, partnerId))
    return found === undefined ? undefined : { ...found }
  }

  updatePost(platform: Platform, partnerId: string, change: Partial<Pick<Post, "status" | "text" | "media">>): Post | undefined {
    const found = this.postsById.get(key(platform, partnerId))
    if (found === undefined) return undefined
    Object.assign(found, change)
    return { ...found }
  }

  /** Oldest first. */
  posts(filter: PostFilter = {}): ReadonlyArray<Post> {
    return this.postList
      .filter(
        (p) =>
          (filter.platform === undefined || p.platform === filter.platform) &&
          (filter.accountId === undefined || p.accountId === filter.accountId) &&
          (filter.dedupeKey === undefined || p.dedupeKey === filter.dedupeKey)
      )
      .map((p) => ({ ...p }))
  }

  /** Accepted posts per dedupe key; posts sent without a key are not counted. */
  postCounts(filter: PostFilter = {}): Readonly<Record<string, number>> {
    const counts: Record<string, number> = {}
    for (const post of this.posts(filter)) {
      if (post.dedupeKey !== undefined) counts[post.dedupeKey] = (counts[post.dedupeKey] ?? 0) + 1
    }
    return counts
  }

  // Instagram media containers

  addContainer(input: Omit<Container, "id" | "status">): Container {
    const id = `179000${String(this.nextNumber("ig-container", 1)).padStart(11, "0")}`
    const container: Mutable<Container> = { ...input, id, status: "FINISHED" }
    this.containers.set(container.id, container)
    return { ...container }
  }

  container(id: string): Container | undefined {
    const found = this.containers.get(id)
    return found === undefined ? undefined : { ...found }
  }

  markContainerPublished(id: string, publishedId: string): void {
    const found = this.containers.get(id)
    if (found !== undefined) found.publishedId = publishedId
  }
}
