// Scheduled posts and their way through the publish pipeline: insert inside the caller's
// transaction (with its job), the worker's read, the publish intent recorded before any partner
// call, and the terminal and held states. Transitions are conditional updates, so a late or
// duplicate job can never move a published or dead-lettered post back.
import { Context, Effect, Layer, Schema } from "effect"
import { type Kysely, sql, type Transaction, type UpdateObject } from "kysely"
import type { PostContent, PostFormat } from "../core/publish/Connector.ts"
import type { ErrorCode, Platform } from "../core/taxonomy/Taxonomy.ts"
import { Database, type DatabaseError, databaseError, isUniqueViolation } from "./Database.ts"
import type { ConnectionStatus, DatabaseSchema, PostRow, PostStatus } from "./DatabaseSchema.ts"
import { before, decodeCursor, encodeCursor, exactTime } from "./KeysetCursor.ts"

export class PostNotFound extends Schema.TaggedError<PostNotFound>()("PostNotFound", {
  postId: Schema.String
}) {}

/** Another post of the tenant already has this dedupe key: scheduling it again would post it twice. */
export class DuplicatePost extends Schema.TaggedError<DuplicatePost>()("DuplicatePost", {
  dedupeKey: Schema.String
}) {}

/** The post is in a state the transition does not start from (already published, dead-lettered …). */
export class PostStateConflict extends Schema.TaggedError<PostStateConflict>()("PostStateConflict", {
  postId: Schema.String,
  status: Schema.String,
  transition: Schema.String
}) {}

export interface Post {
  readonly id: string
  readonly tenantId: string
  readonly connectionId: string
  readonly brandId: string
  readonly text: string
  readonly mediaUrls: ReadonlyArray<string>
  readonly title: string | null
  readonly link: string | null
  readonly format: PostFormat
  readonly scheduledAt: Date
  readonly status: PostStatus
  readonly dedupeKey: string
  readonly attempts: number
  readonly lastErrorCode: ErrorCode | null
  readonly partnerPostId: string | null
  readonly partnerRef: string | null
  readonly publishIntentAt: Date | null
  readonly publishedAt: Date | null
  readonly reconciled: boolean
  readonly skippedReason: string | null
  readonly heldAt: Date | null
  /**
   * The publish job this post answers to (a fencing token): set whenever a job is enqueued for it,
   * cleared when it is held. A job with another ticket is stale and does nothing, so a post never
   * has two jobs that could both publish it.
   */
  readonly publishTicket: string | null
  readonly createdAt: Date
  readonly updatedAt: Date
}

/** The worker's read: the post plus what it needs to know about its connection. */
export interface PostForPublish extends Post {
  readonly platform: Platform
  readonly connectionStatus: ConnectionStatus
  readonly connectionPauseReason: ErrorCode | null
}

export interface NewPostInput {
  /** Lets the caller know the id before the insert (e.g. for the job payload); generated otherwise. */
  readonly id?: string | undefined
  readonly tenantId: string
  readonly connectionId: string
  readonly brandId: string
  readonly content: PostContent
  readonly scheduledAt: Date
  /** Our idempotency key towards the partner; the post id when absent. */
  readonly dedupeKey?: string | undefined
  /** The ticket of the publish job enqueued with it. */
  readonly ticket: string
}

/** A post moved back to `scheduled` with a new ticket, for the job to enqueue with it. */
export interface Released {
  readonly id: string
  readonly ticket: string
  readonly scheduledAt: Date
}

/**
 * Holds every `scheduled` post of a connection that is being paused, in the caller's transaction:
 * their tickets are cleared, so the jobs already waiting for them do nothing when they run. Posts in
 * `publishing` are in a partner call: that attempt ends as it ends.
 */
export const holdScheduledPosts = async (
  trx: Transaction<DatabaseSchema> | Kysely<DatabaseSchema>,
  tenantId: string,
  connectionId: string
): Promise<number> => {
  const result = await trx
    .updateTable("posts")
    .set({ status: "held", held_at: sql<Date>`now()`, publish_ticket: null, updated_at: sql<Date>`now()` })
    .where("tenant_id", "=", tenantId)
    .where("connection_id", "=", connectionId)
    .where("status", "=", "scheduled")
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}

