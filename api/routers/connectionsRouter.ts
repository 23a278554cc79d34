// `connections.*`: the tenant's channels, what a reconnect banner needs, the links that connect or
// reconnect through the platform's OAuth, an administrator's pause and resume, and the operators'
// view of paused channels across tenants.
import { Effect } from "effect"
import { offersReconnect } from "../../core/recovery/PauseReason.ts"
import { ConnectionRepo, type ConnectionSummary } from "../../db/ConnectionRepo.ts"
import { Flags } from "../../flags/Flags.ts"
import { ConnectionRecovery } from "../../jobs/ConnectionRecovery.ts"
import { OAuthConnect, PlatformNotConfigured } from "../../jobs/OAuthConnect.ts"
import { generateConnectUrl, generateReconnectUrl } from "../oauth/OAuthLinks.ts"
import { adminProcedure, type AuthedContext, input, memberProcedure, opsProcedure, router, run } from "../trpc.ts"
import {
  ConnectionIdInput,
  ConnectionsListInput,
  ConnectUrlInput,
  PausedListInput,
  PauseInput,
  ReconnectUrlInput
} from "./inputs.ts"
import { actorOf } from "./principal.ts"
import {
  type ConnectionStatusView,
  type ConnectionView,
  connectionStatusView,
  connectionView,
  type PausedConnectionView,
  pausedConnectionView
} from "./views.ts"

interface LinkView {
  readonly url: string
  readonly expiresAt: string
}

const absolute = (ctx: AuthedContext, link: { readonly path: string; readonly expiresAt: Date }): LinkView => ({
  url: `${ctx.publicUrl}${link.path}`,
  expiresAt: link.expiresAt.toISOString()
})

/** The banner's link: only when a reconnect can lift the pause, the wizard is on and the platform is set up. */
const reconnectLinkFor = (ctx: AuthedContext, connection: ConnectionSummary) =>
  Effect.gen(function* () {
    const code = connection.pauseReason
    if (connection.status !== "attention" && connection.status !== "revoked") return null
    if (code === null || !offersReconnect(code)) return null
    if (!(yield* (yield* Flags).reconnectWizard(connection.tenantId))) return null
    if (!(yield* OAuthConnect).configured(connection.platform)) return null
    const link = yield* generateReconnectUrl(connection, code, { actor: actorOf(ctx.principal) })
    return absolute(ctx, link).url
  })

export const connectionsRouter = router({
  list: memberProcedure.input(input(ConnectionsListInput)).query(
    ({ ctx, input }): Promise<ReadonlyArray<ConnectionView>> =>
      run(ctx, ConnectionRepo.use((r) => r.list(ctx.principal.tenantId, input ?? {})).pipe(Effect.map((list) => list.map(connectionView))))
  ),

  status: memberProcedure.input(input(ConnectionIdInput)).query(
    ({ ctx, input }): Promise<ConnectionStatusView> =>
      run(
        ctx,
        Effect.gen(function* () {
          const connection = yield* (yield* ConnectionRepo).summary(ctx.principal.tenantId, input.connectionId)
          return connectionStatusView(connection, yield* reconnectLinkFor(ctx, connection))
        })
      )
  ),

  connectUrl: memberProcedure.input(input(ConnectUrlInput)).query(
    ({ ctx, input }): Promise<LinkView> =>
      run(
        ctx,
        Effect.gen(function* () {
          if (!(yield* OAuthConnect).configured(input.platform)) return yield* new PlatformNotConfigured({ platform: input.platform })
          const link = yield* generateConnectUrl(ctx.principal.tenantId, input.platform, input.brandId ?? "default", {
            actor: actorOf(ctx.principal)
          })
          return absolute(ctx, link)
        })
      )
  ),

  reconnectUrl: memberProcedure.input(input(ReconnectUrlInput)).query(
    ({ ctx, input }): Promise<LinkView> =>
      run(
        ctx,
        Effect.gen(function* () {
          const connection = yield* (yield* ConnectionRepo).get(ctx.principal.tenantId, input.connectionId)
          if (!(yield* OAuthConnect).configured(connection.platform)) {
            return yield* new PlatformNotConfigured({ platform: connection.platform })
          }
          const link = yield* generateReconnectUrl(connection, connection.pauseReason, {
            actor: actorOf(ctx.principal),
            backfill: input.backfill
          })
          return absolute(ctx, link)
        })
      )
  ),

  pause: adminProcedure.input(input(PauseInput)).mutation(
    ({ ctx, input }): Promise<{ readonly changed: boolean; readonly connection: ConnectionView }> =>
      run(
        ctx,
        Effect.gen(function* () {
          const repo = yield* ConnectionRepo
          const changed = yield* repo.pauseManually(ctx.principal.tenantId, input.connectionId, actorOf(ctx.principal), input.note)
          return { changed, connection: connectionView(yield* repo.summary(ctx.principal.tenantId, input.connectionId)) }
        })
      )
  ),

  resume: adminProcedure.input(input(ConnectionIdInput)).mutation(
    ({ ctx, input }): Promise<{ readonly changed: boolean; readonly heldPosts: number; readonly connection: ConnectionView }> =>
      run(
        ctx,
        Effect.gen(function* () {
          const outcome = yield* (yield* ConnectionRecovery).resumeManually(ctx.principal.tenantId, input.connectionId, actorOf(ctx.principal))
          const connection = yield* (yield* ConnectionRepo).summary(ctx.principal.tenantId, input.connectionId)
          return { changed: outcome.resumed, heldPosts: outcome.heldPosts, connection: connectionView(connection) }
        })
      )
  ),

  paused: opsProcedure.input(input(PausedListInput)).query(
    ({ ctx, input }): Promise<ReadonlyArray<PausedConnectionView>> =>
      run(
        ctx,
        ConnectionRepo.use((r) =>
          r.listPaused({ tenantId: input?.tenantId, platform: input?.platform, reason: input?.code })
        ).pipe(Effect.map((list) => list.map(pausedConnectionView)))
      )
  )
})
