// How long to wait before retrying a taxonomy error: one pure delay function (pg-boss uses the same
// numbers for its cross-attempt retries) and the in-process Schedule built from it. One retry owner:
// around a single call this schedule is the only retry loop; never wrap it in another.
import { Cause, Duration, Effect, type Pull, Random, Schedule } from "effect"
import { type ErrorCode, TAXONOMY, type TaxonomyEntry } from "../taxonomy/Taxonomy.ts"
import { isTaxonomyError, type TaxonomyError } from "../taxonomy/TaxonomyError.ts"

export interface RetryDelayInput {
  readonly code: ErrorCode
  /** The retry about to happen, 1-based: 1 is the first retry after the first failure. */
  readonly attempt: number
  /** The partner's own wait (Retry-After, reset headers); ignored unless finite and non-negative. */
  readonly retryAfterMs?: number | undefined
  /** Uniform in [0, 1); the only source of randomness, so callers and tests choose it. */
  readonly random: number
}

/**
 * Codes whose retry must wait out a window rather than back off from zero: the throttles, and the
 * breaker, which rejects every call until its reset timeout (the entry's base) has passed.
 */
const waitsForWindow = (code: ErrorCode, entry: TaxonomyEntry): boolean =>
  entry.action === "RETRY_AFTER_WINDOW" || code === "CIRCUIT_BREAKER_OPEN"

const backoffMs = (entry: TaxonomyEntry, attempt: number): number =>
  Math.min(entry.backoffCapMs, entry.backoffBaseMs * entry.backoffMultiplier ** (attempt - 1))

/**
 * Milliseconds to wait before retry number `attempt`, or `undefined` when the code must not be
 * retried (not retryable, or past its maxRetries; a non-integer or sub-1 attempt is never retried).
 *
 * - Backoff codes: full jitter, `random * min(cap, base * multiplier^(attempt-1))`.
 * - Window codes (RETRY_AFTER_WINDOW, CIRCUIT_BREAKER_OPEN) without a partner hint: the same capped
 *   backoff is the default window and jitter only goes upwards from it, towards the next window
 *   (`window + random * (min(cap, window * multiplier) - window)`), so we never retry before the
 *   window and never hot-loop. With a partner hint the partner's window is authoritative and the
 *   full-jitter rule applies, as for backoff codes.
 * - Whatever the rule, the delay is never less than `retryAfterMs`, and without a hint never more
 *   than the entry's cap.
 */
export const retryDelay = (input: RetryDelayInput): number | undefined => {
  const entry = TAXONOMY[input.code]
  if (!entry.retryable || !Number.isInteger(input.attempt) || input.attempt < 1 || input.attempt > entry.maxRetries) {
    return undefined
  }
  const random = Number.isNaN(input.random) ? 0 : Math.min(Math.max(input.random, 0), 1)
  const retryAfterMs =
    input.retryAfterMs !== undefined && Number.isFinite(input.retryAfterMs) && input.retryAfterMs >= 0
      ? input.retryAfterMs
      : undefined
  const window = backoffMs(entry, input.attempt)
  const jittered =
    retryAfterMs === undefined && waitsForWindow(input.code, entry)
      ? window + random * (Math.min(entry.backoffCapMs, window * entry.backoffMultiplier) - window)
      : random * window
  // Flooring keeps whole milliseconds without ever crossing the cap (a whole number).
  return Math.max(Math.floor(jittered), retryAfterMs ?? 0)
}

type Step = Pull.Pull<[Duration.Duration, Duration.Duration], never, Duration.Duration>

// Anything that is not a taxonomy error halts the schedule, so it surfaces untouched on the first try.
const taxonomySchedule = <E>(): Schedule.Schedule<Duration.Duration, E> =>
  Schedule.fromStepWithMetadata(
    Effect.succeed(({ input, attempt }: Schedule.InputMetadata<E>): Step => {
      if (!isTaxonomyError(input)) return Cause.done(Duration.zero)
      return Effect.flatMap(Random.next, (random): Step => {
        const delay = retryDelay({ code: input._tag, attempt, retryAfterMs: input.retryAfterMs, random })
        if (delay === undefined) return Cause.done(Duration.zero)
        const duration = Duration.millis(delay)
        return Effect.succeed([duration, duration])
      })
    })
  )

/**
 * Retries a taxonomy error while `retryDelay` allows it, sleeping that delay (randomness from
 * Effect's `Random`, so tests fix it). The attempt count spans codes: a call that fails PARTNER_5XX
 * then TIMEOUT is on its second retry, so mixed failures cannot extend the loop.
 */
export const retrySchedule: Schedule.Schedule<Duration.Duration, TaxonomyError> = taxonomySchedule<TaxonomyError>()

/** `Effect.retry` with `retrySchedule`; failures that are not taxonomy errors are never retried. */
export const retryTaxonomy = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.retry(self, taxonomySchedule<E>())