export interface PublishIntent {
  /** When the first attempt recorded its intent; reconciliation searches from here. */
  readonly intentAt: Date
  /** Attempts including this one. */
  readonly attempts: number
  /** An earlier attempt already recorded an intent: it may have reached the partner, so reconcile first. */
  readonly wasIntended: boolean
}

export interface PostFilter {
  readonly connectionId?: string | undefined
  readonly status?: PostStatus | undefined
  /** `nextCursor` of the previous page. */
  readonly cursor?: string | undefined
  /** 1–200, default 50. */
  readonly limit?: number | undefined
}

export interface PostPage {
  readonly posts: ReadonlyArray<Post>
  /** Absent on the last page. */
  readonly nextCursor?: string | undefined
}

/** A held post as the backfill sees it. */
export interface HeldPost {
  readonly id: string
  readonly scheduledAt: Date
  readonly heldAt: Date
}

export class PostCursorInvalid extends Schema.TaggedError<PostCursorInvalid>()("PostCursorInvalid", {
  message: Schema.String
}) {}

const toPost = (row: PostRow): Post => ({
  id: row.id,
  tenantId: row.tenant_id,
  connectionId: row.connection_id,
  brandId: row.brand_id,
  text: row.text,
  mediaUrls: row.media_urls,
  title: row.title,
  link: row.link,
  format: row.format,
  scheduledAt: row.scheduled_at,
  status: row.status,
  dedupeKey: row.dedupe_key,
  attempts: row.attempts,
  lastErrorCode: row.last_error_code,
  partnerPostId: row.partner_post_id,
  partnerRef: row.partner_ref,
  publishIntentAt: row.publish_intent_at,
  publishedAt: row.published_at,
  reconciled: row.reconciled,
  skippedReason: row.skipped_reason,
  heldAt: row.held_at,
  publishTicket: row.publish_ticket,
  createdAt: row.created_at,
  updatedAt: row.updated_at
})

/** States a publish attempt may start from; the rest are final (or `held`, released by resume only). */
const IN_FLIGHT: ReadonlyArray<PostStatus> = ["scheduled", "publishing"]
const PUBLISHABLE: ReadonlyArray<PostStatus> = ["scheduled", "publishing", "held"]


