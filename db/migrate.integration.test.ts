import { sql } from "kysely"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { createTestDatabase, type TestDatabase } from "../test/db/testDatabase.ts"
import { migrateToLatest } from "./migrate.ts"

let t: TestDatabase
beforeAll(async () => {
  t = await createTestDatabase({ migrate: false })
})
afterAll(async () => {
  await t.drop()
})

const insertTenant = () =>
  t.db.insertInto("tenants").values({ name: "Acme" }).returning("id").executeTakeFirstOrThrow()

describe("migrations", () => {
  it("apply in order on an empty database and are a no-op the second time", async () => {
    const first = await migrateToLatest(t.db)
    expect(first.applied.slice(0, 2)).toEqual([
      "2026_11_23_0001_tenants_connections_audit",
      "2026_11_23_0002_publish_pipeline"
    ])
    const second = await migrateToLatest(t.db)
    expect(second.applied).toEqual([])
    const tables = await sql<{ table_name: string }>`
      select table_name from information_schema.tables where table_schema = 'public' order by table_name`.execute(t.db)
    expect(tables.rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining([
        "connection_audit", "connections", "tenants", "posts", "publish_attempts", "dlq_entries",
        "rate_limit_buckets", "circuit_breakers"
      ])
    )
  })

  it("gives a new connection the active/healthy defaults and an empty scope list", async () => {
    const tenant = await insertTenant()
    const row = await t.db
      .insertInto("connections")
      .values({ tenant_id: tenant.id, brand_id: "b1", platform: "linkedin", partner_account_id: "urn:li:organization:1" })
      .returningAll()
      .executeTakeFirstOrThrow()
    expect(row).toMatchObject({ status: "active", health_status: "healthy", scopes: [], pause_reason: null })
  })

  it("refuses a platform, status or pause reason outside the contract", async () => {
    const tenant = await insertTenant()
    const base = { tenant_id: tenant.id, brand_id: "b1", partner_account_id: "p1" }
    await expect(
      t.db.insertInto("connections").values({ ...base, platform: "myspace" as "meta" }).execute()
    ).rejects.toThrow(/check constraint/)
    await expect(
      t.db.insertInto("connections").values({ ...base, platform: "meta", status: "broken" as "active" }).execute()
    ).rejects.toThrow(/check constraint/)
    await expect(
      t.db
        .insertInto("connections")
        .values({ ...base, platform: "meta", status: "attention", pause_reason: "TOKEN_GONE" as "UNKNOWN" })
        .execute()
    ).rejects.toThrow(/check constraint/)
  })

  it("requires a taxonomy reason for an automatic pause and none on an active connection", async () => {
    const tenant = await insertTenant()
    const base = { tenant_id: tenant.id, brand_id: "b1", platform: "tiktok" as const }
    await expect(
      t.db.insertInto("connections").values({ ...base, partner_account_id: "a", status: "attention" }).execute()
    ).rejects.toThrow(/connections_pause_reason_matches_status/)
    await expect(
      t.db
        .insertInto("connections")
        .values({ ...base, partner_account_id: "b", status: "active", pause_reason: "AUTH_EXPIRED" })
        .execute()
    ).rejects.toThrow(/connections_pause_reason_matches_status/)
    const ok = await t.db
      .insertInto("connections")
      .values({ ...base, partner_account_id: "c", status: "revoked", pause_reason: "APP_DEAUTHORIZED" })
      .returning("status")
      .executeTakeFirstOrThrow()
    expect(ok.status).toBe("revoked")
  })

  it("keeps one connection per tenant, platform and partner account", async () => {
    const tenant = await insertTenant()
    const values = { tenant_id: tenant.id, brand_id: "b1", platform: "gbp" as const, partner_account_id: "locations/1" }
    await t.db.insertInto("connections").values(values).execute()
    await expect(t.db.insertInto("connections").values(values).execute()).rejects.toThrow(/duplicate key/)
  })

  it("records audit rows with JSON details against a connection", async () => {
    const tenant = await insertTenant()
    const conn = await t.db
      .insertInto("connections")
      .values({ tenant_id: tenant.id, brand_id: "b", platform: "mailchimp", partner_account_id: "us1:abc" })
      .returning("id")
      .executeTakeFirstOrThrow()
    await t.db
      .insertInto("connection_audit")
      .values({
        tenant_id: tenant.id,
        connection_id: conn.id,
        action: "auto_pause",
        details: JSON.stringify({ reason_code: "AUTH_INVALID" }),
        actor: "system"
      })
      .execute()
    const audit = await t.db.selectFrom("connection_audit").selectAll().where("connection_id", "=", conn.id).execute()
    expect(audit).toHaveLength(1)
    expect(audit[0]?.details).toEqual({ reason_code: "AUTH_INVALID" })
    expect(audit[0]?.at).toBeInstanceOf(Date)
  })
})
