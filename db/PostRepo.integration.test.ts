import { Effect, Exit, Layer, ManagedRuntime } from "effect"
import fc from "fast-check"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { databaseLayer, insertConnection, insertPost, insertTenant } from "../test/db/fixtures.ts"
import { createTestDatabase, type TestDatabase } from "../test/db/testDatabase.ts"
import { type NewPostInput, PostRepo } from "./PostRepo.ts"
import { PublishAttemptRepo } from "./PublishAttemptRepo.ts"

let t: TestDatabase
let rt: ManagedRuntime.ManagedRuntime<PostRepo | PublishAttemptRepo, never>
beforeAll(async () => {
  t = await createTestDatabase()
  rt = ManagedRuntime.make(Layer.mergeAll(PostRepo.layer, PublishAttemptRepo.layer).pipe(Layer.provide(databaseLayer(t.url))))
})
afterAll(async () => {
  await rt.dispose()
  await t.drop()
})

type Op<A, E> = (r: PostRepo["Service"]) => Effect.Effect<A, E>
const withPosts = <A, E>(f: Op<A, E>) =>
  Effect.gen(function* () {
    return yield* f(yield* PostRepo)
  })
const posts = <A, E>(f: Op<A, E>) => rt.runPromise(withPosts(f))
const postsExit = <A, E>(f: Op<A, E>) => rt.runPromise(Effect.exit(withPosts(f)))
const attempts = <A, E>(f: (r: PublishAttemptRepo["Service"]) => Effect.Effect<A, E>) =>
  rt.runPromise(
    Effect.gen(function* () {
      return yield* f(yield* PublishAttemptRepo)
    })
  )
const failureTag = (exit: Exit.Exit<unknown, { readonly _tag: string }>) =>
  Exit.isFailure(exit) ? exit.cause.reasons.find((r) => r._tag === "Fail")?.error._tag : "success"

const setup = async () => {
  const tenantId = await insertTenant(t.db)
  const connectionId = await insertConnection(t.db, tenantId, "meta")
  return { tenantId, connectionId }
}

const input = (tenantId: string, connectionId: string, extra: Partial<NewPostInput> = {}): NewPostInput => ({
  tenantId,
  connectionId,
  ticket: crypto.randomUUID(),
  brandId: "brand-1",
  content: { text: "Fresh bread at 8", format: "image", mediaUrls: ["https://cdn.example/bread.jpg"], title: "Bread" },
  scheduledAt: new Date("2026-12-01T08:00:00Z"),
  ...extra
})

const statusOf = async (id: string) =>
  (await t.db.selectFrom("posts").select("status").where("id", "=", id).executeTakeFirstOrThrow()).status

describe("PostRepo.insert", () => {
  it("writes inside the caller's transaction: a rollback leaves nothing, a commit keeps the post with its dedupe key", async () => {
    const { tenantId, connectionId } = await setup()
    const rolledBack = crypto.randomUUID()
    await expect(
      t.db.transaction().execute(async (trx) => {
        await posts((r) => r.insert(trx, input(tenantId, connectionId, { id: rolledBack })))
        throw new Error("job enqueue failed")
      })
    ).rejects.toThrow("job enqueue failed")
    expect(await t.db.selectFrom("posts").select("id").where("id", "=", rolledBack).execute()).toEqual([])

    const post = await t.db.transaction().execute((trx) => posts((r) => r.insert(trx, input(tenantId, connectionId))))
    expect(post).toMatchObject({
      tenantId,
      connectionId,
      status: "scheduled",
      dedupeKey: post.id,
      attempts: 0,
      format: "image",
      mediaUrls: ["https://cdn.example/bread.jpg"],
      title: "Bread",
      link: null,
      reconciled: false
    })
    const keyed = await posts((r) => r.insert(t.db, input(tenantId, connectionId, { dedupeKey: "campaign-2026-12" })))
    expect(keyed.dedupeKey).toBe("campaign-2026-12")
  })
})

describe("PostRepo reads", () => {
  it("scopes reads by tenant and gives the worker the connection's status", async () => {
    const { tenantId, connectionId } = await setup()
    const other = await insertTenant(t.db, "Other")
    const post = await posts((r) => r.insert(t.db, input(tenantId, connectionId)))
    expect((await posts((r) => r.get(tenantId, post.id))).id).toBe(post.id)
    expect(failureTag(await postsExit((r) => r.get(other, post.id)))).toBe("PostNotFound")
    expect(await posts((r) => r.getForPublish(other, post.id))).toBeUndefined()
    await t.db.updateTable("connections").set({ status: "attention", pause_reason: "AUTH_INVALID" }).where("id", "=", connectionId).execute()
    expect(await posts((r) => r.getForPublish(tenantId, post.id))).toMatchObject({
      id: post.id,
      platform: "meta",
      connectionStatus: "attention",
      connectionPauseReason: "AUTH_INVALID",
      text: "Fresh bread at 8"
    })
  })
})