export class PostRepo extends Context.Service<
  PostRepo,
  {
    /** Inserts within the caller's transaction, so the post and its pg-boss job commit together. */
    readonly insert: (
      trx: Transaction<DatabaseSchema> | Kysely<DatabaseSchema>,
      post: NewPostInput
    ) => Effect.Effect<Post, DuplicatePost | DatabaseError>
    readonly get: (tenantId: string, id: string) => Effect.Effect<Post, PostNotFound | DatabaseError>
    /** Undefined when the post is gone (or another tenant's): the job has nothing to do. */
    readonly getForPublish: (tenantId: string, id: string) => Effect.Effect<PostForPublish | undefined, DatabaseError>
    /**
     * Records the publish intent before the partner call: keeps the first intent time, counts the
     * attempt, status `publishing`. From here on the outcome may be unknown until the attempt ends.
     */
    /** With `ticket`, only while the post still answers to that ticket (a held post answers to none). */
    readonly markIntent: (id: string, ticket?: string) => Effect.Effect<PublishIntent, PostNotFound | PostStateConflict | DatabaseError>
    /** Records the partner post; the first recorded partner post id wins. Returns whether it changed anything. */
    readonly markPublished: (id: string, partnerPostId: string, reconciled: boolean) => Effect.Effect<boolean, DatabaseError>
    /** The partner's handle from this attempt (TikTok publish_id, IG container), kept for reconciliation. */
    readonly setPartnerRef: (id: string, partnerRef: string) => Effect.Effect<void, DatabaseError>
    /** scheduled/publishing → held (the connection is paused), its ticket cleared. Returns whether it changed anything. */
    readonly markHeld: (id: string) => Effect.Effect<boolean, DatabaseError>
    readonly markDeadLettered: (id: string, code: ErrorCode) => Effect.Effect<boolean, DatabaseError>
    readonly markSkipped: (id: string, reason: string) => Effect.Effect<boolean, DatabaseError>
    /** Keeps the attempt's error; a post that was publishing waits for its retry job as `scheduled`. */
    readonly recordError: (id: string, code: ErrorCode) => Effect.Effect<void, DatabaseError>
    /**
     * held → scheduled with new tickets for one connection, in the caller's transaction, in schedule
     * order: every held post, or only the upcoming ones (scheduled in the future: not missed yet).
     */
    readonly releaseHeld: (
      trx: Transaction<DatabaseSchema> | Kysely<DatabaseSchema>,
      tenantId: string,
      connectionId: string,
      which: "all" | "upcoming"
    ) => Effect.Effect<ReadonlyArray<Released>, DatabaseError>
    readonly listHeld: (connectionId: string) => Effect.Effect<ReadonlyArray<Post>, DatabaseError>
    /** The tenant's posts, newest scheduled first, keyset-paginated. */
    readonly list: (tenantId: string, filter?: PostFilter) => Effect.Effect<PostPage, PostCursorInvalid | DatabaseError>
    /**
     * Held posts of one connection in schedule order; `heldSince`: only those held at or after it;
     * `dueBy`: only those scheduled at or before it (the missed ones, not the upcoming).
     */
    readonly heldOf: (
      tenantId: string,
      connectionId: string,
      options?: { readonly heldSince?: Date | undefined; readonly dueBy?: Date | undefined }
    ) => Effect.Effect<ReadonlyArray<HeldPost>, DatabaseError>
    /** held → scheduled with a new ticket for one post, in the caller's transaction; undefined when it is no longer held. */
    readonly releaseOne: (
      trx: Transaction<DatabaseSchema> | Kysely<DatabaseSchema>,
      tenantId: string,
      id: string
    ) => Effect.Effect<Released | undefined, DatabaseError>
    /** held → skipped with a reason, in the caller's transaction; false when it is no longer held. */
    readonly skipHeld: (
      trx: Transaction<DatabaseSchema> | Kysely<DatabaseSchema>,
      tenantId: string,
      id: string,
      reason: string
    ) => Effect.Effect<boolean, DatabaseError>
    /**
     * dead_lettered → scheduled with a fresh retry budget, in the caller's transaction (the replay's
     * job commits with it). The dedupe key and the first intent time stay, so the replay reconciles
     * with the partner before posting. False when the post is not dead-lettered (already replayed).
     */
    readonly requeueDeadLettered: (
      trx: Transaction<DatabaseSchema> | Kysely<DatabaseSchema>,
      tenantId: string,
      id: string
    ) => Effect.Effect<Released | undefined, DatabaseError>
  }
