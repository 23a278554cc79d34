// The publish pipeline end to end: real PostgreSQL, real pg-boss workers, real HTTP to the partner
// simulator. Each test uses its own tenant and connection, so faults and counts never collide.
import { ConfigProvider, type Effect, Layer, ManagedRuntime, Redacted } from "effect"
import pino from "pino"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startPartnerSimulator, type RunningSimulator } from "../chaos/simulator/PartnerSimulator.ts"
import type { Platform } from "../core/taxonomy/Taxonomy.ts"
import { ConnectionRepo } from "../db/ConnectionRepo.ts"
import { DatabaseUrl } from "../db/DatabaseUrl.ts"
import { DlqRepo } from "../db/DlqRepo.ts"
import { PostRepo } from "../db/PostRepo.ts"
import { PublishAttemptRepo } from "../db/PublishAttemptRepo.ts"
import { Flags } from "../flags/Flags.ts"
import { MetricRecorder } from "../observability/MetricRecorder.ts"
import { appLayer } from "../api/appLayer.ts"
import type { AppServices } from "../api/AppServices.ts"
import { createTestDatabase, type TestDatabase } from "../test/db/testDatabase.ts"
import { connectorsLayer } from "./connectors/ConnectorsLive.ts"
import { partnerEndpointsFor } from "./connectors/PartnerEndpoints.ts"
import { PostScheduler } from "./PostScheduler.ts"
import { startWorkers } from "./Workers.ts"

const BREAKER_RESET_MS = 1_500

let t: TestDatabase
let sim: RunningSimulator
let runtime: ManagedRuntime.ManagedRuntime<AppServices, unknown>
const AUTOPAUSE_OFF_TENANT = "00000000-0000-4000-8000-00000000a0ff"

const makeRuntime = (url: string, simulatorUrl: string) =>
  ManagedRuntime.make(
    appLayer({
      databaseUrl: DatabaseUrl.fromUrl(url),
      connectors: connectorsLayer(partnerEndpointsFor(simulatorUrl, { timeoutMs: 3_000 })),
      logger: pino({ level: "silent" }),
      flags: Flags.layerTest({ tenants: { [AUTOPAUSE_OFF_TENANT]: { RECOVERY_AUTOPAUSE_ENABLED: false } } }),
      metrics: MetricRecorder.layerTest
    }).pipe(
      Layer.provide(
        ConfigProvider.layer(
          ConfigProvider.fromEnvRecord({
            TOKEN_ENCRYPTION_KEYS: `test:${Buffer.alloc(32, 7).toString("base64")}`,
            JOBS_SUPERVISE_INTERVAL_SECONDS: "2",
            JOB_TIMEOUT_SECONDS: "30",
            BREAKER_RESET_TIMEOUT_MS: String(BREAKER_RESET_MS)
          })
        )
      )
    )
  )

beforeAll(async () => {
  t = await createTestDatabase()
  sim = await startPartnerSimulator()
  runtime = makeRuntime(t.url, sim.url)
  await startWorkers(runtime)
})
afterAll(async () => {
  await runtime?.dispose()
  await sim?.close()
  await t?.drop()
})

const run = <A, E>(effect: Effect.Effect<A, E, AppServices>) => runtime.runPromise(effect)

const ACCOUNTS: { readonly [P in Platform]: string } = {
  meta: "1000001",
  linkedin: "urn:li:organization:2000001",
  tiktok: "sim-open-id-1",
  gbp: "accounts/3000001/locations/4000001",
  mailchimp: "us1:a1b2c3d4e5"
}

const newTenant = async (id: string = crypto.randomUUID()) => {
  await t.db.insertInto("tenants").values({ id, name: `tenant ${id.slice(0, 8)}` }).execute()
  return id
}

