import { assert, describe, it } from "@effect/vitest"
import { Cause, Duration, Effect, Exit, Fiber, Random, Ref, Schedule, Schema } from "effect"
import { TestClock } from "effect/testing"
import fc from "fast-check"
import { ERROR_CODES, type ErrorCode, TAXONOMY } from "../taxonomy/Taxonomy.ts"
import { makeTaxonomyError, type TaxonomyError } from "../taxonomy/TaxonomyError.ts"
import { retryDelay, retrySchedule, retryTaxonomy } from "./RetryPolicy.ts"

const fixedRandom = (value: number) =>
  Effect.provideService(Random.Random, { nextDoubleUnsafe: () => value, nextIntUnsafe: () => 0 })

const error = (code: ErrorCode, message: string = code, retryAfterMs?: number): TaxonomyError =>
  makeTaxonomyError(code, { message, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) })

/** Fails with `failures[n]` on call n, succeeds with "ok" once they run out; counts every call. */
const scripted = <E>(calls: Ref.Ref<number>, failures: ReadonlyArray<E>) =>
  Effect.gen(function* () {
    const n = yield* Ref.getAndUpdate(calls, (c) => c + 1)
    const failure = failures[n]
    if (failure !== undefined) return yield* Effect.fail(failure)
    return "ok" as const
  })

const failsForever = (calls: Ref.Ref<number>, code: ErrorCode) =>
  Effect.gen(function* () {
    const n = yield* Ref.updateAndGet(calls, (c) => c + 1)
    return yield* Effect.fail(error(code, `call ${n}`))
  })

const settle = TestClock.adjust(0)

class NotTaxonomy extends Schema.TaggedError<NotTaxonomy>()("NotTaxonomy", { message: Schema.String }) {}

const retryable = ERROR_CODES.filter((code) => TAXONOMY[code].retryable)

describe("retryDelay", () => {
  it("applies full jitter to the capped exponential backoff of a backoff code", () => {
    assert.strictEqual(retryDelay({ code: "PARTNER_5XX", attempt: 1, random: 0.5 }), 1_000)
    assert.strictEqual(retryDelay({ code: "PARTNER_5XX", attempt: 3, random: 0.5 }), 4_000)
    assert.strictEqual(retryDelay({ code: "PARTNER_5XX", attempt: 1, random: 0 }), 0)
  })

  it("never exceeds the entry's cap however far the exponent grows", () => {
    // PARTNER_UNAVAILABLE: 5 s * 2^5 = 160 s at attempt 6, under its 10 min cap; NETWORK_ERROR
    // reaches 1 s * 2^4 = 16 s at attempt 5, under 2 min. QUOTA_EXCEEDED caps at 24 h.
    assert.strictEqual(retryDelay({ code: "PARTNER_UNAVAILABLE", attempt: 6, random: 0.999_999 }), 159_999)
    assert.isAtMost(retryDelay({ code: "QUOTA_EXCEEDED", attempt: 2, random: 0.999_999 }) ?? Infinity, 24 * 3_600_000)
  })

  it("waits at least the default window of a throttle without a partner hint, jittering upwards", () => {
    assert.strictEqual(retryDelay({ code: "RATE_LIMIT_429", attempt: 1, random: 0 }), 1_000)
    assert.strictEqual(retryDelay({ code: "RATE_LIMIT_429", attempt: 1, random: 0.5 }), 1_500)
    assert.strictEqual(retryDelay({ code: "RATE_LIMIT_429", attempt: 2, random: 0 }), 2_000)
    assert.strictEqual(retryDelay({ code: "QUOTA_EXCEEDED", attempt: 1, random: 0 }), 3_600_000)
  })

  it("waits out the breaker's reset timeout before the half-open retry", () => {
    assert.strictEqual(retryDelay({ code: "CIRCUIT_BREAKER_OPEN", attempt: 1, random: 0 }), 60_000)
    assert.strictEqual(retryDelay({ code: "CIRCUIT_BREAKER_OPEN", attempt: 1, random: 0.9 }), 60_000)
  })

  it("honours the partner's Retry-After over a shorter computed delay", () => {
    assert.strictEqual(retryDelay({ code: "RATE_LIMIT_429", attempt: 1, retryAfterMs: 30_000, random: 0.99 }), 30_000)
    assert.strictEqual(retryDelay({ code: "PARTNER_UNAVAILABLE", attempt: 1, retryAfterMs: 120_000, random: 0 }), 120_000)
  })

  it("ignores a Retry-After that is negative or not finite", () => {
    assert.strictEqual(retryDelay({ code: "PARTNER_5XX", attempt: 1, retryAfterMs: -5, random: 0.5 }), 1_000)
    assert.strictEqual(retryDelay({ code: "PARTNER_5XX", attempt: 1, retryAfterMs: Number.NaN, random: 0.5 }), 1_000)
  })

  it("refuses non-retryable codes, exhausted attempts and attempts below one", () => {
    assert.isUndefined(retryDelay({ code: "AUTH_EXPIRED", attempt: 1, random: 0.5 }))
    assert.isUndefined(retryDelay({ code: "VALIDATION_ERROR", attempt: 1, random: 0.5 }))
    assert.isUndefined(retryDelay({ code: "PARTNER_5XX", attempt: 6, random: 0.5 }))
    assert.isUndefined(retryDelay({ code: "PARTNER_5XX", attempt: 0, random: 0.5 }))
    assert.isUndefined(retryDelay({ code: "PARTNER_5XX", attempt: 1.5, random: 0.5 }))
  })

  it("is undefined exactly when the code is not retryable or the attempt is past maxRetries", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ERROR_CODES),
        fc.integer({ min: 1, max: 50 }),
        fc.option(fc.double({ min: 0, max: 1e10, noNaN: true }), { nil: undefined }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (code, attempt, retryAfterMs, random) => {
          const entry = TAXONOMY[code]
          const delay = retryDelay({ code, attempt, retryAfterMs, random })
          const shouldRetry = entry.retryable && attempt <= entry.maxRetries
          assert.strictEqual(delay !== undefined, shouldRetry)
          if (delay === undefined) return
          assert.isTrue(Number.isFinite(delay))
          assert.isAtLeast(delay, 0)
          assert.isAtLeast(delay, retryAfterMs ?? 0)
          assert.isAtMost(delay, Math.max(entry.backoffCapMs, retryAfterMs ?? 0))
        }
      ),
      { numRuns: 2_000 }
    )
  })
})

