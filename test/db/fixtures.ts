// What the integration tests stand on: tenants, connections and posts inserted straight through Kysely
// (no tokens) so repository tests do not depend on one another, and the layers they run with.
import { randomBytes } from "node:crypto"
import { Layer } from "effect"
import type { Kysely } from "kysely"
import type { Platform } from "../../core/taxonomy/Taxonomy.ts"
import { Database } from "../../db/Database.ts"
import type { DatabaseSchema } from "../../db/DatabaseSchema.ts"
import { DatabaseUrl } from "../../db/DatabaseUrl.ts"
import { TokenCipher } from "../../db/TokenCipher.ts"

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

/** The `Database` service over a test database's URL (its own pool; migrations already applied). */
export const databaseLayer = (url: string): Layer.Layer<Database> =>
  Database.layer.pipe(Layer.provide(DatabaseUrl.fromUrl(url)), Layer.orDie)

/** A cipher with a fixed random key, so tests never touch the development key file. */
export const testCipherLayer = (keyId = "test"): Layer.Layer<TokenCipher> => {
  const key = new Uint8Array(randomBytes(32))
  return Layer.succeed(TokenCipher, TokenCipher.fromKeyring({ current: { id: keyId, key }, keys: new Map([[keyId, key]]) }))
}