/** A tenant with one connection to `platform`, holding a token the simulator minted. */
const connect = async (
  platform: Platform,
  options: { readonly withRefreshToken?: boolean; readonly tenantId?: string } = {}
) => {
  const tenantId = options.tenantId ?? (await newTenant())
  const minted = await sim.control.mintToken({
    platform,
    accountIds: [ACCOUNTS[platform]],
    withRefreshToken: options.withRefreshToken ?? false
  })
  const connection = await run(
    ConnectionRepo.use((r) =>
      r.create({
        tenantId,
        brandId: "brand-1",
        platform,
        partnerAccountId: ACCOUNTS[platform],
        partnerUserId: minted.userId,
        tokens: {
          accessToken: Redacted.make(minted.accessToken),
          scopes: [...minted.scopes],
          ...(minted.refreshToken !== undefined ? { refreshToken: Redacted.make(minted.refreshToken) } : {})
        }
      })
    )
  )
  return { tenantId, connectionId: connection.id, token: minted.accessToken }
}

const schedule = (tenantId: string, connectionId: string, text = `hello ${crypto.randomUUID()}`) =>
  run(
    PostScheduler.use((s) =>
      s.schedule({ tenantId, connectionId, content: { text, format: "text", mediaUrls: [] }, scheduledAt: new Date() })
    )
  )

const post = (tenantId: string, postId: string) => run(PostRepo.use((r) => r.get(tenantId, postId)))

