// The links that start a connect or reconnect: `/api/oauth/{platform}/start?…&state=…` with a fresh
// signed state that expires (OAUTH_STATE_TTL_SECONDS, default 30 minutes) and can be used once.
// Generating one writes nothing, so a status that is polled may carry a new link every time.
import { randomUUID } from "node:crypto"
import { Clock, Config, Effect } from "effect"
import { configError } from "../../core/config/ConfigError.ts"
import type { ErrorCode, Platform } from "../../core/taxonomy/Taxonomy.ts"
import type { Connection } from "../../db/ConnectionRepo.ts"
import { ApiSecrets } from "../auth/ApiSecrets.ts"
import { type OAuthStateClaims, signState, startPath } from "./OAuthState.ts"

const OAuthLinkConfig = Config.all({
  stateTtlSeconds: Config.Int("OAUTH_STATE_TTL_SECONDS").pipe(
    Config.withDefault(1_800),
    Config.mapEffect((n) => (n >= 60 && n <= 86_400 ? Effect.succeed(n) : Effect.fail(configError("OAUTH_STATE_TTL_SECONDS: must be 60 to 86400", String(n)))))
  )
})

export interface LinkOptions {
  /** The JWT subject asking for the link; recorded with the reconnect. */
  readonly actor: string
  readonly backfill?: boolean | undefined
}

const sign = (claims: Omit<OAuthStateClaims, "id" | "expiresAt">) =>
  Effect.gen(function* () {
    const { stateKey } = yield* ApiSecrets
    const { stateTtlSeconds } = yield* OAuthLinkConfig
    const now = yield* Clock.currentTimeMillis
    const full: OAuthStateClaims = { ...claims, id: randomUUID(), expiresAt: Math.floor(now / 1_000) + stateTtlSeconds }
    return { path: startPath(full, signState(stateKey, full)), expiresAt: new Date(full.expiresAt * 1_000) }
  })

/**
 * `/api/oauth/{platform}/start?reconnect=true&prev_connection={id}&reason={code}&state=…` for one of
 * the tenant's connections, as the caller already loaded it (for the tenant, so another tenant's was
 * not found).
 */
export const generateReconnectUrl = Effect.fn("OAuthLinks.generateReconnectUrl")(function* (
  connection: Pick<Connection, "id" | "tenantId" | "platform" | "brandId">,
  reason: ErrorCode | null,
  options: LinkOptions
) {
  return yield* sign({
    tenantId: connection.tenantId,
    platform: connection.platform,
    purpose: "reconnect",
    connectionId: connection.id,
    ...(reason === null ? {} : { reason }),
    brandId: connection.brandId,
    actor: options.actor,
    backfill: options.backfill ?? false
  })
})

/** `/api/oauth/{platform}/start?state=…`: connect new accounts of `platform` for the tenant. */
export const generateConnectUrl = Effect.fn("OAuthLinks.generateConnectUrl")(function* (
  tenantId: string,
  platform: Platform,
  brandId: string,
  options: LinkOptions
) {
  return yield* sign({ tenantId, platform, purpose: "connect", brandId, actor: options.actor, backfill: false })
})
