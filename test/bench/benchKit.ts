// What every benchmark shares: numbers from the environment, percentiles, timestamped report lines,
// work spread over concurrent lanes, a watcher of when rows first show up, the fixtures (tenants,
// partner accounts, connections), the service's runtime wired to a bench database and the partner
// simulator, and the run itself — a time budget, clean-up in reverse order whatever happens, and the
// figures as one JSON object on the last line (exit 1 when a phase did not complete).
import { randomUUID } from "node:crypto"
import os from "node:os"
import { setTimeout as sleep } from "node:timers/promises"
import { ConfigProvider, ManagedRuntime } from "effect"
import type { Kysely } from "kysely"
import pino from "pino"
import { appLayer } from "../../api/appLayer.ts"
import type { SimulatorControl } from "../../chaos/simulator/SimulatorControl.ts"
import type { Platform } from "../../core/taxonomy/Taxonomy.ts"
import { makeKysely } from "../../db/Database.ts"
import type { DatabaseSchema } from "../../db/DatabaseSchema.ts"
import { DatabaseUrl } from "../../db/DatabaseUrl.ts"
import { Flags } from "../../flags/Flags.ts"
import { partnersLayer } from "../../jobs/connectors/PartnersLive.ts"
import { partnerEndpointsFor } from "../../jobs/connectors/PartnerEndpoints.ts"
import { makeLogger } from "../../observability/Logger.ts"
import { connectSimAccount, type SimConnection } from "../pipeline/simConnection.ts"
import { type BenchDatabase, createBenchDatabase } from "./benchDatabase.ts"
import { type BenchSimulator, type SimulatorMode, startBenchSimulator } from "./benchSimulator.ts"

export const intFromEnv = (name: string, fallback: number): number => {
  const value = Number.parseInt(process.env[name] ?? "", 10)
  return Number.isSafeInteger(value) && value > 0 ? value : fallback
}

/** Nearest-rank percentile; NaN for no values. */
const percentile = (values: ReadonlyArray<number>, p: number): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[index] ?? Number.NaN
}

export const round = (n: number, digits = 1): number => Number(n.toFixed(digits))

/** p50, p99 and max of `values` (milliseconds, to 0.1) and how many there were. */
export const stats = (values: ReadonlyArray<number>) => ({
  p50: round(percentile(values, 50)),
  p99: round(percentile(values, 99)),
  max: round(values.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY)),
  n: values.length
})
type Stats = ReturnType<typeof stats>
export const show = (s: Stats): string => `p50 ${s.p50} ms, p99 ${s.p99} ms, max ${s.max} ms over ${s.n}`

const runStarted = Date.now()

/** A report line, stamped with the seconds since the run started. */
export const log = (line: string): void => console.log(`[${((Date.now() - runStarted) / 1000).toFixed(1).padStart(6)} s] ${line}`)

/** Polls `done` every `intervalMs` until it holds (true) or `timeoutMs` passes (false). */
export const waitUntil = async (done: () => Promise<boolean>, timeoutMs: number, intervalMs: number): Promise<boolean> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await done()) return true
    if (Date.now() > deadline) return false
    await sleep(intervalMs)
  }
}

/** Runs `fn` over `items` with `concurrency` lanes, each taking the next item as soon as it is done with one. */
export const inLanes = async <A>(items: ReadonlyArray<A>, concurrency: number, fn: (item: A, index: number) => Promise<void>): Promise<void> => {
  let next = 0
  const lane = async (): Promise<void> => {
    for (let index = next++; index < items.length; index = next++) await fn(items[index] as A, index)
  }
  await Promise.all(Array.from({ length: concurrency }, lane))
}

/**
 * Polls `poll` (the ids it shows now) every 5 ms until each of `ids` has shown up or `timeoutMs`
 * passes; resolves to when each was first seen, by `clock`. The first poll is sent at once, so start
 * the watch before whatever it watches for. An upper bound on when a commit became visible.
 */
export const watchFirstSeen = async (
  ids: ReadonlyArray<string>,
  poll: () => Promise<ReadonlyArray<string>>,
  options: { readonly clock: () => number; readonly timeoutMs: number }
): Promise<ReadonlyMap<string, number>> => {
  const seenAt = new Map<string, number>()
  const deadline = Date.now() + options.timeoutMs
  while (seenAt.size < ids.length && Date.now() < deadline) {
    const shown = await poll()
    const now = options.clock()
    for (const id of shown) if (!seenAt.has(id)) seenAt.set(id, now)
    await sleep(5)
  }
  return seenAt
}

/** The 1-minute load average: the machine may be shared, and this says how much of it the figures had. */
export const loadAverage = (): number => os.loadavg()[0] ?? 0

const machine = (): string => `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`

const BENCH_TOKEN_KEYS = `bench:${Buffer.alloc(32, 7).toString("base64")}`
const BENCH_JWT_SECRET = "bench-secret-0123456789abcdef-0123456789abcdef"

/**
 * The service as the worker process builds it, against the bench database and the simulator:
 * production logging (JSON at info) written to `logFile`, the production Prometheus recorder, static
 * flags, and `env` on top of the keys every run needs.
 */
