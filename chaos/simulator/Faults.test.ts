import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { FaultBook, type FaultTarget } from "./Faults.ts"

const target = (over: Partial<FaultTarget> = {}): FaultTarget => ({
  platform: "linkedin",
  method: "POST",
  path: "/api.linkedin.com/rest/posts",
  accountId: "urn:li:organization:1",
  token: "tok",
  ...over
})

describe("FaultBook", () => {
  it("hits only calls in its scope, every field combined", () => {
    const book = new FaultBook(1)
    book.add({ kind: "http_5xx", platform: "linkedin", accountId: "urn:li:organization:1", path: "/rest/posts", method: "post", token: "tok" }, 0)
    expect(book.decide(target(), 0).fault?.spec.kind).toBe("http_5xx")
    expect(book.decide(target({ platform: "meta" }), 0).fault).toBeUndefined()
    expect(book.decide(target({ accountId: "urn:li:organization:2" }), 0).fault).toBeUndefined()
    expect(book.decide(target({ path: "/api.linkedin.com/v2/userinfo" }), 0).fault).toBeUndefined()
    expect(book.decide(target({ method: "GET" }), 0).fault).toBeUndefined()
    expect(book.decide(target({ token: "other" }), 0).fault).toBeUndefined()
  })

  it("count hits exactly the next N matching calls, then the fault is gone", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 0, max: 30 }), (count, calls) => {
        const book = new FaultBook(1)
        book.add({ kind: "reset", count }, 0)
        const hits = Array.from({ length: calls }, () => book.decide(target(), 0).fault !== undefined)
        expect(hits.filter(Boolean).length).toBe(Math.min(count, calls))
        expect(hits.slice(0, Math.min(count, calls)).every(Boolean)).toBe(true)
        expect(book.list(0).length).toBe(calls >= count ? 0 : 1)
      })
    )
  })

  it("durationMs and until end the fault on the simulator clock", () => {
    const book = new FaultBook(1)
    book.add({ kind: "http_5xx", durationMs: 1_000 }, 10_000)
    book.add({ kind: "rate_limit", until: 12_000 }, 10_000)
    expect(book.decide(target(), 10_999).fault?.spec.kind).toBe("http_5xx")
    expect(book.decide(target(), 11_000).fault?.spec.kind).toBe("rate_limit")
    expect(book.decide(target(), 12_000).fault).toBeUndefined()
    expect(book.list(12_000)).toEqual([])
  })

  it("fraction hits about that share of calls, and the same seed hits the same calls", () => {
    fc.assert(
      fc.property(fc.double({ min: 0.1, max: 0.9, noNaN: true }), fc.integer(), (fraction, seed) => {
        const run = () => {
          const book = new FaultBook(7)
          book.add({ kind: "http_5xx", fraction, seed }, 0)
          return Array.from({ length: 2_000 }, () => book.decide(target(), 0).fault !== undefined)
        }
        const first = run()
        expect(run()).toEqual(first)
        const share = first.filter(Boolean).length / first.length
        expect(Math.abs(share - fraction)).toBeLessThan(0.06)
      }),
      { numRuns: 30 }
    )
  })

  it("latency faults add up and still let one outcome fault decide the call", () => {
    const book = new FaultBook(1)
    book.add({ kind: "latency", latencyMs: 30 }, 0)
    book.add({ kind: "timeout", count: 1 }, 0)
    book.add({ kind: "latency", latencyMs: 20 }, 0)
    book.add({ kind: "reset", count: 1 }, 0)
    const first = book.decide(target(), 0)
    expect(first.latencyMs).toBe(50)
    expect(first.fault?.spec.kind).toBe("timeout")
    // The reset fault was not consumed by the call the timeout took.
    expect(book.decide(target(), 0).fault?.spec.kind).toBe("reset")
    expect(book.decide(target(), 0)).toEqual({ latencyMs: 50, fault: undefined })
  })

  it("remove and clear drop faults", () => {
    const book = new FaultBook(1)
    const a = book.add({ kind: "reset" }, 0)
    book.add({ kind: "timeout" }, 0)
    expect(book.remove(a.id)).toBe(true)
    expect(book.remove(a.id)).toBe(false)
    expect(book.decide(target(), 0).fault?.spec.kind).toBe("timeout")
    book.clear()
    expect(book.decide(target(), 0).fault).toBeUndefined()
  })
})
