// Connecting and reconnecting accounts through the platform's OAuth, after the state has been
// verified and consumed (api/oauth): the authorization URL with the scopes the channel needs, then
// the code exchange, who the grant belongs to, and — for a reconnect — the refusal of a grant for any
// other account, or the new tokens stored encrypted, the channel resumed and, when the user opted in,
// the backfill started. A refused reconnect changes nothing.
import { Context, Effect, Layer, Schema } from "effect"
import { type GrantedIdentity, OAuthProviders } from "../core/oauth/OAuthProvider.ts"
import type { TokenSet } from "../core/publish/Connector.ts"
import { type ErrorCode, type Platform, PLATFORM_NAMES } from "../core/taxonomy/Taxonomy.ts"
import type { TaxonomyError } from "../core/taxonomy/TaxonomyError.ts"
import type { BackfillOffer } from "../db/BackfillRepo.ts"
import { CircuitBreakerStore } from "../db/CircuitBreakerStore.ts"
import { type Connection, type ConnectionNotFound, ConnectionRepo } from "../db/ConnectionRepo.ts"
import type { DatabaseError } from "../db/Database.ts"
import type { OAuthPurpose } from "../db/DatabaseSchema.ts"
import { MetricRecorder } from "../observability/MetricRecorder.ts"
import { Backfill } from "./Backfill.ts"
import { ConnectionRecovery } from "./ConnectionRecovery.ts"

/** The grant is for other accounts than the channel being reconnected. */
export class WrongAccount extends Schema.TaggedError<WrongAccount>()("WrongAccount", {
  platform: Schema.String,
  expected: Schema.String,
  /** The channel's display name, when it has one: what the user is told to sign in for. */
  expectedName: Schema.NullOr(Schema.String),
  granted: Schema.Array(Schema.String)
}) {}

/** The grant reaches no account we can publish to (no page, no organization, no location …). */
export class NoAccountGranted extends Schema.TaggedError<NoAccountGranted>()("NoAccountGranted", {
  platform: Schema.String
}) {}

/** No OAuth client is configured for the platform on this deployment. */
export class PlatformNotConfigured extends Schema.TaggedError<PlatformNotConfigured>()("PlatformNotConfigured", {
  platform: Schema.String
}) {}

/** What the flow is for: the verified state's claims. */
export interface ConnectIntent {
  readonly tenantId: string
  readonly platform: Platform
  readonly purpose: OAuthPurpose
  readonly connectionId?: string | undefined
  readonly reason?: ErrorCode | undefined
  readonly brandId: string
  /** Who started it (the JWT subject), for the audit trail. */
  readonly actor: string
  readonly backfill: boolean
}

export interface AuthorizeRequest {
  readonly state: string
  readonly redirectUri: string
  readonly codeChallenge: string
}

export interface CallbackRequest {
  readonly code: string
  readonly redirectUri: string
  readonly codeVerifier: string
}

export interface ConnectedAccount {
  readonly connectionId: string
  readonly accountId: string
  readonly displayName: string | null
  /** False when the account was connected already and only got new tokens. */
  readonly created: boolean
}

export type ConnectOutcome =
  | {
      readonly kind: "reconnected"
      readonly connectionId: string
      readonly displayName: string | null
      readonly heldPosts: number
      readonly backfill?: BackfillOffer | undefined
    }
  | { readonly kind: "connected"; readonly accounts: ReadonlyArray<ConnectedAccount> }

export type CallbackError = WrongAccount | NoAccountGranted | PlatformNotConfigured | ConnectionNotFound | TaxonomyError | DatabaseError

/** The wording a refused reconnect shows the user. */
export const wrongAccountMessage = (error: WrongAccount): string => {
  const platform = PLATFORM_NAMES[error.platform as Platform] ?? error.platform
  const want = error.expectedName === null ? error.expected : `${error.expectedName} (${error.expected})`
  const got = error.granted.length === 0 ? "no account POSTD can publish to" : error.granted.join(", ")
  return `You signed in to ${platform} with access to ${got}, but this channel publishes to ${want}. Nothing was changed: sign in with the account that manages ${want} to reconnect it.`
}

