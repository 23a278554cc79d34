// The synthetic health sweep's rate: real PostgreSQL, the real ping workers (jobs/Workers.ts), the
// partner simulator in a child process answering each platform's health-check calls. For each
// worker setting (PING_CONCURRENCY × PING_BATCH_SIZE, BENCH_PING_SETTINGS="4x10,8x20") one sweep over
// every connection, its budgets out of the way, timed from the sweep's start to the last recorded
// check; then how long a sweep of the same connections is spread over at the default budgets.
// Prints human-readable lines, then one JSON line with the figures.
import { Effect } from "effect"
import { sql } from "kysely"
import { PLATFORMS } from "../../core/taxonomy/Taxonomy.ts"
import { HealthChecks } from "../../jobs/HealthChecks.ts"
import { startWorkers } from "../../jobs/Workers.ts"
import {
  type BenchConnection,
  benchAccountId,
  benchConnect,
  benchEnvironment,
  benchRuntime,
  benchTenant,
  intFromEnv,
  loadAverage,
  log,
  round,
  runBench,
  show,
  stats,
  waitUntil
} from "./benchKit.ts"

const CONNECTIONS = intFromEnv("BENCH_PING_CONNECTIONS", 2_000)
const TENANTS = 20
const SETTINGS = (process.env["BENCH_PING_SETTINGS"] ?? "4x10,8x20").split(",").map((item) => {
  const [concurrency, batch] = item.split("x").map((n) => Number.parseInt(n, 10))
  if (concurrency === undefined || batch === undefined || !(concurrency > 0) || !(batch > 0)) {
    throw new Error(`BENCH_PING_SETTINGS: "${item}" is not <concurrency>x<batch size>`)
  }
  return { concurrency, batch }
})
const NO_BUDGET = PLATFORMS.map((p) => `${p}=1000000`).join(",")
const PHASE_TIMEOUT_MS = 120_000
const BUDGET_MS = 420_000
const LOG_FILE = process.env["BENCH_LOG_FILE"] ?? "/dev/null"

runBench(BUDGET_MS, async (run) => {
  const { loadAtStart, database, sim, db } = await benchEnvironment(run, "child")
  const control = sim.control
  const runtimeWith = (env: Readonly<Record<string, string>>) => benchRuntime({ databaseUrl: database.url, simulatorUrl: sim.url, logFile: LOG_FILE, env })

  // --- fixtures: every platform, healthy but for 5% behind a partner outage and 5% behind network resets
  const setup = runtimeWith({})
  await setup.runPromise(Effect.void) // builds the layers: the database is migrated
  const tenants: Array<string> = []
  for (let t = 0; t < TENANTS; t++) tenants.push(await benchTenant(db, "ping"))
  const connections: Array<BenchConnection> = []
  for (let i = 0; i < CONNECTIONS; i++) {
    const platform = PLATFORMS[i % PLATFORMS.length] ?? "meta"
    connections.push(await benchConnect(setup, control, { tenantId: tenants[i % TENANTS] ?? "", platform, accountId: benchAccountId(platform, 200_000 + i) }))
  }
  let outages = 0
  let resets = 0
  for (const [i, c] of connections.entries()) {
    if (i % 20 === 3) {
      await control.addFault({ kind: "http_5xx", token: c.token })
      outages += 1
    } else if (i % 20 === 4) {
      await control.addFault({ kind: "reset", token: c.token })
      resets += 1
    }
  }
  log(`${CONNECTIONS} connections over ${TENANTS} tenants × ${PLATFORMS.join("/")}; ${outages} behind a 5xx outage, ${resets} behind connection resets`)

  // Default budgets: how long the sweep of these connections is spread over (nothing runs them here).
  const spread = await setup.runPromise(HealthChecks.use((h) => h.sweep()))
  await sql`delete from pgboss.job where name = 'ping'`.execute(db)
  await setup.dispose()
  log(`at the default ping budgets (the per-platform RATE_LIMITS rates) the sweep of ${spread.scheduled} is spread over ${round(spread.spreadMs / 1000)} s`)

  const runs: Array<Record<string, number>> = []
  for (const setting of SETTINGS) {
    const rt = runtimeWith({ SYNTHETIC_PING_BUDGETS: NO_BUDGET, PING_CONCURRENCY: String(setting.concurrency), PING_BATCH_SIZE: String(setting.batch) })
    await startWorkers(rt)
    await db.updateTable("connections").set({ last_health_check_at: null, health_status: "unknown" }).execute()
    await db.deleteFrom("integration_health").execute()
    const started = Date.now()
    const report = await rt.runPromise(HealthChecks.use((h) => h.sweep()))
    const scheduledMs = Date.now() - started
    const completed = await waitUntil(
      async () => Number((await sql<{ n: string }>`select count(*) as n from connections where last_health_check_at is null`.execute(db)).rows[0]?.n) === 0,
      PHASE_TIMEOUT_MS,
      100
    )
    const { rows } = await sql<{ last: Date | null }>`select max(last_health_check_at) as last from connections`.execute(db)
    const durationMs = Math.max(1, (rows[0]?.last?.getTime() ?? Date.now()) - started)
    const checks = await db.selectFrom("integration_health").select("latency_ms").where("source", "=", "ping").execute()
    const latency = stats(checks.flatMap((r) => (r.latency_ms === null ? [] : [r.latency_ms])))
    const statuses = await db.selectFrom("connections").select(["health_status", (eb) => eb.fn.countAll<string>().as("n")]).groupBy("health_status").execute()
    const paused = Number((await sql<{ n: string }>`select count(*) as n from connections where status <> 'active'`.execute(db)).rows[0]?.n)
    await rt.dispose()
    const pingsPerSec = round(report.scheduled / (durationMs / 1000))
    log(
      `PING_CONCURRENCY=${setting.concurrency} PING_BATCH_SIZE=${setting.batch} (up to ${setting.concurrency * setting.batch} in flight): ` +
        `${report.scheduled} pings scheduled in ${scheduledMs} ms, all checked in ${durationMs} ms = ${pingsPerSec} pings/s${completed ? "" : " (TIMED OUT)"}`
    )
    log(
      `   check latency ${show(latency)}; ` +
        `health now ${statuses.map((s) => `${s.health_status} ×${s.n}`).join(", ")}; paused ${paused}`
    )
    runs.push({
      concurrency: setting.concurrency,
      batchSize: setting.batch,
      inFlightMax: setting.concurrency * setting.batch,
      pingsPerSec,
      durationMs,
      sweepSchedulingMs: scheduledMs,
      checkLatencyMsP50: latency.p50,
      checkLatencyMsP99: latency.p99,
      completed: completed && paused === 0 ? 1 : 0
    })
  }

  const loadAtEnd = loadAverage()
  log(`machine: load average (1 min) ${loadAtEnd.toFixed(2)} at the end of the measurements`)
  const best = runs.reduce((a, b) => ((b["pingsPerSec"] ?? 0) > (a["pingsPerSec"] ?? 0) ? b : a), runs[0] ?? {})
  return {
    bench: "pings",
    connections: CONNECTIONS,
    pingsPerSec: best["pingsPerSec"],
    concurrency: best["concurrency"],
    batchSize: best["batchSize"],
    runs,
    defaultBudgetSpreadSec: round(spread.spreadMs / 1000),
    loadAvg1mStart: round(loadAtStart, 2),
    loadAvg1mEnd: round(loadAtEnd, 2),
    completed: runs.every((r) => r["completed"] === 1)
  }
})