describe("retryTaxonomy", () => {
  it.effect("retries PARTNER_5XX after each jittered backoff and succeeds on the third call", () =>
    Effect.gen(function* () {
      const calls = yield* Ref.make(0)
      const fiber = yield* retryTaxonomy(scripted(calls, [error("PARTNER_5XX"), error("PARTNER_5XX")])).pipe(
        fixedRandom(0.5),
        Effect.forkChild
      )
      yield* settle
      assert.strictEqual(yield* Ref.get(calls), 1)
      // First retry: 0.5 * 2 s.
      yield* TestClock.adjust(999)
      assert.strictEqual(yield* Ref.get(calls), 1)
      yield* TestClock.adjust(1)
      assert.strictEqual(yield* Ref.get(calls), 2)
      // Second retry: 0.5 * 4 s.
      yield* TestClock.adjust(1_999)
      assert.strictEqual(yield* Ref.get(calls), 2)
      assert.isUndefined(fiber.pollUnsafe())
      yield* TestClock.adjust(1)
      assert.strictEqual(yield* Fiber.join(fiber), "ok")
      assert.strictEqual(yield* Ref.get(calls), 3)
    }))

  it.effect.each(["AUTH_INVALID", "VALIDATION_ERROR", "AUTH_EXPIRED"] as const)(
    "fails at once with exactly one call on %s",
    (code) =>
      Effect.gen(function* () {
        const calls = yield* Ref.make(0)
        const failure = yield* retryTaxonomy(failsForever(calls, code)).pipe(Effect.flip)
        assert.strictEqual(failure._tag, code)
        assert.strictEqual(yield* Ref.get(calls), 1)
      })
  )

  it.effect("does not re-run a RATE_LIMIT_429 before its 30 s Retry-After and does right after", () =>
    Effect.gen(function* () {
      const calls = yield* Ref.make(0)
      const fiber = yield* retryTaxonomy(scripted(calls, [error("RATE_LIMIT_429", "throttled", 30_000)])).pipe(
        fixedRandom(0.99),
        Effect.forkChild
      )
      yield* settle
      yield* TestClock.adjust(29_999)
      assert.strictEqual(yield* Ref.get(calls), 1)
      yield* TestClock.adjust(1)
      assert.strictEqual(yield* Ref.get(calls), 2)
      assert.strictEqual(yield* Fiber.join(fiber), "ok")
    }))

  it.effect.each(ERROR_CODES)("stops %s after maxRetries + 1 calls and surfaces the last error", (code) =>
    Effect.gen(function* () {
      const calls = yield* Ref.make(0)
      const fiber = yield* retryTaxonomy(failsForever(calls, code)).pipe(Effect.flip, Effect.forkChild)
      // Longer than any schedule can wait: maxRetries of at most 6 delays of at most 24 h each.
      yield* TestClock.adjust(Duration.days(30))
      const last = yield* Fiber.join(fiber)
      const entry = TAXONOMY[code]
      const expected = entry.retryable ? entry.maxRetries + 1 : 1
      assert.strictEqual(yield* Ref.get(calls), expected)
      assert.strictEqual(last._tag, code)
      assert.strictEqual(last.message, `call ${expected}`)
    }))

  it.effect("stops at the first non-retryable error even with retries left", () =>
    Effect.gen(function* () {
      const calls = yield* Ref.make(0)
      const fiber = yield* retryTaxonomy(scripted(calls, [error("PARTNER_5XX"), error("CONTENT_REJECTED")])).pipe(
        Effect.flip,
        Effect.forkChild
      )
      yield* TestClock.adjust(Duration.minutes(10))
      assert.strictEqual((yield* Fiber.join(fiber))._tag, "CONTENT_REJECTED")
      assert.strictEqual(yield* Ref.get(calls), 2)
    }))

  it.effect("passes an error that is not a taxonomy error through untouched after one call", () =>
    Effect.gen(function* () {
      const calls = yield* Ref.make(0)
      const original = new NotTaxonomy({ message: "not ours" })
      const failure = yield* retryTaxonomy(scripted<NotTaxonomy | TaxonomyError>(calls, [original])).pipe(Effect.flip)
      assert.strictEqual(failure, original)
      assert.strictEqual(yield* Ref.get(calls), 1)
    }))

  it.effect("never retries a defect", () =>
    Effect.gen(function* () {
      const calls = yield* Ref.make(0)
      const exit = yield* retryTaxonomy(Ref.update(calls, (c) => c + 1).pipe(Effect.andThen(Effect.die("bug")))).pipe(
        Effect.exit
      )
      assert.isTrue(Exit.isFailure(exit) && Cause.hasDies(exit.cause))
      assert.strictEqual(yield* Ref.get(calls), 1)
    }))
})

