// The backfill over the real pipeline and pg-boss: what an offer counts and estimates, what accept
// publishes late and what it skips (too late, outside the window), decline, and the decisions that
// cannot happen (accepting for a paused channel, declining an accepted backfill).
import { Cause, Exit } from "effect"
import { sql } from "kysely"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ConnectionRepo } from "../db/ConnectionRepo.ts"
import { type Harness, startHarness, waitFor } from "../test/pipeline/PipelineHarness.ts"
import { findPoint, MetricRecorder } from "../observability/MetricRecorder.ts"
import { Backfill } from "./Backfill.ts"

let h: Harness
beforeAll(async () => {
  // LinkedIn's bucket: 1 post a minute, burst 2, so the estimate is visible.
  h = await startHarness({ env: { RATE_LIMITS: "linkedin=1/2" } })
})
afterAll(async () => {
  await h?.close()
})

const HOUR = 3_600_000

/** A channel with held posts scheduled `lateBy` ago (and held `heldAgo` ago), without running them through a pause. */
const withHeld = async (platform: "meta" | "linkedin", posts: ReadonlyArray<{ readonly lateBy: number; readonly heldAgo?: number }>) => {
  const connected = await h.connect(platform)
  const ids: Array<string> = []
  for (const p of posts) {
    const id = crypto.randomUUID()
    await h.t.db
      .insertInto("posts")
      .values({
        id,
        tenant_id: connected.tenantId,
        connection_id: connected.connectionId,
        brand_id: "brand-1",
        text: `held ${id}`,
        format: "text",
        scheduled_at: new Date(Date.now() - p.lateBy),
        status: "held",
        held_at: new Date(Date.now() - (p.heldAgo ?? 0))
      })
      .execute()
    ids.push(id)
  }
  return { ...connected, ids }
}

const statuses = async (tenantId: string, ids: ReadonlyArray<string>) => Promise.all(ids.map(async (id) => (await h.post(tenantId, id)).status))
const skippedCount = async (): Promise<number> => {
  const point = findPoint(await h.run(MetricRecorder.use((m) => m.snapshot)), "recovery.backfill.posts", { platform: "meta", outcome: "skipped" })
  return point !== undefined && point.kind !== "histogram" ? point.value : 0
}
const failure = (exit: Exit.Exit<unknown, unknown>) => (Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined)

