import { Cause, Effect, Exit, Layer, ManagedRuntime, Schema } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { createTestDatabase, type TestDatabase } from "../test/db/testDatabase.ts"
import { Database } from "./Database.ts"
import { DatabaseUrl } from "./DatabaseUrl.ts"

class Refused extends Schema.TaggedError<Refused>()("Refused", { why: Schema.String }) {}

let t: TestDatabase
let runtime: ManagedRuntime.ManagedRuntime<Database, unknown>
beforeAll(async () => {
  t = await createTestDatabase()
  runtime = ManagedRuntime.make(Database.layer.pipe(Layer.provide(DatabaseUrl.fromUrl(t.url))))
})
afterAll(async () => {
  await runtime.dispose()
  await t.drop()
})

const insertTenant = (name: string) =>
  Database.use((d) =>
    d.transaction("test", (trx) =>
      Effect.tryPromise(() => trx.insertInto("tenants").values({ name }).execute()).pipe(Effect.orDie)
    )
  )
const tenantNames = () => t.db.selectFrom("tenants").select("name").execute()

describe("Database.transaction", () => {
  it("commits what its body wrote when the body succeeds", async () => {
    await runtime.runPromise(insertTenant("committed"))
    expect((await tenantNames()).map((r) => r.name)).toContain("committed")
  })

  it("rolls back what its body wrote when the body fails, and returns that typed failure unchanged", async () => {
    const exit = await runtime.runPromiseExit(
      Database.use((d) =>
        d.transaction("test", (trx) =>
          Effect.tryPromise(() => trx.insertInto("tenants").values({ name: "rolled back" }).execute()).pipe(
            Effect.orDie,
            Effect.andThen(Effect.fail(new Refused({ why: "no" })))
          )
        )
      )
    )
    expect(exit._tag).toBe("Failure")
    expect(JSON.stringify(exit)).toContain("Refused")
    expect((await tenantNames()).map((r) => r.name)).not.toContain("rolled back")
  })

  it("rolls back when a statement in its body fails, passing that failure through", async () => {
    const exit = await runtime.runPromiseExit(
      Database.use((d) =>
        d.transaction("test", (trx) =>
          Effect.gen(function* () {
            yield* Effect.promise(() => trx.insertInto("tenants").values({ name: "first of two" }).execute())
            // Violates the name length check: the whole transaction must go.
            yield* Effect.promise(() => trx.insertInto("tenants").values({ name: "" }).execute())
          })
        )
      )
    )
    expect(Exit.isFailure(exit) ? String(Cause.squash(exit.cause)) : "").toMatch(/check constraint/)
    expect((await tenantNames()).map((r) => r.name)).not.toContain("first of two")
  })
})
