// Rows the integration tests stand on: a tenant and a connection, inserted straight through Kysely
// (no tokens) so repository tests do not depend on one another.
import type { Kysely } from "kysely"
import type { DatabaseSchema } from "../../db/DatabaseSchema.ts"
import type { Platform } from "../../core/taxonomy/Taxonomy.ts"

let counter = 0
const unique = (prefix: string): string => `${prefix}-${process.pid}-${++counter}-${Math.random().toString(36).slice(2, 8)}`

export const insertTenant = async (db: Kysely<DatabaseSchema>, name = "Acme"): Promise<string> =>
  (await db.insertInto("tenants").values({ name }).returning("id").executeTakeFirstOrThrow()).id

export const insertConnection = async (
  db: Kysely<DatabaseSchema>,
  tenantId: string,
  platform: Platform = "linkedin",
  partnerAccountId: string = unique("acct")
): Promise<string> =>
  (
    await db
      .insertInto("connections")
      .values({ tenant_id: tenantId, brand_id: "brand-1", platform, partner_account_id: partnerAccountId })
      .returning("id")
      .executeTakeFirstOrThrow()
  ).id

export const insertPost = async (
  db: Kysely<DatabaseSchema>,
  tenantId: string,
  connectionId: string,
  overrides: { readonly scheduledAt?: Date; readonly dedupeKey?: string; readonly status?: "scheduled" | "held" } = {}
): Promise<string> =>
  (
    await db
      .insertInto("posts")
      .values({
        tenant_id: tenantId,
        connection_id: connectionId,
        brand_id: "brand-1",
        text: "hello",
        format: "text",
        scheduled_at: overrides.scheduledAt ?? new Date("2026-12-01T10:00:00Z"),
        ...(overrides.dedupeKey === undefined ? {} : { dedupe_key: overrides.dedupeKey }),
        ...(overrides.status === undefined ? {} : { status: overrides.status })
      })
      .returning("id")
      .executeTakeFirstOrThrow()
  ).id
