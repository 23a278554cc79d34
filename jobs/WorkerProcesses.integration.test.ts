// The publish pipeline across real worker processes (`npm run worker`) sharing one database: a worker
// SIGKILLed inside a partner call is reconciled by the next one, two workers draw from one token
// bucket, and two workers never probe one breaker twice. The test process only schedules and watches.
import { ConfigProvider, Effect, ManagedRuntime, Redacted } from "effect"
import pino from "pino"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import type { CallRecord } from "../chaos/simulator/CallLog.ts"
import { type RunningSimulator, startPartnerSimulator } from "../chaos/simulator/PartnerSimulator.ts"
import { appLayer } from "../api/appLayer.ts"
import type { AppServices } from "../api/AppServices.ts"
import { ConnectionRepo } from "../db/ConnectionRepo.ts"
import { DatabaseUrl } from "../db/DatabaseUrl.ts"
import { DlqRepo } from "../db/DlqRepo.ts"
import { PostRepo } from "../db/PostRepo.ts"
import { PublishAttemptRepo } from "../db/PublishAttemptRepo.ts"
import { MetricRecorder } from "../observability/MetricRecorder.ts"
import { createTestDatabase, type TestDatabase } from "../test/db/testDatabase.ts"
import { spawnWorker, type ChildService } from "../test/process/spawnProcess.ts"
import { partnersLayer } from "./connectors/PartnersLive.ts"
import { partnerEndpointsFor } from "./connectors/PartnerEndpoints.ts"
import { JobQueue } from "./JobQueue.ts"
import { PostScheduler } from "./PostScheduler.ts"
import { QUEUE_NAMES, type QueueName } from "./queues.ts"

const TOKEN_ENCRYPTION_KEYS = `test:${Buffer.alloc(32, 11).toString("base64")}`
const AUTH_JWT_SECRET = "worker-processes-test-secret-0123456789abcdef"
// pg-boss takes a job still active after this long to be a dead worker's and retries it. Every
// process applies it to the queues when it starts, so the test runtime and the workers share one
// value; it stays above the partner timeout, so a live worker's job is never handed to a second one.
const JOB_TIMEOUT_SECONDS = "8"
const PARTNER_TIMEOUT_MS = "6000"

let t: TestDatabase
let sim: RunningSimulator
let runtime: ManagedRuntime.ManagedRuntime<AppServices, unknown>
const workers = new Set<ChildService>()

beforeAll(async () => {
  t = await createTestDatabase()
  sim = await startPartnerSimulator()
  // The test's own runtime schedules and reads; it runs no workers.
  runtime = ManagedRuntime.make(
    appLayer({
      databaseUrl: DatabaseUrl.fromUrl(t.url),
      partners: partnersLayer(partnerEndpointsFor(sim.url)),
      logger: pino({ level: "silent" }),
      metrics: MetricRecorder.layerTest,
      config: ConfigProvider.fromEnvRecord({
        TOKEN_ENCRYPTION_KEYS,
        AUTH_JWT_SECRET,
        JOB_TIMEOUT_SECONDS,
        JOBS_SUPERVISE_INTERVAL_SECONDS: "1"
      })
    })
  )
  await runtime.runPromise(Effect.void)
})

const stopWorkers = async () => {
  await Promise.all([...workers].map((w) => w.stop(3_000)))
  workers.clear()
}

afterEach(async () => {
  await stopWorkers()
  await sim.control.clearFaults()
})

afterAll(async () => {
  await stopWorkers()
  await runtime?.dispose()
  await sim?.close()
  await t?.drop()
})

const start = async (name: string, env: Readonly<Record<string, string>> = {}) => {
  const worker = await spawnWorker(name, {
    DATABASE_URL: t.url,
    PARTNER_SIMULATOR_URL: sim.url,
    TOKEN_ENCRYPTION_KEYS,
    AUTH_JWT_SECRET,
    LOG_LEVEL: "info",
    JOB_TIMEOUT_SECONDS,
    JOBS_SUPERVISE_INTERVAL_SECONDS: "1",
    PARTNER_TIMEOUT_MS,
    SHUTDOWN_GRACE_MS: "2000",
    // Any free port for each process's /metrics: several run on this machine at once.
    METRICS_PORT: "0",
    ...env
  })
  workers.add(worker)
  return worker
}

