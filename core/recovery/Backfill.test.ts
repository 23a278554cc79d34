import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { backfillVerdict, DEFAULT_MAX_LATENESS_MS, estimateDurationMs, isoDuration } from "./Backfill.ts"

const HOUR = 3_600_000
const NOW = Date.UTC(2026, 11, 1, 12)

describe("backfillVerdict", () => {
  const rules = { failedAfterMs: NOW - 6 * HOUR, maxLatenessMs: DEFAULT_MAX_LATENESS_MS }

  it("publishes a post held inside the window and less than 24 h late", () => {
    expect(backfillVerdict({ scheduledAtMs: NOW - 7 * HOUR, heldAtMs: NOW - 5 * HOUR }, NOW, rules)).toEqual({ kind: "publish" })
  })

  it("skips a post held before the window, saying when it was held and where the window starts", () => {
    const verdict = backfillVerdict({ scheduledAtMs: NOW - 7 * HOUR, heldAtMs: NOW - 7 * HOUR }, NOW, rules)
    expect(verdict).toEqual({ kind: "skip", reason: expect.stringMatching(/held at 2026-12-01T05:00:00.000Z, before the backfill window that starts 2026-12-01T06:00:00.000Z/) })
  })

  it("skips a post more than the maximum lateness late, whatever the window", () => {
    const verdict = backfillVerdict({ scheduledAtMs: NOW - 25 * HOUR, heldAtMs: NOW - HOUR }, NOW, rules)
    expect(verdict).toEqual({ kind: "skip", reason: expect.stringContaining("more than 24 h ago") })
  })

  it("publishes exactly the posts inside both bounds (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 96 * HOUR }),
        fc.integer({ min: 0, max: 96 * HOUR }),
        fc.integer({ min: 0, max: 96 * HOUR }),
        fc.integer({ min: 1, max: 72 * HOUR }),
        (lateBy, heldAgo, windowAgo, maxLatenessMs) => {
          const post = { scheduledAtMs: NOW - lateBy, heldAtMs: NOW - heldAgo }
          const verdict = backfillVerdict(post, NOW, { failedAfterMs: NOW - windowAgo, maxLatenessMs })
          const inside = heldAgo <= windowAgo && lateBy <= maxLatenessMs
          expect(verdict.kind).toBe(inside ? "publish" : "skip")
          if (verdict.kind === "skip") expect(verdict.reason).toMatch(/^not backfilled: /)
        }
      )
    )
  })
})

describe("estimateDurationMs", () => {
  it("is zero while the bucket holds enough tokens, then the refill rate", () => {
    expect(estimateDurationMs(10, 200, 100)).toBe(0)
    expect(estimateDurationMs(250, 200, 100)).toBe(30_000)
    expect(estimateDurationMs(150, 0, 50)).toBe(180_000)
  })

  it("never decreases with more posts, never increases with more tokens (property)", () => {
    fc.assert(
      fc.property(fc.nat(5_000), fc.nat(5_000), fc.nat(1_000), fc.integer({ min: 1, max: 1_000 }), (count, extra, tokens, rate) => {
        expect(estimateDurationMs(count + extra, tokens, rate)).toBeGreaterThanOrEqual(estimateDurationMs(count, tokens, rate))
        expect(estimateDurationMs(count, tokens + extra, rate)).toBeLessThanOrEqual(estimateDurationMs(count, tokens, rate))
      })
    )
  })
})

describe("isoDuration", () => {
  it("writes ISO 8601 durations rounded up to the second", () => {
    expect(isoDuration(0)).toBe("PT0S")
    expect(isoDuration(1)).toBe("PT1S")
    expect(isoDuration(150_000)).toBe("PT2M30S")
    expect(isoDuration(3_600_000)).toBe("PT1H")
    expect(isoDuration(3_723_000)).toBe("PT1H2M3S")
  })

  it("round-trips through its own components (property)", () => {
    fc.assert(
      fc.property(fc.nat(10 * 24 * 3_600), (seconds) => {
        const match = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$/.exec(isoDuration(seconds * 1_000))
        expect(match).not.toBeNull()
        const [, h = "0", m = "0", s = "0"] = match ?? []
        expect(Number(h) * 3_600 + Number(m) * 60 + Number(s)).toBe(seconds)
      })
    )
  })
})
