// pg-boss in the application's database: creates the queues at start, sends typed payloads (inside
// the caller's Kysely transaction when given, so a business write and its job commit together), and
// stops gracefully with the runtime. pg-boss retries cover only our own failures (a handler that
// threw, a worker that died); partner failures are retried by the publish pipeline (one owner).
import { Config, Context, Effect, Layer, Redacted, Schedule, Schema } from "effect"
import type { Transaction } from "kysely"
import { fromKysely, PgBoss, type Queue } from "pg-boss"
import { DatabaseError } from "../db/Database.ts"
import type { DatabaseSchema } from "../db/DatabaseSchema.ts"
import { DatabaseUrl } from "../db/DatabaseUrl.ts"
import { MetricRecorder } from "../observability/MetricRecorder.ts"
import { DEAD_LETTER_QUEUE, type PayloadOf, QUEUE_NAMES, QUEUES, type QueueName } from "./queues.ts"

export interface SendOptions {
  readonly startAfterMs?: number | undefined
  readonly singletonKey?: string | undefined
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

const failure = (operation: string) => (e: unknown) =>
  new DatabaseError({ operation, message: e instanceof Error ? e.message : String(e) })

export class JobQueue extends Context.Service<
  JobQueue,
  {
    readonly boss: PgBoss
    readonly send: <Q extends QueueName>(
      queue: Q,
      payload: PayloadOf<Q>,
      options?: SendOptions
    ) => Effect.Effect<string | null, DatabaseError>
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
              monitorIntervalSeconds: Math.max(1, Math.min(60, config.superviseIntervalSeconds))
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
                deadLetter: DEAD_LETTER_QUEUE
              })
            }
            return boss
          },
          catch: failure("jobs.start")
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
                ...(options.trx !== undefined ? { db: fromKysely(options.trx) } : {})
              }),
            catch: failure(`jobs.send.${queue}`)
          })
        }).pipe(Effect.withSpan(`JobQueue.send.${queue}`))
      return JobQueue.of({ boss, send })
    })
  )
}
