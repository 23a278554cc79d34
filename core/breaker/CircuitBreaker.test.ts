import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { ERROR_CODES, type ErrorCode } from "../taxonomy/Taxonomy.ts"
import { CLOSED, DEFAULT_BREAKER_SETTINGS, acquire, countsAsPartnerFailure, recordFailure, recordSuccess, type BreakerState } from "./CircuitBreaker.ts"

const { failureThreshold: BREAKER_FAILURE_THRESHOLD, probeLeaseMs: BREAKER_PROBE_LEASE_MS, resetTimeoutMs: BREAKER_RESET_TIMEOUT_MS } = DEFAULT_BREAKER_SETTINGS


const COUNTING: ReadonlyArray<ErrorCode> = ["PARTNER_5XX", "PARTNER_UNAVAILABLE"]

const failTimes = (state: BreakerState, code: ErrorCode, n: number, nowMs = 0) => {
  let s = state
  const opened: Array<boolean> = []
  for (let i = 0; i < n; i++) {
    const r = recordFailure(s, code, nowMs)
    s = r.state
    opened.push(r.opened)
  }
  return { state: s, opened }
}

describe("countsAsPartnerFailure", () => {
  it("counts partner-health failures only", () => {
    expect(ERROR_CODES.filter(countsAsPartnerFailure)).toEqual(COUNTING)
  })
})

describe("CircuitBreaker rules", () => {
  it("opens on the 5th consecutive counting failure and not before", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...COUNTING), { minLength: 5, maxLength: 5 }), (codes) => {
        let s = CLOSED
        const opened = codes.map((code) => {
          const r = recordFailure(s, code, 1_000)
          s = r.state
          return r.opened
        })
        expect(opened).toEqual([false, false, false, false, true])
        expect(s).toEqual({ status: "open", consecutiveFailures: BREAKER_FAILURE_THRESHOLD, openedAtMs: 1_000, probeStartedAtMs: null })
      })
    )
  })

  it("neither counts nor resets on non-counting failures; a success resets", () => {
    const nonCounting = ERROR_CODES.filter((c) => !countsAsPartnerFailure(c))
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...nonCounting), { maxLength: 20 }), (codes) => {
        let s = failTimes(CLOSED, "PARTNER_5XX", 4).state
        for (const code of codes) {
          const r = recordFailure(s, code, 0)
          expect(r.opened).toBe(false)
          s = r.state
        }
        expect(s.consecutiveFailures).toBe(4)
        expect(recordFailure(s, "PARTNER_5XX", 0).opened).toBe(true)
        expect(recordSuccess(s).state).toEqual(CLOSED)
      })
    )
  })

  it("never opens while fewer than 5 counting failures follow the last success", () => {
    const step = fc.oneof(fc.constantFrom(...ERROR_CODES).map((code) => ({ code })), fc.constant({ code: "success" as const }))
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        let s = CLOSED
        let sinceSuccess = 0
        for (const { code } of steps) {
          if (code === "success") {
            s = recordSuccess(s).state
            sinceSuccess = 0
            continue
          }
          const r = recordFailure(s, code, 0)
          if (s.status === "closed" && countsAsPartnerFailure(code)) sinceSuccess++
          expect(r.opened).toBe(s.status === "closed" && sinceSuccess === BREAKER_FAILURE_THRESHOLD)
          s = r.state
          if (s.status === "open") return
        }
      })
    )
  })

  it("rejects while open, with the time left, then offers exactly one probe", () => {
    const open = failTimes(CLOSED, "PARTNER_5XX", 5, 10_000).state
    expect(acquire(open, 10_000 + 15_000).decision).toEqual({ kind: "reject", retryAfterMs: BREAKER_RESET_TIMEOUT_MS - 15_000 })
    const probing = acquire(open, 10_000 + BREAKER_RESET_TIMEOUT_MS)
    expect(probing.decision).toEqual({ kind: "probe" })
    expect(probing.state.status).toBe("half_open")
    expect(acquire(probing.state, 10_000 + BREAKER_RESET_TIMEOUT_MS + 1).decision.kind).toBe("reject")
  })

  it("closes on a probe's success and re-opens with a fresh timeout on its failure, whatever the code", () => {
    const open = failTimes(CLOSED, "PARTNER_UNAVAILABLE", 5, 0).state
    const probing = acquire(open, BREAKER_RESET_TIMEOUT_MS).state
    expect(recordSuccess(probing)).toEqual({ state: CLOSED, closedFromProbe: true })
    for (const code of ["PARTNER_UNAVAILABLE", "AUTH_INVALID"] as const) {
      const reopened = recordFailure(probing, code, 70_000)
      expect(reopened.opened).toBe(true)
      expect(reopened.state).toMatchObject({ status: "open", openedAtMs: 70_000, probeStartedAtMs: null })
      expect(acquire(reopened.state, 70_000 + BREAKER_RESET_TIMEOUT_MS - 1).decision.kind).toBe("reject")
      expect(acquire(reopened.state, 70_000 + BREAKER_RESET_TIMEOUT_MS).decision.kind).toBe("probe")
    }
  })

  it("re-offers a probe whose owner never answered once the lease is over", () => {
    const probing = acquire(failTimes(CLOSED, "PARTNER_5XX", 5, 0).state, BREAKER_RESET_TIMEOUT_MS).state
    const start = BREAKER_RESET_TIMEOUT_MS
    expect(acquire(probing, start + BREAKER_PROBE_LEASE_MS - 1).decision).toEqual({ kind: "reject", retryAfterMs: 1 })
    const again = acquire(probing, start + BREAKER_PROBE_LEASE_MS)
    expect(again.decision).toEqual({ kind: "probe" })
    expect(again.state.probeStartedAtMs).toBe(start + BREAKER_PROBE_LEASE_MS)
  })

  it("does not re-open or move the timeout on a late failure while already open", () => {
    const open = failTimes(CLOSED, "PARTNER_5XX", 5, 0).state
    const late = recordFailure(open, "PARTNER_5XX", 30_000)
    expect(late.opened).toBe(false)
    expect(late.state.openedAtMs).toBe(0)
    expect(recordSuccess(open)).toEqual({ state: CLOSED, closedFromProbe: false })
  })
})
