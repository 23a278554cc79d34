// pg-boss in the application's database: creates the queues at start, sends typed payloads (inside
// the caller's Kysely transaction when given, so a business write and its job commit together), and
// stops gracefully with the runtime. pg-boss retries cover only our own failures (a handler that
// threw, a worker that died); partner failures are retried by the publish pipeline (one owner).
import { Config, Context, Effect, Layer, Redacted, Schedule, Schema } from "effect"
import type { Transaction } from "kysely"
import { fromKysely, PgBoss, type Queue } from "pg-boss"
import { DatabaseError, databaseError } from "../db/Database.ts"
import type { DatabaseSchema } from "../db/DatabaseSchema.ts"
import { DatabaseUrl } from "../db/DatabaseUrl.ts"
import { MetricRecorder } from "../observability/MetricRecorder.ts"
import { DEAD_LETTER_QUEUE, type PayloadOf, QUEUE_NAMES, QUEUES, type QueueName } from "./queues.ts"

/** The `publish` job of a post moved back to `scheduled`: now, or at its scheduled time if that is still ahead. */
export const sendReleased = (
  queue: JobQueue["Service"],
  trx: Transaction<DatabaseSchema>,
  tenantId: string,
  released: { readonly id: string; readonly ticket: string; readonly scheduledAt: Date },
  nowMs: number
) =>
  queue.send(
    "publish",
    { tenantId, postId: released.id, cycleId: crypto.randomUUID(), ticket: released.ticket },
    { trx, startAfterMs: released.scheduledAt.getTime() - nowMs }
  )

export interface SendOptions {
  readonly startAfterMs?: number | undefined
  readonly singletonKey?: string | undefined
  /** Higher is fetched first (pg-boss orders by priority, then by creation); 0 by default. */
  readonly priority?: number | undefined
  /** Enqueue inside this transaction: the job exists only if the transaction commits. */
  readonly trx?: Transaction<DatabaseSchema> | undefined
}

export const JobQueueConfig = Config.all({
  /** A job still active after this long is taken to be from a dead worker and retried. */
  jobTimeoutSeconds: Config.Int("JOB_TIMEOUT_SECONDS").pipe(Config.withDefault(120)),
  /** How often pg-boss looks for such jobs (and other maintenance). */
  superviseIntervalSeconds: Config.Int("JOBS_SUPERVISE_INTERVAL_SECONDS").pipe(Config.withDefault(30)),
  stopTimeoutMs: Config.Int("SHUTDOWN_GRACE_MS").pipe(Config.withDefault(10_000)),
  depthSampleSeconds: Config.Int("QUEUE_DEPTH_SAMPLE_SECONDS").pipe(Config.withDefault(15))
})

/** Queues whose jobs should start at once rather than at the next poll. */
const NOTIFY_QUEUES: ReadonlySet<QueueName> = new Set(["webhook"])


export class JobQueue extends Context.Service<
  JobQueue,
  {
    readonly boss: PgBoss
    readonly send: <Q extends QueueName>(
      queue: Q,
      payload: PayloadOf<Q>,
      options?: SendOptions
    ) => Effect.Effect<string | null, DatabaseError>
    /** Many jobs of one queue in one statement (pg-boss insert), each with its own delay; the queue's retry policy applies. */
    readonly sendBatch: <Q extends QueueName>(
      queue: Q,
      jobs: ReadonlyArray<{ readonly payload: PayloadOf<Q>; readonly startAfterMs?: number | undefined }>
    ) => Effect.Effect<void, DatabaseError>
  }