const waitFor = async <A>(read: () => Promise<A>, done: (a: A) => boolean, timeoutMs = 30_000): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await read()
    if (done(value)) return value
    if (Date.now() > deadline) throw new Error(`timed out; last value: ${JSON.stringify(value)}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** Partner calls that carried this post's dedupe key: every publish attempt sends it. */
const publishCalls = async (dedupeKey: string) => (await sim.control.calls({ dedupeKey, method: "POST" })).length

describe("the publish pipeline", () => {
  it("publishes a post once and records the attempt", async () => {
    const { tenantId, connectionId } = await connect("linkedin")
    const scheduled = await schedule(tenantId, connectionId)
    const done = await waitFor(() => post(tenantId, scheduled.id), (p) => p.status === "published")
    expect(done.partnerPostId).toMatch(/^urn:li:share:/)
    expect((await sim.control.postCounts())[scheduled.dedupeKey]).toBe(1)
    const attempts = await run(PublishAttemptRepo.use((r) => r.listForPost(tenantId, scheduled.id)))
    expect(attempts.map((a) => a.outcome)).toEqual(["published"])
  })

  it("refreshes an expired token once, stores the rotated refresh token, and publishes once", async () => {
    const { tenantId, connectionId, token } = await connect("linkedin", { withRefreshToken: true })
    const before = await run(ConnectionRepo.use((r) => r.refreshToken(tenantId, connectionId)))
    await sim.control.expireToken(token)
    const scheduled = await schedule(tenantId, connectionId)
    await waitFor(() => post(tenantId, scheduled.id), (p) => p.status === "published")
    expect((await sim.control.postCounts())[scheduled.dedupeKey]).toBe(1)
    const after = await run(ConnectionRepo.use((r) => r.refreshToken(tenantId, connectionId)))
    expect(after).toBeDefined()
    expect(Redacted.value(after ?? Redacted.make(""))).not.toBe(Redacted.value(before ?? Redacted.make("")))
    expect((await run(ConnectionRepo.use((r) => r.get(tenantId, connectionId)))).status).toBe("active")
  })

  it("pauses the channel and holds the post when an expired token cannot be refreshed, with zero partner retries", async () => {
    const { tenantId, connectionId, token } = await connect("meta")
    await sim.control.expireToken(token)
    const scheduled = await schedule(tenantId, connectionId)
    const held = await waitFor(() => post(tenantId, scheduled.id), (p) => p.status === "held")
    expect(held.lastErrorCode).toBe("TOKEN_REFRESH_FAILED")
    const connection = await run(ConnectionRepo.use((r) => r.get(tenantId, connectionId)))
    expect(connection).toMatchObject({ status: "attention", pauseReason: "TOKEN_REFRESH_FAILED" })
    expect(await publishCalls(scheduled.dedupeKey)).toBe(1)
    expect(await sim.control.postCounts()).not.toHaveProperty(scheduled.dedupeKey)
  })

  it("publishes after backoff when the partner answers 5xx twice, then recovers", async () => {
    const { tenantId, connectionId, token } = await connect("linkedin")
    await sim.control.addFault({ kind: "http_5xx", token, path: "/rest/posts", method: "POST", count: 2 })
    const scheduled = await schedule(tenantId, connectionId)
    await waitFor(() => post(tenantId, scheduled.id), (p) => p.status === "published", 45_000)
    expect((await sim.control.postCounts())[scheduled.dedupeKey]).toBe(1)
    const attempts = await run(PublishAttemptRepo.use((r) => r.listForPost(tenantId, scheduled.id)))
    expect(attempts.map((a) => a.outcome)).toEqual(["retry_scheduled", "retry_scheduled", "published"])
  })

  it("dead-letters validation errors at once as UNRETRYABLE and leaves the channel active", async () => {
    const { tenantId, connectionId } = await connect("tiktok")
    // TikTok needs a video or photo URL: a text post is our request's fault.
    const scheduled = await schedule(tenantId, connectionId)
    const dead = await waitFor(() => post(tenantId, scheduled.id), (p) => p.status === "dead_lettered")
    const entries = await run(DlqRepo.use((r) => r.list({ tenantId, limit: 10 })))
    const entry = entries.entries.find((e) => e.postId === scheduled.id)
    expect(entry).toMatchObject({ reasonCode: "UNRETRYABLE", taxonomyAction: "FAIL_AND_NOTIFY" })
    expect(dead.lastErrorCode).toBe(entry?.errorCode)
    expect((await run(ConnectionRepo.use((r) => r.get(tenantId, connectionId)))).status).toBe("active")
  })

  it("sends what would pause to the DLQ instead when auto-pause is off for the tenant", async () => {
    const tenantId = await newTenant(AUTOPAUSE_OFF_TENANT)
    const { connectionId, token } = await connect("meta", { tenantId })
    await sim.control.revoke({ platform: "meta", token })
    const scheduled = await schedule(tenantId, connectionId)
    await waitFor(() => post(tenantId, scheduled.id), (p) => p.status === "dead_lettered")
    expect((await run(ConnectionRepo.use((r) => r.get(tenantId, connectionId)))).status).toBe("active")
    const entries = await run(DlqRepo.use((r) => r.list({ tenantId, limit: 10 })))
    expect(entries.entries[0]).toMatchObject({ errorCode: "APP_DEAUTHORIZED", reasonCode: "UNRETRYABLE" })
  })

  it("opens the breaker after 5 consecutive failures, pauses, and resumes after a successful probe, publishing held posts once each", async () => {
    const { tenantId, connectionId, token } = await connect("gbp")
    const fault = await sim.control.addFault({ kind: "http_5xx", token, path: "/localPosts", method: "POST" })
    const posts = []
    for (let i = 0; i < 5; i++) posts.push(await schedule(tenantId, connectionId))
    const paused = await waitFor(
      () => run(ConnectionRepo.use((r) => r.get(tenantId, connectionId))),
      (c) => c.status === "attention",
      45_000
    )
    expect(paused.pauseReason).toBe("CIRCUIT_BREAKER_OPEN")
    await sim.control.removeFault(fault.id)
    await waitFor(() => run(ConnectionRepo.use((r) => r.get(tenantId, connectionId))), (c) => c.status === "active", 30_000)
    for (const p of posts) await waitFor(() => post(tenantId, p.id), (x) => x.status === "published", 30_000)
    const counts = await sim.control.postCounts()
    for (const p of posts) expect(counts[p.dedupeKey]).toBe(1)
  })
})
