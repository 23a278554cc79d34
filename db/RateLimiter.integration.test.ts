import { ConfigProvider, Effect, Exit, Layer, ManagedRuntime } from "effect"
import fc from "fast-check"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { DEFAULT_RATE_LIMITS, initialBucket, type RateLimits, take } from "../core/ratelimit/TokenBucket.ts"
import type { Platform } from "../core/taxonomy/Taxonomy.ts"
import { databaseLayer, insertTenant } from "../test/db/fixtures.ts"
import { createTestDatabase, type TestDatabase } from "../test/db/testDatabase.ts"
import { type RateDecision, RateLimiter } from "./RateLimiter.ts"

const LIMITS: RateLimits = { ...DEFAULT_RATE_LIMITS, meta: { ratePerMinute: 60, burst: 3 } }

let t: TestDatabase
// Two runtimes, two pg pools: the bucket must hold across separate workers, not just one pool.
let a: ManagedRuntime.ManagedRuntime<RateLimiter, never>
let b: ManagedRuntime.ManagedRuntime<RateLimiter, never>
beforeAll(async () => {
  t = await createTestDatabase()
  const limiter = () => Layer.effect(RateLimiter, RateLimiter.make(LIMITS)).pipe(Layer.provide(databaseLayer(t.url)))
  a = ManagedRuntime.make(limiter())
  b = ManagedRuntime.make(limiter())
})
afterAll(async () => {
  await a.dispose()
  await b.dispose()
  await t.drop()
})

const takeOn = (rt: ManagedRuntime.ManagedRuntime<RateLimiter, never>, tenantId: string, platform: Platform, at?: Date) =>
  rt.runPromise(
    Effect.gen(function* () {
      return yield* (yield* RateLimiter).take(tenantId, platform, at)
    })
  )
const allowedCount = (results: ReadonlyArray<RateDecision>) => results.filter((r) => r.allowed).length

describe("RateLimiter", () => {
  it("allows exactly burst of 2 × burst concurrent takes at one instant from two pools", async () => {
    const tenantId = await insertTenant(t.db)
    const at = new Date("2026-12-01T10:00:00Z")
    const burst = LIMITS.linkedin.burst
    const results = await Promise.all(
      Array.from({ length: 2 * burst }, (_, i) => takeOn(i % 2 === 0 ? a : b, tenantId, "linkedin", at))
    )
    expect(allowedCount(results)).toBe(burst)
    // Every denied caller learns the true wait, not a stale one read before the others committed.
    const denied = results.filter((r) => !r.allowed)
    expect(denied).toEqual(Array.from({ length: burst }, () => ({ allowed: false, retryAfterMs: 60_000 / LIMITS.linkedin.ratePerMinute })))
  })

  it("refills over time at the configured rate, never beyond the burst", async () => {
    const tenantId = await insertTenant(t.db)
    const t0 = Date.UTC(2026, 11, 1, 10)
    const at = (ms: number) => new Date(t0 + ms)
    for (let i = 0; i < 3; i++) expect((await takeOn(a, tenantId, "meta", at(0))).allowed).toBe(true)
    expect(await takeOn(a, tenantId, "meta", at(0))).toEqual({ allowed: false, retryAfterMs: 1_000 })
    expect(await takeOn(b, tenantId, "meta", at(400))).toEqual({ allowed: false, retryAfterMs: 600 })
    expect(await takeOn(b, tenantId, "meta", at(1_000))).toEqual({ allowed: true })
    expect((await takeOn(a, tenantId, "meta", at(1_000))).allowed).toBe(false)
    const afterAnHour = await Promise.all(Array.from({ length: 5 }, () => takeOn(a, tenantId, "meta", at(3_600_000))))
    expect(allowedCount(afterAnHour)).toBe(3)
  })

  it("keeps tenants and platforms apart", async () => {
    const one = await insertTenant(t.db)
    const two = await insertTenant(t.db)
    const at = new Date("2026-12-01T10:00:00Z")
    for (let i = 0; i < 3; i++) await takeOn(a, one, "meta", at)
    expect((await takeOn(a, one, "meta", at)).allowed).toBe(false)
    expect((await takeOn(a, two, "meta", at)).allowed).toBe(true)
    expect((await takeOn(a, one, "linkedin", at)).allowed).toBe(true)
    const rows = await t.db.selectFrom("rate_limit_buckets").select(["platform", "tokens"]).where("tenant_id", "in", [one, two]).execute()
    expect(rows).toHaveLength(3)
  })

  /** Takes at these gaps through both pools, each answer the pure model's. */
  const agreesWithModel = async (steps: ReadonlyArray<number>) => {
    const tenantId = await insertTenant(t.db)
    const start = Date.UTC(2026, 11, 1, 12)
    let now = start
    let model = initialBucket(LIMITS.meta, start)
    for (const gap of steps) {
      now += gap
      const expected = take(LIMITS.meta, model, now)
      model = expected.state
      const actual = await takeOn(now % 2 === 0 ? a : b, tenantId, "meta", new Date(now))
      expect(actual).toEqual(expected.allowed ? { allowed: true } : { allowed: false, retryAfterMs: expected.retryAfterMs })
    }
  }

  it("decides every take the way the pure model does", async () => {
    const gaps = fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3_000 })), { minLength: 1, maxLength: 25 })
    await fc.assert(fc.asyncProperty(gaps, agreesWithModel), { numRuns: 30 })
  })

  it("advertises the model's wait where float rounding needs a millisecond more (a found counterexample)", async () => {
    await agreesWithModel([0, 415, 0, 1])
  })

  it("uses the database server's clock when no time is given", async () => {
    const tenantId = await insertTenant(t.db)
    expect(await takeOn(a, tenantId, "tiktok")).toEqual({ allowed: true })
    const row = await t.db.selectFrom("rate_limit_buckets").selectAll().where("tenant_id", "=", tenantId).executeTakeFirstOrThrow()
    expect(row.tokens).toBe(LIMITS.tiktok.burst - 1)
    expect(Math.abs(row.refilled_at.getTime() - Date.now())).toBeLessThan(60_000)
  })
})

describe("RateLimiter.layer", () => {
  const build = (env: Record<string, string>) =>
    RateLimiter.layer.pipe(
      Layer.provide(Layer.mergeAll(databaseLayer(t.url), ConfigProvider.layer(ConfigProvider.fromUnknown(env))))
    )

  it("reads RATE_LIMITS over the spec's defaults", async () => {
    const limits = await Effect.runPromise(
      Effect.gen(function* () {
        return (yield* RateLimiter).limits
      }).pipe(Effect.provide(build({ RATE_LIMITS: "linkedin=5/10" })))
    )
    expect(limits).toEqual({ ...DEFAULT_RATE_LIMITS, linkedin: { ratePerMinute: 5, burst: 10 } })
  })

  it("refuses a malformed RATE_LIMITS as a configuration error", async () => {
    const exit = await Effect.runPromise(Layer.build(build({ RATE_LIMITS: "linkedin=fast" })).pipe(Effect.scoped, Effect.exit))
    expect(Exit.isFailure(exit) && String(exit.cause)).toMatch(/RATE_LIMITS: "linkedin=fast" is not platform=ratePerMinute\/burst/)
  })
})
