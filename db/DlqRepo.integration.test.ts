import { Effect, Exit, Layer, ManagedRuntime } from "effect"
import fc from "fast-check"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { databaseLayer, insertConnection, insertPost, insertTenant } from "../test/db/fixtures.ts"
import { createTestDatabase, type TestDatabase } from "../test/db/testDatabase.ts"
import { type DlqEntry, DlqRepo, type NewDlqEntryInput, runbookFor } from "./DlqRepo.ts"

let t: TestDatabase
let rt: ManagedRuntime.ManagedRuntime<DlqRepo, never>
beforeAll(async () => {
  t = await createTestDatabase()
  rt = ManagedRuntime.make(DlqRepo.layer.pipe(Layer.provide(databaseLayer(t.url))))
})
afterAll(async () => {
  await rt.dispose()
  await t.drop()
})

type Op<A, E> = (r: DlqRepo["Service"]) => Effect.Effect<A, E>
const withDlq = <A, E>(f: Op<A, E>) =>
  Effect.gen(function* () {
    return yield* f(yield* DlqRepo)
  })
const dlq = <A, E>(f: Op<A, E>) => rt.runPromise(withDlq(f))
const dlqExit = <A, E>(f: Op<A, E>) => rt.runPromise(Effect.exit(withDlq(f)))
const failureTag = (exit: Exit.Exit<unknown, { readonly _tag: string }>) =>
  Exit.isFailure(exit) ? exit.cause.reasons.find((r) => r._tag === "Fail")?.error._tag : "success"

const entry = (tenantId: string, extra: Partial<NewDlqEntryInput> = {}): NewDlqEntryInput => ({
  jobId: `job-${crypto.randomUUID()}`,
  tenantId,
  platform: "tiktok",
  action: "publish",
  payload: { tenantId, postId: "p-1" },
  errorCode: "MEDIA_INVALID",
  reasonCode: "UNRETRYABLE",
  lastErrorMessage: "video duration exceeds the creator's maximum",
  retryCount: 0,
  firstAttempt: new Date("2026-11-23T09:00:00Z"),
  ...extra
})

const allPages = async (filter: { readonly tenantId: string; readonly limit: number }) => {
  const seen: Array<DlqEntry> = []
  let cursor: string | undefined
  for (let page = 0; page < 100; page++) {
    const result = await dlq((r) => r.list({ ...filter, cursor }))
    expect(result.entries.length).toBeLessThanOrEqual(filter.limit)
    seen.push(...result.entries)
    if (result.nextCursor === undefined) return seen
    cursor = result.nextCursor
  }
  throw new Error("pagination did not end")
}

describe("DlqRepo.add", () => {
  it("stores a classified entry with the code's taxonomy action and runbook", async () => {
    const tenantId = await insertTenant(t.db)
    const connectionId = await insertConnection(t.db, tenantId, "tiktok")
    const postId = await insertPost(t.db, tenantId, connectionId)
    const added = await dlq((r) => r.add(entry(tenantId, { connectionId, postId, retryCount: 2 })))
    expect(added).toMatchObject({
      tenantId,
      connectionId,
      postId,
      platform: "tiktok",
      errorCode: "MEDIA_INVALID",
      taxonomyAction: "FAIL_AND_NOTIFY",
      reasonCode: "UNRETRYABLE",
      runbook: "docs/runbooks/partner-errors.md#media_invalid",
      retryCount: 2,
      replayCount: 0,
      resolvedAt: null,
      resolution: null
    })
    expect(added.lastAttempt.getTime()).toBeGreaterThanOrEqual(added.firstAttempt.getTime())
    expect(await dlq((r) => r.get(added.id))).toEqual(added)
  })

  it("keeps an explicit taxonomy action, and gives every code its own runbook anchor", async () => {
    const tenantId = await insertTenant(t.db)
    const added = await dlq((r) =>
      r.add(entry(tenantId, { errorCode: "PARTNER_5XX", taxonomyAction: "SEND_TO_DLQ", reasonCode: "MAX_RETRIES", retryCount: 5 }))
    )
    expect(added).toMatchObject({ taxonomyAction: "SEND_TO_DLQ", runbook: runbookFor("PARTNER_5XX") })
    expect(runbookFor("AUTH_EXPIRED")).toBe("docs/runbooks/partner-errors.md#auth_expired")
  })

  it("drops secret-looking keys from the payload at any depth", async () => {
    const tenantId = await insertTenant(t.db)
    const added = await dlq((r) =>
      r.add(
        entry(tenantId, {
          payload: { postId: "p-9", access_token: "EAAB-live", nested: { refreshToken: "r-1", list: [{ Authorization: "Bearer x", keep: 1 }] } }
        })
      )
    )
    expect(added.payload).toEqual({ postId: "p-9", nested: { list: [{ keep: 1 }] } })
    const raw = await t.db.selectFrom("dlq_entries").select("payload").where("id", "=", added.id).executeTakeFirstOrThrow()
    expect(JSON.stringify(raw)).not.toMatch(/EAAB-live|r-1|Bearer/)
  })
})

