// The synthetic sweep at scale, through real ping workers against the simulator: of 1,000
// connections, 10% with expired tokens and 5% missing the scope publishing needs are paused, and
// exactly those; 5% behind network faults are marked unknown and stay active; the rest are healthy.
import { sql } from "kysely"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { publishingScope } from "../core/health/HealthVerdict.ts"
import type { Platform } from "../core/taxonomy/Taxonomy.ts"
import { type Harness, startHarness, waitFor } from "../test/pipeline/PipelineHarness.ts"
import { HealthChecks } from "./HealthChecks.ts"

const CONNECTIONS = 1_000
const BUDGETS = "meta=100000,tiktok=100000,gbp=100000,linkedin=100000,mailchimp=100000"

let h: Harness
beforeAll(async () => {
  h = await startHarness({ env: { SYNTHETIC_PING_BUDGETS: BUDGETS, PING_CONCURRENCY: "8", PING_BATCH_SIZE: "20" } })
}, 300_000)
afterAll(async () => {
  await h?.close()
})

type Kind = "expired" | "scopeless" | "network" | "healthy"

const kindOf = (i: number): Kind => (i % 10 === 0 ? "expired" : i % 20 === 1 ? "scopeless" : i % 20 === 2 ? "network" : "healthy")

const accountFor = (platform: Platform, i: number): string =>
  platform === "meta" ? `5${String(i).padStart(9, "0")}` : platform === "gbp" ? `accounts/7${i}/locations/8${i}` : `open-sweep-${i}`

describe("the synthetic sweep", () => {
  it("is a pg-boss cron every 6 hours by default", async () => {
    const { rows } = await sql<{ cron: string; tz: string }>`select cron, timezone as tz from pgboss.schedule where name = 'health-sweep'`.execute(h.t.db)
    expect(rows).toEqual([{ cron: "0 */6 * * *", tz: "UTC" }])
  })

  it("over 1,000 connections pauses exactly the expired and scope-less ones, marks network faults unknown, and the rest healthy", async () => {
    const platforms: ReadonlyArray<Platform> = ["meta", "gbp", "tiktok"]
    const tenantId = await h.newTenant()
    const byConnection = new Map<string, Kind>()
    for (let i = 0; i < CONNECTIONS; i++) {
      const platform = platforms[i % platforms.length] ?? "meta"
      const accountId = accountFor(platform, i)
      const connected = await h.connect(platform, { tenantId, accountId })
      const kind = kindOf(i)
      byConnection.set(connected.connectionId, kind)
      if (kind === "expired") await h.sim.control.expireToken(connected.token)
      if (kind === "scopeless") await h.sim.control.removeScope({ token: connected.token, scope: publishingScope(platform, accountId) ?? "" })
      if (kind === "network") await h.sim.control.addFault({ kind: "reset", token: connected.token })
    }

    const started = performance.now()
    const report = await h.run(HealthChecks.use((c) => c.sweep()))
    expect(report).toMatchObject({ scheduled: CONNECTIONS, skippedByFlag: 0 })
    const rows = await waitFor(
      () => h.t.db.selectFrom("connections").select(["id", "status", "pause_reason", "health_status", "last_health_check_at"]).execute(),
      (all) => all.length === CONNECTIONS && all.every((c) => c.last_health_check_at !== null),
      240_000
    )
    const elapsedMs = performance.now() - started
    console.log(`swept ${CONNECTIONS} connections in ${Math.round(elapsedMs)} ms (${Math.round((CONNECTIONS / elapsedMs) * 1000)} pings/s)`)

    const expected = (kind: Kind) => [...byConnection].filter(([, k]) => k === kind).map(([id]) => id).sort()
    const paused = rows.filter((r) => r.status !== "active").map((r) => r.id).sort()
    expect(paused).toEqual([...expected("expired"), ...expected("scopeless")].sort())
    expect(expected("expired")).toHaveLength(100)
    expect(expected("scopeless")).toHaveLength(50)
    expect(expected("network")).toHaveLength(50)
    const byId = new Map(rows.map((r) => [r.id, r]))
    for (const id of expected("expired")) expect(byId.get(id)).toMatchObject({ status: "attention", pause_reason: "TOKEN_REFRESH_FAILED", health_status: "critical" })
    for (const id of expected("scopeless")) expect(byId.get(id)).toMatchObject({ status: "attention", pause_reason: "PERMISSION_INSUFFICIENT", health_status: "critical" })
    for (const id of expected("network")) expect(byId.get(id)).toMatchObject({ status: "active", health_status: "unknown" })
    for (const id of expected("healthy")) expect(byId.get(id)).toMatchObject({ status: "active", health_status: "healthy" })
    const health = await h.t.db.selectFrom("integration_health").select(["status", "source"]).where("source", "=", "ping").execute()
    expect(health).toHaveLength(CONNECTIONS)
  }, 600_000)
})
