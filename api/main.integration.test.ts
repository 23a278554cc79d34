// The real process as `npm start` runs it: boots, serves, and shuts down cleanly on a signal, on an
// external PostgreSQL (DATABASE_URL) and on its own embedded one (data kept across restarts).
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync } from "node:fs"
import { chmod, mkdtemp, rm } from "node:fs/promises"
import os from "node:os"
import path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { freePort } from "../db/startEmbeddedPostgres.ts"
import { createTestDatabase, type TestDatabase } from "../test/db/testDatabase.ts"

const MAIN = path.resolve(import.meta.dirname, "main.ts")

interface Started {
  readonly child: ChildProcess
  readonly url: string
  readonly lines: Array<Record<string, unknown>>
  readonly exited: Promise<number | null>
}

const start = async (env: Record<string, string>): Promise<Started> => {
  const port = await freePort()
  const { DATABASE_URL: _ignored, ...inherited } = process.env
  const child = spawn(process.execPath, [MAIN], {
    env: { ...inherited, PORT: String(port), LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  const lines: Array<Record<string, unknown>> = []
  let stderr = ""
  let buffered = ""
  child.stdout?.on("data", (chunk: Buffer) => {
    buffered += chunk.toString("utf8")
    const parts = buffered.split("\n")
    buffered = parts.pop() ?? ""
    for (const part of parts) if (part.trim() !== "") lines.push(JSON.parse(part))
  })
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8")
  })
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
  const deadline = Date.now() + 60_000
  while (!lines.some((l) => l["msg"] === "listening")) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}: ${stderr}`)
    if (Date.now() > deadline) throw new Error(`server did not start: ${stderr}`)
    await new Promise((r) => setTimeout(r, 50))
  }
  return { child, url: `http://127.0.0.1:${port}`, lines, exited }
}

const stop = async (s: Started, signal: NodeJS.Signals): Promise<number | null> => {
  s.child.kill(signal)
  return s.exited
}

describe("npm start (api/main.ts)", () => {
  let t: TestDatabase
  beforeAll(async () => {
    t = await createTestDatabase({ migrate: false })
  })
  afterAll(async () => {
    await t.drop()
  })

  it("on DATABASE_URL: migrates, is ready, lists the taxonomy, and exits 0 after draining on SIGTERM", async () => {
    const s = await start({ DATABASE_URL: t.url })
    try {
      const migrated = s.lines.find((l) => l["msg"] === "migrations applied")
      expect(migrated?.["migrations"]).toEqual(
        expect.arrayContaining(["2026_11_23_0001_tenants_connections_audit", "2026_11_23_0002_publish_pipeline"])
      )
      const ready = await fetch(`${s.url}/readyz`)
      expect(ready.status).toBe(200)
      const list = (await (await fetch(`${s.url}/trpc/taxonomy.list`)).json()) as { result: { data: Array<unknown> } }
      expect(list.result.data).toHaveLength(23)
    } finally {
      expect(await stop(s, "SIGTERM")).toBe(0)
    }
    expect(s.lines).toContainEqual(expect.objectContaining({ msg: "shutdown complete", drained: true, abandoned: 0 }))
  })

  it("without DATABASE_URL: runs embedded PostgreSQL under DATA_DIR, stops it on SIGINT, keeps its data", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "postd-main-"))
    await chmod(dir, 0o711)
    const dataDir = path.join(dir, "data")
    try {
      const first = await start({ DATA_DIR: dataDir })
      expect((await fetch(`${first.url}/readyz`)).status).toBe(200)
      expect(first.lines).toContainEqual(expect.objectContaining({ msg: "migrations applied" }))
      expect(await stop(first, "SIGINT")).toBe(0)
      expect(first.lines).toContainEqual(expect.objectContaining({ msg: "embedded PostgreSQL stopped" }))
      expect(existsSync(path.join(dataDir, "pg", "PG_VERSION"))).toBe(true)
      expect(existsSync(path.join(dataDir, "pg", "postmaster.pid"))).toBe(false)

      const second = await start({ DATA_DIR: dataDir })
      expect((await fetch(`${second.url}/readyz`)).status).toBe(200)
      // The schema survived the restart: nothing left to migrate.
      expect(second.lines.some((l) => l["msg"] === "migrations applied")).toBe(false)
      expect(await stop(second, "SIGTERM")).toBe(0)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it("refuses bad configuration with a clear message and exit code 1", async () => {
    const port = await freePort()
    const child = spawn(process.execPath, [MAIN], {
      env: { ...process.env, PORT: String(port), DATABASE_URL: t.url, FLAGS_DEFAULTS: "NOT_A_FLAG=on" },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stderr = ""
    child.stderr?.on("data", (c: Buffer) => {
      stderr += c.toString("utf8")
    })
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve))
    expect(code).toBe(1)
    expect(stderr).toMatch(/FLAGS_DEFAULTS/)
    expect(stderr).toMatch(/NOT_A_FLAG/)
  })
})
