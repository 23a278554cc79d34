// The dead-letter queue (spec §7): jobs that will not succeed by retrying, each classified (a taxonomy
// code and action, why it was given up), linked to its runbook, listed for operators with keyset
// pagination, resolved or replayed by them.
import { Context, Effect, Layer, Schema } from "effect"
import { sql } from "kysely"
import { type ErrorAction, type ErrorCode, type Platform, TAXONOMY } from "../core/taxonomy/Taxonomy.ts"
import { Database, type DatabaseError } from "./Database.ts"
import type { DlqEntryRow, DlqJobAction, DlqReasonCode } from "./DatabaseSchema.ts"
import { before, decodeCursor, encodeCursor, exactTime } from "./KeysetCursor.ts"

export class DlqEntryNotFound extends Schema.TaggedError<DlqEntryNotFound>()("DlqEntryNotFound", {
  id: Schema.String
}) {}

export class DlqCursorInvalid extends Schema.TaggedError<DlqCursorInvalid>()("DlqCursorInvalid", {
  message: Schema.String
}) {}

export interface NewDlqEntryInput {
  readonly jobId: string
  /** Null only for a webhook event that failed before any tenant's connection was matched. */
  readonly tenantId: string | null
  readonly connectionId?: string | null | undefined
  readonly postId?: string | null | undefined
  readonly platform?: Platform | null | undefined
  readonly action: DlqJobAction
  /** The job's payload, kept for replay. Keys that look like secrets are dropped before storing. */
  readonly payload: unknown
  readonly errorCode: ErrorCode
  /** Defaults to the code's taxonomy action; given explicitly when a policy overrode it. */
  readonly taxonomyAction?: ErrorAction | undefined
  readonly reasonCode: DlqReasonCode
  readonly lastErrorMessage: string
  readonly retryCount: number
  readonly firstAttempt: Date
  /** Defaults to now. */
  readonly lastAttempt?: Date | undefined
}

export interface DlqEntry {
  readonly id: string
  readonly jobId: string
  readonly tenantId: string | null
  readonly connectionId: string | null
  readonly postId: string | null
  readonly platform: Platform | null
  readonly action: DlqJobAction
  readonly payload: unknown
  readonly errorCode: ErrorCode
  readonly taxonomyAction: ErrorAction
  readonly reasonCode: DlqReasonCode
  readonly lastErrorMessage: string
  readonly retryCount: number
  readonly firstAttempt: Date
  readonly lastAttempt: Date
  readonly createdAt: Date
  readonly resolvedAt: Date | null
  readonly resolution: string | null
  readonly resolvedBy: string | null
  readonly runbook: string
  readonly replayedAt: Date | null
  readonly replayCount: number
}

export interface DlqFilter {
  readonly tenantId?: string | undefined
  readonly platform?: Platform | undefined
  readonly code?: ErrorCode | undefined
  readonly reason?: DlqReasonCode | undefined
  /** false: open entries only (the operator's default view); true: resolved only; absent: both. */
  readonly resolved?: boolean | undefined
  /** `nextCursor` of the previous page. */
  readonly cursor?: string | undefined
  /** 1–500, default 50. */
  readonly limit?: number | undefined
}

export interface DlqPage {
  readonly entries: ReadonlyArray<DlqEntry>
  /** Absent on the last page. */
  readonly nextCursor?: string | undefined
}

/** The runbook section an operator opens for a code: one anchor per taxonomy code. */
export const runbookFor = (code: ErrorCode): string => `docs/runbooks/partner-errors.md#${code.toLowerCase()}`

const MAX_MESSAGE = 2_000
const SECRET_KEY = /token|secret|password|authorization|api[_-]?key|cookie|code_verifier/i

/** Drops secret-looking keys at any depth, so a payload that carried a token never lands in the table. */
const scrub = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(scrub)
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).flatMap(([key, inner]) => (SECRET_KEY.test(key) ? [] : [[key, scrub(inner)]]))
    )
  }
  return value
}