export const benchRuntime = (options: {
  readonly databaseUrl: string
  readonly simulatorUrl: string
  readonly logFile: string
  readonly env?: Readonly<Record<string, string>>
}) =>
  ManagedRuntime.make(
    appLayer({
      databaseUrl: DatabaseUrl.fromUrl(options.databaseUrl),
      partners: partnersLayer(partnerEndpointsFor(options.simulatorUrl)),
      logger: makeLogger({ level: "info", destination: pino.destination({ dest: options.logFile, sync: false }), service: "bench" }),
      flags: Flags.layerTest({}),
      config: ConfigProvider.fromEnvRecord({
        TOKEN_ENCRYPTION_KEYS: BENCH_TOKEN_KEYS,
        AUTH_JWT_SECRET: BENCH_JWT_SECRET,
        PARTNER_SIMULATOR_URL: options.simulatorUrl,
        ...options.env
      })
    })
  )
type BenchRuntime = ReturnType<typeof benchRuntime>

export interface BenchRun {
  /** Registers a clean-up step; steps run last-registered first when the run ends, however it ends. */
  readonly defer: (name: string, step: () => Promise<unknown>) => void
}

/**
 * Runs a benchmark: `main` returns its figures (with `completed: boolean`), printed as the last line.
 * Past `budgetMs` the run is cleaned up and stops with exit code 1.
 */
export const runBench = (budgetMs: number, main: (run: BenchRun) => Promise<Record<string, unknown>>): void => {
  const steps: Array<readonly [string, () => Promise<unknown>]> = []
  let cleaned = false
  const cleanup = async (): Promise<void> => {
    if (cleaned) return
    cleaned = true
    for (const [name, step] of steps.reverse()) {
      await step().catch((e: unknown) => console.error(`clean-up of ${name} failed: ${e instanceof Error ? e.message : String(e)}`))
    }
    log(`cleaned up: ${steps.map(([name]) => name).join(", ")}`)
  }
  const watchdog = setTimeout(() => {
    console.error(`the benchmark exceeded its budget of ${budgetMs / 1000} s; stopping`)
    void cleanup().finally(() => process.exit(1))
  }, budgetMs)
  watchdog.unref()
  const run: BenchRun = { defer: (name, step) => void steps.push([name, step]) }
  main(run)
    .finally(async () => {
      await cleanup()
      clearTimeout(watchdog)
    })
    .then(
      (result) => {
        console.log(JSON.stringify({ ...result, totalRunMs: Date.now() - runStarted }))
        process.exit(result["completed"] === true ? 0 : 1)
      },
      (e: unknown) => {
        console.error(e instanceof Error ? (e.stack ?? e.message) : String(e))
        process.exit(1)
      }
    )
}

export type BenchConnection = SimConnection

/**
 * A partner account id in `platform`'s shape, distinct for each `n`: give each benchmark its own base
 * (100_000 and up keeps clear of the simulator's own accounts) and add a sequence number.
 */
export const benchAccountId = (platform: Platform, n: number): string => {
  switch (platform) {
    case "meta":
      return String(1_000_000 + n)
    case "linkedin":
      return `urn:li:organization:${2_000_000 + n}`
    case "tiktok":
      return `sim-open-id-bench-${n}`
    case "gbp":
      return `accounts/3000001/locations/${4_000_000 + n}`
    case "mailchimp":
      return `us1:${n.toString(16).padStart(10, "0")}`
  }
}

/** A tenant row, as the API would have made it. */
export const benchTenant = async (db: Kysely<DatabaseSchema>, label: string): Promise<string> => {
  const id = randomUUID()
  await db.insertInto("tenants").values({ id, name: `bench ${label} ${id.slice(0, 8)}` }).execute()
  return id
}

/** The partner account (created in the simulator when new), a token for it, and the connection holding it. */
export const benchConnect = (
  rt: BenchRuntime,
  control: SimulatorControl,
  input: { readonly tenantId: string; readonly platform: Platform; readonly accountId: string; readonly userId?: string }
): Promise<BenchConnection> => connectSimAccount((effect) => rt.runPromise(effect), control, { ...input, brandId: "brand-bench", createAccount: true })

export interface BenchEnvironment {
  /** The 1-minute load average before the run. */
  readonly loadAtStart: number
  readonly database: BenchDatabase
  readonly sim: BenchSimulator
  /** A small pool of the benchmark's own, for fixtures and for watching. */
  readonly db: Kysely<DatabaseSchema>
}

/** The machine reported, a fresh database, the partner simulator and an observer pool, each cleaned up with the run. */
export const benchEnvironment = async (run: BenchRun, mode: SimulatorMode): Promise<BenchEnvironment> => {
  const loadAtStart = loadAverage()
  log(`machine: ${machine()}, load average (1 min) ${loadAtStart.toFixed(2)} before the run`)
  const database = await createBenchDatabase(process.env["DATABASE_URL"])
  run.defer("database", database.drop)
  log(`database: ${database.description}`)
  const sim = await startBenchSimulator(mode)
  run.defer("simulator", sim.close)
  log(`partner simulator: ${sim.mode === "child" ? "child process" : "in this process"} at ${sim.url}`)
  const db = makeKysely(database.url, 3)
  run.defer("observer pool", () => db.destroy())
  return { loadAtStart, database, sim, db }
}
