// Where a verified platform event lands: stored (raw payload, once per platform and event key) and
// its `webhook` job enqueued in the same transaction, so an event acknowledged with 200 is never
// without the job that processes it, and a redelivery is acknowledged again without a second one.
// Events that may act on a connection are queued ahead of those that are only recorded.
import { Context, Effect, Layer } from "effect"
import type { WebhookUrgency } from "../core/webhooks/WebhookEvents.ts"
import { Database, type DatabaseError } from "../db/Database.ts"
import { type IncomingWebhookEvent, WebhookEventRepo } from "../db/WebhookEventRepo.ts"
import { MetricRecorder } from "../observability/MetricRecorder.ts"
import { JobQueue } from "./JobQueue.ts"

/**
 * pg-boss priorities (higher is fetched first): a deauthorization waits behind no backlog of state
 * checks or of events we only record, because it must pause its channel within seconds.
 */
export const WEBHOOK_PRIORITY: { readonly [U in WebhookUrgency]: number } = { pause: 20, check: 10, record: 0 }

export class WebhookInbox extends Context.Service<
  WebhookInbox,
  {
    readonly accept: (event: IncomingWebhookEvent) => Effect.Effect<{ readonly id: string; readonly duplicate: boolean }, DatabaseError>
  }
>()("postd/jobs/WebhookInbox") {
  static readonly layer = Layer.effect(
    WebhookInbox,
    Effect.gen(function* () {
      const database = yield* Database
      const events = yield* WebhookEventRepo
      const queue = yield* JobQueue
      const metrics = yield* MetricRecorder

      const accept = Effect.fn("WebhookInbox.accept")(function* (event: IncomingWebhookEvent) {
        const stored = yield* database.transaction("WebhookInbox.accept", (trx) =>
          Effect.gen(function* () {
            const received = yield* events.receive(trx, event)
            if (!received.duplicate) yield* queue.send("webhook", { eventId: received.id }, { trx, priority: WEBHOOK_PRIORITY[event.urgency ?? "record"] })
            return received
          })
        )
        if (!stored.duplicate) yield* metrics.increment("connector.webhook.delivered", { platform: event.platform })
        return stored
      })

      return WebhookInbox.of({ accept })
    })
  )
}