describe("backfill", () => {
  it("publishes late what is on time and inside the window, skips the rest with a reason, and never publishes twice", async () => {
    const { tenantId, connectionId, ids } = await withHeld("meta", [
      { lateBy: HOUR, heldAgo: HOUR },
      { lateBy: 2 * HOUR, heldAgo: 2 * HOUR },
      { lateBy: 25 * HOUR, heldAgo: HOUR },
      { lateBy: 10 * HOUR, heldAgo: 10 * HOUR }
    ])
    const failedAfter = new Date(Date.now() - 5 * HOUR)
    const offer = await h.run(Backfill.use((b) => b.offer(tenantId, connectionId, failedAfter, "member:alice")))
    expect(offer).toMatchObject({ missedCount: 2, status: "offered", maxLatenessMs: 24 * HOUR })
    // Two accepts at once: one decision, one backfill job.
    await Promise.all([1, 2].map(() => h.run(Backfill.use((b) => b.accept(tenantId, offer.id, "member:alice")))))
    const jobs = await sql<{ n: string }>`select count(*) as n from pgboss.job where name = 'backfill' and data->>'backfillJobId' = ${offer.id}`.execute(h.t.db)
    expect(Number(jobs.rows[0]?.n)).toBe(1)
    const [onTime, alsoOnTime, tooLate, beforeWindow] = ids
    for (const id of [onTime, alsoOnTime]) await waitFor(() => h.post(tenantId, id ?? ""), (p) => p.status === "published")
    expect(await h.post(tenantId, tooLate ?? "")).toMatchObject({ status: "skipped", skippedReason: expect.stringMatching(/more than 24 h ago/) })
    expect(await h.post(tenantId, beforeWindow ?? "")).toMatchObject({ status: "skipped", skippedReason: expect.stringMatching(/before the backfill window/) })
    const row = await waitFor(
      () => h.t.db.selectFrom("backfill_offers").selectAll().where("id", "=", offer.id).executeTakeFirstOrThrow(),
      (r) => r.status === "completed"
    )
    expect(row).toMatchObject({ released_count: 2, skipped_count: 2 })
    const counts = await h.sim.control.postCounts()
    for (const id of [onTime, alsoOnTime]) expect(counts[(await h.post(tenantId, id ?? "")).dedupeKey]).toBe(1)
    // Running the job again finds nothing held: nothing is published twice.
    expect(await h.run(Backfill.use((b) => b.run({ tenantId, backfillJobId: offer.id })))).toEqual({ released: 0, skipped: 0 })
  })

  it("estimates the duration from the tenant's rate budget for the platform", async () => {
    const { tenantId, connectionId } = await withHeld("linkedin", [{ lateBy: HOUR }, { lateBy: HOUR }, { lateBy: HOUR }, { lateBy: HOUR }, { lateBy: HOUR }])
    const offer = await h.run(Backfill.use((b) => b.offer(tenantId, connectionId, new Date(0), "member:alice")))
    // 5 posts, 2 at once from the burst, then one a minute.
    expect(offer).toMatchObject({ missedCount: 5, estimatedDurationMs: 180_000 })
  })

  it("declines: every held post is skipped with who declined, none is published", async () => {
    const { tenantId, connectionId, ids } = await withHeld("meta", [{ lateBy: HOUR }, { lateBy: 2 * HOUR }])
    const offer = await h.run(Backfill.use((b) => b.offer(tenantId, connectionId, new Date(0), "member:alice")))
    const skippedBefore = await skippedCount()
    const declined = await h.run(Backfill.use((b) => b.decline(tenantId, offer.id, "member:bob")))
    expect(declined).toMatchObject({ skipped: 2, offer: { status: "declined", decidedBy: "member:bob" } })
    expect(await statuses(tenantId, ids)).toEqual(["skipped", "skipped"])
    expect((await h.post(tenantId, ids[0] ?? "")).skippedReason).toBe("not backfilled: the backfill was declined by member:bob")
    expect(await skippedCount()).toBe(skippedBefore + 2)
    // Declining again is the same decision; accepting now is a conflict.
    expect((await h.run(Backfill.use((b) => b.decline(tenantId, offer.id, "member:bob")))).skipped).toBe(0)
    const accept = await h.runtime.runPromiseExit(Backfill.use((b) => b.accept(tenantId, offer.id, "member:alice")))
    expect(failure(accept)).toMatchObject({ _tag: "BackfillConflict" })
  })

  it("refuses to accept while the channel is paused, and to decline what was accepted", async () => {
    const { tenantId, connectionId, ids } = await withHeld("meta", [{ lateBy: HOUR }])
    const offer = await h.run(Backfill.use((b) => b.offer(tenantId, connectionId, new Date(0), "member:alice")))
    await h.run(ConnectionRepo.use((r) => r.autoPause(tenantId, connectionId, "AUTH_INVALID", "system")))
    const refused = await h.runtime.runPromiseExit(Backfill.use((b) => b.accept(tenantId, offer.id, "member:alice")))
    expect(failure(refused)).toMatchObject({ _tag: "BackfillRefused", message: expect.stringMatching(/reconnect or resume/) })
    expect(await statuses(tenantId, ids)).toEqual(["held"])
    await h.run(ConnectionRepo.use((r) => r.resume(tenantId, connectionId, "admin:carol")))
    await h.run(Backfill.use((b) => b.accept(tenantId, offer.id, "member:alice")))
    const decline = await h.runtime.runPromiseExit(Backfill.use((b) => b.decline(tenantId, offer.id, "member:bob")))
    expect(failure(decline)).toMatchObject({ _tag: "BackfillConflict" })
    await waitFor(() => h.post(tenantId, ids[0] ?? ""), (p) => p.status === "published")
  })

  it("finds another tenant's offer not found", async () => {
    const { tenantId, connectionId } = await withHeld("meta", [{ lateBy: HOUR }])
    const offer = await h.run(Backfill.use((b) => b.offer(tenantId, connectionId, new Date(0), "member:alice")))
    const other = await h.newTenant()
    for (const exit of [
      await h.runtime.runPromiseExit(Backfill.use((b) => b.accept(other, offer.id, "member:eve"))),
      await h.runtime.runPromiseExit(Backfill.use((b) => b.decline(other, offer.id, "member:eve"))),
      await h.runtime.runPromiseExit(Backfill.use((b) => b.offer(other, connectionId, new Date(0), "member:eve")))
    ]) {
      expect(failure(exit)).toMatchObject({ _tag: expect.stringMatching(/NotFound$/) })
    }
  })
})
