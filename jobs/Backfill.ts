// Backfill: what a paused channel held, published late or skipped, as the user chooses. An offer
// counts the held posts and estimates the time from the tenant's rate budget; accepting it commits
// the decision and the `backfill` job together; the job releases each post still on time (held →
// scheduled, its publish job in the same transaction) and skips the rest with a recorded reason.
// Every transition starts from `held`, so a post is released or skipped once, never published twice.
import { Clock, Config, Context, Effect, Layer, Schema } from "effect"
import { configError } from "../core/config/ConfigError.ts"
import { backfillVerdict, DEFAULT_MAX_LATENESS_MS, declinedReason, estimateDurationMs } from "../core/recovery/Backfill.ts"
import { type BackfillNotFound, type BackfillOffer, BackfillRepo } from "../db/BackfillRepo.ts"
import { type ConnectionNotFound, ConnectionRepo } from "../db/ConnectionRepo.ts"
import { Database, type DatabaseError } from "../db/Database.ts"
import { type HeldPost, PostRepo } from "../db/PostRepo.ts"
import { RateLimiter } from "../db/RateLimiter.ts"
import { MetricRecorder } from "../observability/MetricRecorder.ts"
import { JobQueue, sendReleased } from "./JobQueue.ts"
import type { BackfillJob } from "./queues.ts"

/** The backfill cannot start yet: its channel is not active (reconnect or resume it first). */
export class BackfillRefused extends Schema.TaggedError<BackfillRefused>()("BackfillRefused", {
  backfillJobId: Schema.String,
  message: Schema.String
}) {}

/** The offer was already decided the other way. */
export class BackfillConflict extends Schema.TaggedError<BackfillConflict>()("BackfillConflict", {
  backfillJobId: Schema.String,
  status: Schema.String,
  message: Schema.String
}) {}

const BackfillConfig = Config.all({
  maxLatenessHours: Config.Number("BACKFILL_MAX_LATENESS_HOURS").pipe(
    Config.withDefault(DEFAULT_MAX_LATENESS_MS / 3_600_000),
    Config.mapEffect((h) =>
      Number.isFinite(h) && h > 0 && h <= 24 * 30
        ? Effect.succeed(h)
        : Effect.fail(configError("BACKFILL_MAX_LATENESS_HOURS: must be more than 0 and at most 720", String(h)))
    )
  )
})

export interface BackfillRunResult {
  readonly released: number
  readonly skipped: number
}

type OfferError = BackfillNotFound | DatabaseError

const timesOf = (post: HeldPost) => ({ scheduledAtMs: post.scheduledAt.getTime(), heldAtMs: post.heldAt.getTime() })

export class Backfill extends Context.Service<
  Backfill,
  {
    readonly offer: (
      tenantId: string,
      connectionId: string,
      failedAfter: Date,
      actor: string
    ) => Effect.Effect<BackfillOffer, ConnectionNotFound | DatabaseError>
    /** Idempotent: accepting an accepted (or completed) offer returns it as it is. */
    readonly accept: (
      tenantId: string,
      backfillJobId: string,
      actor: string
    ) => Effect.Effect<BackfillOffer, OfferError | BackfillRefused | BackfillConflict | ConnectionNotFound>
    /** Skips every post the channel holds; idempotent like accept. */
    readonly decline: (
      tenantId: string,
      backfillJobId: string,
      actor: string
    ) => Effect.Effect<{ readonly offer: BackfillOffer; readonly skipped: number }, OfferError | BackfillConflict>
    /** The `backfill` job. */
    readonly run: (job: BackfillJob) => Effect.Effect<BackfillRunResult, DatabaseError>
  }