describe("DlqRepo.list", () => {
  it("filters by tenant, platform, code, reason and resolution", async () => {
    const tenantId = await insertTenant(t.db)
    const other = await insertTenant(t.db)
    const media = await dlq((r) => r.add(entry(tenantId)))
    const auth = await dlq((r) => r.add(entry(tenantId, { platform: "linkedin", errorCode: "TOKEN_REFRESH_FAILED" })))
    const maxed = await dlq((r) => r.add(entry(tenantId, { errorCode: "TIMEOUT", reasonCode: "MAX_RETRIES", retryCount: 3 })))
    await dlq((r) => r.add(entry(other)))
    await dlq((r) => r.resolve(auth.id, "customer reconnected", "ops:alice"))
    const ids = async (filter: Parameters<DlqRepo["Service"]["list"]>[0]) =>
      (await dlq((r) => r.list({ tenantId, ...filter }))).entries.map((e) => e.id)
    expect(await ids({})).toEqual([maxed.id, auth.id, media.id])
    expect(await ids({ platform: "linkedin" })).toEqual([auth.id])
    expect(await ids({ code: "MEDIA_INVALID" })).toEqual([media.id])
    expect(await ids({ reason: "MAX_RETRIES" })).toEqual([maxed.id])
    expect(await ids({ resolved: false })).toEqual([maxed.id, media.id])
    expect(await ids({ resolved: true })).toEqual([auth.id])
    const all = (await dlq((r) => r.list({ limit: 500 }))).entries.map((e) => e.tenantId)
    expect(all).toEqual(expect.arrayContaining([tenantId, other]))
  })

  it("pages newest first with a keyset cursor that neither skips nor repeats, ties on the same instant included", async () => {
    const tenantId = await insertTenant(t.db)
    const sameInstant = new Date("2026-11-23T10:00:00.123Z")
    const rows = Array.from({ length: 23 }, (_, i) => ({
      job_id: `job-${i}`,
      tenant_id: tenantId,
      action: "publish" as const,
      payload: "{}",
      error_code: "UNKNOWN" as const,
      taxonomy_action: "SEND_TO_DLQ" as const,
      reason_code: "MAX_RETRIES" as const,
      last_error_message: "boom",
      first_attempt: sameInstant,
      last_attempt: sameInstant,
      runbook: runbookFor("UNKNOWN"),
      // Microsecond-distinct times for some rows and exact ties for the rest.
      created_at: i < 12 ? sameInstant.toISOString() : `2026-11-23T10:00:00.123${String(i).padStart(3, "0")}Z`
    }))
    await t.db.insertInto("dlq_entries").values(rows).execute()
    const expected = (await dlq((r) => r.list({ tenantId, limit: 500 }))).entries.map((e) => e.id)
    expect(expected).toHaveLength(23)
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 24 }), async (limit) => {
        expect((await allPages({ tenantId, limit })).map((e) => e.id)).toEqual(expected)
      }),
      { numRuns: 12 }
    )
  })

  it("refuses a cursor it did not issue", async () => {
    for (const cursor of ["garbage", Buffer.from(JSON.stringify({ at: "yesterday", id: "x" })).toString("base64url")]) {
      expect(failureTag(await dlqExit((r) => r.list({ cursor })))).toBe("DlqCursorInvalid")
    }
  })
})