const run = <A, E>(effect: Effect.Effect<A, E, AppServices>) => runtime.runPromise(effect)

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const waitFor = async <A>(read: () => Promise<A>, done: (a: A) => boolean, timeoutMs = 30_000, everyMs = 100): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await read()
    if (done(value)) return value
    if (Date.now() > deadline) throw new Error(`timed out; last value: ${JSON.stringify(value)}`)
    await sleep(everyMs)
  }
}

let organizations = 2_100_000

/** A tenant with one LinkedIn connection to an organization of its own, holding a simulator token. */
const connect = async () => {
  const tenantId = crypto.randomUUID()
  await t.db.insertInto("tenants").values({ id: tenantId, name: `tenant ${tenantId.slice(0, 8)}` }).execute()
  organizations += 1
  const accountId = `urn:li:organization:${organizations}`
  await sim.control.createAccount({ platform: "linkedin", accountId })
  const minted = await sim.control.mintToken({ platform: "linkedin", accountIds: [accountId] })
  const connection = await run(
    ConnectionRepo.use((r) =>
      r.create({
        tenantId,
        brandId: "brand-1",
        platform: "linkedin",
        partnerAccountId: accountId,
        partnerUserId: minted.userId,
        tokens: { accessToken: Redacted.make(minted.accessToken), scopes: [...minted.scopes] }
      })
    )
  )
  return { tenantId, connectionId: connection.id, token: minted.accessToken }
}

const schedule = (tenantId: string, connectionId: string, scheduledAt = new Date()) =>
  run(
    PostScheduler.use((s) =>
      s.schedule({
        tenantId,
        connectionId,
        content: { text: `hello ${crypto.randomUUID()}`, format: "text", mediaUrls: [] },
        scheduledAt
      })
    )
  )

const post = (tenantId: string, postId: string) => run(PostRepo.use((r) => r.get(tenantId, postId)))
const outcomes = async (tenantId: string, postId: string) =>
  (await run(PublishAttemptRepo.use((r) => r.listForPost(tenantId, postId)))).map((a) => a.outcome)
const statuses = async (tenantId: string) =>
  (await t.db.selectFrom("posts").select("status").where("tenant_id", "=", tenantId).execute()).map((p) => p.status)
const connection = (tenantId: string, connectionId: string) => run(ConnectionRepo.use((r) => r.get(tenantId, connectionId)))

/** The simulator's call sequence number now, so a test reads only the calls made after it. */
const lastSeq = async () => (await sim.control.calls()).reduce((max, c) => Math.max(max, c.seq), 0)
const publishCallsSince = async (since: number): Promise<ReadonlyArray<CallRecord>> =>
  sim.control.calls({ method: "POST", path: "/rest/posts", sinceSeq: since })

