// Pausing, holding and resuming through the real pipeline, and the promise that no token is ever
// written in plaintext: not in a table, not in a log line, not in an error message.
import { Redacted } from "effect"
import { sql } from "kysely"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ConnectionRepo } from "../db/ConnectionRepo.ts"
import { PostRepo } from "../db/PostRepo.ts"
import { type Harness, startHarness, waitFor } from "../test/pipeline/PipelineHarness.ts"
import { Backfill } from "./Backfill.ts"
import { ConnectionRecovery } from "./ConnectionRecovery.ts"

const logLines: Array<string> = []
let h: Harness
beforeAll(async () => {
  h = await startHarness({ logLines })
})
afterAll(async () => {
  await h?.close()
})

describe("pause, hold and resume", () => {
  it("holds every post of a paused channel and, after a reconnect and an accepted backfill, publishes each once", async () => {
    const { tenantId, connectionId, token } = await h.connect("meta")
    await h.sim.control.expireToken(token)
    const first = await h.schedule(tenantId, connectionId)
    await waitFor(() => h.post(tenantId, first.id), (p) => p.status === "held")
    const later = [await h.schedule(tenantId, connectionId), await h.schedule(tenantId, connectionId)]
    for (const p of later) await waitFor(() => h.post(tenantId, p.id), (x) => x.status === "held")
    // Held posts are not failed and cost no partner call.
    expect(await h.sim.control.calls({ dedupeKey: later[0]?.dedupeKey ?? "", method: "POST" })).toHaveLength(0)

    // The user reconnects: new tokens are stored, then the channel resumes.
    const fresh = await h.sim.control.mintToken({ platform: "meta", accountIds: ["1000001"] })
    await h.run(
      ConnectionRepo.use((r) => r.storeTokens(tenantId, connectionId, { accessToken: Redacted.make(fresh.accessToken) }))
    )
    // A resume after a reconnect releases nothing by itself: the held posts wait for the user's choice.
    const released = await h.run(ConnectionRecovery.use((r) => r.resume(tenantId, connectionId, "user:test", "reconnect")))
    expect(released).toBe(0)
    expect((await h.run(ConnectionRepo.use((r) => r.get(tenantId, connectionId)))).status).toBe("active")
    expect(await h.run(PostRepo.use((r) => r.listHeld(connectionId)))).toHaveLength(3)
    const offer = await h.run(Backfill.use((b) => b.offer(tenantId, connectionId, new Date(0), "user:test")))
    expect(offer.missedCount).toBe(3)
    await h.run(Backfill.use((b) => b.accept(tenantId, offer.id, "user:test")))
    const counts = await (async () => {
      for (const p of [first, ...later]) await waitFor(() => h.post(tenantId, p.id), (x) => x.status === "published")
      return h.sim.control.postCounts()
    })()
    for (const p of [first, ...later]) expect(counts[p.dedupeKey]).toBe(1)
    const audit = await h.run(ConnectionRepo.use((r) => r.audit(tenantId, connectionId)))
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(["auto_pause", "resume"]))
  })

  it("pauses a revoked app as revoked and leaves its post held, not failed", async () => {
    const { tenantId, connectionId, token } = await h.connect("linkedin")
    await h.sim.control.revoke({ platform: "linkedin", token })
    const scheduled = await h.schedule(tenantId, connectionId)
    await waitFor(() => h.post(tenantId, scheduled.id), (p) => p.status === "held")
    expect(await h.run(ConnectionRepo.use((r) => r.get(tenantId, connectionId)))).toMatchObject({
      status: "revoked",
      pauseReason: "APP_DEAUTHORIZED"
    })
    expect((await h.run(PostRepo.use((r) => r.listHeld(connectionId)))).map((p) => p.id)).toEqual([scheduled.id])
  })

  it("writes no token in plaintext to any table or log line", async () => {
    const { tenantId, connectionId, token } = await h.connect("tiktok", { withRefreshToken: true })
    const refreshToken = Redacted.value((await h.run(ConnectionRepo.use((r) => r.refreshToken(tenantId, connectionId)))) ?? Redacted.make(""))
    expect(refreshToken).not.toBe("")
    // Refresh (expired token) and a failure path (a revoked app after that) both run.
    await h.sim.control.expireToken(token)
    const first = await h.schedule(tenantId, connectionId, { format: "video", mediaUrls: ["https://cdn.example.com/a.mp4"] })
    await waitFor(() => h.post(tenantId, first.id), (p) => p.status === "published")
    const renewed = await h.run(ConnectionRepo.use((r) => r.credentials(tenantId, connectionId)))
    const secrets = [token, refreshToken, Redacted.value(renewed.accessToken)]

    const tables = [
      "connections", "connection_audit", "posts", "publish_attempts", "dlq_entries", "rate_limit_buckets", "circuit_breakers",
      "oauth_state_uses", "backfill_offers"
    ]
    for (const table of tables) {
      const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(h.t.db)
      const text = JSON.stringify(rows.rows)
      for (const secret of secrets) expect(text, `${table} holds a plaintext token`).not.toContain(secret)
    }
    const pgBoss = await sql<{ data: unknown; output: unknown }>`select data, output from pgboss.job`.execute(h.t.db)
    for (const secret of secrets) expect(JSON.stringify(pgBoss.rows)).not.toContain(secret)
    expect(logLines.length).toBeGreaterThan(0)
    for (const secret of secrets) expect(logLines.join("\n")).not.toContain(secret)
  })
})
