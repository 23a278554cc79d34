// The per-tenant, per-platform token bucket of core/ratelimit/TokenBucket.ts, kept in PostgreSQL so
// every worker draws from the same bucket. One statement decides: the row lock taken by the upsert
// serialises concurrent takes, the refill is computed from `refilled_at`, the decrement is conditional.
import { Config, Context, Effect, Layer, Result, Schema, SchemaIssue } from "effect"
import { sql } from "kysely"
import {
  available,
  DEFAULT_RATE_LIMITS,
  parseRateLimits,
  type RateLimits,
  retryAfterMs,
  waitForToken
} from "../core/ratelimit/TokenBucket.ts"
import type { Platform } from "../core/taxonomy/Taxonomy.ts"
import { Database, type DatabaseError } from "./Database.ts"

export type RateDecision = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterMs: number }

interface TakeRow {
  readonly allowed: boolean
  readonly now: Date
  readonly tokens: number | null
  readonly refilled_at: Date | null
}

export class RateLimiter extends Context.Service<
  RateLimiter,
  {
    readonly limits: RateLimits
    /**
     * Takes one token from the tenant's bucket for `platform`. Time is the database server's
     * `clock_timestamp()` (one clock for every worker) unless `at` is given (tests, replays).
     */
    readonly take: (tenantId: string, platform: Platform, at?: Date) => Effect.Effect<RateDecision, DatabaseError>
    /** Tokens the tenant's bucket holds now, without taking one (a full bucket when none exists yet). */
    readonly peek: (tenantId: string, platform: Platform) => Effect.Effect<number, DatabaseError>
  }
>()("postd/db/RateLimiter") {
  static readonly make = (limits: RateLimits) =>
    Effect.gen(function* () {
      const database = yield* Database

      const take = Effect.fn("RateLimiter.take")(function* (tenantId: string, platform: Platform, at?: Date) {
        const { ratePerMinute, burst } = limits[platform]
        // `clock` is materialised once (clock_timestamp() is volatile), so every part of the statement
        // uses the same instant. `current` locks the bucket first and, under READ COMMITTED, yields its
        // latest committed version, so a denied take reports the state that denied it. The upsert's
        // WHERE leaves the row unchanged on a denial, like the model; its arithmetic matches
        // TokenBucket.available (seconds × rate / 60).
        const result = yield* database.use("RateLimiter.take", (db) =>
          sql<TakeRow>`
            with clock as (
              select coalesce(${at ?? null}::timestamptz, clock_timestamp()) as now
            ), current as (
              select tokens, refilled_at from rate_limit_buckets
               where tenant_id = ${tenantId}::uuid and platform = ${platform}
                 for update
            ), taken as (
              insert into rate_limit_buckets as b (tenant_id, platform, tokens, refilled_at)
              select ${tenantId}::uuid, ${platform}, ${burst}::double precision - 1, clock.now
                from clock left join current on true
              on conflict (tenant_id, platform) do update
                 set tokens = least(${burst}::double precision,
                                    b.tokens + greatest(0, extract(epoch from (excluded.refilled_at - b.refilled_at))::double precision)
                                               * ${ratePerMinute}::double precision / 60) - 1,
                     refilled_at = greatest(excluded.refilled_at, b.refilled_at)
               where least(${burst}::double precision,
                           b.tokens + greatest(0, extract(epoch from (excluded.refilled_at - b.refilled_at))::double precision)
                                      * ${ratePerMinute}::double precision / 60) >= 1
              returning 1
            )
            select exists (select 1 from taken) as allowed, clock.now, current.tokens, current.refilled_at
              from clock left join current on true`.execute(db)
        )
        const row = result.rows[0]
        if (row === undefined || row.allowed) return { allowed: true } as const
        // No row to read means another worker created the bucket during this statement and took its
        // last token: the next one is a full token away.
        const wait =
          row.tokens === null || row.refilled_at === null
            ? retryAfterMs(limits[platform], 0)
            : waitForToken(limits[platform], { tokens: row.tokens, refilledAtMs: row.refilled_at.getTime() }, row.now.getTime())
        return { allowed: false, retryAfterMs: wait } as const
      })

      const peek = Effect.fn("RateLimiter.peek")(function* (tenantId: string, platform: Platform) {
        const result = yield* database.use("RateLimiter.peek", (db) =>
          sql<{ tokens: number; refilled_at: Date; now: Date }>`
            select tokens, refilled_at, clock_timestamp() as now from rate_limit_buckets
             where tenant_id = ${tenantId}::uuid and platform = ${platform}`.execute(db)
        )
        const row = result.rows[0]
        if (row === undefined) return limits[platform].burst
        return available(limits[platform], { tokens: row.tokens, refilledAtMs: row.refilled_at.getTime() }, row.now.getTime())
      })

      return RateLimiter.of({ limits, take, peek })
    })

  /** Limits from `RATE_LIMITS` (`meta=100/200,linkedin=50/100`: per minute / burst) over the spec's defaults. */
  static readonly layer = Layer.effect(
    RateLimiter,
    Effect.gen(function* () {
      const text = yield* Config.String("RATE_LIMITS").pipe(Config.withDefault(""))
      const parsed = parseRateLimits(text)
      if (Result.isFailure(parsed)) {
        return yield* Effect.fail(
          new Config.ConfigError(
            new Schema.SchemaError(new SchemaIssue.InvalidValue({ message: `RATE_LIMITS: ${parsed.failure}` }, text))
          )
        )
      }
      return yield* RateLimiter.make(parsed.success)
    })
  )

  static readonly layerDefaults = Layer.effect(RateLimiter, RateLimiter.make(DEFAULT_RATE_LIMITS))
}
