// The publish pipeline end to end under load: real PostgreSQL, pg-boss workers as the worker process
// runs them (jobs/Workers.ts), real HTTP to the partner simulator. Measures pipeline posts/s against
// raw pg-boss no-op jobs/s, 401-to-pause latency, and one tenant's throughput beside a 429 storm.
// Prints human-readable lines, then one JSON line with the figures (always the last line).
import { randomUUID } from "node:crypto"
import { Effect } from "effect"
import { sql } from "kysely"
import type { JobResult } from "pg-boss"
import { PLATFORMS, type Platform } from "../../core/taxonomy/Taxonomy.ts"
import { JobQueue } from "../../jobs/JobQueue.ts"
import { PostScheduler } from "../../jobs/PostScheduler.ts"
import { DEFAULT_WORKER_OPTIONS, runWorker } from "../../jobs/runWorker.ts"
import { startWorkers } from "../../jobs/Workers.ts"
import {
  type BenchConnection,
  benchAccountId,
  benchConnect,
  benchEnvironment,
  benchRuntime,
  benchTenant,
  inLanes,
  intFromEnv,
  loadAverage,
  log,
  round,
  runBench,
  show,
  stats,
  waitUntil,
  watchFirstSeen
} from "./benchKit.ts"
import type { SimulatorMode } from "./benchSimulator.ts"

const POSTS = intFromEnv("BENCH_POSTS", 2_000)
const RAW_JOBS = intFromEnv("BENCH_RAW_JOBS", 10_000)
const PAUSE_CONNECTIONS = intFromEnv("BENCH_PAUSE_CONNECTIONS", 50)
const ISOLATION_POSTS = intFromEnv("BENCH_ISOLATION_POSTS", 600)
const WARMUP_POSTS = 300
const WARMUP_RAW_JOBS = 2_000
const SCHEDULE_PROBE_POSTS = 160
const PIPELINE_TENANTS = 8
/** Every phase ends by this time, done or not. */
const PHASE_TIMEOUT_MS = 60_000
/** The whole run, set-up and clean-up included. */
const BUDGET_MS = 290_000
// A child process by default: in-process, the simulator's request handling would run on the event
// loop that also runs every worker (near saturation under load), charging a partner's CPU to us.
const SIMULATOR_MODE: SimulatorMode = process.env["BENCH_SIMULATOR"] === "in-process" ? "in-process" : "child"
const RAW_QUEUE = "bench-noop"
/** The workers' JSON logs; /dev/null unless you want to read them. */
const LOG_FILE = process.env["BENCH_LOG_FILE"] ?? "/dev/null"

// Single-call platforms plus Mailchimp's four-call campaign; TikTok is left out because its publish
// is mostly its status-poll interval (PartnerEndpoints polling), which would measure a sleep.
const PUBLISH_PLATFORMS: ReadonlyArray<Platform> = ["meta", "linkedin", "gbp", "mailchimp"]
// Pausing needs an expired token that cannot be refreshed: LinkedIn and GBP answer 401, Meta 400 (code 190).
const PAUSE_PLATFORMS: ReadonlyArray<Platform> = ["meta", "linkedin", "gbp"]
// The per-tenant token buckets are set out of the way: this measures the pipeline, not the limits.
const HIGH_RATE_LIMITS = PLATFORMS.map((p) => `${p}=1000000/1000000`).join(",")

interface Progress {
  readonly published: number
  /** Posts that ended anywhere but published: held, dead-lettered, failed, skipped. */
  readonly other: number
  readonly lastPublishedAt: Date | null
}

interface BarrierRun {
  readonly published: number
  readonly other: number
  readonly durationMs: number
  readonly postsPerSec: number
  readonly completed: boolean
  readonly dedupeKeys: ReadonlyArray<string>
  readonly startedAt: number
}