describe("retrySchedule", () => {
  /** Steps the schedule over `errors` (one per failed call) and returns how many calls it allows. */
  const executions = (errors: ReadonlyArray<TaxonomyError>, random: number): number =>
    Effect.runSync(
      Effect.gen(function* () {
        const step = yield* Schedule.toStep(retrySchedule)
        let calls = 1
        for (const failure of errors) {
          const exit = yield* Effect.exit(step(0, failure))
          if (Exit.isFailure(exit)) return calls
          calls++
        }
        return calls
      }).pipe(fixedRandom(random))
    )

  it("allows at most maxRetries + 1 executions for a code, and one for a non-retryable code", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ERROR_CODES),
        fc.option(fc.nat({ max: 86_400_000 }), { nil: undefined }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (code, retryAfterMs, random) => {
          const entry = TAXONOMY[code]
          const calls = executions(Array.from({ length: 20 }, () => error(code, code, retryAfterMs)), random)
          assert.strictEqual(calls, entry.retryable ? entry.maxRetries + 1 : 1)
        }
      )
    )
  })

  it("never retries after a non-retryable code and never runs past the current code's budget", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...ERROR_CODES), { minLength: 1, maxLength: 12 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (codes, random) => {
          const calls = executions(
            codes.map((code) => error(code)),
            random
          )
          // The schedule halts on the first failure whose code refuses retry number `calls`.
          const expected = codes.findIndex((code, i) => retryDelay({ code, attempt: i + 1, random }) === undefined)
          assert.strictEqual(calls, expected === -1 ? codes.length + 1 : expected + 1)
          assert.isAtMost(calls, Math.max(...retryable.map((code) => TAXONOMY[code].maxRetries)) + 1)
        }
      )
    )
  })

  it.effect("takes its jitter from Effect's Random", () =>
    Effect.gen(function* () {
      const step = yield* Schedule.toStep(retrySchedule)
      const [, delay] = yield* step(0, error("NETWORK_ERROR")).pipe(fixedRandom(0.25))
      assert.strictEqual(Duration.toMillis(delay), 250)
    }))
})