const toEntry = (row: DlqEntryRow): DlqEntry => ({
  id: row.id,
  jobId: row.job_id,
  tenantId: row.tenant_id,
  connectionId: row.connection_id,
  postId: row.post_id,
  platform: row.platform,
  action: row.action,
  payload: row.payload,
  errorCode: row.error_code,
  taxonomyAction: row.taxonomy_action,
  reasonCode: row.reason_code,
  lastErrorMessage: row.last_error_message,
  retryCount: row.retry_count,
  firstAttempt: row.first_attempt,
  lastAttempt: row.last_attempt,
  createdAt: row.created_at,
  resolvedAt: row.resolved_at,
  resolution: row.resolution,
  resolvedBy: row.resolved_by,
  runbook: row.runbook,
  replayedAt: row.replayed_at,
  replayCount: row.replay_count
})

const cursorInvalid = () => new DlqCursorInvalid({ message: "cursor does not come from a DLQ listing" })

export class DlqRepo extends Context.Service<
  DlqRepo,
  {
    readonly add: (entry: NewDlqEntryInput) => Effect.Effect<DlqEntry, DatabaseError>
    /** Newest first. */
    readonly list: (filter?: DlqFilter) => Effect.Effect<DlqPage, DlqCursorInvalid | DatabaseError>
    /** By id; with `tenantId`, another tenant's entry is not found. */
    readonly get: (id: string, tenantId?: string) => Effect.Effect<DlqEntry, DlqEntryNotFound | DatabaseError>
    /**
     * Records who resolved the entry and why. With `tenantId`, another tenant's entry is not found.
     * Returns the entry and whether this call resolved it: the first resolution stands.
     */
    readonly resolve: (
      id: string,
      resolution: string,
      resolvedBy: string,
      tenantId?: string
    ) => Effect.Effect<{ readonly entry: DlqEntry; readonly resolved: boolean }, DlqEntryNotFound | DatabaseError>
    /** A replayed post was published: its open entries are resolved by the system. Returns how many. */
    readonly resolveForPost: (postId: string, resolution: string) => Effect.Effect<number, DatabaseError>
    /** The same for a webhook event: its replayed, unresolved entries are resolved by `system`. */
    readonly resolveForWebhookEvent: (eventId: string, resolution: string) => Effect.Effect<number, DatabaseError>
    /** Counts a replay; the entry stays open until an operator resolves it or the replay succeeds. */
    readonly markReplayed: (id: string) => Effect.Effect<DlqEntry, DlqEntryNotFound | DatabaseError>
  }
