// Every procedure's input, as a Schema: ids are UUIDs, times ISO 8601, texts bounded, enums the
// contract's. Decoded with every issue reported and unknown keys refused (trpc.ts `input`), so bad
// input is a BAD_REQUEST naming each invalid field before anything runs.
import { Schema } from "effect"
import { PostFormat } from "../../core/publish/Connector.ts"
import { Category, ErrorCode, Platform } from "../../core/taxonomy/Taxonomy.ts"
import { CONNECTION_STATUSES, DLQ_REASON_CODES, POST_STATUSES } from "../../db/DatabaseSchema.ts"

const Uuid = Schema.String.check(Schema.isUUID(undefined, { message: "must be a UUID" }))

/** An ISO 8601 date-time with a time zone, between 2000 and 2100. */
const IsoDateTime = Schema.String.check(
  Schema.isPattern(/^\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d{1,6})?)?(?:Z|[+-]\d\d:\d\d)$/, {
    message: "must be an ISO 8601 date-time with a time zone, e.g. 2026-12-01T10:00:00Z"
  }),
  Schema.makeFilter((text) => {
    const ms = Date.parse(text)
    return Number.isFinite(ms) && ms >= Date.UTC(2000, 0, 1) && ms < Date.UTC(2100, 0, 1) ? undefined : "must be a real date between 2000 and 2100"
  })
)

const boundedText = (min: number, max: number) =>
  Schema.String.check(Schema.isMinLength(min, { message: `must be at least ${min} character${min === 1 ? "" : "s"}` }), Schema.isMaxLength(max, { message: `must be at most ${max} characters` }))

const HttpsUrl = Schema.String.check(
  Schema.isMaxLength(2_048),
  Schema.makeFilter((text) => {
    try {
      const url = new URL(text)
      return url.protocol === "https:" && url.hostname !== "" ? undefined : "must be an https URL"
    } catch {
      return "must be an https URL"
    }
  })
)

const Limit = (max: number) =>
  Schema.Number.check(Schema.isInt({ message: "must be a whole number" }), Schema.isBetween({ minimum: 1, maximum: max }, { message: `must be between 1 and ${max}` }))

const Cursor = boundedText(1, 512)

const ConnectionStatus = Schema.Literals(CONNECTION_STATUSES)
const PostStatus = Schema.Literals(POST_STATUSES)
const DlqReason = Schema.Literals(DLQ_REASON_CODES)

/** A list procedure's filters: absent altogether, or an object of known filters. */
const filters = <F extends Schema.Struct.Fields>(fields: F) => Schema.UndefinedOr(Schema.Struct(fields))

export const TaxonomyListInput = filters({ category: Schema.optionalKey(Category) })

export const ConnectionsListInput = filters({
  platform: Schema.optionalKey(Platform),
  status: Schema.optionalKey(ConnectionStatus)
})

export const ConnectUrlInput = Schema.Struct({
  platform: Platform,
  /** The brand the new connections belong to; `default` when the tenant has one brand. */
  brandId: Schema.optionalKey(
    Schema.String.check(Schema.isPattern(/^[A-Za-z0-9._:-]{1,100}$/, { message: "must be 1-100 of A-Z a-z 0-9 . _ : -" }))
  )
})

export const ConnectionIdInput = Schema.Struct({ connectionId: Uuid })

export const ReconnectUrlInput = Schema.Struct({
  connectionId: Uuid,
  /** Publish the posts missed while paused once reconnected (the banner's checkbox). */
  backfill: Schema.optionalKey(Schema.Boolean)
})

export const PauseInput = Schema.Struct({ connectionId: Uuid, note: Schema.optionalKey(boundedText(1, 500)) })

export const PausedListInput = filters({
  tenantId: Schema.optionalKey(Uuid),
  platform: Schema.optionalKey(Platform),
  code: Schema.optionalKey(ErrorCode)
})

const MAX_MEDIA = 35

export const ScheduleInput = Schema.Struct({
  connectionId: Uuid,
  text: boundedText(1, 10_000),
  format: Schema.optionalKey(PostFormat),
  mediaUrls: Schema.optionalKey(Schema.Array(HttpsUrl).check(Schema.isMaxLength(MAX_MEDIA, { message: `at most ${MAX_MEDIA} media URLs` }))),
  title: Schema.optionalKey(boundedText(1, 300)),
  link: Schema.optionalKey(HttpsUrl),
  /** When to publish; now when absent. */
  scheduledAt: Schema.optionalKey(IsoDateTime),
  /** The caller's idempotency key: scheduling twice with one key is refused, never doubled. */
  dedupeKey: Schema.optionalKey(
    Schema.String.check(Schema.isPattern(/^[A-Za-z0-9._:-]{1,200}$/, { message: "must be 1-200 of A-Z a-z 0-9 . _ : -" }))
  )
}).check(
  Schema.makeFilter((post) => {
    const media = post.mediaUrls?.length ?? 0
    const format = post.format ?? "text"
    if (format === "text" && media > 0) return { path: ["mediaUrls"], issue: "a text post has no media; use format image, video or carousel" }
    if (format === "carousel" && media < 2) return { path: ["mediaUrls"], issue: "a carousel needs at least 2 media URLs" }
    if ((format === "image" || format === "video") && media !== 1) return { path: ["mediaUrls"], issue: `a ${format} post needs exactly 1 media URL` }
    return undefined
  })
)

export const PostsListInput = filters({
  connectionId: Schema.optionalKey(Uuid),
  status: Schema.optionalKey(PostStatus),
  cursor: Schema.optionalKey(Cursor),
  limit: Schema.optionalKey(Limit(200))
})

export const PostIdInput = Schema.Struct({ postId: Uuid })

export const BackfillOfferInput = Schema.Struct({ connectionId: Uuid, failedAfter: IsoDateTime })

export const BackfillIdInput = Schema.Struct({ backfillJobId: Uuid })

export const DlqListInput = filters({
  /** Operators only: one tenant's entries. */
  tenantId: Schema.optionalKey(Uuid),
  platform: Schema.optionalKey(Platform),
  code: Schema.optionalKey(ErrorCode),
  reason: Schema.optionalKey(DlqReason),
  resolved: Schema.optionalKey(Schema.Boolean),
  cursor: Schema.optionalKey(Cursor),
  limit: Schema.optionalKey(Limit(500))
})

export const DlqIdInput = Schema.Struct({ id: Uuid })

const MAX_REPLAY = 100

export const DlqReplayInput = Schema.Struct({
  ids: Schema.Array(Uuid).check(
    Schema.isMinLength(1, { message: "at least one id" }),
    Schema.isMaxLength(MAX_REPLAY, { message: `at most ${MAX_REPLAY} ids at once` })
  )
})

export const DlqResolveInput = Schema.Struct({
  id: Uuid,
  /** Why: what was done about it (the who is the caller). */
  resolution: boundedText(1, 2_000).check(Schema.isTrimmed({ message: "must not start or end with spaces" }))
})
