import { Effect, Layer, ManagedRuntime } from "effect"
import { sql } from "kysely"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { DEFAULT_BREAKER_SETTINGS } from "../core/breaker/CircuitBreaker.ts"
import type { ErrorCode } from "../core/taxonomy/Taxonomy.ts"
import { databaseLayer, insertConnection, insertTenant } from "../test/db/fixtures.ts"
import { createTestDatabase, type TestDatabase } from "../test/db/testDatabase.ts"
import { CircuitBreakerStore } from "./CircuitBreakerStore.ts"

const { probeLeaseMs: BREAKER_PROBE_LEASE_MS, resetTimeoutMs: BREAKER_RESET_TIMEOUT_MS } = DEFAULT_BREAKER_SETTINGS


let t: TestDatabase
// Two runtimes, two pg pools: one breaker must hold across separate workers.
let a: ManagedRuntime.ManagedRuntime<CircuitBreakerStore, unknown>
let b: ManagedRuntime.ManagedRuntime<CircuitBreakerStore, unknown>
beforeAll(async () => {
  t = await createTestDatabase()
  a = ManagedRuntime.make(CircuitBreakerStore.layer.pipe(Layer.provide(databaseLayer(t.url))))
  b = ManagedRuntime.make(CircuitBreakerStore.layer.pipe(Layer.provide(databaseLayer(t.url))))
})
afterAll(async () => {
  await a.dispose()
  await b.dispose()
  await t.drop()
})

const on = <A, E>(rt: ManagedRuntime.ManagedRuntime<CircuitBreakerStore, unknown>, f: (s: CircuitBreakerStore["Service"]) => Effect.Effect<A, E>) =>
  rt.runPromise(
    Effect.gen(function* () {
      return yield* f(yield* CircuitBreakerStore)
    })
  )
const breaker = <A, E>(f: (s: CircuitBreakerStore["Service"]) => Effect.Effect<A, E>) => on(a, f)

const newConnection = async () => insertConnection(t.db, await insertTenant(t.db), "gbp")
const fail = async (id: string, code: ErrorCode, times: number) => {
  const opened: Array<boolean> = []
  for (let i = 0; i < times; i++) opened.push((await breaker((s) => s.recordFailure(id, code))).opened)
  return opened
}
/** Moves the breaker's clocks back, as if `ms` had passed. */
const age = (id: string, ms: number) =>
  sql`update circuit_breakers set opened_at = opened_at - ${ms} * interval '1 millisecond',
        probe_started_at = probe_started_at - ${ms} * interval '1 millisecond' where connection_id = ${id}`.execute(t.db)
const openBreaker = async () => {
  const id = await newConnection()
  await fail(id, "PARTNER_5XX", 5)
  return id
}

