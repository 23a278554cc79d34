// One synthetic ping, and the sweep's choices, against the simulator and real PostgreSQL. The
// harness runs no workers here: each ping is called directly and the sweep's jobs are read back
// from pg-boss, so what a ping did is what the test sees.
import { Redacted } from "effect"
import { sql } from "kysely"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { CircuitBreakerStore } from "../db/CircuitBreakerStore.ts"
import { ConnectionRepo } from "../db/ConnectionRepo.ts"
import { IntegrationHealthRepo } from "../db/IntegrationHealthRepo.ts"
import { type Harness, startHarness } from "../test/pipeline/PipelineHarness.ts"
import { HealthChecks } from "./HealthChecks.ts"

const PINGS_OFF_TENANT = "00000000-0000-4000-8000-0000000000a1"
const AUTOPAUSE_OFF_TENANT = "00000000-0000-4000-8000-0000000000a2"
const RESET_TIMEOUT_MS = 200

let h: Harness
beforeAll(async () => {
  h = await startHarness({
    workers: false,
    env: { SYNTHETIC_PING_BUDGETS: "tiktok=60", BREAKER_RESET_TIMEOUT_MS: String(RESET_TIMEOUT_MS) },
    tenantFlags: {
      [PINGS_OFF_TENANT]: { SYNTHETIC_PINGS_ENABLED: false },
      [AUTOPAUSE_OFF_TENANT]: { RECOVERY_AUTOPAUSE_ENABLED: false }
    }
  })
}, 300_000)
afterAll(async () => {
  await h?.close()
})

const ping = (tenantId: string, connectionId: string) => h.run(HealthChecks.use((c) => c.ping(tenantId, connectionId)))
const connection = (tenantId: string, connectionId: string) => h.run(ConnectionRepo.use((r) => r.get(tenantId, connectionId)))
const healthRows = (tenantId: string, connectionId: string) => h.run(IntegrationHealthRepo.use((r) => r.forConnection(tenantId, connectionId)))
const storedAccessToken = async (tenantId: string, connectionId: string) =>
  Redacted.value((await h.run(ConnectionRepo.use((r) => r.credentials(tenantId, connectionId)))).accessToken)
/** TikTok's token endpoint as the simulator logged it: every exchange and refresh. */
const tokenCalls = () => h.sim.control.calls({ platform: "tiktok", pathContains: "/oauth/token" })
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The ping jobs the sweep queued, oldest first, with how long after now each may start. */
const queuedPings = async () => {
  const { rows } = await sql<{ data: { tenantId: string; connectionId: string; reason: string }; wait_ms: number }>`
    select data, extract(epoch from (start_after - now())) * 1000 as wait_ms
    from pgboss.job where name = 'ping' and state = 'created' order by start_after`.execute(h.t.db)
  return rows.map((r) => ({ ...r.data, waitMs: Number(r.wait_ms) }))
}

