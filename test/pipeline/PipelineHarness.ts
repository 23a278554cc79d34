// A publish pipeline over a fresh test database and an in-process partner simulator, with real
// pg-boss workers: what the pipeline's integration tests share. Each test gets its own tenant and
// connection (and so its own token), so faults and counts never collide between tests.
import { ConfigProvider, type Effect, Layer, ManagedRuntime, Random } from "effect"
import pino from "pino"
import { appLayer } from "../../api/appLayer.ts"
import type { AppServices } from "../../api/AppServices.ts"
import { type RunningSimulator, startPartnerSimulator } from "../../chaos/simulator/PartnerSimulator.ts"
import type { PostContent } from "../../core/publish/Connector.ts"
import type { Platform } from "../../core/taxonomy/Taxonomy.ts"
import { DatabaseUrl } from "../../db/DatabaseUrl.ts"
import type { PublishOutcome } from "../../db/DatabaseSchema.ts"
import { type Post, PostRepo } from "../../db/PostRepo.ts"
import { PublishAttemptRepo, type RecordedAttempt } from "../../db/PublishAttemptRepo.ts"
import type { FlagValues } from "../../flags/Flags.ts"
import { Flags } from "../../flags/Flags.ts"
import { partnersLayer } from "../../jobs/connectors/PartnersLive.ts"
import { partnerEndpointsFor } from "../../jobs/connectors/PartnerEndpoints.ts"
import { PostScheduler } from "../../jobs/PostScheduler.ts"
import { startWorkers } from "../../jobs/Workers.ts"
import { MetricRecorder } from "../../observability/MetricRecorder.ts"
import { createTestDatabase, type TestDatabase } from "../db/testDatabase.ts"
import { connectSimAccount } from "./simConnection.ts"

/** The simulator's default account per platform. */
export const ACCOUNTS: { readonly [P in Platform]: string } = {
  meta: "1000001",
  linkedin: "urn:li:organization:2000001",
  tiktok: "sim-open-id-1",
  gbp: "accounts/3000001/locations/4000001",
  mailchimp: "us1:a1b2c3d4e5"
}

export const TEST_TOKEN_KEYS = `test:${Buffer.alloc(32, 7).toString("base64")}`
export const TEST_JWT_SECRET = "pipeline-harness-secret-0123456789abcdef0123"

export interface HarnessOptions {
  /** Extra configuration (BREAKER_*, RATE_LIMITS, …) on top of the harness's. */
  readonly env?: Readonly<Record<string, string>>
  readonly tenantFlags?: Readonly<Record<string, FlagValues>>
  /** Fixes the retry jitter (0 → every backoff delay is 0, Retry-After still honoured). */
  readonly jitter?: number
  readonly workers?: boolean
  /** Collects every JSON log line the process writes (at debug level); silent otherwise. */
  readonly logLines?: Array<string>
}

export interface Harness {
  readonly t: TestDatabase
  readonly sim: RunningSimulator
  readonly runtime: ManagedRuntime.ManagedRuntime<AppServices, unknown>
  readonly run: <A, E>(effect: Effect.Effect<A, E, AppServices>) => Promise<A>
  readonly newTenant: (id?: string) => Promise<string>
  readonly connect: (
    platform: Platform,
    options?: {
      readonly withRefreshToken?: boolean
      readonly tenantId?: string
      /** A partner account of its own (created in the simulator), so platform events about it touch nothing else. */
      readonly accountId?: string
      readonly userId?: string
      readonly scopes?: ReadonlyArray<string>
      readonly expiresInSec?: number
    }
  ) => Promise<{ readonly tenantId: string; readonly connectionId: string; readonly token: string; readonly accountId: string; readonly userId: string }>
  readonly schedule: (tenantId: string, connectionId: string, content?: Partial<PostContent>) => Promise<Post>
  readonly post: (tenantId: string, postId: string) => Promise<Post>
  /**
   * The post's attempt rows once the last one has `outcome`: an attempt row is written just after
   * the post's status, so reading right after seeing the status could miss it.
   */
  readonly attemptsUntil: (tenantId: string, postId: string, outcome: PublishOutcome) => Promise<ReadonlyArray<RecordedAttempt>>
  readonly close: () => Promise<void>
}

