// A connection to a simulator account, as the tests and the benchmarks make one: the account (created
// in the simulator when asked), a token minted for it, and the connection holding that token. No
// vitest here: the benchmarks run under plain node.
import { type Effect, Redacted } from "effect"
import type { SimulatorControl } from "../../chaos/simulator/SimulatorControl.ts"
import type { Platform } from "../../core/taxonomy/Taxonomy.ts"
import { ConnectionRepo } from "../../db/ConnectionRepo.ts"

export interface SimConnectionInput {
  readonly tenantId: string
  readonly platform: Platform
  readonly accountId: string
  readonly brandId: string
  /** Create the account in the simulator first (idempotent); seeded accounts need not be. */
  readonly createAccount: boolean
  readonly userId?: string | undefined
  readonly withRefreshToken?: boolean | undefined
  readonly scopes?: ReadonlyArray<string> | undefined
  readonly expiresInSec?: number | undefined
}

export interface SimConnection {
  readonly tenantId: string
  readonly connectionId: string
  readonly platform: Platform
  readonly accountId: string
  readonly userId: string
  /** The access token as the simulator knows it, to break it there (expire, revoke, fault). */
  readonly token: string
}

export const connectSimAccount = async (
  run: <A, E>(effect: Effect.Effect<A, E, ConnectionRepo>) => Promise<A>,
  control: SimulatorControl,
  input: SimConnectionInput
): Promise<SimConnection> => {
  const user = input.userId === undefined ? {} : { userId: input.userId }
  if (input.createAccount) await control.createAccount({ platform: input.platform, accountId: input.accountId, ...user })
  const minted = await control.mintToken({
    platform: input.platform,
    accountIds: [input.accountId],
    withRefreshToken: input.withRefreshToken ?? false,
    ...user,
    ...(input.scopes === undefined ? {} : { scopes: [...input.scopes] }),
    ...(input.expiresInSec === undefined ? {} : { expiresInSec: input.expiresInSec })
  })
  const connection = await run(
    ConnectionRepo.use((r) =>
      r.create({
        tenantId: input.tenantId,
        brandId: input.brandId,
        platform: input.platform,
        partnerAccountId: input.accountId,
        partnerUserId: minted.userId,
        tokens: {
          accessToken: Redacted.make(minted.accessToken),
          scopes: [...minted.scopes],
          ...(minted.expiresAt === null ? {} : { expiresAt: new Date(minted.expiresAt) }),
          ...(minted.refreshToken === undefined ? {} : { refreshToken: Redacted.make(minted.refreshToken) })
        }
      })
    )
  )
  return { tenantId: input.tenantId, connectionId: connection.id, platform: input.platform, accountId: input.accountId, userId: minted.userId, token: minted.accessToken }
}
