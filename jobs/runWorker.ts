// Registers one queue's handler with pg-boss: batches (a batchSize-1 worker is polling-bound, see
// stack.md §3), each payload decoded with the queue's schema, each job settled on its own. A payload
// that does not decode is dead-lettered at once (retrying cannot fix it); a handler that fails with
// our own error is failed, and pg-boss retries it with backoff, then dead-letters it.
import { Cause, Effect, Exit, type ManagedRuntime, Schema } from "effect"
import type { JobResult, JobWithMetadata } from "pg-boss"
import { MetricRecorder } from "../observability/MetricRecorder.ts"
import { JobQueue } from "./JobQueue.ts"
import { type PayloadOf, QUEUES, type QueueName } from "./queues.ts"

export interface WorkerOptions {
  readonly batchSize: number
  readonly localConcurrency: number
  readonly pollingIntervalSeconds: number
}

export const DEFAULT_WORKER_OPTIONS: WorkerOptions = { batchSize: 20, localConcurrency: 2, pollingIntervalSeconds: 0.5 }

export type JobHandler<Q extends QueueName, R> = (
  payload: PayloadOf<Q>,
  job: { readonly id: string; readonly retryCount: number }
) => Effect.Effect<unknown, unknown, R>

/** Starts the worker; returns its id for `offWork`. */
export const runWorker = <Q extends QueueName, R>(
  runtime: ManagedRuntime.ManagedRuntime<R | JobQueue | MetricRecorder, unknown>,
  queue: Q,
  handler: JobHandler<Q, R>,
  options: WorkerOptions = DEFAULT_WORKER_OPTIONS
): Promise<string> =>
  runtime.runPromise(
    Effect.gen(function* () {
      const { boss } = yield* JobQueue
      const metrics = yield* MetricRecorder
      const labels = { queue }
      const decode = Schema.decodeUnknownExit(QUEUES[queue])
      const settle = async (job: JobWithMetadata<unknown>): Promise<JobResult> => {
        // Waited since it became due: created, or the later startAfter of a deferred or retried job.
        const dueAt = Math.max(job.createdOn.getTime(), job.startAfter.getTime())
        await runtime.runPromise(
          Effect.andThen(
            metrics.record("queue.wait_ms", Math.max(0, Date.now() - dueAt), labels),
            metrics.record("queue.in_flight", 1, labels)
          )
        )
        try {
          return await settleDecoded(job)
        } finally {
          await runtime.runPromise(metrics.record("queue.in_flight", -1, labels))
        }
      }
      const settleDecoded = async (job: JobWithMetadata<unknown>): Promise<JobResult> => {
        const decoded = decode(job.data)
        if (Exit.isFailure(decoded)) {
          await runtime.runPromise(
            Effect.logError("job payload does not match its queue's schema").pipe(
              Effect.annotateLogs({ queue, jobId: job.id, issue: Cause.pretty(decoded.cause) })
            )
          )
          return { id: job.id, status: "deadletter", output: { error: "payload does not match the queue's schema" } }
        }
        const exit = await runtime.runPromiseExit(
          handler(decoded.value as PayloadOf<Q>, job).pipe(Effect.annotateLogs({ queue, jobId: job.id }))
        )
        if (Exit.isSuccess(exit)) return { id: job.id, status: "completed" }
        const message = Cause.pretty(exit.cause)
        await runtime.runPromise(
          Effect.logError("job failed; pg-boss will retry it").pipe(Effect.annotateLogs({ queue, jobId: job.id, cause: message }))
        )
        return { id: job.id, status: "failed", output: { error: message.slice(0, 2_000) } }
      }
      return yield* Effect.promise(() =>
        boss.work(
          queue,
          {
            batchSize: options.batchSize,
            localConcurrency: options.localConcurrency,
            pollingIntervalSeconds: options.pollingIntervalSeconds,
            burstWhenBatchFull: true,
            perJobResults: true,
            includeMetadata: true
          },
          (jobs) => Promise.all(jobs.map(settle))
        )
      )
    })
  )
