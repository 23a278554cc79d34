// Opaque cursors for keyset pagination over (timestamp, id): the timestamp travels at full
// microsecond precision (a JS Date would drop it and skip or repeat rows), the id breaks ties.
import { Effect, Schema } from "effect"
import { sql } from "kysely"

const CursorJson = Schema.fromJsonString(Schema.Struct({ at: Schema.String, id: Schema.String }))
const EXACT_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/
const UUID_TEXT = /^[0-9a-f-]{36}$/

export interface KeysetPosition {
  /** UTC, microseconds: the `exactTime` column of the row. */
  readonly at: string
  readonly id: string
}

export const encodeCursor = (position: KeysetPosition): string =>
  Buffer.from(JSON.stringify({ at: position.at, id: position.id })).toString("base64url")

/** Fails with `invalid()` for anything that is not a cursor this module encoded. */
export const decodeCursor = <E>(cursor: string, invalid: () => E): Effect.Effect<KeysetPosition, E> =>
  Schema.decodeUnknownEffect(CursorJson)(Buffer.from(cursor, "base64url").toString("utf8")).pipe(
    Effect.mapError(invalid),
    Effect.filterOrFail((c) => EXACT_TIME.test(c.at) && UUID_TEXT.test(c.id), invalid)
  )

/** The column as text at microsecond precision in UTC, to select beside a row for its cursor. */
export const exactTime = (column: string) =>
  sql<string>`to_char(${sql.ref(column)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`

/** Rows strictly after `position` in a `(column desc, id desc)` order. */
export const before = (column: string, position: KeysetPosition) =>
  sql<boolean>`(${sql.ref(column)}, id) < (${position.at}::timestamptz, ${position.id}::uuid)`
