// The operators' DLQ over the typed client: entries that a partner outage dead-lettered, replayed
// once the partner is back (published exactly once, the entry closed by the system), replayed while
// the channel is paused (held, not posted), and resolved with who and why.
import { TRPCClientError } from "@trpc/client"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type ApiHarness, startApiHarness } from "../test/api/ApiHarness.ts"
import { waitFor } from "../test/pipeline/PipelineHarness.ts"

let h: ApiHarness
beforeAll(async () => {
  // No backoff delays and a breaker out of reach: a 5xx storm runs out the retry budget quickly.
  h = await startApiHarness({ jitter: 0, env: { BREAKER_FAILURE_THRESHOLD: "1000" } })
})
afterAll(async () => {
  await h?.close()
})

/** A LinkedIn channel whose partner failed every publish until `count` posts were dead-lettered. */
const deadLettered = async (count: number) => {
  const { tenantId, connectionId, token } = await h.connect("linkedin")
  const admin = h.client(h.token(tenantId, "admin", { subject: "alice" }))
  const fault = await h.sim.control.addFault({ kind: "http_5xx", token, path: "/rest/posts", method: "POST" })
  const posts = []
  for (let i = 0; i < count; i++) posts.push(await admin.posts.schedule.mutate({ connectionId, text: `outage ${i} ${crypto.randomUUID()}` }))
  for (const post of posts) await waitFor(() => admin.posts.get.query({ postId: post.id }), (p) => p.status === "dead_lettered")
  await h.sim.control.removeFault(fault.id)
  const { entries } = await admin.dlq.list.query({ code: "PARTNER_5XX", reason: "MAX_RETRIES", resolved: false })
  const byPost = new Map(entries.map((e) => [e.postId, e]))
  return { tenantId, connectionId, admin, posts, entries: posts.map((p) => byPost.get(p.id)) }
}

describe("dlq", () => {
  it("lists classified entries with their runbook, and a replay on a healthy channel publishes the post once", async () => {
    const { admin, posts, entries } = await deadLettered(1)
    const [post] = posts
    const [entry] = entries
    if (post === undefined || entry === undefined) throw new Error("nothing dead-lettered")
    const detail = await admin.dlq.get.query({ id: entry.id })
    expect(detail).toMatchObject({
      errorCode: "PARTNER_5XX",
      taxonomyAction: "RETRY_WITH_BACKOFF",
      reasonCode: "MAX_RETRIES",
      runbook: "docs/runbooks/partner-errors.md#partner_5xx",
      resolvedAt: null
    })
    expect(detail.userMessage).toMatch(/LinkedIn/)

    expect(await admin.dlq.replay.mutate({ ids: [entry.id] })).toEqual([{ id: entry.id, outcome: "requeued", postId: post.id }])
    await waitFor(() => admin.posts.get.query({ postId: post.id }), (p) => p.status === "published")
    expect((await h.sim.control.postCounts())[post.dedupeKey]).toBe(1)
    // Published, the entry is closed for the operator by the system, and a second replay does nothing.
    const closed = await waitFor(() => admin.dlq.get.query({ id: entry.id }), (e) => e.resolvedAt !== null)
    expect(closed).toMatchObject({ resolvedBy: "system", replayCount: 1 })
    expect(closed.resolution).toMatch(/published after replay/)
    expect((await admin.dlq.replay.mutate({ ids: [entry.id] }))[0]).toMatchObject({ outcome: "refused" })
    expect((await h.sim.control.postCounts())[post.dedupeKey]).toBe(1)
  })

  it("holds a replayed post while its channel is paused, without calling the partner", async () => {
    const { connectionId, admin, posts, entries } = await deadLettered(1)
    const [post] = posts
    const [entry] = entries
    if (post === undefined || entry === undefined) throw new Error("nothing dead-lettered")
    expect((await admin.connections.pause.mutate({ connectionId, note: "brand review" })).connection.status).toBe("paused")
    const callsBefore = (await h.sim.control.calls({ dedupeKey: post.dedupeKey, method: "POST" })).length
    expect((await admin.dlq.replay.mutate({ ids: [entry.id] }))[0]).toMatchObject({ outcome: "requeued" })
    const held = await waitFor(() => admin.posts.get.query({ postId: post.id }), (p) => p.status === "held")
    expect(held.heldAt).not.toBeNull()
    expect((await h.sim.control.calls({ dedupeKey: post.dedupeKey, method: "POST" })).length).toBe(callsBefore)
    const status = await admin.connections.status.query({ connectionId })
    expect(status).toMatchObject({ status: "paused", pauseCode: null, heldPosts: 1, reconnectUrl: null })
    expect(status.description).toBe("brand review")
    // Resuming is the admin's; the held post then waits for the backfill decision.
    expect(await admin.connections.resume.mutate({ connectionId })).toMatchObject({ changed: true, heldPosts: 1 })
    const offer = await admin.backfill.offer.mutate({ connectionId, failedAfter: "2000-01-01T00:00:00Z" })
    expect(offer.missedJobCount).toBe(1)
    await admin.backfill.accept.mutate({ backfillJobId: offer.backfillJobId })
    await waitFor(() => admin.posts.get.query({ postId: post.id }), (p) => p.status === "published")
    expect((await h.sim.control.postCounts())[post.dedupeKey]).toBe(1)
  })

  it("records who resolved an entry and why; the first resolution stands", async () => {
    const { tenantId, admin, entries } = await deadLettered(1)
    const [entry] = entries
    if (entry === undefined) throw new Error("nothing dead-lettered")
    const resolved = await admin.dlq.resolve.mutate({ id: entry.id, resolution: "LinkedIn incident 4711; post no longer relevant" })
    expect(resolved).toMatchObject({ resolvedBy: "admin:alice", resolution: "LinkedIn incident 4711; post no longer relevant" })
    expect(resolved.resolvedAt).not.toBeNull()
    const again = await admin.dlq.resolve.mutate({ id: entry.id, resolution: "second opinion" }).catch((e: unknown) => e)
    expect(again).toBeInstanceOf(TRPCClientError)
    expect((again as TRPCClientError<never>).data).toMatchObject({ code: "CONFLICT" })
    expect((again as TRPCClientError<never>).message).toMatch(/already resolved by admin:alice/)
    expect((await admin.dlq.list.query({ resolved: true })).entries.map((e) => e.id)).toContain(entry.id)
    // An operator sees it across tenants, with the same record.
    const ops = h.client(h.token(crypto.randomUUID(), "ops", { subject: "oncall" }))
    expect(await ops.dlq.get.query({ id: entry.id })).toMatchObject({ tenantId, resolvedBy: "admin:alice" })
  })

  it("replays a batch only when every id is found, and reports a refusal per entry", async () => {
    const { admin, entries } = await deadLettered(2)
    const [first, second] = entries
    if (first === undefined || second === undefined) throw new Error("nothing dead-lettered")
    await admin.dlq.resolve.mutate({ id: second.id, resolution: "handled by hand" })
    const missing = await admin.dlq.replay.mutate({ ids: [first.id, crypto.randomUUID()] }).catch((e: unknown) => e)
    expect((missing as TRPCClientError<never>).data).toMatchObject({ code: "NOT_FOUND" })
    // Nothing was replayed by the refused batch.
    expect((await admin.dlq.get.query({ id: first.id })).replayCount).toBe(0)
    const results = await admin.dlq.replay.mutate({ ids: [first.id, second.id] })
    expect(results.map((r) => r.outcome)).toEqual(["requeued", "refused"])
  })
})