describe("CircuitBreakerStore", () => {
  it("allows a connection that never failed without writing anything", async () => {
    const id = await newConnection()
    expect(await breaker((s) => s.acquire(id))).toEqual({ kind: "allow" })
    expect(await breaker((s) => s.recordSuccess(id))).toEqual({ closedFromProbe: false })
    expect(await breaker((s) => s.recordFailure(id, "AUTH_INVALID"))).toEqual({ opened: false })
    expect(await t.db.selectFrom("circuit_breakers").selectAll().where("connection_id", "=", id).execute()).toEqual([])
  })

  it("opens on the 5th consecutive counting failure and not before, then rejects for the reset timeout", async () => {
    const id = await newConnection()
    expect(await fail(id, "PARTNER_UNAVAILABLE", 4)).toEqual([false, false, false, false])
    expect(await breaker((s) => s.acquire(id))).toEqual({ kind: "allow" })
    expect(await fail(id, "PARTNER_5XX", 1)).toEqual([true])
    const rejected = await breaker((s) => s.acquire(id))
    expect(rejected.kind).toBe("reject")
    if (rejected.kind === "reject") {
      expect(rejected.retryAfterMs).toBeGreaterThan(BREAKER_RESET_TIMEOUT_MS - 10_000)
      expect(rejected.retryAfterMs).toBeLessThanOrEqual(BREAKER_RESET_TIMEOUT_MS)
    }
    expect(await breaker((s) => s.get(id))).toMatchObject({ status: "open", consecutiveFailures: 5 })
  })

  it("lets auth, content and throttling failures neither count nor reset; a success resets", async () => {
    const id = await newConnection()
    await fail(id, "PARTNER_UNAVAILABLE", 4)
    for (const code of ["AUTH_INVALID", "CONTENT_REJECTED", "RATE_LIMIT_429", "PERMISSION_INSUFFICIENT"] as const) {
      expect(await fail(id, code, 3)).toEqual([false, false, false])
    }
    expect((await breaker((s) => s.get(id))).consecutiveFailures).toBe(4)
    await breaker((s) => s.recordSuccess(id))
    expect(await breaker((s) => s.get(id))).toMatchObject({ status: "closed", consecutiveFailures: 0 })
    expect(await fail(id, "PARTNER_5XX", 5)).toEqual([false, false, false, false, true])
  })

  it("gives exactly one of many concurrent callers across two pools the probe after the timeout", async () => {
    const id = await openBreaker()
    await age(id, BREAKER_RESET_TIMEOUT_MS + 1_000)
    const decisions = await Promise.all(Array.from({ length: 24 }, (_, i) => on(i % 2 === 0 ? a : b, (s) => s.acquire(id))))
    expect(decisions.filter((d) => d.kind === "probe")).toHaveLength(1)
    expect(decisions.filter((d) => d.kind === "reject")).toHaveLength(23)
    expect((await breaker((s) => s.get(id))).status).toBe("half_open")
  })

  it("closes when the probe succeeds", async () => {
    const id = await openBreaker()
    await age(id, BREAKER_RESET_TIMEOUT_MS)
    expect(await breaker((s) => s.acquire(id))).toEqual({ kind: "probe" })
    expect(await on(b, (s) => s.recordSuccess(id))).toEqual({ closedFromProbe: true })
    expect(await breaker((s) => s.acquire(id))).toEqual({ kind: "allow" })
    expect(await breaker((s) => s.get(id))).toMatchObject({ status: "closed", consecutiveFailures: 0, openedAtMs: null })
  })

  it("re-opens with a fresh timeout when the probe fails, whatever the code", async () => {
    for (const code of ["PARTNER_5XX", "AUTH_EXPIRED"] as const) {
      const id = await openBreaker()
      await age(id, BREAKER_RESET_TIMEOUT_MS + 5_000)
      const before = (await breaker((s) => s.get(id))).openedAtMs ?? 0
      expect(await breaker((s) => s.acquire(id))).toEqual({ kind: "probe" })
      expect(await breaker((s) => s.recordFailure(id, code))).toEqual({ opened: true })
      const reopened = await breaker((s) => s.get(id))
      expect(reopened.status).toBe("open")
      expect(reopened.openedAtMs ?? 0).toBeGreaterThan(before + BREAKER_RESET_TIMEOUT_MS)
      expect((await breaker((s) => s.acquire(id))).kind).toBe("reject")
    }
  })

  it("re-offers a probe whose owner died once the lease is over, to exactly one caller", async () => {
    const id = await openBreaker()
    await age(id, BREAKER_RESET_TIMEOUT_MS)
    expect(await breaker((s) => s.acquire(id))).toEqual({ kind: "probe" })
    expect((await breaker((s) => s.acquire(id))).kind).toBe("reject")
    await age(id, BREAKER_PROBE_LEASE_MS)
    const decisions = await Promise.all(Array.from({ length: 10 }, (_, i) => on(i % 2 === 0 ? a : b, (s) => s.acquire(id))))
    expect(decisions.filter((d) => d.kind === "probe")).toHaveLength(1)
  })

  it("does not move the timeout on late failures while open", async () => {
    const id = await openBreaker()
    const openedAt = (await breaker((s) => s.get(id))).openedAtMs
    expect(await fail(id, "PARTNER_5XX", 3)).toEqual([false, false, false])
    expect((await breaker((s) => s.get(id))).openedAtMs).toBe(openedAt)
  })
})