>()("postd/jobs/Backfill") {
  static readonly layer = Layer.effect(
    Backfill,
    Effect.gen(function* () {
      const offers = yield* BackfillRepo
      const connections = yield* ConnectionRepo
      const posts = yield* PostRepo
      const limiter = yield* RateLimiter
      const queue = yield* JobQueue
      const database = yield* Database
      const metrics = yield* MetricRecorder
      const { maxLatenessHours } = yield* BackfillConfig
      const maxLatenessMs = Math.round(maxLatenessHours * 3_600_000)

      const offer = Effect.fn("Backfill.offer")(function* (tenantId: string, connectionId: string, failedAfter: Date, actor: string) {
        const connection = yield* connections.get(tenantId, connectionId)
        const now = yield* Clock.currentTimeMillis
        // What would go out if accepted now: due, held since failedAfter and still within the lateness.
        const held = yield* posts.heldOf(tenantId, connectionId, { heldSince: failedAfter, dueBy: new Date(now) })
        const rules = { failedAfterMs: failedAfter.getTime(), maxLatenessMs }
        const missed = held.filter((p) => backfillVerdict(timesOf(p), now, rules).kind === "publish").length
        const { ratePerMinute } = limiter.limits[connection.platform]
        const tokens = yield* limiter.peek(tenantId, connection.platform)
        return yield* offers.create({
          tenantId,
          connectionId,
          failedAfter,
          missedCount: missed,
          estimatedDurationMs: estimateDurationMs(missed, tokens, ratePerMinute),
          maxLatenessMs,
          requestedBy: actor
        })
      })

      // What an accept or decline answers once the offer is no longer `offered`: the same decision
      // again is idempotent; the other one is a conflict.
      const alreadyDecided = (current: BackfillOffer, wanted: "accepted" | "declined") => {
        const same = wanted === "accepted" ? current.status === "accepted" || current.status === "completed" : current.status === "declined"
        return same
          ? Effect.succeed(current)
          : Effect.fail(
              new BackfillConflict({
                backfillJobId: current.id,
                status: current.status,
                message: current.status === "declined" ? "this backfill was declined; ask for a new offer" : `this backfill was already ${current.status}`
              })
            )
      }

      const accept = Effect.fn("Backfill.accept")(function* (tenantId: string, backfillJobId: string, actor: string) {
        const current = yield* offers.get(tenantId, backfillJobId)
        if (current.status !== "offered") return yield* alreadyDecided(current, "accepted")
        const connection = yield* connections.get(tenantId, current.connectionId)
        if (connection.status !== "active") {
          return yield* new BackfillRefused({
            backfillJobId,
            message: `the channel is ${connection.status}; reconnect or resume it before backfilling`
          })
        }
        const accepted = yield* database.transaction("Backfill.accept", (trx) =>
          Effect.gen(function* () {
            const decided = yield* offers.decide(trx, tenantId, backfillJobId, "accepted", actor)
            if (decided === undefined) return undefined
            const jobId = yield* queue.send("backfill", { tenantId, backfillJobId }, { trx })
            if (jobId === null) return decided
            yield* offers.setJob(trx, backfillJobId, jobId)
            return { ...decided, jobId }
          })
        )
        // Decided by a concurrent call between our read and our update: report what stands.
        if (accepted === undefined) return yield* alreadyDecided(yield* offers.get(tenantId, backfillJobId), "accepted")
        yield* Effect.logInfo("backfill accepted").pipe(Effect.annotateLogs({ tenantId, connectionId: current.connectionId, backfillJobId }))
        return accepted
      })

      const decline = Effect.fn("Backfill.decline")(function* (tenantId: string, backfillJobId: string, actor: string) {
        const current = yield* offers.get(tenantId, backfillJobId)
        if (current.status !== "offered") return { offer: yield* alreadyDecided(current, "declined"), skipped: 0 }
        // Declining is about the missed posts; one still ahead of its time was not missed.
        const held = yield* posts.heldOf(tenantId, current.connectionId, { dueBy: new Date(yield* Clock.currentTimeMillis) })
        const connection = yield* connections.get(tenantId, current.connectionId).pipe(Effect.option)
        const outcome = yield* database.transaction("Backfill.decline", (trx) =>
          Effect.gen(function* () {
            const declined = yield* offers.decide(trx, tenantId, backfillJobId, "declined", actor)
            if (declined === undefined) return undefined
            let count = 0
            for (const post of held) if (yield* posts.skipHeld(trx, tenantId, post.id, declinedReason(actor))) count += 1
            return { offer: declined, skipped: count }
          })
        )
        // Decided by a concurrent call between our read and our update: report what stands.
        if (outcome === undefined) return { offer: yield* alreadyDecided(yield* offers.get(tenantId, backfillJobId), "declined"), skipped: 0 }
        if (connection._tag === "Some" && outcome.skipped > 0) {
          yield* metrics.record("recovery.backfill.posts", outcome.skipped, { platform: connection.value.platform, outcome: "skipped" })
        }
        return outcome
      })

      const run = Effect.fn("Backfill.run")(function* (job: BackfillJob) {
        const found = yield* Effect.result(offers.get(job.tenantId, job.backfillJobId))
        if (found._tag === "Failure") {
          if (found.failure._tag === "DatabaseError") return yield* found.failure
          yield* Effect.logWarning("backfill job for an unknown offer; nothing to do").pipe(Effect.annotateLogs({ backfillJobId: job.backfillJobId }))
          return { released: 0, skipped: 0 }
        }
        const current = found.success
        if (current.status !== "accepted") return { released: 0, skipped: 0 }
        const connection = yield* connections.get(job.tenantId, current.connectionId).pipe(Effect.option)
        const held = yield* posts.heldOf(job.tenantId, current.connectionId)
        const now = yield* Clock.currentTimeMillis
        const rules = { failedAfterMs: current.failedAfter.getTime(), maxLatenessMs: current.maxLatenessMs }
        let released = 0
        let skipped = 0
        for (const post of held) {
          // A post still ahead of its time was not missed: it goes back to its schedule, uncounted.
          const upcoming = post.scheduledAt.getTime() > now
          const verdict = upcoming ? ({ kind: "publish" } as const) : backfillVerdict(timesOf(post), now, rules)
          const done = yield* database.transaction("Backfill.run", (trx) =>
            verdict.kind === "skip"
              ? posts.skipHeld(trx, job.tenantId, post.id, verdict.reason)
              : Effect.gen(function* () {
                  const moved = yield* posts.releaseOne(trx, job.tenantId, post.id)
                  if (moved !== undefined) yield* sendReleased(queue, trx, job.tenantId, moved, now)
                  return moved !== undefined
                })
          )
          if (!done || upcoming) continue
          if (verdict.kind === "skip") skipped += 1
          else released += 1
          if (connection._tag === "Some") {
            yield* metrics.increment("recovery.backfill.posts", {
              platform: connection.value.platform,
              outcome: verdict.kind === "skip" ? "skipped" : "released"
            })
          }
        }
        yield* offers.recordRun(current.id, { released, skipped })
        yield* Effect.logInfo("backfill ran").pipe(
          Effect.annotateLogs({ tenantId: job.tenantId, connectionId: current.connectionId, backfillJobId: current.id, released, skipped })
        )
        return { released, skipped }
      })

      return Backfill.of({ offer, accept, decline, run })
    })
  )
}