>()("postd/db/PostRepo") {
  static readonly layer = Layer.effect(
    PostRepo,
    Effect.gen(function* () {
      const database = yield* Database

      const insert = Effect.fn("PostRepo.insert")(function* (
        trx: Transaction<DatabaseSchema> | Kysely<DatabaseSchema>,
        post: NewPostInput
      ) {
        const row = yield* Effect.tryPromise({
          try: () =>
            trx
              .insertInto("posts")
              .values({
                ...(post.id === undefined ? {} : { id: post.id }),
                tenant_id: post.tenantId,
                connection_id: post.connectionId,
                brand_id: post.brandId,
                text: post.content.text,
                media_urls: [...post.content.mediaUrls],
                title: post.content.title ?? null,
                link: post.content.link ?? null,
                format: post.content.format,
                scheduled_at: post.scheduledAt,
                publish_ticket: post.ticket,
                ...(post.dedupeKey === undefined ? {} : { dedupe_key: post.dedupeKey })
              })
              .returningAll()
              .executeTakeFirstOrThrow(),
          catch: (e) =>
            post.dedupeKey !== undefined && isUniqueViolation(e, "posts_dedupe_key_key")
              ? new DuplicatePost({ dedupeKey: post.dedupeKey })
              : databaseError("PostRepo.insert")(e)
        })
        return toPost(row)
      })

      const get = Effect.fn("PostRepo.get")(function* (tenantId: string, id: string) {
        const row = yield* database.use("PostRepo.get", (db) =>
          db.selectFrom("posts").selectAll().where("tenant_id", "=", tenantId).where("id", "=", id).executeTakeFirst()
        )
        if (row === undefined) return yield* new PostNotFound({ postId: id })
        return toPost(row)
      })

      const getForPublish = Effect.fn("PostRepo.getForPublish")(function* (tenantId: string, id: string) {
        const row = yield* database.use("PostRepo.getForPublish", (db) =>
          db
            .selectFrom("posts as p")
            .innerJoin("connections as c", (join) =>
              join.onRef("c.id", "=", "p.connection_id").onRef("c.tenant_id", "=", "p.tenant_id")
            )
            .selectAll("p")
            .select(["c.platform", "c.status as connection_status", "c.pause_reason as connection_pause_reason"])
            .where("p.tenant_id", "=", tenantId)
            .where("p.id", "=", id)
            .executeTakeFirst()
        )
        if (row === undefined) return undefined
        const { platform, connection_status, connection_pause_reason, ...post } = row
        return {
          ...toPost(post),
          platform,
          connectionStatus: connection_status,
          connectionPauseReason: connection_pause_reason
        } satisfies PostForPublish
      })

      const markIntent = Effect.fn("PostRepo.markIntent")(function* (id: string, ticket?: string) {
        // One statement: the row lock taken by `for update` in the CTE makes the read of the previous
        // intent and the update atomic, so two racing attempts cannot both see "no earlier intent".
        const result = yield* database.use("PostRepo.markIntent", (db) =>
          sql<{ status: PostStatus; intent_at: Date | null; attempts: number | null; was_intended: boolean | null }>`
            with prev as (
              select id, status, publish_intent_at from posts where id = ${id} for update
            ), updated as (
              update posts p
                 set publish_intent_at = coalesce(p.publish_intent_at, now()),
                     status = 'publishing',
                     attempts = p.attempts + 1,
                     updated_at = now()
                from prev
               where p.id = prev.id and prev.status in ('scheduled', 'publishing', 'held')
                 and (${ticket ?? null}::uuid is null or p.publish_ticket = ${ticket ?? null}::uuid)
              returning p.publish_intent_at, p.attempts, prev.publish_intent_at is not null as was_intended
            )
            select prev.status, updated.publish_intent_at as intent_at, updated.attempts, updated.was_intended
              from prev left join updated on true`.execute(db)
        )
        const row = result.rows[0]
        if (row === undefined) return yield* new PostNotFound({ postId: id })
        if (row.intent_at === null || row.attempts === null || row.was_intended === null) {
          return yield* new PostStateConflict({ postId: id, status: row.status, transition: "markIntent" })
        }
        return { intentAt: row.intent_at, attempts: row.attempts, wasIntended: row.was_intended } satisfies PublishIntent
      })

      const markPublished = Effect.fn("PostRepo.markPublished")(function* (
        id: string,
        partnerPostId: string,
        reconciled: boolean
      ) {
        const result = yield* database.use("PostRepo.markPublished", (db) =>
          db
            .updateTable("posts")
            .set({
              status: "published",
              partner_post_id: partnerPostId,
              published_at: sql<Date>`now()`,
              reconciled,
              updated_at: sql<Date>`now()`
            })
            .where("id", "=", id)
            .where("status", "in", PUBLISHABLE)
            .executeTakeFirst()
        )
        return result.numUpdatedRows > 0n
      })

      const setPartnerRef = Effect.fn("PostRepo.setPartnerRef")(function* (id: string, partnerRef: string) {
        yield* database.use("PostRepo.setPartnerRef", (db) =>
          db.updateTable("posts").set({ partner_ref: partnerRef, updated_at: sql<Date>`now()` }).where("id", "=", id).execute()
        )
      })

      const transition = (operation: string, from: ReadonlyArray<PostStatus>, set: UpdateObject<DatabaseSchema, "posts">) =>
        Effect.fn(operation)(function* (id: string) {
          const result = yield* database.use(operation, (db) =>
            db
              .updateTable("posts")
              .set(set)
              .where("id", "=", id)
              .where("status", "in", from)
              .executeTakeFirst()
          )
          return result.numUpdatedRows > 0n
        })

      const markHeld = transition("PostRepo.markHeld", IN_FLIGHT, {
        status: "held",
        held_at: sql<Date>`now()`,
        publish_ticket: null,
        updated_at: sql<Date>`now()`
      })

      const markDeadLettered = (id: string, code: ErrorCode) =>
        transition("PostRepo.markDeadLettered", PUBLISHABLE, {
          status: "dead_lettered",
          last_error_code: code,
          updated_at: sql<Date>`now()`
        })(id)

      const markSkipped = (id: string, reason: string) =>
        transition("PostRepo.markSkipped", PUBLISHABLE, {
          status: "skipped",
          skipped_reason: reason,
          updated_at: sql<Date>`now()`
        })(id)

      const recordError = Effect.fn("PostRepo.recordError")(function* (id: string, code: ErrorCode) {
        yield* database.use("PostRepo.recordError", (db) =>
          db
            .updateTable("posts")
            .set({
              last_error_code: code,
              status: sql<PostStatus>`case when status = 'publishing' then 'scheduled' else status end`,
              updated_at: sql<Date>`now()`
            })
            .where("id", "=", id)
            .execute()
        )
      })

      const releaseHeld = Effect.fn("PostRepo.releaseHeld")(function* (
        trx: Transaction<DatabaseSchema> | Kysely<DatabaseSchema>,
        tenantId: string,
        connectionId: string,
        which: "all" | "upcoming"
      ) {
        const result = yield* Effect.tryPromise({
          try: () =>
            sql<{ id: string; publish_ticket: string; scheduled_at: Date }>`
              with released as (
                update posts set status = 'scheduled', publish_ticket = gen_random_uuid(), updated_at = now()
                 where tenant_id = ${tenantId} and connection_id = ${connectionId} and status = 'held'
                   and (${which} = 'all' or scheduled_at > now())
                returning id, publish_ticket, scheduled_at
              )
              select id, publish_ticket, scheduled_at from released order by scheduled_at, id`.execute(trx),
          catch: databaseError("PostRepo.releaseHeld")
        })
        return result.rows.map((r): Released => ({ id: r.id, ticket: r.publish_ticket, scheduledAt: r.scheduled_at }))
      })

      /** Back to `scheduled` from `from`, with a new publish ticket: the ticket its one job will carry. */
      const rescheduleFrom = (operation: string, from: "held" | "dead_lettered", resetAttempts: boolean) =>
        Effect.fn(operation)(function* (trx: Transaction<DatabaseSchema> | Kysely<DatabaseSchema>, tenantId: string, id: string) {
          const row = yield* Effect.tryPromise({
            try: () =>
              trx
                .updateTable("posts")
                .set({
                  status: "scheduled",
                  ...(resetAttempts ? { attempts: 0 } : {}),
                  publish_ticket: sql<string>`gen_random_uuid()`,
                  updated_at: sql<Date>`now()`
                })
                .where("tenant_id", "=", tenantId)
                .where("id", "=", id)
                .where("status", "=", from)
                .returning(["id", "publish_ticket", "scheduled_at"])
                .executeTakeFirst(),
            catch: databaseError(operation)
          })
          return row === undefined || row.publish_ticket === null
            ? undefined
            : ({ id: row.id, ticket: row.publish_ticket, scheduledAt: row.scheduled_at } satisfies Released)
        })
      const requeueDeadLettered = rescheduleFrom("PostRepo.requeueDeadLettered", "dead_lettered", true)

      const listHeld = Effect.fn("PostRepo.listHeld")(function* (connectionId: string) {
        const rows = yield* database.use("PostRepo.listHeld", (db) =>
          db
            .selectFrom("posts")
            .selectAll()
            .where("connection_id", "=", connectionId)
            .where("status", "=", "held")
            .orderBy("scheduled_at", "asc")
            .orderBy("id", "asc")
            .execute()
        )
        return rows.map(toPost)
      })


      const cursorInvalid = () => new PostCursorInvalid({ message: "cursor does not come from a posts listing" })

      const list = Effect.fn("PostRepo.list")(function* (tenantId: string, filter: PostFilter = {}) {
        const limit = Math.min(200, Math.max(1, Math.trunc(filter.limit ?? 50)))
        const after = filter.cursor === undefined ? undefined : yield* decodeCursor(filter.cursor, cursorInvalid)
        const rows = yield* database.use("PostRepo.list", (db) => {
          let query = db
            .selectFrom("posts")
            .selectAll()
            .select(exactTime("scheduled_at").as("scheduled_at_exact"))
            .where("tenant_id", "=", tenantId)
          if (filter.connectionId !== undefined) query = query.where("connection_id", "=", filter.connectionId)
          if (filter.status !== undefined) query = query.where("status", "=", filter.status)
          if (after !== undefined) query = query.where(before("scheduled_at", after))
          return query.orderBy("scheduled_at", "desc").orderBy("id", "desc").limit(limit + 1).execute()
        })
        const page = rows.slice(0, limit)
        const last = page[page.length - 1]
        return {
          posts: page.map(({ scheduled_at_exact: _, ...row }) => toPost(row)),
          ...(rows.length > limit && last !== undefined ? { nextCursor: encodeCursor({ at: last.scheduled_at_exact, id: last.id }) } : {})
        } satisfies PostPage
      })

      const heldOf = Effect.fn("PostRepo.heldOf")(function* (
        tenantId: string,
        connectionId: string,
        options: { readonly heldSince?: Date | undefined; readonly dueBy?: Date | undefined } = {}
      ) {
        const rows = yield* database.use("PostRepo.heldOf", (db) => {
          let query = db
            .selectFrom("posts")
            .select(["id", "scheduled_at", "held_at", "updated_at"])
            .where("tenant_id", "=", tenantId)
            .where("connection_id", "=", connectionId)
            .where("status", "=", "held")
          if (options.heldSince !== undefined) query = query.where(sql<boolean>`coalesce(held_at, updated_at) >= ${options.heldSince}`)
          if (options.dueBy !== undefined) query = query.where("scheduled_at", "<=", options.dueBy)
          return query.orderBy("scheduled_at", "asc").orderBy("id", "asc").execute()
        })
        return rows.map((r): HeldPost => ({ id: r.id, scheduledAt: r.scheduled_at, heldAt: r.held_at ?? r.updated_at }))
      })

      const heldTransition = (operation: string) =>
        (trx: Transaction<DatabaseSchema> | Kysely<DatabaseSchema>, tenantId: string, id: string, set: UpdateObject<DatabaseSchema, "posts">) =>
          Effect.tryPromise({
            try: () =>
              trx
                .updateTable("posts")
                .set(set)
                .where("tenant_id", "=", tenantId)
                .where("id", "=", id)
                .where("status", "=", "held")
                .executeTakeFirst(),
            catch: databaseError(operation)
          }).pipe(
            Effect.map((result) => result.numUpdatedRows > 0n),
            Effect.withSpan(operation)
          )

      const skip = heldTransition("PostRepo.skipHeld")
      const releaseOne = rescheduleFrom("PostRepo.releaseOne", "held", false)
      const skipHeld = (trx: Transaction<DatabaseSchema> | Kysely<DatabaseSchema>, tenantId: string, id: string, reason: string) =>
        skip(trx, tenantId, id, { status: "skipped", skipped_reason: reason, updated_at: sql<Date>`now()` })

      return PostRepo.of({
        list,
        heldOf,
        releaseOne,
        skipHeld,
        insert,
        get,
        getForPublish,
        markIntent,
        markPublished,
        setPartnerRef,
        markHeld,
        markDeadLettered,
        markSkipped,
        recordError,
        releaseHeld,
        listHeld,
        requeueDeadLettered
      })
    })
  )
}