describe("DlqRepo operator actions", () => {
  it("resolves once, recording who and why: the first resolution stands", async () => {
    const tenantId = await insertTenant(t.db)
    const added = await dlq((r) => r.add(entry(tenantId)))
    expect((await dlq((r) => r.resolve(added.id, "media replaced, replayed", "ops:alice"))).resolved).toBe(true)
    const second = await dlq((r) => r.resolve(added.id, "second opinion", "ops:bob"))
    expect(second.resolved).toBe(false)
    expect(second.entry).toMatchObject({ resolution: "media replaced, replayed", resolvedBy: "ops:alice" })
    expect(await dlq((r) => r.get(added.id))).toMatchObject({
      resolution: "media replaced, replayed",
      resolvedBy: "ops:alice",
      resolvedAt: expect.any(Date)
    })
  })

  it("resolves per tenant when asked: another tenant's entry is not found and stays open", async () => {
    const tenantId = await insertTenant(t.db)
    const added = await dlq((r) => r.add(entry(tenantId)))
    expect(failureTag(await dlqExit((r) => r.resolve(added.id, "x", "admin:eve", crypto.randomUUID())))).toBe("DlqEntryNotFound")
    expect((await dlq((r) => r.get(added.id))).resolvedAt).toBeNull()
  })

  it("resolves a replayed post's open entries once it is published, and leaves entries never replayed open", async () => {
    const tenantId = await insertTenant(t.db)
    const connectionId = await insertConnection(t.db, tenantId)
    const postId = await insertPost(t.db, tenantId, connectionId)
    const replayed = await dlq((r) => r.add(entry(tenantId, { postId, connectionId })))
    await dlq((r) => r.markReplayed(replayed.id))
    const otherPost = await insertPost(t.db, tenantId, connectionId)
    const untouched = await dlq((r) => r.add(entry(tenantId, { postId: otherPost, connectionId })))
    expect(await dlq((r) => r.resolveForPost(postId, "published after replay"))).toBe(1)
    expect(await dlq((r) => r.get(replayed.id))).toMatchObject({ resolvedBy: "system", resolution: "published after replay" })
    expect(await dlq((r) => r.resolveForPost(otherPost, "published"))).toBe(0)
    expect((await dlq((r) => r.get(untouched.id))).resolvedAt).toBeNull()
  })

  it("counts replays", async () => {
    const tenantId = await insertTenant(t.db)
    const added = await dlq((r) => r.add(entry(tenantId)))
    await dlq((r) => r.markReplayed(added.id))
    const twice = await dlq((r) => r.markReplayed(added.id))
    expect(twice).toMatchObject({ replayCount: 2, replayedAt: expect.any(Date), resolvedAt: null })
  })

  it("reports unknown ids, and another tenant's entry when asked per tenant, as not found", async () => {
    const tenantId = await insertTenant(t.db)
    const added = await dlq((r) => r.add(entry(tenantId)))
    const missing = crypto.randomUUID()
    expect(failureTag(await dlqExit((r) => r.get(missing)))).toBe("DlqEntryNotFound")
    expect(failureTag(await dlqExit((r) => r.resolve(missing, "x", "ops:alice")))).toBe("DlqEntryNotFound")
    expect(failureTag(await dlqExit((r) => r.markReplayed(missing)))).toBe("DlqEntryNotFound")
    expect(failureTag(await dlqExit((r) => r.get(added.id, crypto.randomUUID())))).toBe("DlqEntryNotFound")
    expect((await dlq((r) => r.get(added.id, tenantId))).id).toBe(added.id)
  })
})
