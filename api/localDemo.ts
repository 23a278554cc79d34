// The local run's demo (`npm start` with nothing configured): the partner simulator in this process,
// a demo tenant with one channel per platform connected to it, a development token for that tenant
// and the calls that walk a newcomer through pause → reconnect → resume. A composition root: it
// joins the simulator (chaos/) with the database side, which nothing else in api/ may do.
import { Config, Effect, type ManagedRuntime, Option, Redacted } from "effect"
import type { Logger } from "pino"
import { type RunningSimulator, startPartnerSimulator } from "../chaos/simulator/PartnerSimulator.ts"
import { DEFAULT_ACCOUNTS } from "../chaos/simulator/SimulatorState.ts"
import { TOKEN_POLICIES } from "../chaos/simulator/TokenPolicy.ts"
import type { Platform } from "../core/taxonomy/Taxonomy.ts"
import { ConnectionRepo } from "../db/ConnectionRepo.ts"
import { Database } from "../db/Database.ts"
import { ApiSecrets } from "./auth/ApiSecrets.ts"
import { issueJwt } from "./auth/Jwt.ts"
import type { AppServices } from "./AppServices.ts"
import type { Prepared } from "./runProcess.ts"

const DEMO_TENANT_ID = "00000000-0000-4000-8000-00000000de40"
const DEMO_BRAND = "demo-brand"
const DEV_TOKEN_TTL_SECONDS = 7 * 24 * 3_600

const DemoConfig = Config.all({
  demo: Config.option(Config.Boolean("DEMO_MODE")),
  databaseUrl: Config.option(Config.String("DATABASE_URL")),
  simulatorUrl: Config.option(Config.String("PARTNER_SIMULATOR_URL")),
  simulatorPort: Config.Port("SIMULATOR_PORT").pipe(Config.withDefault(4010)),
  host: Config.String("HOST").pipe(Config.withDefault("127.0.0.1"))
})

/** The demo runs when DEMO_MODE says so, else whenever DATABASE_URL is unset (the embedded local run). */
const demoWanted = (config: {
  readonly demo: Option.Option<boolean>
  readonly databaseUrl: Option.Option<string>
}): boolean =>
  Option.getOrElse(config.demo, () => Option.isNone(config.databaseUrl))

/** A demo run, as prepared: the in-process simulator, or the one PARTNER_SIMULATOR_URL names. */
interface DemoPrepared extends Prepared {
  readonly simulator: RunningSimulator | undefined
  readonly simulatorUrl: string
}

/**
 * Before the runtime: an in-process simulator the connectors are pointed at, unless one is configured.
 * Undefined when there is no demo.
 */
export const prepareDemo = async (logger: Logger): Promise<DemoPrepared | undefined> => {
  const config = await Effect.runPromise(DemoConfig)
  if (!demoWanted(config)) return undefined
  if (Option.isSome(config.simulatorUrl)) {
    return { settings: {}, stop: () => Promise.resolve(), simulator: undefined, simulatorUrl: config.simulatorUrl.value }
  }
  const simulator = await startPartnerSimulator({ port: config.simulatorPort, host: config.host })
  logger.info({ url: simulator.url, control: `${simulator.url}/_control` }, "demo: partner simulator listening")
  return { settings: { PARTNER_SIMULATOR_URL: simulator.url }, stop: () => simulator.close(), simulator, simulatorUrl: simulator.url }
}

const ACCOUNT_BY_PLATFORM = new Map<Platform, (typeof DEFAULT_ACCOUNTS)[number]>()
for (const account of DEFAULT_ACCOUNTS) if (!ACCOUNT_BY_PLATFORM.has(account.platform)) ACCOUNT_BY_PLATFORM.set(account.platform, account)

/**
 * After the runtime: the demo tenant and its channels, each with fresh tokens from the simulator (its
 * state lives in memory, so every start connects them anew), and what to type next.
 */
