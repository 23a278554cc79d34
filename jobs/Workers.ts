// The worker side of a process: one handler per queue, each decoding its payload and running one
// effect. Used by `npm start` (API and workers in one process) and `npm run worker` (workers only).
import { Config, Effect, type ManagedRuntime, Schema } from "effect"
import type { JobResult } from "pg-boss"
import { DlqRepo } from "../db/DlqRepo.ts"
import type { MetricRecorder } from "../observability/MetricRecorder.ts"
import { Backfill } from "./Backfill.ts"
import { ConnectionRecovery } from "./ConnectionRecovery.ts"
import { HealthChecks, HealthConfig } from "./HealthChecks.ts"
import { JobQueue } from "./JobQueue.ts"
import { PublishPipeline } from "./PublishPipeline.ts"
import { DEAD_LETTER_QUEUE, PingJob, WebhookJob } from "./queues.ts"
import { WebhookProcessor } from "./WebhookProcessor.ts"
import { DEFAULT_WORKER_OPTIONS, runWorker } from "./runWorker.ts"

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export type WorkerServices =
  | JobQueue
  | PublishPipeline
  | ConnectionRecovery
  | Backfill
  | WebhookProcessor
  | HealthChecks
  | DlqRepo
  | MetricRecorder

/** Ping workers: their concurrency bounds how many health checks (and probes) run at once per process. */
export const PingWorkerConfig = Config.all({
  batchSize: Config.Int("PING_BATCH_SIZE").pipe(Config.withDefault(10)),
  localConcurrency: Config.Int("PING_CONCURRENCY").pipe(Config.withDefault(4)),
  pollingIntervalSeconds: Config.Number("PING_POLL_SECONDS").pipe(Config.withDefault(1))
})

/** The webhook worker; it also wakes on pg-boss's LISTEN/NOTIFY, so polling is only the fallback. */
export const WebhookWorkerConfig = Config.all({
  batchSize: Config.Int("WEBHOOK_BATCH_SIZE").pipe(Config.withDefault(10)),
  localConcurrency: Config.Int("WEBHOOK_CONCURRENCY").pipe(Config.withDefault(2)),
  pollingIntervalSeconds: Config.Number("WEBHOOK_POLL_SECONDS").pipe(Config.withDefault(0.5))
})

const isWebhookJob = Schema.is(WebhookJob)
const isPingJob = Schema.is(PingJob)

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
  await runWorker(
    runtime,
    "ping",
    (job) =>
      job.reason === "breaker_probe"
        ? ConnectionRecovery.use((r) => r.probe(job.tenantId, job.connectionId))
        : HealthChecks.use((h) => h.ping(job.tenantId, job.connectionId)),
    await runtime.runPromise(PingWorkerConfig)
  )
  await runWorker(runtime, "webhook", (job) => WebhookProcessor.use((w) => w.process(job.eventId)), await runtime.runPromise(WebhookWorkerConfig))
  await runWorker(runtime, "health-sweep", () => HealthChecks.use((h) => h.sweep()), {
    batchSize: 1,
    localConcurrency: 1,
    pollingIntervalSeconds: 5
  })
  // The sweep's schedule: pg-boss keeps one schedule per name, so every process setting it agrees.
  await runtime.runPromise(
    Effect.gen(function* () {
      const { boss } = yield* JobQueue
      const { interval } = yield* HealthConfig
      yield* Effect.tryPromise(() => boss.schedule("health-sweep", interval, {}, { tz: "UTC" }))
    })
  )
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
                /** The job is done once its DLQ entry is; otherwise pg-boss keeps it, failed. */
                const keep = async (entry: Parameters<typeof dlq.add>[0]): Promise<JobResult> => {
                  const exit = await runtime.runPromiseExit(dlq.add(entry))
                  return exit._tag === "Success"
                    ? { id: job.id, status: "completed" }
                    : { id: job.id, status: "failed", output: { error: "could not record the DLQ entry" } }
                }
                if (isWebhookJob(job.data)) {
                  // A webhook event belongs to no tenant until it is matched: the operators' entry.
                  return keep({
                    jobId: job.id,
                    tenantId: null,
                    action: "webhook",
                    payload: job.data,
                    errorCode: "WEBHOOK_FAILURE",
                    reasonCode: "WEBHOOK_FAILURE",
                    lastErrorMessage: "webhook job handler kept failing; see the job's output in pg-boss",
                    retryCount: job.retryCount,
                    firstAttempt: job.createdOn
                  })
                }
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
                return keep({
                  jobId: job.id,
                  tenantId: data.tenantId,
                  connectionId: null,
                  postId: typeof data.postId === "string" ? data.postId : null,
                  platform: null,
                  action: isPingJob(job.data) ? "health_check" : "publish",
                  payload: job.data,
                  errorCode: "UNKNOWN",
                  reasonCode: "MAX_RETRIES",
                  lastErrorMessage: "job handler kept failing; see the job's output in pg-boss",
                  retryCount: job.retryCount,
                  firstAttempt: job.createdOn
                })
              })
            )
        )
      )
    })
  )
}
