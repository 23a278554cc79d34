// Injected faults: which calls they hit (platform, account, token, path substring, method — any
// combination), what happens to them, and for how long (count, duration, until, fraction). A fault
// with a fraction draws from its own seeded generator, so a run is reproducible given its calls.
import { Schema } from "effect"
import { Platform } from "../../core/taxonomy/Taxonomy.ts"

export const FAULT_KINDS = [
  "http_5xx",
  "rate_limit",
  "quota",
  "latency",
  "timeout",
  "reset",
  "accept_then_timeout",
  "accept_then_reset"
] as const
export const FaultKind = Schema.Literals(FAULT_KINDS)
export type FaultKind = typeof FaultKind.Type

const NonNegative = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))

export const FaultSpec = Schema.Struct({
  kind: FaultKind,
  platform: Schema.optionalKey(Platform),
  accountId: Schema.optionalKey(Schema.String),
  token: Schema.optionalKey(Schema.String),
  /** Substring of the simulator path, host prefix included: "/rest/posts", "graph.facebook.com/v21.0/1000001". */
  path: Schema.optionalKey(Schema.String),
  method: Schema.optionalKey(Schema.String),
  /** http_5xx: the status to answer (500 by default; 503 is the platform's "unavailable" shape). */
  status: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 500, maximum: 599 }))),
  /** rate_limit / quota: adds `Retry-After: <n>` (and Meta's regain estimate). */
  retryAfterSec: Schema.optionalKey(NonNegative),
  /** latency: added before the call is handled. */
  latencyMs: Schema.optionalKey(NonNegative.check(Schema.isLessThanOrEqualTo(600_000))),
  /** A platform-specific shape variant, e.g. Meta rate_limit "app" (code 4), "page" (32), "buc" (80001/80002). */
  variant: Schema.optionalKey(Schema.String),
  /** Share of matching calls hit, 0..1 (1 by default). */
  fraction: Schema.optionalKey(Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 1 }))),
  seed: Schema.optionalKey(Schema.Int),
  /** Hit only the next N matching calls (counting only calls actually hit). */
  count: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))),
  /** Active for this long from creation (simulator clock). */
  durationMs: Schema.optionalKey(NonNegative),
  /** Active until this clock time (epoch ms). */
  until: Schema.optionalKey(Schema.Finite)
})
export type FaultSpec = typeof FaultSpec.Type

export interface FaultView {
  readonly id: string
  readonly spec: FaultSpec
  readonly createdAt: number
  /** Clock time after which the fault no longer fires; null for never. */
  readonly expiresAt: number | null
  /** Hits left when `count` was given; null otherwise. */
  readonly remaining: number | null
  readonly hits: number
}

/** What is known about a call when faults are chosen. */
export interface FaultTarget {
  readonly platform: string
  readonly method: string
  /** The simulator path without the query, host prefix included: "/api.linkedin.com/rest/posts". */
  readonly path: string
  readonly accountId: string | undefined
  readonly token: string | undefined
}

export interface FaultDecision {
  /** Sum of every latency fault that fired. */
  readonly latencyMs: number
  /** The first non-latency fault that fired, if any. */
  readonly fault: FaultView | undefined
}

interface Fault {
  readonly id: string
  readonly spec: FaultSpec
  readonly createdAt: number
  readonly expiresAt: number | null
  readonly random: () => number
  remaining: number | null
  hits: number
}

/** mulberry32: tiny, fast, and good enough to spread hits evenly over calls. */
export const seededRandom = (seed: number): (() => number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

const viewOf = (f: Fault): FaultView => ({
  id: f.id,
  spec: f.spec,
  createdAt: f.createdAt,
  expiresAt: f.expiresAt,
  remaining: f.remaining,
  hits: f.hits
})

const appliesTo = (spec: FaultSpec, target: FaultTarget): boolean =>
  (spec.platform === undefined || spec.platform === target.platform) &&
  (spec.method === undefined || spec.method.toUpperCase() === target.method) &&
  (spec.path === undefined || target.path.includes(spec.path)) &&
  (spec.accountId === undefined || spec.accountId === target.accountId) &&
  (spec.token === undefined || spec.token === target.token)

export class FaultBook {
  private faults: Array<Fault> = []
  private created = 0
  private readonly seed: number

  /** `seed` makes fraction faults without their own seed reproducible across runs. */
  constructor(seed: number) {
    this.seed = seed
  }

  add(spec: FaultSpec, now: number): FaultView {
    this.created += 1
    const ends = [spec.until, spec.durationMs === undefined ? undefined : now + spec.durationMs].filter((t): t is number => t !== undefined)
    const fault: Fault = {
      id: `fault-${this.created}`,
      spec,
      createdAt: now,
      expiresAt: ends.length === 0 ? null : Math.min(...ends),
      random: seededRandom(spec.seed ?? this.seed + this.created),
      remaining: spec.count ?? null,
      hits: 0
    }
    this.faults.push(fault)
    return viewOf(fault)
  }

  list(now: number): ReadonlyArray<FaultView> {
    this.prune(now)
    return this.faults.map(viewOf)
  }

  remove(id: string): boolean {
    const before = this.faults.length
    this.faults = this.faults.filter((f) => f.id !== id)
    return this.faults.length < before
  }

  clear(): void {
    this.faults = []
  }

  /** Decides what happens to one call, consuming counts and random draws of the faults that fire. */
  decide(target: FaultTarget, now: number): FaultDecision {
    this.prune(now)
    let latencyMs = 0
    let chosen: Fault | undefined
    for (const fault of this.faults) {
      const isLatency = fault.spec.kind === "latency"
      if (!isLatency && chosen !== undefined) continue
      if (!appliesTo(fault.spec, target)) continue
      const fraction = fault.spec.fraction ?? 1
      if (fraction < 1 && !(fault.random() < fraction)) continue
      fault.hits += 1
      if (fault.remaining !== null) fault.remaining -= 1
      if (isLatency) latencyMs += fault.spec.latencyMs ?? 0
      else chosen = fault
    }
    const decision = { latencyMs, fault: chosen === undefined ? undefined : viewOf(chosen) }
    this.prune(now)
    return decision
  }

  private prune(now: number): void {
    this.faults = this.faults.filter((f) => (f.remaining === null || f.remaining > 0) && (f.expiresAt === null || now < f.expiresAt))
  }
}