runBench(BUDGET_MS, async (run): Promise<Record<string, unknown>> => {
  const { loadAtStart, database, sim, db } = await benchEnvironment(run, SIMULATOR_MODE)
  const rt = benchRuntime({ databaseUrl: database.url, simulatorUrl: sim.url, logFile: LOG_FILE, env: { RATE_LIMITS: HIGH_RATE_LIMITS } })
  run.defer("workers and pools", () => rt.dispose())
  const control = sim.control
  const boss = await rt.runPromise(JobQueue.use((q) => Effect.succeed(q.boss)))
  await startWorkers(rt)
  const o = DEFAULT_WORKER_OPTIONS
  log(
    `workers started as jobs/Workers.ts starts them: publish batchSize ${o.batchSize}, localConcurrency ${o.localConcurrency}, ` +
      `polling ${o.pollingIntervalSeconds} s, burstWhenBatchFull, perJobResults; RATE_LIMITS ${HIGH_RATE_LIMITS.split(",")[0]}… for every platform`
  )

  // --- fixtures -------------------------------------------------------------------------------
  let accountSeq = 0
  const connect = (tenantId: string, platform: Platform): Promise<BenchConnection> => {
    accountSeq += 1
    return benchConnect(rt, control, { tenantId, platform, accountId: benchAccountId(platform, 100_000 + accountSeq) })
  }
  /** One connection per platform for each of `tenants` new tenants. */
  const connectTenants = async (label: string, tenants: number, platforms: ReadonlyArray<Platform>) => {
    const targets: Array<BenchConnection> = []
    for (let t = 0; t < tenants; t++) {
      const tenantId = await benchTenant(db, label)
      for (const platform of platforms) targets.push(await connect(tenantId, platform))
    }
    return targets
  }
  /** `count` posts spread round-robin over the targets. */
  const roundRobin = (targets: ReadonlyArray<BenchConnection>, count: number): ReadonlyArray<BenchConnection> =>
    Array.from({ length: count }, (_, i) => targets[i % targets.length]).filter((t): t is BenchConnection => t !== undefined)

  const scheduleAll = async (plan: ReadonlyArray<BenchConnection>, scheduledAt: Date, label: string): Promise<ReadonlyArray<string>> => {
    const keys: Array<string> = new Array(plan.length)
    await inLanes(plan, 8, async (target, i) => {
      const post = await rt.runPromise(
        PostScheduler.use((s) =>
          s.schedule({
            tenantId: target.tenantId,
            connectionId: target.connectionId,
            content: { text: `bench ${label} ${i} ${randomUUID()}`, format: "text", mediaUrls: [] },
            scheduledAt
          })
        )
      )
      keys[i] = post.dedupeKey
    })
    return keys
  }

  const progress = async (tenantIds: ReadonlyArray<string>): Promise<Progress> => {
    const { rows } = await sql<{ published: string; other: string; last: Date | null }>`
      select count(*) filter (where status = 'published') as published,
             count(*) filter (where status in ('held', 'dead_lettered', 'failed', 'skipped')) as other,
             max(published_at) as last
        from posts where tenant_id = any(${[...tenantIds]}::uuid[])`.execute(db)
    const row = rows[0]
    return { published: Number(row?.published ?? 0), other: Number(row?.other ?? 0), lastPublishedAt: row?.last ?? null }
  }

  // Scheduling speed, probed before the warm-up, sizes the barrier: every post of a run is scheduled
  // for one instant T0 far enough ahead that all of them exist before it, so the clock starts with
  // the whole backlog ready, as when a batch of posts is due at 09:00.
  let schedulePerSec = 50
  /**
   * Schedules `plan` for one instant and waits until the posts of `measured` tenants have all ended;
   * duration runs from that instant to the last `published_at` (the server's clock, same host).
   */
  const publishAtBarrier = async (
    label: string,
    plan: ReadonlyArray<BenchConnection>,
    measured: ReadonlyArray<string>,
    expected: number
  ): Promise<BarrierRun> => {
    const t0 = Date.now() + Math.ceil((plan.length / schedulePerSec) * 1.4 * 1000) + 2_000
    const dedupeKeys = await scheduleAll(plan, new Date(t0), label)
    const scheduledBy = Date.now()
    // Timing stays from the barrier, so a late schedule can only lower the figure, never raise it.
    if (scheduledBy > t0) log(`${label}: scheduling ran ${scheduledBy - t0} ms past the barrier (figure understated)`)
    const startedAt = t0
    let last: Progress = { published: 0, other: 0, lastPublishedAt: null }
    const completed = await waitUntil(
      async () => {
        last = await progress(measured)
        return last.published + last.other >= expected
      },
      PHASE_TIMEOUT_MS + Math.max(0, startedAt - Date.now()),
      50
    )
    const endedAt = completed && last.lastPublishedAt !== null ? last.lastPublishedAt.getTime() : Date.now()
    const durationMs = Math.max(1, endedAt - startedAt)
    return {
      published: last.published,
      other: last.other,
      durationMs,
      postsPerSec: round(last.published / (durationMs / 1000)),
      completed,
      dedupeKeys,
      startedAt
    }
  }

  /**
   * No-op jobs through the same worker settings: `raw` is boss.work with exactly the options
   * runWorker passes; `runWorker` goes through runWorker itself (payload decoding, queue metrics)
   * on the summary queue, which no worker of jobs/Workers.ts consumes.
   */
  const noopJobs = async (
    jobs: number,
    via: "raw" | "runWorker"
  ): Promise<{ readonly jobsPerSec: number; readonly durationMs: number; readonly completed: boolean }> => {
    let handled = 0
    let lastHandledAt = 0
    const queue = via === "raw" ? RAW_QUEUE : "summary"
    const workerId =
      via === "raw"
        ? await boss.work(
            RAW_QUEUE,
            {
              batchSize: o.batchSize,
              localConcurrency: o.localConcurrency,
              pollingIntervalSeconds: o.pollingIntervalSeconds,
              burstWhenBatchFull: true,
              perJobResults: true,
              includeMetadata: true
            },
            async (batch): Promise<Array<JobResult>> => {
              handled += batch.length
              lastHandledAt = Date.now()
              return batch.map((job) => ({ id: job.id, status: "completed" }))
            }
          )
        : await runWorker(rt, "summary", () =>
            Effect.sync(() => {
              handled += 1
              lastHandledAt = Date.now()
            })
          )
    const t0 = Date.now() + Math.ceil(jobs / 5) + 1_000
    for (let sent = 0; sent < jobs; sent += 1_000) {
      const size = Math.min(1_000, jobs - sent)
      await boss.insert(queue, Array.from({ length: size }, () => ({ data: {}, startAfter: new Date(t0) })))
    }
    const completed = await waitUntil(async () => handled >= jobs, PHASE_TIMEOUT_MS + Math.max(0, t0 - Date.now()), 20)
    await boss.offWork(queue, { id: workerId, wait: true })
    const durationMs = Math.max(1, (completed ? lastHandledAt : Date.now()) - t0)
    return { jobsPerSec: Math.round(handled / (durationMs / 1000)), durationMs, completed }
  }

  /** Paused connections with the 401's arrival at the partner and the pause as written and as seen. */
  const pauseRun = async (targets: ReadonlyArray<BenchConnection>) => {
    for (const t of targets) await control.expireToken(t.token)
    const ids = targets.map((t) => t.connectionId)
    // The observer polls on its own connection every few ms: an upper bound on when the commit became visible.
    const watch = watchFirstSeen(
      ids,
      async () => {
        const { rows } = await sql<{ id: string }>`
          select id from connections where id = any(${ids}::uuid[]) and status <> 'active'`.execute(db)
        return rows.map((r) => r.id)
      },
      { clock: () => Date.now(), timeoutMs: PHASE_TIMEOUT_MS }
    )
    const run = await publishAtBarrier(
      "pause",
      targets,
      [...new Set(targets.map((t) => t.tenantId))],
      targets.length
    )
    const seenAt = await watch
    const rows = await db
      .selectFrom("connections")
      .select(["id", "status", "pause_reason", "paused_at"])
      .where("id", "in", ids)
      .execute()
    const byId = new Map(rows.map((r) => [r.id, r]))
    const written: Array<number> = []
    const observed: Array<number> = []
    const failingStatuses = new Map<string, number>()
    const reasons = new Map<string, number>()
    for (const [i, target] of targets.entries()) {
      const key = run.dedupeKeys[i]
      const row = byId.get(target.connectionId)
      if (key === undefined || row === undefined || row.paused_at === null) continue
      const calls = await control.calls({ dedupeKey: key })
      const failing = calls.find((c) => c.status !== null && c.status >= 400)
      if (failing === undefined) continue
      failingStatuses.set(`${target.platform} ${failing.status}`, (failingStatuses.get(`${target.platform} ${failing.status}`) ?? 0) + 1)
      reasons.set(`${row.status}/${row.pause_reason}`, (reasons.get(`${row.status}/${row.pause_reason}`) ?? 0) + 1)
      written.push(row.paused_at.getTime() - failing.at)
      const seen = seenAt.get(target.connectionId)
      if (seen !== undefined) observed.push(seen - failing.at)
    }
    return { run, written, observed, failingStatuses, reasons }
  }

  // --- warm-up --------------------------------------------------------------------------------
  await boss.createQueue(RAW_QUEUE, { retryLimit: 0 })
  // Scheduling alone, with the workers idle: posts an hour ahead, which no phase waits for.
  const probe = await connectTenants("schedule probe", 1, PUBLISH_PLATFORMS)
  const probeStart = Date.now()
  await scheduleAll(roundRobin(probe, SCHEDULE_PROBE_POSTS), new Date(Date.now() + 3_600_000), "probe")
  schedulePerSec = SCHEDULE_PROBE_POSTS / ((Date.now() - probeStart) / 1000)
  const warmTargets = await connectTenants("warm-up", 2, PUBLISH_PLATFORMS)
  await publishAtBarrier("warm-up", roundRobin(warmTargets, WARMUP_POSTS), [...new Set(warmTargets.map((t) => t.tenantId))], WARMUP_POSTS)
  const warmRaw = await noopJobs(WARMUP_RAW_JOBS, "raw")
  await noopJobs(WARMUP_RAW_JOBS, "runWorker")
  const warmPause = await pauseRun(await connectTenants("warm-up pause", 1, PAUSE_PLATFORMS))
  log(
    `warm-up: ${WARMUP_POSTS} posts published (scheduling ${Math.round(schedulePerSec)} posts/s), ` +
      `${WARMUP_RAW_JOBS} no-op jobs (${warmRaw.jobsPerSec}/s), ${warmPause.written.length} pauses`
  )

  // --- 1. pipeline throughput -----------------------------------------------------------------
  const pipelineTargets = await connectTenants("pipeline", PIPELINE_TENANTS, PUBLISH_PLATFORMS)
  const pipelineTenants = [...new Set(pipelineTargets.map((t) => t.tenantId))]
  log(`1. pipeline: ${POSTS} posts over ${PIPELINE_TENANTS} tenants × ${PUBLISH_PLATFORMS.join("/")} (${pipelineTargets.length} connections), all due at one instant`)
  const pipeline = await publishAtBarrier("pipeline", roundRobin(pipelineTargets, POSTS), pipelineTenants, POSTS)
  const counts = await control.postCounts()
  const acceptedOnce = pipeline.dedupeKeys.filter((k) => counts[k] === 1).length
  log(
    `   ${pipeline.published}/${POSTS} published${pipeline.other > 0 ? ` (${pipeline.other} ended otherwise)` : ""} in ${pipeline.durationMs} ms ` +
      `= ${pipeline.postsPerSec} posts/s; accepted exactly once by the partner: ${acceptedOnce}/${POSTS}${pipeline.completed ? "" : " (TIMED OUT)"}`
  )

  // --- 2. raw pg-boss -------------------------------------------------------------------------
  log(`2. raw pg-boss: ${RAW_JOBS} no-op jobs, same database, same worker options, all due at one instant`)
  const raw = await noopJobs(RAW_JOBS, "raw")
  const ratio = raw.jobsPerSec > 0 ? pipeline.postsPerSec / raw.jobsPerSec : Number.NaN
  log(`   boss.work: ${RAW_JOBS} jobs in ${raw.durationMs} ms = ${raw.jobsPerSec} jobs/s; pipeline/raw = ${ratio.toFixed(3)}${raw.completed ? "" : " (TIMED OUT)"}`)
  const wrapped = await noopJobs(RAW_JOBS, "runWorker")
  log(`   the same through runWorker (decode, queue metrics, per-job settle): ${wrapped.durationMs} ms = ${wrapped.jobsPerSec} jobs/s${wrapped.completed ? "" : " (TIMED OUT)"}`)

  // --- 3. pause latency -----------------------------------------------------------------------
  const pauseTargets = await connectTenants("pause", Math.ceil(PAUSE_CONNECTIONS / PAUSE_PLATFORMS.length), PAUSE_PLATFORMS)
  const pauseSet = pauseTargets.slice(0, PAUSE_CONNECTIONS)
  log(`3. pause latency: ${pauseSet.length} connections (${PAUSE_PLATFORMS.join("/")}) with expired tokens and no refresh token, one post each, all due at one instant`)
  const pause = await pauseRun(pauseSet)
  const fmt = (m: Map<string, number>) => [...m].map(([k, v]) => `${k} ×${v}`).join(", ")
  log(`   failing partner calls: ${fmt(pause.failingStatuses)}; connections now: ${fmt(pause.reasons)}`)
  const pauseWritten = stats(pause.written)
  const pauseSeen = stats(pause.observed)
  log(`   auth error at the partner → pause written (paused_at): ${show(pauseWritten)}`)
  log(`   auth error at the partner → pause seen committed (5 ms poll): ${show(pauseSeen)}`)

  // --- 4. isolation under a 429 storm ---------------------------------------------------------
  // Fresh tenants of the same shape for each run, so each run counts only its own posts. Beside a
  // healthy neighbour of equal load is the control: it shows what sharing the workers costs by
  // itself, so what the storm adds on top can be read off.
  const healthyAlone = await connectTenants("healthy alone", 1, PUBLISH_PLATFORMS)
  const healthyControl = await connectTenants("healthy control", 1, PUBLISH_PLATFORMS)
  const neighbour = await connectTenants("healthy neighbour", 1, PUBLISH_PLATFORMS)
  const healthy = await connectTenants("healthy beside storm", 1, PUBLISH_PLATFORMS)
  const storm = await connectTenants("storm", 1, PUBLISH_PLATFORMS)
  const tenantOf = (targets: ReadonlyArray<BenchConnection>): string => targets[0]?.tenantId ?? ""
  const interleave = (a: ReadonlyArray<BenchConnection>, b: ReadonlyArray<BenchConnection>): ReadonlyArray<BenchConnection> => {
    const second = roundRobin(b, ISOLATION_POSTS)
    return roundRobin(a, ISOLATION_POSTS).flatMap((t, i) => {
      const other = second[i]
      return other === undefined ? [t] : [t, other]
    })
  }
  const timedOut = (run: BarrierRun): string => (run.completed ? "" : " (TIMED OUT)")
  log(`4. isolation: a healthy tenant alone, ${ISOLATION_POSTS} posts over ${PUBLISH_PLATFORMS.join("/")}`)
  const alone = await publishAtBarrier("healthy alone", roundRobin(healthyAlone, ISOLATION_POSTS), [tenantOf(healthyAlone)], ISOLATION_POSTS)
  log(`   alone: ${alone.published}/${ISOLATION_POSTS} in ${alone.durationMs} ms = ${alone.postsPerSec} posts/s${timedOut(alone)}`)
  log(`   control: another such tenant, its posts interleaved with ${ISOLATION_POSTS} posts of a healthy neighbour`)
  const besideHealthy = await publishAtBarrier("healthy control", interleave(healthyControl, neighbour), [tenantOf(healthyControl)], ISOLATION_POSTS)
  log(`   beside a healthy neighbour: ${besideHealthy.published}/${ISOLATION_POSTS} in ${besideHealthy.durationMs} ms = ${besideHealthy.postsPerSec} posts/s${timedOut(besideHealthy)}`)
  for (const t of storm) await control.addFault({ kind: "rate_limit", token: t.token })
  log(`   storm: another such tenant, its posts interleaved with ${ISOLATION_POSTS} posts of a tenant whose partner answers every call 429`)
  const beside = await publishAtBarrier("healthy beside storm", interleave(healthy, storm), [tenantOf(healthy)], ISOLATION_POSTS)
  const stormCalls = (await control.calls({ status: 429 })).filter((c) => c.at >= beside.startedAt && c.at <= beside.startedAt + beside.durationMs)
  const storm429PerSec = Math.round(stormCalls.length / (beside.durationMs / 1000))
  const isolation = alone.postsPerSec > 0 ? beside.postsPerSec / alone.postsPerSec : Number.NaN
  const sharing = alone.postsPerSec > 0 ? besideHealthy.postsPerSec / alone.postsPerSec : Number.NaN
  const stormVsControl = besideHealthy.postsPerSec > 0 ? beside.postsPerSec / besideHealthy.postsPerSec : Number.NaN
  log(
    `   beside the storm: ${beside.published}/${ISOLATION_POSTS} in ${beside.durationMs} ms = ${beside.postsPerSec} posts/s while the storm tenant drew ` +
      `${stormCalls.length} 429s (${storm429PerSec}/s)${timedOut(beside)}`
  )
  log(
    `   isolation (beside storm / alone) ${isolation.toFixed(3)}; sharing alone costs (beside healthy / alone) ${sharing.toFixed(3)}; ` +
      `the storm against the control (beside storm / beside healthy) ${stormVsControl.toFixed(3)}`
  )

  const loadAtEnd = loadAverage()
  log(`machine: load average (1 min) ${loadAtEnd.toFixed(2)} at the end of the measurements`)
  const completed =
    pipeline.completed && raw.completed && wrapped.completed && pause.run.completed && alone.completed && besideHealthy.completed && beside.completed
  return {
    bench: "publish",
    pipelinePostsPerSec: pipeline.postsPerSec,
    rawPgBossJobsPerSec: raw.jobsPerSec,
    pipelineToRawRatio: round(ratio, 3),
    pauseLatencyMsP50: pauseWritten.p50,
    pauseLatencyMsP99: pauseWritten.p99,
    pauseSeenMsP50: pauseSeen.p50,
    pauseSeenMsP99: pauseSeen.p99,
    healthyTenantPostsPerSecAlone: alone.postsPerSec,
    healthyTenantPostsPerSecBesideStorm: beside.postsPerSec,
    isolationRatio: round(isolation, 3),
    healthyTenantPostsPerSecBesideHealthy: besideHealthy.postsPerSec,
    sharingRatio: round(sharing, 3),
    stormVsControlRatio: round(stormVsControl, 3),
    posts: POSTS,
    durationMs: pipeline.durationMs,
    rawJobs: RAW_JOBS,
    runWorkerNoopJobsPerSec: wrapped.jobsPerSec,
    pauseConnections: pause.written.length,
    isolationPosts: ISOLATION_POSTS,
    storm429PerSec,
    simulator: sim.mode,
    loadAvg1mStart: round(loadAtStart, 2),
    loadAvg1mEnd: round(loadAtEnd, 2),
    worker: { batchSize: o.batchSize, localConcurrency: o.localConcurrency, pollingIntervalSeconds: o.pollingIntervalSeconds },
    completed
  }
})
