import { Result } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { PLATFORMS } from "../taxonomy/Taxonomy.ts"
import { type BucketLimits, DEFAULT_RATE_LIMITS, initialBucket, parseRateLimits, take } from "./TokenBucket.ts"

const limitsArb = fc.record({
  ratePerMinute: fc.integer({ min: 1, max: 600 }),
  burst: fc.integer({ min: 1, max: 50 })
})
// Gaps between takes: mostly bursts at one instant, sometimes long pauses.
const gapsArb = fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2_000 }), fc.integer({ min: 0, max: 120_000 })), {
  maxLength: 300
})

const run = (limits: BucketLimits, start: number, gaps: ReadonlyArray<number>) => {
  let state = initialBucket(limits, start)
  let now = start
  let allowed = 0
  for (const gap of gaps) {
    now += gap
    const result = take(limits, state, now)
    if (result.allowed) allowed++
    state = result.state
  }
  return { allowed, elapsedMs: now - start, state }
}

describe("TokenBucket.take", () => {
  it("allows at most burst + rate × elapsed over any sequence of takes at non-decreasing times", () => {
    fc.assert(
      fc.property(limitsArb, fc.nat({ max: 1e12 }), gapsArb, (limits, start, gaps) => {
        const { allowed, elapsedMs } = run(limits, start, gaps)
        expect(allowed).toBeLessThanOrEqual(limits.burst + (limits.ratePerMinute * elapsedMs) / 60_000 + 1e-9)
      })
    )
  })

  it("never changes the state on a denied take", () => {
    fc.assert(
      fc.property(limitsArb, fc.nat({ max: 1e12 }), gapsArb, fc.integer({ min: 0, max: 1_000 }), (limits, start, gaps, extra) => {
        const { state, elapsedMs } = run(limits, start, gaps)
        const result = take(limits, state, start + elapsedMs + extra)
        if (!result.allowed) expect(result.state).toBe(state)
      })
    )
  })

  it("allows the full burst at one instant, then denies with the time until the next token", () => {
    const limits = { ratePerMinute: 60, burst: 3 }
    let state = initialBucket(limits, 1_000)
    for (let i = 0; i < 3; i++) {
      const result = take(limits, state, 1_000)
      expect(result.allowed).toBe(true)
      state = result.state
    }
    expect(take(limits, state, 1_000)).toEqual({ allowed: false, state, retryAfterMs: 1_000 })
    expect(take(limits, state, 1_400)).toMatchObject({ allowed: false, retryAfterMs: 600 })
    expect(take(limits, state, 2_000).allowed).toBe(true)
  })

  it("allows a take once the advertised retryAfterMs has passed", () => {
    fc.assert(
      fc.property(limitsArb, fc.nat({ max: 1e12 }), gapsArb, (limits, start, gaps) => {
        const { state, elapsedMs } = run(limits, start, gaps)
        const now = start + elapsedMs
        const denied = take(limits, state, now)
        if (!denied.allowed) expect(take(limits, state, now + denied.retryAfterMs).allowed).toBe(true)
      })
    )
  })

  it("advertises a wait after which the take is allowed even where float rounding falls short (a found counterexample)", () => {
    const limits = { ratePerMinute: 1, burst: 3 }
    const { state } = run(limits, 0, [0, 0, 197])
    const denied = take(limits, state, 197)
    expect(denied.allowed).toBe(false)
    expect(take(limits, state, 197 + denied.retryAfterMs).allowed).toBe(true)
    expect(take(limits, state, 197 + denied.retryAfterMs - 2).allowed).toBe(false)
  })

  it("adds nothing when the clock steps back, and never exceeds the burst", () => {
    const limits = { ratePerMinute: 60, burst: 2 }
    const drained = take(limits, take(limits, initialBucket(limits, 10_000), 10_000).state, 10_000).state
    expect(take(limits, drained, 5_000).allowed).toBe(false)
    const idle = take(limits, drained, 10_000 + 3_600_000)
    expect(idle.state.tokens).toBe(1)
  })
})

describe("parseRateLimits", () => {
  it("overrides the spec's defaults per platform", () => {
    const parsed = parseRateLimits(" meta=10/20 , tiktok=0.5/1")
    expect(Result.isSuccess(parsed) && parsed.success).toEqual({
      ...DEFAULT_RATE_LIMITS,
      meta: { ratePerMinute: 10, burst: 20 },
      tiktok: { ratePerMinute: 0.5, burst: 1 }
    })
    const empty = parseRateLimits("")
    expect(Result.isSuccess(empty) && empty.success).toEqual(DEFAULT_RATE_LIMITS)
    expect(Object.keys(DEFAULT_RATE_LIMITS).sort()).toEqual([...PLATFORMS].sort())
  })

  it("refuses unknown platforms, duplicates, zero rates or bursts and malformed items", () => {
    const cases: ReadonlyArray<readonly [string, RegExp]> = [
      ["myspace=1/1", /unknown platform "myspace"/],
      ["meta=1/1,meta=2/2", /meta is set twice/],
      ["meta=0/10", /rate must be above 0/],
      ["meta=10/0", /burst must be at least 1/],
      ["meta=10", /not platform=ratePerMinute\/burst/],
      ["meta=10/2.5", /not platform=ratePerMinute\/burst/]
    ]
    for (const [text, expected] of cases) {
      const parsed = parseRateLimits(text)
      expect(Result.isFailure(parsed) && parsed.failure, text).toMatch(expected)
    }
  })
})
