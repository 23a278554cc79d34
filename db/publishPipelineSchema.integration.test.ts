import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { insertConnection, insertPost, insertTenant } from "../test/db/fixtures.ts"
import { createTestDatabase, type TestDatabase } from "../test/db/testDatabase.ts"

let t: TestDatabase
beforeAll(async () => {
  t = await createTestDatabase()
})
afterAll(async () => {
  await t.drop()
})

describe("publish pipeline schema", () => {
  it("defaults a post's dedupe key to its id and keeps given keys unique", async () => {
    const tenant = await insertTenant(t.db)
    const conn = await insertConnection(t.db, tenant)
    const id = await insertPost(t.db, tenant, conn)
    const row = await t.db.selectFrom("posts").selectAll().where("id", "=", id).executeTakeFirstOrThrow()
    expect(row).toMatchObject({ dedupe_key: id, status: "scheduled", attempts: 0, media_urls: [] })
    await insertPost(t.db, tenant, conn, { dedupeKey: "campaign-42" })
    await expect(insertPost(t.db, tenant, conn, { dedupeKey: "campaign-42" })).rejects.toThrow(/duplicate key/)
  })

  it("refuses a post pointing at another tenant's connection", async () => {
    const a = await insertTenant(t.db, "A")
    const b = await insertTenant(t.db, "B")
    const connOfB = await insertConnection(t.db, b)
    await expect(insertPost(t.db, a, connOfB)).rejects.toThrow(/posts_connection_tenant_fkey/)
  })

  it("refuses a published post without a partner post id and time", async () => {
    const tenant = await insertTenant(t.db)
    const id = await insertPost(t.db, tenant, await insertConnection(t.db, tenant))
    await expect(t.db.updateTable("posts").set({ status: "published" }).where("id", "=", id).execute()).rejects.toThrow(
      /posts_published_has_partner_post/
    )
  })

  it("refuses a DLQ entry without a taxonomy code or with a code outside the contract", async () => {
    const tenant = await insertTenant(t.db)
    const base = {
      job_id: "job-1",
      tenant_id: tenant,
      action: "publish" as const,
      payload: JSON.stringify({}),
      taxonomy_action: "SEND_TO_DLQ" as const,
      reason_code: "UNRETRYABLE" as const,
      last_error_message: "boom",
      first_attempt: new Date(),
      last_attempt: new Date(),
      runbook: "docs/runbooks/partner-errors.md#unknown"
    }
    await expect(
      t.db.insertInto("dlq_entries").values({ ...base, error_code: null as unknown as "UNKNOWN" }).execute()
    ).rejects.toThrow(/null value/)
    await expect(
      t.db.insertInto("dlq_entries").values({ ...base, error_code: "OOPS" as "UNKNOWN" }).execute()
    ).rejects.toThrow(/check constraint/)
    const ok = await t.db.insertInto("dlq_entries").values({ ...base, error_code: "UNKNOWN" }).returning(["replay_count", "resolved_at"]).executeTakeFirstOrThrow()
    expect(ok).toEqual({ replay_count: 0, resolved_at: null })
  })

  it("keeps an open breaker's opening time and a half-open breaker's probe time", async () => {
    const tenant = await insertTenant(t.db)
    const conn = await insertConnection(t.db, tenant)
    await expect(
      t.db.insertInto("circuit_breakers").values({ connection_id: conn, state: "open" }).execute()
    ).rejects.toThrow(/circuit_breakers_state_times/)
    await expect(
      t.db.insertInto("circuit_breakers").values({ connection_id: conn, state: "half_open", opened_at: new Date() }).execute()
    ).rejects.toThrow(/circuit_breakers_state_times/)
  })
})