describe("a synthetic ping", () => {
  it("records a healthy channel with its latency and the check time", async () => {
    const { tenantId, connectionId } = await h.connect("meta")
    expect(await ping(tenantId, connectionId)).toEqual({ kind: "checked", status: "healthy", code: undefined, paused: false })
    const after = await connection(tenantId, connectionId)
    expect(after).toMatchObject({ status: "active", healthStatus: "healthy" })
    expect(after.lastHealthCheckAt).not.toBeNull()
    const [row] = await healthRows(tenantId, connectionId)
    expect(row).toMatchObject({ status: "healthy", source: "ping", errorCode: null })
    expect(row?.latencyMs).toBeGreaterThanOrEqual(0)
    // A second sweep's ping within the hour (overlapping sweeps) checks nothing again.
    expect(await ping(tenantId, connectionId)).toEqual({ kind: "skipped", why: "checked recently" })
    expect(await healthRows(tenantId, connectionId)).toHaveLength(1)
  })

  it("refreshes a token that expires within 24 h before it does, and the channel stays healthy", async () => {
    const { tenantId, connectionId, token } = await h.connect("tiktok", { withRefreshToken: true, expiresInSec: 3_600 })
    const before = await connection(tenantId, connectionId)
    expect(await ping(tenantId, connectionId)).toMatchObject({ kind: "checked", status: "healthy" })
    const after = await connection(tenantId, connectionId)
    expect(after.tokenExpiresAt?.getTime()).toBeGreaterThan((before.tokenExpiresAt?.getTime() ?? 0) + 3_600_000)
    expect(after.status).toBe("active")
    // The old access token is the one the refresh replaced: the stored credentials are new.
    expect(await storedAccessToken(tenantId, connectionId)).not.toBe(token)
  })

  it("renews an access token the partner already expired, once, when the connection holds a refresh token", async () => {
    const { tenantId, connectionId, token } = await h.connect("tiktok", { withRefreshToken: true })
    await h.sim.control.expireToken(token)
    const refreshesBefore = (await tokenCalls()).length
    expect(await ping(tenantId, connectionId)).toMatchObject({ kind: "checked", status: "healthy", paused: false })
    expect((await connection(tenantId, connectionId)).status).toBe("active")
    expect((await tokenCalls()).length).toBe(refreshesBefore + 1)
    expect(await storedAccessToken(tenantId, connectionId)).not.toBe(token)
  })

  it("pauses a channel whose token the user revoked, with the taxonomy code, an audit row and a critical health row", async () => {
    const { tenantId, connectionId, token } = await h.connect("meta")
    await h.sim.control.revoke({ platform: "meta", token })
    expect(await ping(tenantId, connectionId)).toMatchObject({ kind: "checked", status: "critical", code: "APP_DEAUTHORIZED", paused: true })
    expect(await connection(tenantId, connectionId)).toMatchObject({ status: "revoked", pauseReason: "APP_DEAUTHORIZED", healthStatus: "critical" })
    const audit = await h.t.db.selectFrom("connection_audit").select(["actor", "action", "details"]).where("connection_id", "=", connectionId).execute()
    expect(audit).toContainEqual(expect.objectContaining({ actor: "ping", action: "auto_pause", details: expect.objectContaining({ status: "revoked", reason_code: "APP_DEAUTHORIZED" }) }))
    expect((await healthRows(tenantId, connectionId))[0]).toMatchObject({ status: "critical", errorCode: "APP_DEAUTHORIZED" })
  })

  it("with auto-pause off for the tenant, marks the channel critical and leaves it active", async () => {
    const { connectionId, token } = await h.connect("meta", { tenantId: await h.newTenant(AUTOPAUSE_OFF_TENANT) })
    await h.sim.control.revoke({ platform: "meta", token })
    expect(await ping(AUTOPAUSE_OFF_TENANT, connectionId)).toMatchObject({ status: "critical", code: "APP_DEAUTHORIZED", paused: false })
    expect(await connection(AUTOPAUSE_OFF_TENANT, connectionId)).toMatchObject({ status: "active", healthStatus: "critical" })
  })

  it("marks a partner outage a warning and throttling a warning, without pausing", async () => {
    const outage = await h.connect("gbp")
    await h.sim.control.addFault({ kind: "http_5xx", token: outage.token })
    expect(await ping(outage.tenantId, outage.connectionId)).toMatchObject({ status: "warning", paused: false })
    const throttled = await h.connect("meta")
    await h.sim.control.addFault({ kind: "rate_limit", token: throttled.token })
    expect(await ping(throttled.tenantId, throttled.connectionId)).toMatchObject({ status: "warning", paused: false })
    for (const c of [outage, throttled]) expect((await connection(c.tenantId, c.connectionId)).status).toBe("active")
  })

  it("gives a channel the breaker paused the breaker's probe: reopened while the partner fails, resumed once it answers", async () => {
    const { tenantId, connectionId, token } = await h.connect("gbp")
    for (let i = 0; i < 5; i++) await h.run(CircuitBreakerStore.use((b) => b.recordFailure(connectionId, "PARTNER_UNAVAILABLE")))
    await h.run(ConnectionRepo.use((r) => r.autoPause(tenantId, connectionId, "CIRCUIT_BREAKER_OPEN", "system")))
    expect(await ping(tenantId, connectionId)).toEqual({ kind: "probed", result: "waiting" })

    const fault = await h.sim.control.addFault({ kind: "http_5xx", token })
    await sleep(RESET_TIMEOUT_MS + 50)
    expect(await ping(tenantId, connectionId)).toEqual({ kind: "probed", result: "reopened" })
    expect((await connection(tenantId, connectionId)).status).toBe("attention")

    await h.sim.control.removeFault(fault.id)
    await sleep(RESET_TIMEOUT_MS + 50)
    expect(await ping(tenantId, connectionId)).toEqual({ kind: "probed", result: "resumed" })
    expect(await connection(tenantId, connectionId)).toMatchObject({ status: "active", pauseReason: null, healthStatus: "healthy" })
    expect((await h.run(CircuitBreakerStore.use((b) => b.get(connectionId)))).status).toBe("closed")
    expect((await healthRows(tenantId, connectionId)).map((r) => [r.source, r.status])).toEqual([
      ["probe", "healthy"],
      ["probe", "warning"]
    ])
  })

  it("leaves a channel paused for another reason alone", async () => {
    const { tenantId, connectionId } = await h.connect("meta")
    await h.run(ConnectionRepo.use((r) => r.autoPause(tenantId, connectionId, "AUTH_EXPIRED", "system")))
    expect(await ping(tenantId, connectionId)).toEqual({ kind: "skipped", why: "attention" })
    expect(await healthRows(tenantId, connectionId)).toEqual([])
  })
})

