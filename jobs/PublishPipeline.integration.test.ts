// The publish pipeline end to end: real PostgreSQL, real pg-boss workers, real HTTP to the partner
// simulator. Each test uses its own tenant and connection, so faults and counts never collide.
import { Redacted } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ConnectionRepo } from "../db/ConnectionRepo.ts"
import { DlqRepo } from "../db/DlqRepo.ts"
import { findPoint, MetricRecorder } from "../observability/MetricRecorder.ts"
import { type Harness, startHarness, waitFor } from "../test/pipeline/PipelineHarness.ts"

const AUTOPAUSE_OFF_TENANT = "00000000-0000-4000-8000-00000000a0ff"

let h: Harness
beforeAll(async () => {
  h = await startHarness({
    env: { BREAKER_RESET_TIMEOUT_MS: "1500" },
    tenantFlags: { [AUTOPAUSE_OFF_TENANT]: { RECOVERY_AUTOPAUSE_ENABLED: false } }
  })
})
afterAll(async () => {
  await h?.close()
})

/** Partner calls that carried this post's dedupe key: every publish attempt sends it. */
const publishCalls = async (dedupeKey: string) => (await h.sim.control.calls({ dedupeKey, method: "POST" })).length

describe("the publish pipeline", () => {
  it("publishes a post once and records the attempt", async () => {
    const { tenantId, connectionId } = await h.connect("linkedin")
    const scheduled = await h.schedule(tenantId, connectionId)
    const done = await waitFor(() => h.post(tenantId, scheduled.id), (p) => p.status === "published")
    expect(done.partnerPostId).toMatch(/^urn:li:share:/)
    expect((await h.sim.control.postCounts())[scheduled.dedupeKey]).toBe(1)
    const attempts = await h.attemptsUntil(tenantId, scheduled.id, "published")
    expect(attempts.map((a) => a.outcome)).toEqual(["published"])
  })

  it("records each attempt in the metric catalogue, labelled by platform and never by an id", async () => {
    const { tenantId, connectionId } = await h.connect("mailchimp")
    const scheduled = await h.schedule(tenantId, connectionId)
    await waitFor(() => h.post(tenantId, scheduled.id), (p) => p.status === "published")
    // The counters follow the status write by a moment: wait for them, bounded.
    const points = await waitFor(
      () => h.run(MetricRecorder.use((m) => m.snapshot)),
      (ps) => findPoint(ps, "connector.publish.success", { platform: "mailchimp" }) !== undefined
    )
    const success = findPoint(points, "connector.publish.success", { platform: "mailchimp" })
    expect(success?.kind === "counter" ? success.value : 0).toBeGreaterThanOrEqual(1)
    const latency = findPoint(points, "connector.publish.latency_ms", { platform: "mailchimp", outcome: "success" })
    expect(latency?.kind === "histogram" ? latency.count : 0).toBeGreaterThanOrEqual(1)
    const waited = findPoint(points, "queue.wait_ms", { queue: "publish" })
    expect(waited?.kind === "histogram" ? waited.count : 0).toBeGreaterThanOrEqual(1)
    const ids = [tenantId, connectionId, scheduled.id, scheduled.dedupeKey]
    for (const point of points) for (const value of Object.values(point.labels)) expect(ids).not.toContain(value)
  })

  it("refreshes an expired token once, stores the rotated refresh token, and publishes once", async () => {
    const { tenantId, connectionId, token } = await h.connect("linkedin", { withRefreshToken: true })
    const before = await h.run(ConnectionRepo.use((r) => r.refreshToken(tenantId, connectionId)))
    await h.sim.control.expireToken(token)
    const scheduled = await h.schedule(tenantId, connectionId)
    await waitFor(() => h.post(tenantId, scheduled.id), (p) => p.status === "published")
    expect((await h.sim.control.postCounts())[scheduled.dedupeKey]).toBe(1)
    const after = await h.run(ConnectionRepo.use((r) => r.refreshToken(tenantId, connectionId)))
    expect(after).toBeDefined()
    expect(Redacted.value(after ?? Redacted.make(""))).not.toBe(Redacted.value(before ?? Redacted.make("")))
    expect((await h.run(ConnectionRepo.use((r) => r.get(tenantId, connectionId)))).status).toBe("active")
  })

  it("pauses the channel and holds the post when an expired token cannot be refreshed, with zero partner retries", async () => {
    const { tenantId, connectionId, token } = await h.connect("meta")
    await h.sim.control.expireToken(token)
    const scheduled = await h.schedule(tenantId, connectionId)
    const held = await waitFor(() => h.post(tenantId, scheduled.id), (p) => p.status === "held")
    expect(held.lastErrorCode).toBe("TOKEN_REFRESH_FAILED")
    const connection = await h.run(ConnectionRepo.use((r) => r.get(tenantId, connectionId)))
    expect(connection).toMatchObject({ status: "attention", pauseReason: "TOKEN_REFRESH_FAILED" })
    expect(await publishCalls(scheduled.dedupeKey)).toBe(1)
    expect(await h.sim.control.postCounts()).not.toHaveProperty(scheduled.dedupeKey)
  })

  it("publishes after backoff when the partner answers 5xx twice, then recovers", async () => {
    const { tenantId, connectionId, token } = await h.connect("linkedin")
    await h.sim.control.addFault({ kind: "http_5xx", token, path: "/rest/posts", method: "POST", count: 2 })
    const scheduled = await h.schedule(tenantId, connectionId)
    await waitFor(() => h.post(tenantId, scheduled.id), (p) => p.status === "published", 45_000)
    expect((await h.sim.control.postCounts())[scheduled.dedupeKey]).toBe(1)
    const attempts = await h.attemptsUntil(tenantId, scheduled.id, "published")
    expect(attempts.map((a) => a.outcome)).toEqual(["retry_scheduled", "retry_scheduled", "published"])
  })

  it("dead-letters validation errors at once as UNRETRYABLE and leaves the channel active", async () => {
    const { tenantId, connectionId } = await h.connect("tiktok")
    // TikTok needs a video or photo URL: a text post is our request's fault.
    const scheduled = await h.schedule(tenantId, connectionId)
    const dead = await waitFor(() => h.post(tenantId, scheduled.id), (p) => p.status === "dead_lettered")
    const entries = await h.run(DlqRepo.use((r) => r.list({ tenantId, limit: 10 })))
    const entry = entries.entries.find((e) => e.postId === scheduled.id)
    expect(entry).toMatchObject({ reasonCode: "UNRETRYABLE", taxonomyAction: "FAIL_AND_NOTIFY" })
    expect(dead.lastErrorCode).toBe(entry?.errorCode)
    expect((await h.run(ConnectionRepo.use((r) => r.get(tenantId, connectionId)))).status).toBe("active")
  })

  it("sends what would pause to the DLQ instead when auto-pause is off for the tenant", async () => {
    const tenantId = await h.newTenant(AUTOPAUSE_OFF_TENANT)
    const { connectionId, token } = await h.connect("meta", { tenantId })
    await h.sim.control.revoke({ platform: "meta", token })
    const scheduled = await h.schedule(tenantId, connectionId)
    await waitFor(() => h.post(tenantId, scheduled.id), (p) => p.status === "dead_lettered")
    expect((await h.run(ConnectionRepo.use((r) => r.get(tenantId, connectionId)))).status).toBe("active")
    const entries = await h.run(DlqRepo.use((r) => r.list({ tenantId, limit: 10 })))
    expect(entries.entries[0]).toMatchObject({ errorCode: "APP_DEAUTHORIZED", reasonCode: "UNRETRYABLE" })
  })

  it("opens the breaker after 5 consecutive failures, pauses, and resumes after a successful probe, publishing held posts once each", async () => {
    const { tenantId, connectionId, token } = await h.connect("gbp")
    const fault = await h.sim.control.addFault({ kind: "http_5xx", token, path: "/localPosts", method: "POST" })
    const posts = []
    for (let i = 0; i < 5; i++) posts.push(await h.schedule(tenantId, connectionId))
    const paused = await waitFor(
      () => h.run(ConnectionRepo.use((r) => r.get(tenantId, connectionId))),
      (c) => c.status === "attention",
      45_000
    )
    expect(paused.pauseReason).toBe("CIRCUIT_BREAKER_OPEN")
    await h.sim.control.removeFault(fault.id)
    await waitFor(() => h.run(ConnectionRepo.use((r) => r.get(tenantId, connectionId))), (c) => c.status === "active", 30_000)
    for (const p of posts) await waitFor(() => h.post(tenantId, p.id), (x) => x.status === "published", 30_000)
    const counts = await h.sim.control.postCounts()
    for (const p of posts) expect(counts[p.dedupeKey]).toBe(1)
  })
})