export const startHarness = async (options: HarnessOptions = {}): Promise<Harness> => {
  const t = await createTestDatabase()
  const sim = await startPartnerSimulator()
  const config = ConfigProvider.fromEnvRecord({
    TOKEN_ENCRYPTION_KEYS: TEST_TOKEN_KEYS,
    AUTH_JWT_SECRET: TEST_JWT_SECRET,
    // Webhook routes take the simulator's app secrets and Google keys, as a local run does.
    PARTNER_SIMULATOR_URL: sim.url,
    JOBS_SUPERVISE_INTERVAL_SECONDS: "2",
    JOB_TIMEOUT_SECONDS: "30",
    ...options.env
  })
  const jitter =
    options.jitter === undefined
      ? Layer.empty
      : Layer.succeed(Random.Random, { nextDoubleUnsafe: () => options.jitter ?? 0, nextIntUnsafe: () => 0 })
  const runtime = ManagedRuntime.make(
    appLayer({
      databaseUrl: DatabaseUrl.fromUrl(t.url),
      partners: partnersLayer(partnerEndpointsFor(sim.url, { timeoutMs: 3_000 })),
      logger:
        options.logLines === undefined
          ? pino({ level: "silent" })
          : pino({ level: "debug" }, { write: (line: string) => void options.logLines?.push(line) }),
      flags: Flags.layerTest({ tenants: options.tenantFlags ?? {} }),
      metrics: MetricRecorder.layerTest,
      config
    }).pipe(Layer.provideMerge(jitter))
  )
  if (options.workers !== false) await startWorkers(runtime)
  const run = <A, E>(effect: Effect.Effect<A, E, AppServices>) => runtime.runPromise(effect)

  const newTenant = async (id: string = crypto.randomUUID()) => {
    await t.db.insertInto("tenants").values({ id, name: `tenant ${id.slice(0, 8)}` }).execute()
    return id
  }
  const connect: Harness["connect"] = async (platform, connectOptions = {}) =>
    connectSimAccount(run, sim.control, {
      ...connectOptions,
      tenantId: connectOptions.tenantId ?? (await newTenant()),
      platform,
      accountId: connectOptions.accountId ?? ACCOUNTS[platform],
      brandId: "brand-1",
      createAccount: connectOptions.accountId !== undefined
    })
  const schedule: Harness["schedule"] = (tenantId, connectionId, content = {}) =>
    run(
      PostScheduler.use((s) =>
        s.schedule({
          tenantId,
          connectionId,
          content: { text: `hello ${crypto.randomUUID()}`, format: "text", mediaUrls: [], ...content },
          scheduledAt: new Date()
        })
      )
    )
  const post = (tenantId: string, postId: string) => run(PostRepo.use((r) => r.get(tenantId, postId)))
  const attemptsUntil = (tenantId: string, postId: string, outcome: PublishOutcome) =>
    waitFor(
      () => run(PublishAttemptRepo.use((r) => r.listForPost(tenantId, postId))),
      (attempts) => attempts.at(-1)?.outcome === outcome
    )
  return {
    t,
    sim,
    runtime,
    run,
    newTenant,
    connect,
    schedule,
    post,
    attemptsUntil,
    close: async () => {
      await runtime.dispose()
      await sim.close()
      await t.drop()
    }
  }
}

/** Polls `read` until `done` holds (bounded); returns the last value read. */
export const waitFor = async <A>(read: () => Promise<A>, done: (a: A) => boolean, timeoutMs = 30_000): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await read()
    if (done(value)) return value
    if (Date.now() > deadline) throw new Error(`timed out; last value: ${JSON.stringify(value)}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}
