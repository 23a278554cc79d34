// A fresh, migrated database per test file on the run's PostgreSQL server, so files run in parallel
// without sharing state. Call in `beforeAll`; `drop()` in `afterAll`.
import { randomBytes } from "node:crypto"
import type { Kysely } from "kysely"
import pg from "pg"
import { inject } from "vitest"
import { makeKysely } from "../../db/Database.ts"
import type { DatabaseSchema } from "../../db/DatabaseSchema.ts"
import { migrateToLatest } from "../../db/migrate.ts"

export interface TestDatabase {
  readonly url: string
  readonly name: string
  readonly db: Kysely<DatabaseSchema>
  readonly drop: () => Promise<void>
}

const admin = async <A>(adminUrl: string, f: (client: pg.Client) => Promise<A>): Promise<A> => {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    return await f(client)
  } finally {
    await client.end()
  }
}

export const createTestDatabase = async (options: { readonly migrate?: boolean } = {}): Promise<TestDatabase> => {
  const adminUrl = inject("adminDatabaseUrl")
  const name = `postd_test_${randomBytes(6).toString("hex")}`
  await admin(adminUrl, (c) => c.query(`create database ${name}`))
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  const db = makeKysely(url.toString(), 5)
  if (options.migrate !== false) await migrateToLatest(db)
  return {
    url: url.toString(),
    name,
    db,
    drop: async () => {
      await db.destroy()
      await admin(adminUrl, (c) => c.query(`drop database if exists ${name} with (force)`))
    }
  }
}
