// The dead-letter worker (jobs/Workers.ts): a job pg-boss gave up on becomes a classified DLQ entry —
// a webhook job the operators' WEBHOOK_FAILURE entry (no tenant yet), any other job its tenant's
// UNKNOWN / MAX_RETRIES entry — and a payload without a tenant stays failed in pg-boss, never guessed.
import { Effect } from "effect"
import { sql } from "kysely"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Harness, startHarness, waitFor } from "../test/pipeline/PipelineHarness.ts"
import { JobQueue } from "./JobQueue.ts"
import { DEAD_LETTER_QUEUE } from "./queues.ts"

let h: Harness
beforeAll(async () => {
  h = await startHarness()
}, 300_000)
afterAll(async () => {
  await h?.close()
})

const deadLetter = async (data: object): Promise<string> => {
  const boss = await h.run(JobQueue.use((q) => Effect.succeed(q.boss)))
  const id = await boss.send(DEAD_LETTER_QUEUE, data)
  if (id === null) throw new Error("pg-boss did not create the job")
  return id
}

const entryFor = (jobId: string) =>
  waitFor(
    () => h.t.db.selectFrom("dlq_entries").select(["tenant_id", "action", "error_code", "reason_code", "payload"]).where("job_id", "=", jobId).execute(),
    (rows) => rows.length > 0,
    20_000
  )

describe("the dead-letter worker", () => {
  it("keeps a webhook job pg-boss gave up on as an operators' WEBHOOK_FAILURE entry", async () => {
    const eventId = crypto.randomUUID()
    const jobId = await deadLetter({ eventId })
    expect(await entryFor(jobId)).toEqual([
      { tenant_id: null, action: "webhook", error_code: "WEBHOOK_FAILURE", reason_code: "WEBHOOK_FAILURE", payload: { eventId } }
    ])
  })

  it("keeps a ping job as its tenant's health_check entry, UNKNOWN / MAX_RETRIES", async () => {
    const tenantId = await h.newTenant()
    const payload = { tenantId, connectionId: crypto.randomUUID(), reason: "sweep" }
    const jobId = await deadLetter(payload)
    expect(await entryFor(jobId)).toEqual([{ tenant_id: tenantId, action: "health_check", error_code: "UNKNOWN", reason_code: "MAX_RETRIES", payload }])
  })

  it("leaves a job without a tenant failed in pg-boss and writes no entry", async () => {
    const jobId = await deadLetter({ postId: "p-1" })
    const job = await waitFor(
      async () => (await sql<{ state: string }>`select state from pgboss.job where id = ${jobId}`.execute(h.t.db)).rows[0],
      (row) => row?.state === "failed",
      20_000
    )
    expect(job?.state).toBe("failed")
    expect(await h.t.db.selectFrom("dlq_entries").select("id").where("job_id", "=", jobId).execute()).toEqual([])
  })
})
