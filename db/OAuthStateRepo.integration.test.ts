import { Layer, ManagedRuntime } from "effect"
import { sql } from "kysely"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { databaseLayer, insertTenant } from "../test/db/fixtures.ts"
import { createTestDatabase, type TestDatabase } from "../test/db/testDatabase.ts"
import { OAuthStateRepo, RETENTION_DAYS, type StateUse } from "./OAuthStateRepo.ts"

let t: TestDatabase
let rt: ManagedRuntime.ManagedRuntime<OAuthStateRepo, never>
beforeAll(async () => {
  t = await createTestDatabase()
  rt = ManagedRuntime.make(OAuthStateRepo.layer.pipe(Layer.provide(databaseLayer(t.url))))
})
afterAll(async () => {
  await rt.dispose()
  await t.drop()
})

const DAY = 86_400_000
const use = (tenantId: string, expiresAt: Date): StateUse => ({
  stateId: crypto.randomUUID(),
  tenantId,
  platform: "linkedin",
  purpose: "reconnect",
  connectionId: null,
  actor: "admin-user",
  expiresAt
})
const consume = (u: StateUse) => rt.runPromise(OAuthStateRepo.use((r) => r.consume(u)))

describe("OAuthStateRepo", () => {
  it("records a state's use once: a second use of the same state is a replay", async () => {
    const tenantId = await insertTenant(t.db)
    const u = use(tenantId, new Date(Date.now() + 600_000))
    expect(await consume(u)).toBe(true)
    expect(await consume(u)).toBe(false)
    expect(await rt.runPromise(OAuthStateRepo.use((r) => r.isUsed(u.stateId)))).toBe(true)
  })

  it(`prunes the rows of states expired more than ${RETENTION_DAYS} days ago when a new state is used, and keeps the rest`, async () => {
    const tenantId = await insertTenant(t.db)
    const old = use(tenantId, new Date(Date.now() - (RETENTION_DAYS + 1) * DAY))
    const recent = use(tenantId, new Date(Date.now() - (RETENTION_DAYS - 1) * DAY))
    expect(await consume(old)).toBe(true)
    expect(await consume(recent)).toBe(true)
    // The old row went with the recent state's use (and with its own: pruning follows the insert).
    const fresh = use(tenantId, new Date(Date.now() + 600_000))
    expect(await consume(fresh)).toBe(true)
    const { rows } = await sql<{ state_id: string }>`select state_id from oauth_state_uses where tenant_id = ${tenantId}`.execute(t.db)
    expect(rows.map((r) => r.state_id).sort()).toEqual([recent.stateId, fresh.stateId].sort())
  })
})