>()("postd/jobs/JobQueue") {
  static readonly layer = Layer.effect(
    JobQueue,
    Effect.gen(function* () {
      const url = yield* DatabaseUrl
      const config = yield* JobQueueConfig
      const runFork = Effect.runForkWith(yield* Effect.context<never>())
      const boss = yield* Effect.acquireRelease(
        Effect.tryPromise({
          try: async () => {
            const boss = new PgBoss({
              connectionString: Redacted.value(url.url),
              application_name: "postd-jobs",
              max: 10,
              superviseIntervalSeconds: config.superviseIntervalSeconds,
              monitorIntervalSeconds: Math.max(1, Math.min(60, config.superviseIntervalSeconds)),
              // Wakes the workers of notify queues (webhooks) the moment a job commits, instead of
              // at their next poll: a deauthorization pauses its channel within a second.
              useListenNotify: true
            })
            // pg-boss reports its own trouble (a database restart killing its connections, a failed
            // maintenance run) as 'error' events; unheard, an 'error' event would crash the process.
            boss.on("error", (error) => {
              runFork(Effect.logError("pg-boss error").pipe(Effect.annotateLogs("error", error.message)))
            })
            await boss.start()
            // createQueue leaves an existing queue as it is, so the options are applied again: a
            // changed JOB_TIMEOUT_SECONDS must reach a database whose queues an earlier start created.
            const ensureQueue = async (name: string, options: Omit<Queue, "name" | "policy" | "partition">) => {
              await boss.createQueue(name, options)
              await boss.updateQueue(name, options)
            }
            await ensureQueue(DEAD_LETTER_QUEUE, { retryLimit: 0 })
            for (const name of QUEUE_NAMES) {
              await ensureQueue(name, {
                retryLimit: 3,
                retryDelay: 5,
                retryBackoff: true,
                retryDelayMax: 300,
                expireInSeconds: config.jobTimeoutSeconds,
                deadLetter: DEAD_LETTER_QUEUE,
                ...(NOTIFY_QUEUES.has(name) ? { notify: true } : {})
              })
            }
            return boss
          },
          catch: databaseError("jobs.start")
        }).pipe(Effect.orDie),
        (boss) => Effect.promise(() => boss.stop({ graceful: true, timeout: config.stopTimeoutMs }))
      )
      // queue.depth: jobs waiting per queue, from pg-boss's own counts, for the backlog alert.
      const metrics = yield* MetricRecorder
      const sampleDepth = Effect.tryPromise(() => boss.getQueues([...QUEUE_NAMES, DEAD_LETTER_QUEUE])).pipe(
        Effect.flatMap((queues) =>
          Effect.forEach(queues, (q) => metrics.record("queue.depth", q.queuedCount, { queue: q.name }), { discard: true })
        ),
        Effect.catch(() => Effect.void)
      )
      yield* Effect.forkScoped(sampleDepth.pipe(Effect.repeat(Schedule.spaced(`${config.depthSampleSeconds} seconds`))))

      const send = <Q extends QueueName>(queue: Q, payload: PayloadOf<Q>, options: SendOptions = {}) =>
        Effect.gen(function* () {
          const data = yield* Schema.encodeUnknownEffect(QUEUES[queue])(payload).pipe(
            Effect.mapError((e) => new DatabaseError({ operation: `jobs.send.${queue}`, message: e.message }))
          )
          return yield* Effect.tryPromise({
            try: () =>
              boss.send(queue, data as object, {
                ...(options.startAfterMs !== undefined && options.startAfterMs > 0
                  ? { startAfter: new Date(Date.now() + options.startAfterMs) }
                  : {}),
                ...(options.singletonKey !== undefined ? { singletonKey: options.singletonKey } : {}),
                ...(options.priority !== undefined ? { priority: options.priority } : {}),
                ...(options.trx !== undefined ? { db: fromKysely(options.trx) } : {})
              }),
            catch: databaseError(`jobs.send.${queue}`)
          })
        }).pipe(Effect.withSpan(`JobQueue.send.${queue}`))
      const sendBatch = <Q extends QueueName>(
        queue: Q,
        jobs: ReadonlyArray<{ readonly payload: PayloadOf<Q>; readonly startAfterMs?: number | undefined }>
      ) =>
        Effect.gen(function* () {
          if (jobs.length === 0) return
          const encode = Schema.encodeUnknownEffect(QUEUES[queue])
          const now = Date.now()
          const rows = yield* Effect.forEach(jobs, (job) =>
            encode(job.payload).pipe(
              Effect.map((data) => ({
                data: data as object,
                ...(job.startAfterMs !== undefined && job.startAfterMs > 0 ? { startAfter: new Date(now + job.startAfterMs) } : {})
              })),
              Effect.mapError((e) => new DatabaseError({ operation: `jobs.sendBatch.${queue}`, message: e.message }))
            )
          )
          yield* Effect.tryPromise({ try: () => boss.insert(queue, rows), catch: databaseError(`jobs.sendBatch.${queue}`) })
        }).pipe(Effect.withSpan(`JobQueue.sendBatch.${queue}`))
      return JobQueue.of({ boss, send, sendBatch })
    })
  )
}