describe("PostRepo.markIntent", () => {
  it("keeps the first intent time, counts attempts and says whether an earlier attempt may have reached the partner", async () => {
    const { tenantId, connectionId } = await setup()
    const post = await posts((r) => r.insert(t.db, input(tenantId, connectionId)))
    const first = await posts((r) => r.markIntent(post.id))
    expect(first).toMatchObject({ attempts: 1, wasIntended: false })
    expect(await statusOf(post.id)).toBe("publishing")
    const second = await posts((r) => r.markIntent(post.id))
    expect(second).toEqual({ intentAt: first.intentAt, attempts: 2, wasIntended: true })
  })

  it("lets exactly one of many concurrent first attempts see no earlier intent", async () => {
    const { tenantId, connectionId } = await setup()
    const post = await posts((r) => r.insert(t.db, input(tenantId, connectionId)))
    const results = await Promise.all(Array.from({ length: 8 }, () => posts((r) => r.markIntent(post.id))))
    expect(results.filter((r) => !r.wasIntended)).toHaveLength(1)
    expect(results.map((r) => r.attempts).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
    expect(new Set(results.map((r) => r.intentAt.getTime())).size).toBe(1)
  })

  it("refuses a published post and a missing one", async () => {
    const { tenantId, connectionId } = await setup()
    const post = await posts((r) => r.insert(t.db, input(tenantId, connectionId)))
    await posts((r) => r.markIntent(post.id))
    await posts((r) => r.markPublished(post.id, "123_456", false))
    expect(failureTag(await postsExit((r) => r.markIntent(post.id)))).toBe("PostStateConflict")
    expect(failureTag(await postsExit((r) => r.markIntent(crypto.randomUUID())))).toBe("PostNotFound")
    expect((await posts((r) => r.get(tenantId, post.id))).attempts).toBe(1)
  })
})

describe("PostRepo transitions", () => {
  it("publishes once: the first partner post id wins, with its reconciliation flag", async () => {
    const { tenantId, connectionId } = await setup()
    const post = await posts((r) => r.insert(t.db, input(tenantId, connectionId)))
    await posts((r) => r.markIntent(post.id))
    expect(await posts((r) => r.markPublished(post.id, "page_1", true))).toBe(true)
    expect(await posts((r) => r.markPublished(post.id, "page_2", false))).toBe(false)
    expect(await posts((r) => r.get(tenantId, post.id))).toMatchObject({
      status: "published",
      partnerPostId: "page_1",
      reconciled: true,
      publishedAt: expect.any(Date)
    })
    expect(await posts((r) => r.markHeld(post.id))).toBe(false)
    expect(await posts((r) => r.markDeadLettered(post.id, "UNKNOWN"))).toBe(false)
  })

  it("records an attempt's error: a publishing post waits for its retry as scheduled, a held post stays held", async () => {
    const { tenantId, connectionId } = await setup()
    const a = await posts((r) => r.insert(t.db, input(tenantId, connectionId)))
    await posts((r) => r.markIntent(a.id))
    await posts((r) => r.recordError(a.id, "PARTNER_5XX"))
    expect(await posts((r) => r.get(tenantId, a.id))).toMatchObject({ status: "scheduled", lastErrorCode: "PARTNER_5XX" })
    const b = await posts((r) => r.insert(t.db, input(tenantId, connectionId)))
    await posts((r) => r.markIntent(b.id))
    expect(await posts((r) => r.markHeld(b.id))).toBe(true)
    await posts((r) => r.recordError(b.id, "AUTH_INVALID"))
    expect(await posts((r) => r.get(tenantId, b.id))).toMatchObject({ status: "held", lastErrorCode: "AUTH_INVALID" })
  })

  it("dead-letters and skips only posts still in flight", async () => {
    const { tenantId, connectionId } = await setup()
    const a = await posts((r) => r.insert(t.db, input(tenantId, connectionId)))
    expect(await posts((r) => r.markDeadLettered(a.id, "CONTENT_REJECTED"))).toBe(true)
    expect(await posts((r) => r.get(tenantId, a.id))).toMatchObject({ status: "dead_lettered", lastErrorCode: "CONTENT_REJECTED" })
    expect(await posts((r) => r.markSkipped(a.id, "deleted by user"))).toBe(false)
    const b = await posts((r) => r.insert(t.db, input(tenantId, connectionId)))
    expect(await posts((r) => r.markSkipped(b.id, "deleted by user"))).toBe(true)
    expect(await posts((r) => r.get(tenantId, b.id))).toMatchObject({ status: "skipped", skippedReason: "deleted by user" })
  })

  it("keeps a partner reference for reconciliation", async () => {
    const { tenantId, connectionId } = await setup()
    const post = await posts((r) => r.insert(t.db, input(tenantId, connectionId)))
    await posts((r) => r.setPartnerRef(post.id, "v_pub_url~v2.123"))
    expect((await posts((r) => r.get(tenantId, post.id))).partnerRef).toBe("v_pub_url~v2.123")
  })
})

describe("PostRepo held posts", () => {
  it("releases one connection's held posts in schedule order inside the caller's transaction", async () => {
    const { tenantId, connectionId } = await setup()
    const otherConnection = await insertConnection(t.db, tenantId, "meta")
    const at = (h: number) => new Date(Date.UTC(2024, 11, 1, h))
    const late = await insertPost(t.db, tenantId, connectionId, { scheduledAt: at(12), status: "held" })
    const early = await insertPost(t.db, tenantId, connectionId, { scheduledAt: at(9), status: "held" })
    const middle = await insertPost(t.db, tenantId, connectionId, { scheduledAt: at(10), status: "held" })
    const notHeld = await insertPost(t.db, tenantId, connectionId, { scheduledAt: at(8) })
    const elsewhere = await insertPost(t.db, tenantId, otherConnection, { scheduledAt: at(7), status: "held" })
    expect((await posts((r) => r.listHeld(connectionId))).map((p) => p.id)).toEqual([early, middle, late])

    await expect(
      t.db.transaction().execute(async (trx) => {
        await rt.runPromise(withPosts((r) => r.releaseHeld(trx, tenantId, connectionId, "all")))
        throw new Error("enqueue failed")
      })
    ).rejects.toThrow("enqueue failed")
    expect(await statusOf(early)).toBe("held")

    const wrongTenant = await t.db.transaction().execute((trx) => posts((r) => r.releaseHeld(trx, crypto.randomUUID(), connectionId, "all")))
    expect(wrongTenant).toEqual([])
    // Every post is in the past here: "upcoming" releases none of them.
    expect(await t.db.transaction().execute((trx) => posts((r) => r.releaseHeld(trx, tenantId, connectionId, "upcoming")))).toEqual([])
    const released = await t.db.transaction().execute((trx) => posts((r) => r.releaseHeld(trx, tenantId, connectionId, "all")))
    expect(released.map((r) => r.id)).toEqual([early, middle, late])
    // Each released post answers to a new ticket, the one its new job carries.
    for (const r of released) expect((await posts((repo) => repo.get(tenantId, r.id))).publishTicket).toBe(r.ticket)
    expect(await statusOf(late)).toBe("scheduled")
    expect(await statusOf(notHeld)).toBe("scheduled")
    expect(await statusOf(elsewhere)).toBe("held")
    expect(await posts((r) => r.listHeld(connectionId))).toEqual([])
  })
})

describe("PublishAttemptRepo", () => {
  it("records attempts and counts them by outcome, per post or tenant", async () => {
    const { tenantId, connectionId } = await setup()
    const post = await posts((r) => r.insert(t.db, input(tenantId, connectionId)))
    const base = { postId: post.id, connectionId, tenantId, platform: "meta" as const }
    await attempts((r) => r.record({ ...base, attempt: 1, outcome: "retry_scheduled", errorCode: "PARTNER_5XX", latencyMs: 120.6 }))
    await attempts((r) => r.record({ ...base, attempt: 2, outcome: "retry_scheduled", errorCode: "TIMEOUT", latencyMs: 3000 }))
    await attempts((r) => r.record({ ...base, attempt: 3, outcome: "reconciled", errorCode: null, latencyMs: null }))
    const counts = await attempts((r) => r.countByOutcome({ postId: post.id }))
    expect(counts).toEqual({
      published: 0,
      reconciled: 1,
      retry_scheduled: 2,
      deferred: 0,
      held: 0,
      paused: 0,
      dead_lettered: 0,
      refresh_failed: 0
    })
    expect((await attempts((r) => r.countByOutcome({ tenantId: crypto.randomUUID() }))).retry_scheduled).toBe(0)
    const list = await attempts((r) => r.listForPost(tenantId, post.id))
    expect(list.map((a) => [a.attempt, a.outcome, a.errorCode, a.latencyMs])).toEqual([
      [1, "retry_scheduled", "PARTNER_5XX", 121],
      [2, "retry_scheduled", "TIMEOUT", 3000],
      [3, "reconciled", null, null]
    ])
  })
})

describe("PostRepo listing and backfill transitions", () => {
  it("pages a tenant's posts newest scheduled first without skipping or repeating, ties included (property)", async () => {
    const { tenantId, connectionId } = await setup()
    const other = await setup()
    await insertPost(t.db, other.tenantId, other.connectionId)
    const tie = new Date("2026-12-01T10:00:00.000Z")
    const inserted: Array<{ readonly id: string; readonly at: number }> = []
    for (let i = 0; i < 17; i++) {
      const scheduledAt = i < 9 ? tie : new Date(tie.getTime() + i * 1_000)
      inserted.push({ id: await insertPost(t.db, tenantId, connectionId, { scheduledAt }), at: scheduledAt.getTime() })
    }
    // Newest scheduled first; ties by id, descending (uuids order as their lower-case hex).
    const expected = [...inserted].sort((x, y) => y.at - x.at || (x.id < y.id ? 1 : x.id > y.id ? -1 : 0)).map((p) => p.id)
    const everything = (await posts((r) => r.list(tenantId, { limit: 200 }))).posts.map((p) => p.id)
    expect(everything).toEqual(expected)
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 18 }), async (limit) => {
        const seen: Array<string> = []
        let cursor: string | undefined
        for (;;) {
          const page = await posts((r) => r.list(tenantId, { limit, cursor }))
          seen.push(...page.posts.map((p) => p.id))
          if (page.nextCursor === undefined) break
          cursor = page.nextCursor
        }
        expect(seen).toEqual(everything)
      }),
      { numRuns: 10 }
    )
    expect(failureTag(await postsExit((r) => r.list(tenantId, { cursor: "garbage" })))).toBe("PostCursorInvalid")
  })

  it("releases or skips a held post once, only while it is held, and keeps when it was held", async () => {
    const { tenantId, connectionId } = await setup()
    const held = [await insertPost(t.db, tenantId, connectionId), await insertPost(t.db, tenantId, connectionId)]
    for (const id of held) expect(await posts((r) => r.markHeld(id))).toBe(true)
    const listed = await posts((r) => r.heldOf(tenantId, connectionId))
    expect(listed.map((p) => p.id).sort()).toEqual([...held].sort())
    for (const p of listed) expect(p.heldAt.getTime()).toBeGreaterThan(Date.now() - 60_000)
    expect(await posts((r) => r.heldOf(tenantId, connectionId, { heldSince: new Date(Date.now() + 60_000) }))).toEqual([])
    expect(await posts((r) => r.heldOf(tenantId, connectionId, { dueBy: new Date("2000-01-01T00:00:00Z") }))).toEqual([])
    const [first = "", second = ""] = held
    expect(await posts((r) => r.releaseOne(t.db, tenantId, first))).toMatchObject({ id: first, ticket: expect.any(String) })
    expect(await posts((r) => r.releaseOne(t.db, tenantId, first))).toBeUndefined()
    expect(await posts((r) => r.skipHeld(t.db, tenantId, first, "too late"))).toBe(false)
    expect(await posts((r) => r.skipHeld(t.db, crypto.randomUUID(), second, "not yours"))).toBe(false)
    expect(await posts((r) => r.skipHeld(t.db, tenantId, second, "too late"))).toBe(true)
    expect(await posts((r) => r.get(tenantId, second))).toMatchObject({ status: "skipped", skippedReason: "too late" })
    expect(await posts((r) => r.get(tenantId, first))).toMatchObject({ status: "scheduled" })
  })

  it("refuses a second post with the same dedupe key as DuplicatePost", async () => {
    const { tenantId, connectionId } = await setup()
    await posts((r) => r.insert(t.db, input(tenantId, connectionId, { dedupeKey: `${tenantId}:campaign-1` })))
    const exit = await postsExit((r) => r.insert(t.db, input(tenantId, connectionId, { dedupeKey: `${tenantId}:campaign-1` })))
    expect(failureTag(exit)).toBe("DuplicatePost")
  })
})
