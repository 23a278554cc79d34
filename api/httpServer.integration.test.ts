import { Writable } from "node:stream"
import { ConfigProvider, ManagedRuntime } from "effect"
import pg from "pg"
import pino from "pino"
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest"
import { ERROR_CODES } from "../core/taxonomy/Taxonomy.ts"
import { DatabaseUrl } from "../db/DatabaseUrl.ts"
import { partnersLayer } from "../jobs/connectors/PartnersLive.ts"
import { partnerEndpointsFor } from "../jobs/connectors/PartnerEndpoints.ts"
import { MetricRecorder } from "../observability/MetricRecorder.ts"
import { createTestDatabase, type TestDatabase } from "../test/db/testDatabase.ts"
import { appLayer } from "./appLayer.ts"
import { secretsFrom } from "./auth/ApiSecrets.ts"
import { issueJwt } from "./auth/Jwt.ts"
import type { AppServices } from "./AppServices.ts"
import { createClient } from "./client.ts"
import { type RunningHttpServer, startHttpServer } from "./httpServer.ts"
import { databaseReadiness } from "./readiness.ts"

const JWT_SECRET = "http-server-test-secret-0123456789abcdef0123"
const token = issueJwt(secretsFrom(JWT_SECRET).jwtKey, { subject: "user-1", tenantId: crypto.randomUUID(), role: "member" }, Math.floor(Date.now() / 1000), 3_600)
const authorization = { authorization: `Bearer ${token}` }

const logLines: Array<Record<string, unknown>> = []
const logger = pino(
  { base: null },
  new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString("utf8").split("\n")) if (line !== "") logLines.push(JSON.parse(line))
      done()
    }
  })
)

let t: TestDatabase
let runtime: ManagedRuntime.ManagedRuntime<AppServices, unknown>
let server: RunningHttpServer

// Makes the test database refuse every connection, as a database outage would.
const setDatabaseReachable = async (reachable: boolean) => {
  const admin = new pg.Client({ connectionString: inject("adminDatabaseUrl") })
  await admin.connect()
  try {
    await admin.query(`alter database ${t.name} with allow_connections ${reachable}`)
    if (!reachable) await admin.query("select pg_terminate_backend(pid) from pg_stat_activity where datname = $1", [t.name])
  } finally {
    await admin.end()
  }
}

beforeAll(async () => {
  t = await createTestDatabase()
  runtime = ManagedRuntime.make(
    appLayer({
      databaseUrl: DatabaseUrl.fromUrl(t.url),
      partners: partnersLayer(partnerEndpointsFor("http://127.0.0.1:9")),
      logger,
      config: ConfigProvider.fromEnvRecord({ TOKEN_ENCRYPTION_KEYS: `test:${Buffer.alloc(32, 1).toString("base64")}`, AUTH_JWT_SECRET: JWT_SECRET })
    })
  )
  server = await startHttpServer({
    runtime,
    logger,
    port: 0,
    host: "127.0.0.1",
    readiness: databaseReadiness(runtime),
    metrics: () => runtime.runPromise(MetricRecorder.use((m) => m.scrape))
  })
})
afterAll(async () => {
  await server.close(1_000)
  await runtime.dispose()
  await t.drop()
})

