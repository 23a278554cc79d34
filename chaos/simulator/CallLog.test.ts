import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { CallLog, type CallRecord } from "./CallLog.ts"

const call = (path: string, at = 0): Omit<CallRecord, "seq"> => ({
  platform: "meta",
  method: "POST",
  host: "graph.facebook.com",
  path,
  status: 200,
  outcome: "answered",
  at
})

describe("CallLog", () => {
  it("keeps the newest `capacity` calls, oldest first, with sequence numbers that never repeat", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 0, max: 60 }), (capacity, n) => {
        const log = new CallLog(capacity)
        for (let i = 1; i <= n; i++) log.add(call(`/p${i}`))
        const kept = log.list()
        expect(kept.length).toBe(Math.min(n, capacity))
        expect(log.size).toBe(kept.length)
        expect(kept.map((c) => c.seq)).toEqual(Array.from({ length: kept.length }, (_, i) => n - kept.length + i + 1))
        expect(kept.map((c) => c.path)).toEqual(kept.map((c) => `/p${c.seq}`))
      })
    )
  })

  it("filters by fields and pages with sinceSeq; clear empties it but sequence numbers go on", () => {
    const log = new CallLog(10)
    log.add(call("/a"))
    log.add({ ...call("/b"), platform: "tiktok", status: 429 })
    log.add({ ...call("/c"), outcome: "timeout", status: null })
    expect(log.list({ platform: "tiktok" }).map((c) => c.path)).toEqual(["/b"])
    expect(log.list({ status: 429 }).map((c) => c.path)).toEqual(["/b"])
    expect(log.list({ outcome: "timeout" }).map((c) => c.path)).toEqual(["/c"])
    expect(log.list({ sinceSeq: 1 }).map((c) => c.path)).toEqual(["/b", "/c"])
    expect(log.list({ pathContains: "graph.facebook.com/a" }).map((c) => c.path)).toEqual(["/a"])
    log.clear()
    expect(log.list()).toEqual([])
    expect(log.add(call("/d")).seq).toBe(4)
  })

  it("refuses a capacity that is not a positive integer", () => {
    expect(() => new CallLog(0)).toThrow(RangeError)
    expect(() => new CallLog(1.5)).toThrow(RangeError)
  })
})