>()("postd/db/DlqRepo") {
  static readonly layer = Layer.effect(
    DlqRepo,
    Effect.gen(function* () {
      const database = yield* Database

      const add = Effect.fn("DlqRepo.add")(function* (entry: NewDlqEntryInput) {
        const row = yield* database.use("DlqRepo.add", (db) =>
          db
            .insertInto("dlq_entries")
            .values({
              job_id: entry.jobId,
              tenant_id: entry.tenantId,
              connection_id: entry.connectionId ?? null,
              post_id: entry.postId ?? null,
              platform: entry.platform ?? null,
              action: entry.action,
              payload: JSON.stringify(scrub(entry.payload) ?? {}),
              error_code: entry.errorCode,
              taxonomy_action: entry.taxonomyAction ?? TAXONOMY[entry.errorCode].action,
              reason_code: entry.reasonCode,
              last_error_message: entry.lastErrorMessage.slice(0, MAX_MESSAGE),
              retry_count: Math.max(0, Math.trunc(entry.retryCount)),
              first_attempt: entry.firstAttempt,
              last_attempt: entry.lastAttempt ?? sql<Date>`greatest(now(), ${entry.firstAttempt}::timestamptz)`,
              runbook: runbookFor(entry.errorCode)
            })
            .returningAll()
            .executeTakeFirstOrThrow()
        )
        return toEntry(row)
      })

      const list = Effect.fn("DlqRepo.list")(function* (filter: DlqFilter = {}) {
        const limit = Math.min(500, Math.max(1, Math.trunc(filter.limit ?? 50)))
        const after = filter.cursor === undefined ? undefined : yield* decodeCursor(filter.cursor, cursorInvalid)
        const rows = yield* database.use("DlqRepo.list", (db) => {
          let query = db
            .selectFrom("dlq_entries")
            .selectAll()
            .select(exactTime("created_at").as("created_at_exact"))
          if (filter.tenantId !== undefined) query = query.where("tenant_id", "=", filter.tenantId)
          if (filter.platform !== undefined) query = query.where("platform", "=", filter.platform)
          if (filter.code !== undefined) query = query.where("error_code", "=", filter.code)
          if (filter.reason !== undefined) query = query.where("reason_code", "=", filter.reason)
          if (filter.resolved !== undefined) query = query.where("resolved_at", filter.resolved ? "is not" : "is", null)
          if (after !== undefined) {
            query = query.where(before("created_at", after))
          }
          return query.orderBy("created_at", "desc").orderBy("id", "desc").limit(limit + 1).execute()
        })
        const page = rows.slice(0, limit)
        const last = page[page.length - 1]
        return {
          entries: page.map(({ created_at_exact: _, ...row }) => toEntry(row)),
          ...(rows.length > limit && last !== undefined ? { nextCursor: encodeCursor({ at: last.created_at_exact, id: last.id }) } : {})
        } satisfies DlqPage
      })

      const get = Effect.fn("DlqRepo.get")(function* (id: string, tenantId?: string) {
        const row = yield* database.use("DlqRepo.get", (db) => {
          let query = db.selectFrom("dlq_entries").selectAll().where("id", "=", id)
          if (tenantId !== undefined) query = query.where("tenant_id", "=", tenantId)
          return query.executeTakeFirst()
        })
        if (row === undefined) return yield* new DlqEntryNotFound({ id })
        return toEntry(row)
      })

      const resolve = Effect.fn("DlqRepo.resolve")(function* (id: string, resolution: string, resolvedBy: string, tenantId?: string) {
        const updated = yield* database.use("DlqRepo.resolve", (db) => {
          let query = db
            .updateTable("dlq_entries")
            .set({ resolved_at: sql<Date>`now()`, resolution, resolved_by: resolvedBy })
            .where("id", "=", id)
            .where("resolved_at", "is", null)
          if (tenantId !== undefined) query = query.where("tenant_id", "=", tenantId)
          return query.returningAll().executeTakeFirst()
        })
        if (updated !== undefined) return { entry: toEntry(updated), resolved: true }
        return { entry: yield* get(id, tenantId), resolved: false }
      })

      const resolveForPost = Effect.fn("DlqRepo.resolveForPost")(function* (postId: string, resolution: string) {
        const result = yield* database.use("DlqRepo.resolveForPost", (db) =>
          db
            .updateTable("dlq_entries")
            .set({ resolved_at: sql<Date>`now()`, resolution, resolved_by: "system" })
            .where("post_id", "=", postId)
            .where("resolved_at", "is", null)
            .where("replay_count", ">", 0)
            .executeTakeFirst()
        )
        return Number(result.numUpdatedRows)
      })

      const resolveForWebhookEvent = Effect.fn("DlqRepo.resolveForWebhookEvent")(function* (eventId: string, resolution: string) {
        const result = yield* database.use("DlqRepo.resolveForWebhookEvent", (db) =>
          db
            .updateTable("dlq_entries")
            .set({ resolved_at: sql<Date>`now()`, resolution, resolved_by: "system" })
            .where("action", "=", "webhook")
            .where((eb) =>
              eb.or([eb("job_id", "=", eventId), eb(sql<string>`payload->>'webhookEventId'`, "=", eventId), eb(sql<string>`payload->>'eventId'`, "=", eventId)])
            )
            .where("resolved_at", "is", null)
            .where("replay_count", ">", 0)
            .executeTakeFirst()
        )
        return Number(result.numUpdatedRows)
      })

      const markReplayed = Effect.fn("DlqRepo.markReplayed")(function* (id: string) {
        const row = yield* database.use("DlqRepo.markReplayed", (db) =>
          db
            .updateTable("dlq_entries")
            .set((eb) => ({ replayed_at: sql<Date>`now()`, replay_count: eb("replay_count", "+", 1) }))
            .where("id", "=", id)
            .returningAll()
            .executeTakeFirst()
        )
        if (row === undefined) return yield* new DlqEntryNotFound({ id })
        return toEntry(row)
      })

      return DlqRepo.of({ add, list, get, resolve, resolveForPost, resolveForWebhookEvent, markReplayed })
    })
  )
}