describe("HTTP server", () => {
  it("answers /healthz without touching the database", async () => {
    const res = await fetch(`${server.url}/healthz`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: "ok" })
  })

  it("answers /readyz 200 when the database answers and 503 when it does not", async () => {
    const ok = await fetch(`${server.url}/readyz`)
    expect(ok.status).toBe(200)
    expect(await ok.json()).toEqual({ ready: true, checks: { database: "ok" } })
    await setDatabaseReachable(false)
    try {
      const down = await fetch(`${server.url}/readyz`)
      expect(down.status).toBe(503)
      expect(await down.json()).toEqual({ ready: false, checks: { database: "unreachable" } })
    } finally {
      await setDatabaseReachable(true)
    }
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200)
  })

  it("lists the 23 taxonomy entries through the typed tRPC client", async () => {
    const client = createClient(`${server.url}/trpc`, token)
    const entries = await client.taxonomy.list.query()
    expect(entries).toHaveLength(23)
    expect(entries.map((e) => e.code)).toEqual([...ERROR_CODES])
    expect(entries.find((e) => e.code === "RATE_LIMIT_429")).toMatchObject({
      action: "RETRY_AFTER_WINDOW",
      retryable: true,
      maxRetries: 4,
      backoffBaseMs: 1000,
      backoffMultiplier: 2
    })
  })

  it("answers an unknown procedure with a typed NOT_FOUND", async () => {
    const res = await fetch(`${server.url}/trpc/taxonomy.nothing`)
    expect(res.status).toBe(404)
    const body = (await res.json()) as { error: { data: { code: string } } }
    expect(body.error.data.code).toBe("NOT_FOUND")
  })

  it("echoes a well-formed x-request-id, replaces a malformed one, and logs each request with it", async () => {
    const given = await fetch(`${server.url}/healthz`, { headers: { "x-request-id": "req-abc.123" } })
    expect(given.headers.get("x-request-id")).toBe("req-abc.123")
    const bad = await fetch(`${server.url}/healthz`, { headers: { "x-request-id": "a b\tc" } })
    const replaced = bad.headers.get("x-request-id")
    expect(replaced).toMatch(/^[0-9a-f-]{36}$/)
    await new Promise((r) => setTimeout(r, 20))
    const lines = logLines.filter((l) => l["msg"] === "request")
    expect(lines).toContainEqual(expect.objectContaining({ requestId: "req-abc.123", route: "/healthz", status: 200 }))
    expect(lines).toContainEqual(expect.objectContaining({ requestId: replaced, route: "/healthz" }))
  })

  it("serves Prometheus text on /metrics", async () => {
    await runtime.runPromise(
      MetricRecorder.use((m) => m.increment("classifier.classifications", { platform: "meta", code: "AUTH_EXPIRED", action: "REFRESH_TOKEN" }))
    )
    const res = await fetch(`${server.url}/metrics`)
    expect(res.status).toBe(200)
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/)
    expect(await res.text()).toMatch(/classifier_classifications_total\{[^}]*code="AUTH_EXPIRED"[^}]*\} 1/)
  })

  it("counts requests by method, route and status, never by a made-up path", async () => {
    await fetch(`${server.url}/trpc/taxonomy.list`, { headers: authorization })
    await fetch(`${server.url}/trpc/taxonomy.list`)
    await fetch(`${server.url}/trpc/made.up.procedure-123`)
    await fetch(`${server.url}/some/random/path/42`)
    await new Promise((r) => setTimeout(r, 50))
    const text = await (await fetch(`${server.url}/metrics`)).text()
    expect(text).toMatch(/http_server_requests_total\{[^}]*route="trpc:taxonomy.list"[^}]*status="200"[^}]*\} [1-9]/)
    expect(text).toMatch(/http_server_requests_total\{[^}]*route="trpc:taxonomy.list"[^}]*status="401"[^}]*\} [1-9]/)
    expect(text).toMatch(/http_server_requests_total\{[^}]*route="trpc:unknown"[^}]*status="404"[^}]*\} [1-9]/)
    expect(text).toMatch(/http_server_requests_total\{[^}]*route="unmatched"[^}]*\} [1-9]/)
    expect(text).toMatch(/http_server_duration_ms_bucket\{/)
    expect(text).not.toMatch(/made\.up|random\/path/)
  })

  it("answers unknown paths 404 and non-GET on plain routes 405", async () => {
    expect((await fetch(`${server.url}/nope`)).status).toBe(404)
    expect((await fetch(`${server.url}/healthz`, { method: "POST" })).status).toBe(405)
  })

  it("has no webhook route for a platform whose secret is not configured: 404, never an unchecked route", async () => {
    for (const platform of ["meta", "linkedin", "tiktok", "gbp", "mailchimp"]) {
      const res = await fetch(`${server.url}/api/webhooks/${platform}`, { method: "POST", body: "{}" })
      expect(`${res.status} ${await res.text()}`).toBe(`404 {"error":"webhooks for ${platform} are not configured"}`)
    }
  })

  it("refuses to start with a webhook setting out of range, naming it", async () => {
    const misconfigured = ManagedRuntime.make(
      appLayer({
        databaseUrl: DatabaseUrl.fromUrl(t.url),
        partners: partnersLayer(partnerEndpointsFor("http://127.0.0.1:9")),
        logger,
        config: ConfigProvider.fromEnvRecord({
          TOKEN_ENCRYPTION_KEYS: `test:${Buffer.alloc(32, 1).toString("base64")}`,
          AUTH_JWT_SECRET: JWT_SECRET,
          WEBHOOK_TOLERANCE_SECONDS: "0"
        })
      })
    )
    try {
      await expect(
        startHttpServer({ runtime: misconfigured, logger, port: 0, host: "127.0.0.1", readiness: databaseReadiness(misconfigured) })
      ).rejects.toThrow(/WEBHOOK_TOLERANCE_SECONDS/)
    } finally {
      await misconfigured.dispose()
    }
  })
})