export const seedDemo = async (
  runtime: ManagedRuntime.ManagedRuntime<AppServices, unknown>,
  logger: Logger,
  apiUrl: string,
  demo: DemoPrepared | undefined
): Promise<void> => {
  if (demo === undefined) return
  const { simulator: running, simulatorUrl } = demo
  if (running === undefined) {
    logger.warn({ simulatorUrl }, "demo: channels are seeded only with the in-process simulator; skipping the seed")
    return
  }
  const channels = await runtime.runPromise(
    Effect.gen(function* () {
      const { db } = yield* Database
      const repo = yield* ConnectionRepo
      yield* Effect.promise(() =>
        db.insertInto("tenants").values({ id: DEMO_TENANT_ID, name: "Demo Coffee Co" }).onConflict((oc) => oc.column("id").doNothing()).execute()
      )
      const seeded: Array<{ readonly platform: Platform; readonly connectionId: string; readonly account: string }> = []
      for (const [platform, account] of ACCOUNT_BY_PLATFORM) {
        const minted = yield* Effect.promise(() =>
          running.control.mintToken({ platform, accountIds: [account.accountId], withRefreshToken: TOKEN_POLICIES[platform].refresh !== null })
        )
        const tokens = {
          accessToken: Redacted.make(minted.accessToken),
          scopes: [...minted.scopes],
          ...(minted.expiresAt === null ? {} : { expiresAt: new Date(minted.expiresAt) }),
          ...(minted.refreshToken === undefined ? {} : { refreshToken: Redacted.make(minted.refreshToken) })
        }
        const existing = yield* repo.findByAccount(DEMO_TENANT_ID, platform, account.accountId)
        if (existing !== undefined) {
          yield* repo.reconnect(DEMO_TENANT_ID, existing.id, { tokens, partnerUserId: minted.userId, displayName: account.name }, "demo")
          seeded.push({ platform, connectionId: existing.id, account: account.accountId })
          continue
        }
        const created = yield* repo.create({
          tenantId: DEMO_TENANT_ID,
          brandId: DEMO_BRAND,
          platform,
          partnerAccountId: account.accountId,
          partnerUserId: minted.userId,
          displayName: account.name,
          tokens,
          actor: "demo"
        })
        seeded.push({ platform, connectionId: created.id, account: account.accountId })
      }
      return seeded
    })
  )
  const { jwtKey } = await runtime.runPromise(ApiSecrets)
  const token = issueJwt(jwtKey, { subject: "demo-admin", tenantId: DEMO_TENANT_ID, role: "admin" }, Math.floor(Date.now() / 1_000), DEV_TOKEN_TTL_SECONDS)
  const linkedin = channels.find((c) => c.platform === "linkedin")
  // The token is printed once, for the terminal; logs and examples refer to it by name.
  const auth = `-H "authorization: Bearer $POSTD_TOKEN"`
  const examples = [
    `curl -s ${auth} '${apiUrl}/trpc/connections.list'`,
    `curl -s ${auth} -H 'content-type: application/json' -X POST '${apiUrl}/trpc/posts.schedule' -d '{"connectionId":"${linkedin?.connectionId}","text":"Hello from the demo"}'`
  ]
  const breakIt = `curl -s -X POST '${simulatorUrl}/_control/revoke' -H 'content-type: application/json' -d '{"platform":"linkedin","accountId":"${linkedin?.account}"}'`
  const status = `curl -s ${auth} '${apiUrl}/trpc/connections.status?input=${encodeURIComponent(JSON.stringify({ connectionId: linkedin?.connectionId }))}'`
  logger.info({ url: apiUrl, tenantId: DEMO_TENANT_ID, simulator: simulatorUrl, channels, examples }, "demo ready")
  process.stderr.write(
    [
      "",
      `POSTD demo at ${apiUrl}: tenant ${DEMO_TENANT_ID}, one channel per platform on the partner simulator (${simulatorUrl}).`,
      "Development token (admin, 7 days):",
      `  export POSTD_TOKEN=${token}`,
      "",
      "Two calls to start with:",
      `  ${examples[0]}`,
      `  ${examples[1]}`,
      "",
      "Pause → reconnect → resume:",
      `  1. Remove the app on LinkedIn:   ${breakIt}`,
      "  2. Schedule a post (call 2 above): it is held and the channel paused.",
      `  3. Read the reconnect link:      ${status}`,
      "  4. Open its reconnectUrl in a browser, pick the organization, Allow: the channel is active again,",
      "     and the held post waits for backfill.offer / backfill.accept (or opt in with connections.reconnectUrl({ backfill: true })).",
      ""
    ].join("\n")
  )
}
