// The real process as `npm start` runs it: boots, serves, and shuts down cleanly on a signal, on an
// external PostgreSQL (DATABASE_URL) and on its own embedded one (data kept across restarts).
import { existsSync } from "node:fs"
import { chmod, mkdtemp, rm } from "node:fs/promises"
import os from "node:os"
import path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { freePort } from "../db/startEmbeddedPostgres.ts"
import { createTestDatabase, type TestDatabase } from "../test/db/testDatabase.ts"
import { API_MAIN, type ChildService, spawnProcess } from "../test/process/spawnProcess.ts"
import { secretsFrom } from "./auth/ApiSecrets.ts"
import { issueJwt } from "./auth/Jwt.ts"

const TOKEN_KEYS = `test:${Buffer.alloc(32, 3).toString("base64")}`
const AUTH_JWT_SECRET = "main-test-secret-0123456789abcdef-0123456789"

const start = async (env: Record<string, string>): Promise<ChildService & { readonly url: string }> => {
  const port = await freePort()
  const service = await spawnProcess(
    "api",
    { PORT: String(port), LOG_LEVEL: "info", PARTNER_SIMULATOR_URL: "http://127.0.0.1:9", ...env },
    { main: API_MAIN, readyMessage: "listening", startTimeoutMs: 60_000 }
  )
  return { ...service, url: `http://127.0.0.1:${port}` }
}

const stop = async (s: ChildService, signal: NodeJS.Signals): Promise<number | null> => (await s.kill(signal)).code

describe("npm start (api/main.ts)", () => {
  let t: TestDatabase
  beforeAll(async () => {
    t = await createTestDatabase({ migrate: false })
  })
  afterAll(async () => {
    await t.drop()
  })

  it("on DATABASE_URL: migrates, is ready, lists the taxonomy, and exits 0 after draining on SIGTERM", async () => {
    const s = await start({ DATABASE_URL: t.url, TOKEN_ENCRYPTION_KEYS: TOKEN_KEYS, AUTH_JWT_SECRET })
    try {
      const migrated = s.lines.find((l) => l["msg"] === "migrations applied")
      expect(migrated?.["migrations"]).toEqual(
        expect.arrayContaining(["2026_11_23_0001_tenants_connections_audit", "2026_11_23_0002_publish_pipeline"])
      )
      const ready = await fetch(`${s.url}/readyz`)
      expect(ready.status).toBe(200)
      const token = issueJwt(secretsFrom(AUTH_JWT_SECRET).jwtKey, { subject: "t", tenantId: crypto.randomUUID(), role: "member" }, Math.floor(Date.now() / 1000), 60)
      const list = (await (await fetch(`${s.url}/trpc/taxonomy.list`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
        result: { data: Array<unknown> }
      }
      expect(list.result.data).toHaveLength(23)
      expect((await fetch(`${s.url}/trpc/taxonomy.list`)).status).toBe(401)
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

  it("with nothing configured: runs the demo — an in-process simulator, a demo tenant with one channel per platform, a working development token", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "postd-demo-"))
    await chmod(dir, 0o711)
    const port = await freePort()
    const simulatorPort = await freePort()
    const service = await spawnProcess(
      "demo",
      { PORT: String(port), SIMULATOR_PORT: String(simulatorPort), DATA_DIR: path.join(dir, "data"), LOG_LEVEL: "info" },
      { main: API_MAIN, readyMessage: "demo ready", startTimeoutMs: 60_000 }
    )
    try {
      const ready = service.lines.find((l) => l["msg"] === "demo ready")
      expect(ready).toMatchObject({ simulator: `http://127.0.0.1:${simulatorPort}`, tenantId: expect.any(String) })
      expect(JSON.stringify(ready)).not.toMatch(/eyJ/)
      const token = /export POSTD_TOKEN=(\S+)/.exec(service.stderr())?.[1] ?? ""
      expect(token).toMatch(/^eyJ/)
      const res = await fetch(`http://127.0.0.1:${port}/trpc/connections.list`, { headers: { authorization: `Bearer ${token}` } })
      const list = (await res.json()) as { result: { data: Array<{ platform: string; status: string }> } }
      expect(list.result.data.map((c) => c.platform).sort()).toEqual(["gbp", "linkedin", "mailchimp", "meta", "tiktok"])
      expect(list.result.data.every((c) => c.status === "active")).toBe(true)
    } finally {
      expect((await service.kill("SIGTERM")).code).toBe(0)
      await rm(dir, { recursive: true, force: true })
    }
  })

  it("refuses bad configuration with a clear message and exit code 1", async () => {
    const started = start({ DATABASE_URL: t.url, TOKEN_ENCRYPTION_KEYS: TOKEN_KEYS, AUTH_JWT_SECRET, FLAGS_DEFAULTS: "NOT_A_FLAG=on" })
    await expect(started).rejects.toThrow(/FLAGS_DEFAULTS.*NOT_A_FLAG|NOT_A_FLAG.*FLAGS_DEFAULTS/s)
  })

})