describe("worker processes sharing one database", () => {
  it("reconciles a post whose worker was SIGKILLed between the partner accepting it and our commit: published once, not lost", async () => {
    const { tenantId, connectionId, token } = await connect()
    // The partner stores the post, then never answers: the worker is left inside the call.
    const fault = await sim.control.addFault({ kind: "accept_then_timeout", token, path: "/rest/posts", method: "POST" })
    const first = await start("first")
    const scheduled = await schedule(tenantId, connectionId)
    await waitFor(() => sim.control.postCounts(), (c) => c[scheduled.dedupeKey] === 1, 20_000, 25)
    expect(sim.hangingRequests()).toBe(1)

    expect(await first.kill("SIGKILL")).toEqual({ code: null, signal: "SIGKILL" })
    // The hanging exchange ended because its client died, not because the worker gave up on it.
    await waitFor(async () => sim.hangingRequests(), (n) => n === 0, 5_000, 20)
    // Died mid-call: the intent is recorded, no outcome is, and nothing marked it published.
    const orphan = await post(tenantId, scheduled.id)
    expect(orphan).toMatchObject({ status: "publishing", attempts: 1, partnerPostId: null })
    expect(await outcomes(tenantId, scheduled.id)).toEqual([])

    await sim.control.removeFault(fault.id)
    const second = await start("second")
    // Fails if the job is lost (stays publishing), or if the new worker posts again instead of
    // looking first (count 2, or a `published` attempt, or LinkedIn's 422 duplicate).
    const done = await waitFor(() => post(tenantId, scheduled.id), (p) => p.status !== "publishing", 40_000)
    const [stored] = await sim.control.posts({ dedupeKey: scheduled.dedupeKey })
    expect(done).toMatchObject({ status: "published", reconciled: true, partnerPostId: stored?.partnerId })
    // The attempt row is written just after the post's status; wait for it rather than race it.
    expect(await waitFor(() => outcomes(tenantId, scheduled.id), (list) => list.length > 0, 5_000)).toEqual(["reconciled"])
    expect((await sim.control.postCounts())[scheduled.dedupeKey]).toBe(1)
    expect(await sim.control.calls({ method: "POST", dedupeKey: scheduled.dedupeKey })).toHaveLength(1)
    await waitFor(
      async () => second.lines.filter((l) => l["msg"] === "publish attempt" && l["postId"] === scheduled.id).map((l) => l["status"]),
      (statuses) => statuses.length > 0
    ).then((statuses) => expect(statuses).toEqual(["reconciled"]))
  })
})

describe("two worker processes on one database", () => {
  it("never exceed a tenant's token bucket between them, and publish every post exactly once", async () => {
    const limits = { ratePerMinute: 120, burst: 5 }
    // One job per fetch: a batch fetch could hand every due post to whichever process polls first,
    // and then only one process would ever take from the bucket.
    const env = { RATE_LIMITS: `linkedin=${limits.ratePerMinute}/${limits.burst}`, PUBLISH_BATCH_SIZE: "1" }
    const { tenantId, connectionId } = await connect()
    const since = await lastSeq()
    const [a, b] = await Promise.all([start("a", env), start("b", env)])
    // The posts fall due 100 ms apart, after scheduling is over and this process (and the simulator
    // in it) is idle, so both workers' polls find some of them and take from the bucket side by side.
    const firstDue = Date.now() + 2_500
    const scheduled = await Promise.all(
      Array.from({ length: 15 }, (_, i) => schedule(tenantId, connectionId, new Date(firstDue + i * 100)))
    )
    await waitFor(() => statuses(tenantId), (s) => s.length === scheduled.length && s.every((x) => x === "published"), 40_000, 250)

    const keys = new Set(scheduled.map((p) => p.dedupeKey))
    const calls = (await publishCallsSince(since)).filter((c) => c.dedupeKey !== undefined && keys.has(c.dedupeKey))
    expect(calls.map((c) => c.status), "one accepted publish call per post").toEqual(scheduled.map(() => 201))
    // Every prefix of the call log fits one bucket that was full at the first fetch of these posts'
    // jobs (pg-boss's started_on): a take comes after its job's fetch, a call after its take.
    // CLOCK_SLACK_MS covers only PostgreSQL's clock against this process's (the call log's) on one
    // machine. Fails if each process kept its own bucket (2 × burst at once), if RATE_LIMITS were not
    // applied, or if two takes could spend one token.
    const CLOCK_SLACK_MS = 5
    const jobs = await run(JobQueue.use(({ boss }) => Effect.promise(() => boss.findJobs("publish", { data: { tenantId } }))))
    const origin = Math.min(...jobs.map((j) => j.startedOn?.getTime() ?? Number.POSITIVE_INFINITY))
    expect(origin).toBeGreaterThanOrEqual(firstDue - CLOCK_SLACK_MS)
    const at = calls.map((c) => c.at).sort((x, y) => x - y)
    at.forEach((time, i) => {
      const allowed = limits.burst + (limits.ratePerMinute * (time - origin + CLOCK_SLACK_MS)) / 60_000
      expect(i + 1, `call ${i + 1} at ${time - origin} ms after the first fetch`).toBeLessThanOrEqual(allowed)
    })
    const counts = await sim.control.postCounts()
    for (const p of scheduled) expect(counts[p.dedupeKey]).toBe(1)
    const perPost = await waitFor(
      () => Promise.all(scheduled.map((p) => outcomes(tenantId, p.id))),
      (lists) => lists.every((list) => list.includes("published")),
      5_000
    )
    // A limited post only ever waits: deferred, then published once; never failed or dead-lettered.
    for (const list of perPost) {
      expect(list.filter((o) => o === "published"), JSON.stringify(perPost)).toHaveLength(1)
      expect(list.every((o) => o === "published" || o === "deferred"), JSON.stringify(perPost)).toBe(true)
    }
    expect(perPost.filter((list) => list.includes("deferred")).length).toBeGreaterThan(0)
    expect((await run(DlqRepo.use((r) => r.list({ tenantId, limit: 10 })))).entries).toEqual([])
    // Both processes drew from the bucket. One that was only ever refused proves it is shared too: a
    // bucket of its own would have let its first take through.
    const ids = new Set(scheduled.map((p) => p.id))
    const attempts = (w: ChildService) => w.lines.filter((l) => l["msg"] === "publish attempt" && ids.has(String(l["postId"]))).length
    expect([attempts(a), attempts(b)].every((n) => n > 0), `attempts by process: ${attempts(a)}, ${attempts(b)}`).toBe(true)
  })
})