describe("the sweep", () => {
  it("queues one ping per active or breaker-paused connection of the enabled tenants, spread within the platform's budget, and flags the stale", async () => {
    await h.t.db.updateTable("connections").set({ status: "revoked", pause_reason: "APP_DEAUTHORIZED" }).where("status", "=", "active").execute()
    const tenantId = await h.newTenant()
    const active = []
    for (let i = 0; i < 4; i++) active.push(await h.connect("tiktok", { tenantId, accountId: `open-spread-${i}` }))
    const staleOne = active[0]?.connectionId ?? ""
    await h.t.db.updateTable("connections").set({ last_health_check_at: sql<Date>`now() - interval '8 hours'` }).where("id", "=", staleOne).execute()
    const breakerPaused = await h.connect("gbp", { tenantId })
    await h.run(ConnectionRepo.use((r) => r.autoPause(tenantId, breakerPaused.connectionId, "CIRCUIT_BREAKER_OPEN", "system")))
    const otherPause = await h.connect("meta", { tenantId })
    await h.run(ConnectionRepo.use((r) => r.autoPause(tenantId, otherPause.connectionId, "AUTH_EXPIRED", "system")))
    const off = await h.connect("meta", { tenantId: await h.newTenant(PINGS_OFF_TENANT) })
    await sql`delete from pgboss.job where name = 'ping'`.execute(h.t.db)

    const report = await h.run(HealthChecks.use((c) => c.sweep()))
    expect(report).toMatchObject({ scheduled: 5, skippedByFlag: 1, stale: 1 })
    const jobs = await queuedPings()
    expect(jobs.map((j) => j.connectionId).sort()).toEqual([...active.map((c) => c.connectionId), breakerPaused.connectionId].sort())
    expect(jobs.every((j) => j.reason === "sweep")).toBe(true)
    expect(jobs.some((j) => j.connectionId === off.connectionId)).toBe(false)
    // tiktok=60 a minute: the n-th TikTok ping waits n seconds.
    const tiktokWaits = jobs.filter((j) => j.connectionId !== breakerPaused.connectionId).map((j) => j.waitMs)
    expect(report.spreadMs).toBe(3_000)
    expect(Math.max(...tiktokWaits)).toBeGreaterThan(2_000)
    expect(Math.min(...tiktokWaits)).toBeLessThan(1_000)
    const [staleRow] = await healthRows(tenantId, staleOne)
    expect(staleRow).toMatchObject({ status: "warning", source: "sweep" })
    expect((await connection(tenantId, staleOne)).healthStatus).toBe("warning")
  })
})
