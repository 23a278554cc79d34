// The one typed registry of queues: name → payload Schema and pg-boss queue options, shared by the
// senders and the workers, so a payload is decoded with the schema it was sent under.
import { Schema } from "effect"

export const PublishJob = Schema.Struct({
  tenantId: Schema.String,
  postId: Schema.String,
  /** Correlates every log line of one publish cycle (all attempts of one post). */
  cycleId: Schema.String,
  requestId: Schema.optionalKey(Schema.String),
  /** The post's publish ticket when the job was enqueued; a job whose ticket the post no longer holds is stale. */
  ticket: Schema.optionalKey(Schema.String)
})
export type PublishJob = typeof PublishJob.Type

export const PingJob = Schema.Struct({
  tenantId: Schema.String,
  connectionId: Schema.String,
  /** `breaker_probe`: the single half-open probe of an open breaker; `sweep`: a synthetic health check. */
  reason: Schema.Literals(["breaker_probe", "sweep"])
})
export type PingJob = typeof PingJob.Type

export const BackfillJob = Schema.Struct({ tenantId: Schema.String, backfillJobId: Schema.String })
export type BackfillJob = typeof BackfillJob.Type
export const SummaryJob = Schema.Struct({ tenantId: Schema.optionalKey(Schema.String) })

/** A verified, stored platform event to process (webhook_events.id). */
export const WebhookJob = Schema.Struct({ eventId: Schema.String })
export type WebhookJob = typeof WebhookJob.Type

/** The synthetic health sweep, from the cron schedule (or on demand). */
export const SweepJob = Schema.Struct({ requestedBy: Schema.optionalKey(Schema.String) })
export type SweepJob = typeof SweepJob.Type

/** Where pg-boss puts a job whose handler kept failing for reasons of our own (not a partner's). */
export const DEAD_LETTER_QUEUE = "dead-letter"

export const QUEUES = {
  publish: PublishJob,
  ping: PingJob,
  backfill: BackfillJob,
  summary: SummaryJob,
  webhook: WebhookJob,
  "health-sweep": SweepJob
} as const

export type QueueName = keyof typeof QUEUES
export type PayloadOf<Q extends QueueName> = (typeof QUEUES)[Q]["Type"]
export const QUEUE_NAMES = Object.keys(QUEUES) as ReadonlyArray<QueueName>
