// The worker side of a process: one handler per queue, each decoding its payload and running one
// effect. Used by `npm start` (API and workers in one process) and `npm run worker` (workers only).
import { Config, Effect, type ManagedRuntime } from "effect"
import type { JobResult } from "pg-boss"
import { DlqRepo } from "../db/DlqRepo.ts"
import type { MetricRecorder } from "../observability/MetricRecorder.ts"
import { Backfill } from "./Backfill.ts"
import { ConnectionRecovery } from "./ConnectionRecovery.ts"
import { JobQueue } from "./JobQueue.ts"
import { PublishPipeline } from "./PublishPipeline.ts"
import { DEAD_LETTER_QUEUE } from "./queues.ts"
import { DEFAULT_WORKER_OPTIONS, runWorker } from "./runWorker.ts"

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export type WorkerServices = JobQueue | PublishPipeline | ConnectionRecovery | Backfill | DlqRepo | MetricRecorder

/** How the publish worker fetches: batches (stack.md §3: one-job fetches are polling-bound). */
export const PublishWorkerConfig = Config.all({
  batchSize: Config.Int("PUBLISH_BATCH_SIZE").pipe(Config.withDefault(DEFAULT_WORKER_OPTIONS.batchSize)),
  localConcurrency: Config.Int("PUBLISH_CONCURRENCY").pipe(Config.withDefault(DEFAULT_WORKER_OPTIONS.localConcurrency)),
  pollingIntervalSeconds: Config.Number("PUBLISH_POLL_SECONDS").pipe(
    Config.withDefault(DEFAULT_WORKER_OPTIONS.pollingIntervalSeconds)
  )
})

export const startWorkers = async (runtime: ManagedRuntime.ManagedRuntime<WorkerServices, unknown>): Promise<void> => {
  const publishOptions = await runtime.runPromise(PublishWorkerConfig)
  await runWorker(runtime, "publish", (job) => PublishPipeline.use((p) => p.run(job)), publishOptions)
  await runWorker(runtime, "ping", (job) => ConnectionRecovery.use((r) => r.probe(job.tenantId, job.connectionId)), {
    batchSize: 10,
    localConcurrency: 1,
    pollingIntervalSeconds: 1
  })
  await runWorker(runtime, "backfill", (job) => Backfill.use((b) => b.run(job)), {
    batchSize: 5,
    localConcurrency: 1,
    pollingIntervalSeconds: 1
  })
  // A job pg-boss gave up on (our own failures, retried with backoff) is kept for an operator,
  // classified as UNKNOWN / MAX_RETRIES: nothing is lost, nothing enters the DLQ unclassified.
  await runtime.runPromise(
    Effect.gen(function* () {
      const { boss } = yield* JobQueue
      const dlq = yield* DlqRepo
      yield* Effect.promise(() =>
        boss.work(
          DEAD_LETTER_QUEUE,
          { batchSize: 10, pollingIntervalSeconds: 2, includeMetadata: true, perJobResults: true },
          (jobs) =>
            Promise.all(
              jobs.map(async (job): Promise<JobResult> => {
                const data = (job.data ?? {}) as { tenantId?: unknown; postId?: unknown }
                if (typeof data.tenantId !== "string" || !UUID.test(data.tenantId)) {
                  // Not attributable to a tenant (every queue's payload has one, so this is a bug):
                  // left failed in pg-boss and said loudly, rather than inventing a tenant.
                  await runtime.runPromise(
                    Effect.logError("dead-lettered job without a tenant; left in pg-boss for an engineer").pipe(
                      Effect.annotateLogs({ jobId: job.id, queue: DEAD_LETTER_QUEUE })
                    )
                  )
                  return { id: job.id, status: "failed", output: { error: "no tenant in the payload" } }
                }
                const exit = await runtime.runPromiseExit(
                  dlq.add({
                    jobId: job.id,
                    tenantId: data.tenantId,
                    connectionId: null,
                    postId: typeof data.postId === "string" ? data.postId : null,
                    platform: null,
                    action: "publish",
                    payload: job.data,
                    errorCode: "UNKNOWN",
                    reasonCode: "MAX_RETRIES",
                    lastErrorMessage: "job handler kept failing; see the job's output in pg-boss",
                    retryCount: job.retryCount,
                    firstAttempt: job.createdOn
                  })
                )
                return exit._tag === "Success"
                  ? { id: job.id, status: "completed" }
                  : { id: job.id, status: "failed", output: { error: "could not record the DLQ entry" } }
              })
            )
        )
      )
    })
  )
}
