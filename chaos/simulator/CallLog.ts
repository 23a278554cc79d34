// Every partner call the simulator received, newest last, in a fixed-size ring so a long load run
// cannot grow memory without bound. Tests read it to prove how often a partner was actually called.
import type { Platform } from "../../core/taxonomy/Taxonomy.ts"

export const CALL_OUTCOMES = ["answered", "timeout", "reset"] as const
export type CallOutcome = (typeof CALL_OUTCOMES)[number]

export interface CallRecord {
  /** Increases by one per call for the simulator's lifetime (reset included), so `sinceSeq` pages. */
  readonly seq: number
  readonly platform: Platform | undefined
  readonly method: string
  /** The partner host as mounted, e.g. "graph.facebook.com" or "{dc}.api.mailchimp.com". */
  readonly host: string
  /** The route template, e.g. "/{version}/{id}/feed"; "unmatched" for unknown paths. */
  readonly path: string
  /** The status sent, or the one a request accepted before hanging or resetting; null when none. */
  readonly status: number | null
  readonly outcome: CallOutcome
  readonly fault?: string
  readonly accountId?: string
  readonly dedupeKey?: string
  /** Clock time (epoch ms) the call arrived. */
  readonly at: number
}

export interface CallFilter {
  readonly platform?: Platform | undefined
  readonly method?: string | undefined
  readonly path?: string | undefined
  readonly pathContains?: string | undefined
  readonly status?: number | undefined
  readonly outcome?: CallOutcome | undefined
  readonly accountId?: string | undefined
  readonly dedupeKey?: string | undefined
  readonly sinceSeq?: number | undefined
}

export const DEFAULT_CALL_LOG_CAPACITY = 50_000

export class CallLog {
  readonly capacity: number
  private readonly ring: Array<CallRecord | undefined>
  private next = 0
  private seq = 0
  private count = 0

  constructor(capacity: number = DEFAULT_CALL_LOG_CAPACITY) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`call log capacity must be a positive integer, got ${capacity}`)
    this.capacity = capacity
    this.ring = new Array<CallRecord | undefined>(capacity)
  }

  add(record: Omit<CallRecord, "seq">): CallRecord {
    const entry = { ...record, seq: ++this.seq }
    this.ring[this.next] = entry
    this.next = (this.next + 1) % this.capacity
    this.count = Math.min(this.count + 1, this.capacity)
    return entry
  }

  /** Oldest first. */
  list(filter: CallFilter = {}): ReadonlyArray<CallRecord> {
    const out: Array<CallRecord> = []
    for (let i = 0; i < this.capacity; i++) {
      const entry = this.ring[(this.next + i) % this.capacity]
      if (entry !== undefined && matches(entry, filter)) out.push(entry)
    }
    return out
  }

  get size(): number {
    return this.count
  }

  get lastSeq(): number {
    return this.seq
  }

  clear(): void {
    this.ring.fill(undefined)
    this.next = 0
    this.count = 0
  }
}

const matches = (entry: CallRecord, f: CallFilter): boolean =>
  (f.platform === undefined || entry.platform === f.platform) &&
  (f.method === undefined || entry.method === f.method.toUpperCase()) &&
  (f.path === undefined || entry.path === f.path) &&
  (f.pathContains === undefined || `/${entry.host}${entry.path}`.includes(f.pathContains)) &&
  (f.status === undefined || entry.status === f.status) &&
  (f.outcome === undefined || entry.outcome === f.outcome) &&
  (f.accountId === undefined || entry.accountId === f.accountId) &&
  (f.dedupeKey === undefined || entry.dedupeKey === f.dedupeKey) &&
  (f.sinceSeq === undefined || entry.seq > f.sinceSeq)