describe("a worker process's own HTTP surface", () => {
  it("serves /healthz, /readyz and its own /metrics (what its workers did), and no API", async () => {
    const worker = await start("metrics")
    const started = worker.lines.find((l) => l["msg"] === "workers started")
    const metricsUrl = String(started?.["metrics"] ?? "")
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
    const base = metricsUrl.replace(/\/metrics$/, "")
    const { tenantId, connectionId } = await connect()
    await schedule(tenantId, connectionId, new Date())
    await waitFor(() => statuses(tenantId), (s) => s.length === 1 && s[0] === "published", 30_000, 200)
    const metrics = await waitFor(
      async () => (await fetch(metricsUrl)).text(),
      (text) => /connector_publish_success_total\{[^}]*platform="linkedin"[^}]*\} [1-9]/.test(text),
      10_000,
      200
    )
    expect(metrics).toContain("queue_depth")
    expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ ready: true, checks: { database: "ok" } })
    expect((await fetch(`${base}/healthz`)).status).toBe(200)
    for (const path of ["/trpc/taxonomy.list", "/api/webhooks/meta", "/api/oauth/meta/start"]) {
      expect((await fetch(`${base}${path}`)).status, path).toBe(404)
    }
    await worker.stop()
    workers.delete(worker)
  })
})

