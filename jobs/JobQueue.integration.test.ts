import { Effect, Layer, ManagedRuntime } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { DatabaseUrl } from "../db/DatabaseUrl.ts"
import { MetricRecorder } from "../observability/MetricRecorder.ts"
import { createTestDatabase, type TestDatabase } from "../test/db/testDatabase.ts"
import { JobQueue } from "./JobQueue.ts"
import { DEAD_LETTER_QUEUE, QUEUE_NAMES } from "./queues.ts"

let t: TestDatabase
let runtime: ManagedRuntime.ManagedRuntime<JobQueue, unknown>

beforeAll(async () => {
  t = await createTestDatabase()
  runtime = ManagedRuntime.make(
    JobQueue.layer.pipe(Layer.provide(Layer.mergeAll(DatabaseUrl.fromUrl(t.url), MetricRecorder.layerTest)))
  )
  await runtime.runPromise(Effect.void)
})
afterAll(async () => {
  await runtime.dispose()
  await t.drop()
})

const boss = () => runtime.runPromise(JobQueue.use((q) => Effect.succeed(q.boss)))

describe("JobQueue", () => {
  it("creates the publish, ping, backfill and summary queues and the dead-letter queue at start", async () => {
    const queues = await (await boss()).getQueues()
    expect(queues.map((q) => q.name).filter((n) => !n.startsWith("__pgboss")).sort()).toEqual([...QUEUE_NAMES, DEAD_LETTER_QUEUE].sort())
    const publish = queues.find((q) => q.name === "publish")
    expect(publish).toMatchObject({ deadLetter: DEAD_LETTER_QUEUE })
  })

  it("commits a business write and its job together, and neither when the transaction rolls back", async () => {
    const tenantId = crypto.randomUUID()
    await t.db.transaction().execute(async (trx) => {
      await trx.insertInto("tenants").values({ id: tenantId, name: "committed" }).execute()
      await runtime.runPromise(
        JobQueue.use((q) => q.send("publish", { tenantId, postId: "p-commit", cycleId: "c1" }, { trx }))
      )
    })
    const rolledBack = crypto.randomUUID()
    await expect(
      t.db.transaction().execute(async (trx) => {
        await trx.insertInto("tenants").values({ id: rolledBack, name: "rolled back" }).execute()
        await runtime.runPromise(
          JobQueue.use((q) => q.send("publish", { tenantId: rolledBack, postId: "p-rollback", cycleId: "c2" }, { trx }))
        )
        throw new Error("abort")
      })
    ).rejects.toThrow("abort")

    const jobs = await (await boss()).findJobs("publish", {})
    const postIds = jobs.map((j) => (j.data as { postId: string }).postId)
    expect(postIds).toContain("p-commit")
    expect(postIds).not.toContain("p-rollback")
    const tenants = await t.db.selectFrom("tenants").select("id").where("id", "in", [tenantId, rolledBack]).execute()
    expect(tenants.map((r) => r.id)).toEqual([tenantId])
  })

  it("refuses a payload its queue's schema does not accept, enqueuing nothing", async () => {
    const before = (await (await boss()).findJobs("ping", {})).length
    const exit = await runtime.runPromiseExit(
      // @ts-expect-error: reason must be one of the schema's literals
      JobQueue.use((q) => q.send("ping", { tenantId: "t", connectionId: "c", reason: "whatever" }))
    )
    expect(exit._tag).toBe("Failure")
    expect((await (await boss()).findJobs("ping", {})).length).toBe(before)
  })

  it("delays a job by startAfterMs", async () => {
    const id = await runtime.runPromise(
      JobQueue.use((q) => q.send("publish", { tenantId: "t", postId: "p-later", cycleId: "c3" }, { startAfterMs: 60_000 }))
    )
    const [job] = await (await boss()).findJobs("publish", { id: id ?? "" })
    const startAfter = (job as unknown as { startAfter: Date }).startAfter
    expect(startAfter.getTime() - Date.now()).toBeGreaterThan(50_000)
  })
})
