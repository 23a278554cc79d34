// Retry budgets and partner windows through the real pipeline. The jitter is fixed at 0, so every
// backoff delay is 0 and only a partner's Retry-After can make a retry wait; the breaker's
// threshold is out of reach here, so it cannot pause before a retry budget runs out (the breaker
// has its own tests in PublishPipeline.integration.test.ts).
import { Cause } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { TAXONOMY } from "../core/taxonomy/Taxonomy.ts"
import { ConnectionRepo } from "../db/ConnectionRepo.ts"
import { DlqRepo } from "../db/DlqRepo.ts"
import { PublishAttemptRepo } from "../db/PublishAttemptRepo.ts"
import { DeadLetters } from "./DeadLetters.ts"
import { type Harness, startHarness, waitFor } from "../test/pipeline/PipelineHarness.ts"

let h: Harness
beforeAll(async () => {
  h = await startHarness({ jitter: 0, env: { BREAKER_FAILURE_THRESHOLD: "1000" } })
})
afterAll(async () => {
  await h?.close()
})

const publishCalls = (dedupeKey: string) => h.sim.control.calls({ dedupeKey, method: "POST" })

describe("retries", () => {
  it("dead-letters a post the partner keeps failing with 5xx as MAX_RETRIES after exactly the entry's retries", async () => {
    const { tenantId, connectionId, token } = await h.connect("linkedin")
    await h.sim.control.addFault({ kind: "http_5xx", token, path: "/rest/posts", method: "POST" })
    const scheduled = await h.schedule(tenantId, connectionId)
    const dead = await waitFor(() => h.post(tenantId, scheduled.id), (p) => p.status === "dead_lettered")
    expect(dead.lastErrorCode).toBe("PARTNER_5XX")
    // One first call and maxRetries retries, never more.
    expect(await publishCalls(scheduled.dedupeKey)).toHaveLength(1 + TAXONOMY.PARTNER_5XX.maxRetries)
    const attempts = await h.attemptsUntil(tenantId, scheduled.id, "dead_lettered")
    expect(attempts.map((a) => a.outcome)).toEqual([
      ...Array.from({ length: TAXONOMY.PARTNER_5XX.maxRetries }, () => "retry_scheduled"),
      "dead_lettered"
    ])
    const page = await h.run(DlqRepo.use((r) => r.list({ tenantId, limit: 10 })))
    expect(page.entries).toHaveLength(1)
    expect(page.entries[0]).toMatchObject({
      postId: scheduled.id,
      errorCode: "PARTNER_5XX",
      taxonomyAction: "RETRY_WITH_BACKOFF",
      reasonCode: "MAX_RETRIES",
      retryCount: TAXONOMY.PARTNER_5XX.maxRetries,
      runbook: expect.stringContaining("#partner_5xx")
    })
    // A partner outage is not the channel's fault: it stays active.
    expect((await h.run(ConnectionRepo.use((r) => r.get(tenantId, connectionId)))).status).toBe("active")
  })

  it("does not retry a 429 before the partner's Retry-After, then publishes once", async () => {
    const { tenantId, connectionId, token } = await h.connect("gbp")
    await h.sim.control.addFault({ kind: "rate_limit", token, path: "/localPosts", method: "POST", retryAfterSec: 2, count: 1 })
    const scheduled = await h.schedule(tenantId, connectionId)
    await waitFor(() => h.post(tenantId, scheduled.id), (p) => p.status === "published")
    const calls = await publishCalls(scheduled.dedupeKey)
    expect(calls).toHaveLength(2)
    const [first, second] = calls
    expect(first?.status).toBe(429)
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(2_000)
    expect((await h.sim.control.postCounts())[scheduled.dedupeKey]).toBe(1)
  })

  it("dead-letters content the partner rejects as UNRETRYABLE after one call, channel untouched", async () => {
    const { tenantId, connectionId } = await h.connect("linkedin")
    // LinkedIn's duplicate signal on a first attempt is the user's content, not our earlier try.
    const text = `the same words ${crypto.randomUUID()}`
    const first = await h.schedule(tenantId, connectionId, { text })
    await waitFor(() => h.post(tenantId, first.id), (p) => p.status === "published")
    const second = await h.schedule(tenantId, connectionId, { text })
    const dead = await waitFor(() => h.post(tenantId, second.id), (p) => p.status === "dead_lettered")
    expect(dead.lastErrorCode).toBe("DUPLICATE_CONTENT")
    expect(await publishCalls(second.dedupeKey)).toHaveLength(1)
    const entry = (await h.run(DlqRepo.use((r) => r.list({ tenantId, limit: 10 })))).entries.find((e) => e.postId === second.id)
    expect(entry).toMatchObject({ reasonCode: "UNRETRYABLE", taxonomyAction: "FAIL_AND_NOTIFY" })
    expect((await h.run(ConnectionRepo.use((r) => r.get(tenantId, connectionId)))).status).toBe("active")

    // Replaying it gets the same answer: still the user's duplicate, never "published" against
    // another post's id.
    await h.run(DeadLetters.use((d) => d.replay(tenantId, entry?.id ?? "")))
    await waitFor(
      () => h.run(PublishAttemptRepo.use((r) => r.listForPost(tenantId, second.id))),
      (attempts) => attempts.filter((a) => a.outcome === "dead_lettered").length === 2
    )
    const after = await h.post(tenantId, second.id)
    expect(after).toMatchObject({ status: "dead_lettered", partnerPostId: null, lastErrorCode: "DUPLICATE_CONTENT" })
  })

  it("retries when the token endpoint is down instead of pausing the channel, then refreshes and publishes once", async () => {
    const { tenantId, connectionId, token } = await h.connect("linkedin", { withRefreshToken: true })
    await h.sim.control.expireToken(token)
    await h.sim.control.addFault({ kind: "http_5xx", path: "/oauth/v2/accessToken", count: 1 })
    const scheduled = await h.schedule(tenantId, connectionId)
    await waitFor(() => h.post(tenantId, scheduled.id), (p) => p.status === "published")
    expect((await h.run(ConnectionRepo.use((r) => r.get(tenantId, connectionId)))).status).toBe("active")
    const attempts = await h.attemptsUntil(tenantId, scheduled.id, "published")
    expect(attempts.map((a) => a.outcome)).toEqual(["retry_scheduled", "published"])
    expect((await h.sim.control.postCounts())[scheduled.dedupeKey]).toBe(1)
  })

  it("replays a dead-lettered post with its original dedupe key, publishing it once; a second replay is refused", async () => {
    const { tenantId, connectionId, token } = await h.connect("mailchimp")
    const fault = await h.sim.control.addFault({ kind: "http_5xx", token, path: "/actions/send", method: "POST" })
    const scheduled = await h.schedule(tenantId, connectionId)
    await waitFor(() => h.post(tenantId, scheduled.id), (p) => p.status === "dead_lettered")
    const [entry] = (await h.run(DlqRepo.use((r) => r.list({ tenantId, limit: 10 })))).entries
    await h.sim.control.removeFault(fault.id)

    const replayed = await h.run(DeadLetters.use((d) => d.replay(tenantId, entry?.id ?? "")))
    expect(replayed).toEqual({ id: entry?.id, postId: scheduled.id, requeued: true })
    const done = await waitFor(() => h.post(tenantId, scheduled.id), (p) => p.status === "published")
    expect(done.dedupeKey).toBe(scheduled.dedupeKey)
    expect((await h.sim.control.postCounts())[scheduled.dedupeKey]).toBe(1)
    // Published, the entry is closed by the system: a second replay is refused and enqueues nothing.
    const closed = await waitFor(() => h.run(DlqRepo.use((r) => r.get(entry?.id ?? "", tenantId))), (e) => e.resolvedAt !== null)
    expect(closed).toMatchObject({ replayCount: 1, resolvedBy: "system" })
    const again = await h.runtime.runPromiseExit(DeadLetters.use((d) => d.replay(tenantId, entry?.id ?? "")))
    expect(again._tag === "Failure" ? String(Cause.squash(again.cause)) : "requeued").toMatch(/DlqReplayRefused/)
    expect((await h.sim.control.postCounts())[scheduled.dedupeKey]).toBe(1)
  })

  it("refuses to replay another tenant's entry as not found", async () => {
    const { tenantId, connectionId, token } = await h.connect("linkedin")
    await h.sim.control.addFault({ kind: "http_5xx", token, path: "/rest/posts", method: "POST" })
    const scheduled = await h.schedule(tenantId, connectionId)
    await waitFor(() => h.post(tenantId, scheduled.id), (p) => p.status === "dead_lettered")
    const [entry] = (await h.run(DlqRepo.use((r) => r.list({ tenantId, limit: 10 })))).entries
    const other = await h.newTenant()
    const exit = await h.runtime.runPromiseExit(DeadLetters.use((d) => d.replay(other, entry?.id ?? "")))
    expect(exit._tag).toBe("Failure")
    expect(JSON.stringify(exit)).toContain("DlqEntryNotFound")
    expect((await h.post(tenantId, scheduled.id)).status).toBe("dead_lettered")
  })

  it("continues TikTok's publish after its status checks failed, without a second init: the post exists once", async () => {
    const { tenantId, connectionId, token } = await h.connect("tiktok")
    await h.sim.control.addFault({ kind: "http_5xx", token, path: "/status/fetch", count: 2 })
    const scheduled = await h.schedule(tenantId, connectionId, { format: "video", mediaUrls: ["https://cdn.example.com/a.mp4"] })
    const done = await waitFor(() => h.post(tenantId, scheduled.id), (p) => p.status === "published")
    expect(done.partnerRef).not.toBeNull()
    const inits = await h.sim.control.calls({ dedupeKey: scheduled.dedupeKey, pathContains: "/init/" })
    expect(inits).toHaveLength(1)
    expect((await h.sim.control.postCounts())[scheduled.dedupeKey]).toBe(1)
  })

  it("dead-letters media the partner cannot fetch as MEDIA_INVALID / UNRETRYABLE, channel untouched", async () => {
    const { tenantId, connectionId } = await h.connect("tiktok")
    const scheduled = await h.schedule(tenantId, connectionId, { format: "video", mediaUrls: ["https://cdn.unreachable.invalid/a.mp4"] })
    const dead = await waitFor(() => h.post(tenantId, scheduled.id), (p) => p.status === "dead_lettered")
    expect(dead.lastErrorCode).toBe("MEDIA_INVALID")
    const entry = (await h.run(DlqRepo.use((r) => r.list({ tenantId, limit: 10 })))).entries.find((e) => e.postId === scheduled.id)
    expect(entry).toMatchObject({ errorCode: "MEDIA_INVALID", reasonCode: "UNRETRYABLE", taxonomyAction: "FAIL_AND_NOTIFY" })
    expect(await h.sim.control.calls({ dedupeKey: scheduled.dedupeKey, pathContains: "/init/" })).toHaveLength(1)
    expect((await h.run(ConnectionRepo.use((r) => r.get(tenantId, connectionId)))).status).toBe("active")
  })
})