describe("two worker processes and one circuit breaker", () => {
  it("never probe it twice in one open period, and resume the connection once the partner heals, publishing every post once", async () => {
    const RESET_MS = 1_500
    const env = { BREAKER_RESET_TIMEOUT_MS: String(RESET_MS), BREAKER_FAILURE_THRESHOLD: "5" }
    const { tenantId, connectionId, token } = await connect()
    const since = await lastSeq()
    const publishFault = await sim.control.addFault({ kind: "http_5xx", token, path: "/rest/posts", method: "POST" })
    const healthFault = await sim.control.addFault({ kind: "http_5xx", token, path: "/v2/userinfo" })
    await Promise.all([start("a", env), start("b", env)])
    const scheduled = await Promise.all(Array.from({ length: 6 }, () => schedule(tenantId, connectionId)))
    const paused = await waitFor(() => connection(tenantId, connectionId), (c) => c.status !== "active", 30_000)
    expect(paused).toMatchObject({ status: "attention", pauseReason: "CIRCUIT_BREAKER_OPEN" })

    // One probe job per open period proves nothing about two processes. Keep asking both of them for
    // probes (as repeated triggers would) so every period's probe is contended across processes.
    let asking = true
    const ask = (async () => {
      while (asking) {
        await run(
          JobQueue.use((q) =>
            Effect.all(Array.from({ length: 3 }, () => q.send("ping", { tenantId, connectionId, reason: "breaker_probe" })))
          )
        )
        await sleep(200)
      }
    })()
    // The health-check path is this connection's alone in this test (only breaker probes call it).
    const healthCalls = () => sim.control.calls({ method: "GET", path: "/v2/userinfo", sinceSeq: since })
    try {
      await waitFor(healthCalls, (calls) => calls.filter((c) => c.status === 500).length >= 2, 20_000)
      await sim.control.removeFault(publishFault.id)
      await sim.control.removeFault(healthFault.id)
      await waitFor(() => connection(tenantId, connectionId), (c) => c.status === "active", 20_000)
    } finally {
      asking = false
      await ask
    }
    await waitFor(() => statuses(tenantId), (s) => s.length === scheduled.length && s.every((x) => x === "published"), 30_000, 250)

    const probes = await healthCalls()
    // At most one probe per open period across both processes: each probe comes a full reset period
    // after the previous one (whose failure re-opened the breaker). Two workers probing the same
    // period would put two calls milliseconds apart.
    for (let i = 1; i < probes.length; i++) {
      const gap = (probes[i]?.at ?? 0) - (probes[i - 1]?.at ?? 0)
      expect(gap, `probe ${i + 1} came ${gap} ms after probe ${i}`).toBeGreaterThanOrEqual(RESET_MS - 5)
    }
    // Failed probes re-opened the breaker; the first successful one closed it, and no probe followed.
    expect(probes.filter((c) => c.status === 500).length).toBeGreaterThanOrEqual(2)
    expect(probes.map((c) => c.status).slice(-1)).toEqual([200])
    expect(probes.filter((c) => c.status === 200)).toHaveLength(1)
    // The probes were contended: many more probe jobs ran than probes reached the partner.
    const pings = await run(JobQueue.use(({ boss }) => Effect.promise(() => boss.findJobs("ping", { data: { connectionId } }))))
    expect(pings.filter((j) => j.state === "completed").length).toBeGreaterThan(probes.length * 3)

    const counts = await sim.control.postCounts()
    for (const p of scheduled) expect(counts[p.dedupeKey]).toBe(1)
    expect(await connection(tenantId, connectionId)).toMatchObject({ status: "active", pauseReason: null })
    expect((await run(DlqRepo.use((r) => r.list({ tenantId, limit: 10 })))).entries).toEqual([])
  })
})

describe("a worker process joining queues another process created", () => {
  it("applies its own job timeout to them, so a changed JOB_TIMEOUT_SECONDS is not silently ignored", async () => {
    const expiry = async (name: QueueName) =>
      (await run(JobQueue.use(({ boss }) => Effect.promise(() => boss.getQueue(name)))))?.expireInSeconds
    // The test runtime created the queues; a worker configured otherwise joins them. Fails if the
    // worker's setting is dropped because the queues already existed (a dead worker's job would
    // then be retried after the old timeout, possibly while a slow live call is still running).
    expect(await expiry("publish")).toBe(Number(JOB_TIMEOUT_SECONDS))
    try {
      await start("reconfigured", { JOB_TIMEOUT_SECONDS: "11" })
      for (const name of QUEUE_NAMES) expect(await expiry(name)).toBe(11)
    } finally {
      await run(
        JobQueue.use(({ boss }) =>
          Effect.promise(() =>
            Promise.all(QUEUE_NAMES.map((name) => boss.updateQueue(name, { expireInSeconds: Number(JOB_TIMEOUT_SECONDS) })))
          )
        )
      )
    }
  })
})