const unique = (values: ReadonlyArray<string>): ReadonlyArray<string> => [...new Set(values)]

export class OAuthConnect extends Context.Service<
  OAuthConnect,
  {
    readonly authorizeUrl: (
      intent: ConnectIntent,
      request: AuthorizeRequest
    ) => Effect.Effect<string, PlatformNotConfigured | ConnectionNotFound | TaxonomyError | DatabaseError>
    readonly complete: (intent: ConnectIntent, request: CallbackRequest) => Effect.Effect<ConnectOutcome, CallbackError>
    readonly configured: (platform: Platform) => boolean
  }
>()("postd/jobs/OAuthConnect") {
  static readonly layer = Layer.effect(
    OAuthConnect,
    Effect.gen(function* () {
      const providers = yield* OAuthProviders
      const connections = yield* ConnectionRepo
      const breakers = yield* CircuitBreakerStore
      const backfill = yield* Backfill
      const recovery = yield* ConnectionRecovery
      const metrics = yield* MetricRecorder

      const providerFor = (platform: Platform) => {
        const provider = providers.forPlatform(platform)
        return provider.configured ? Effect.succeed(provider) : Effect.fail(new PlatformNotConfigured({ platform }))
      }

      const authorizeUrl = Effect.fn("OAuthConnect.authorizeUrl")(function* (intent: ConnectIntent, request: AuthorizeRequest) {
        const provider = yield* providerFor(intent.platform)
        const connection =
          intent.purpose === "reconnect" && intent.connectionId !== undefined
            ? yield* connections.get(intent.tenantId, intent.connectionId)
            : undefined
        // Everything publishing needs, plus what the channel had: a scope taken away (the reason for
        // a PERMISSION_INSUFFICIENT pause) is asked for again, explicitly.
        const scopes = unique([...provider.requiredScopes, ...(connection?.scopes ?? [])])
        return yield* provider.authorizeUrl({
          state: request.state,
          redirectUri: request.redirectUri,
          scopes,
          codeChallenge: request.codeChallenge,
          rerequest: intent.reason === "PERMISSION_INSUFFICIENT",
          loginHint: connection?.partnerUserId ?? undefined
        })
      })

      const tokensFor = (tokens: TokenSet, identity: GrantedIdentity, accountId: string): TokenSet => {
        const own = identity.accounts.find((a) => a.accountId === accountId)?.accessToken
        return own === undefined ? tokens : { ...tokens, accessToken: own }
      }

      const reconnectOne = (intent: ConnectIntent, connection: Connection, tokens: TokenSet, identity: GrantedIdentity) =>
        Effect.gen(function* () {
          const account = identity.accounts.find((a) => a.accountId === connection.partnerAccountId)
          const result = yield* connections.reconnect(
            intent.tenantId,
            connection.id,
            {
              tokens: tokensFor(tokens, identity, connection.partnerAccountId),
              partnerUserId: identity.partnerUserId,
              displayName: account?.displayName ?? null
            },
            intent.actor
          )
          // A reconnect is a healthy answer from the partner: whatever the breaker remembered is over.
          yield* breakers.recordSuccess(connection.id)
          // Posts the pause held before their time go back to their schedule; missed ones wait for the backfill.
          yield* recovery.releaseUpcoming(intent.tenantId, connection.id)
          if (result.previousStatus !== "active") {
            yield* metrics.increment("channel.resumed", { platform: connection.platform, reason: "reconnect" })
            yield* Effect.logInfo("connection resumed").pipe(
              Effect.annotateLogs({ tenantId: intent.tenantId, connectionId: connection.id, how: "reconnect", previousReason: result.previousReason })
            )
          }
          return result
        })

      const complete = Effect.fn("OAuthConnect.complete")(function* (intent: ConnectIntent, request: CallbackRequest) {
        const provider = yield* providerFor(intent.platform)
        const connection =
          intent.purpose === "reconnect" && intent.connectionId !== undefined
            ? yield* connections.get(intent.tenantId, intent.connectionId)
            : undefined
        const tokens = yield* provider.exchangeCode({
          code: request.code,
          redirectUri: request.redirectUri,
          codeVerifier: request.codeVerifier
        })
        const identity = yield* provider.identify(tokens)

        if (connection !== undefined) {
          if (!identity.accounts.some((a) => a.accountId === connection.partnerAccountId)) {
            return yield* new WrongAccount({
              platform: intent.platform,
              expected: connection.partnerAccountId,
              expectedName: connection.displayName,
              granted: identity.accounts.map((a) => (a.displayName === null ? a.accountId : `${a.displayName} (${a.accountId})`))
            })
          }
          yield* reconnectOne(intent, connection, tokens, identity)
          const summary = yield* connections.summary(intent.tenantId, connection.id)
          // The opt-in backfill starts here, over every post the pause held (the one whose failure
          // paused the channel was scheduled before the pause, so the window is not cut at pausedAt);
          // the lateness bound still skips what is too old. If it cannot start, the reconnect stands
          // and the held posts stay held, counted in the channel's status, for the user to decide.
          const offer =
            intent.backfill && summary.heldPosts > 0
              ? yield* backfill.offer(intent.tenantId, connection.id, new Date(0), intent.actor).pipe(
                  Effect.flatMap((o) => backfill.accept(intent.tenantId, o.id, intent.actor)),
                  Effect.catch((error) =>
                    Effect.as(
                      Effect.logWarning("opted-in backfill did not start after a reconnect").pipe(
                        Effect.annotateLogs({ tenantId: intent.tenantId, connectionId: connection.id, error: error._tag })
                      ),
                      undefined
                    )
                  )
                )
              : undefined
          return {
            kind: "reconnected",
            connectionId: connection.id,
            displayName: summary.displayName,
            heldPosts: summary.heldPosts,
            backfill: offer
          } satisfies ConnectOutcome
        }

        if (identity.accounts.length === 0) return yield* new NoAccountGranted({ platform: intent.platform })
        const accounts: Array<ConnectedAccount> = []
        for (const account of identity.accounts) {
          const found = connections.findByAccount(intent.tenantId, intent.platform, account.accountId)
          const reconnected = (existing: Connection) =>
            Effect.as(reconnectOne(intent, existing, tokens, identity), {
              connectionId: existing.id,
              accountId: account.accountId,
              displayName: account.displayName,
              created: false
            } satisfies ConnectedAccount)
          const existing = yield* found
          if (existing !== undefined) {
            accounts.push(yield* reconnected(existing))
            continue
          }
          const created = yield* connections.create({
            tenantId: intent.tenantId,
            brandId: intent.brandId,
            platform: intent.platform,
            partnerAccountId: account.accountId,
            partnerUserId: identity.partnerUserId ?? undefined,
            displayName: account.displayName ?? undefined,
            tokens: tokensFor(tokens, identity, account.accountId),
            actor: intent.actor
          }).pipe(
            Effect.map((c): ConnectedAccount => ({ connectionId: c.id, accountId: account.accountId, displayName: account.displayName, created: true })),
            // Another callback connected the account between our read and our insert: reconnect it instead.
            Effect.catchTag("ConnectionExists", () =>
              Effect.flatMap(found, (now) =>
                now === undefined ? Effect.die(new Error("a connection that exists was not found")) : reconnected(now)
              )
            )
          )
          accounts.push(created)
        }
        return { kind: "connected", accounts } satisfies ConnectOutcome
      })

      return OAuthConnect.of({ authorizeUrl, complete, configured: (platform) => providers.forPlatform(platform).configured })
    })
  )
}
