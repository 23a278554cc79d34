// Recovery flows: the single use of each signed OAuth state (the state itself is stateless and
// signed; only its use is recorded, so a replayed callback is refused), backfill offers for the posts
// a paused channel held (and when each was held), and who resolved a DLQ entry.
import { type Kysely, sql } from "kysely"

const PLATFORMS = ["meta", "linkedin", "tiktok", "gbp", "mailchimp"]
const PURPOSES = ["connect", "reconnect"]
const OFFER_STATUSES = ["offered", "accepted", "declined", "completed"]

const oneOf = (column: string, values: ReadonlyArray<string>) =>
  sql.raw(`${column} in (${values.map((v) => `'${v}'`).join(", ")})`)

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("oauth_state_uses")
    // The state's random id: the primary key is what makes a state single-use.
    .addColumn("state_id", "uuid", (c) => c.primaryKey())
    .addColumn("tenant_id", "uuid", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
    .addColumn("platform", "text", (c) => c.notNull().check(oneOf("platform", PLATFORMS)))
    .addColumn("purpose", "text", (c) => c.notNull().check(oneOf("purpose", PURPOSES)))
    .addColumn("connection_id", "uuid", (c) => c.references("connections.id").onDelete("set null"))
    .addColumn("actor", "text", (c) => c.notNull())
    /** How the callback ended: connected, reconnected, wrong_account, denied, exchange_failed … */
    .addColumn("outcome", "text")
    .addColumn("used_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    /** The state's own expiry: after it the row can be pruned, the state being refused anyway. */
    .addColumn("expires_at", "timestamptz", (c) => c.notNull())
    .execute()
  await db.schema.createIndex("oauth_state_uses_expires_idx").on("oauth_state_uses").column("expires_at").execute()

  await db.schema
    .createTable("backfill_offers")
    .addColumn("id", "uuid", (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn("tenant_id", "uuid", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
    .addColumn("connection_id", "uuid", (c) => c.notNull())
    .addColumn("failed_after", "timestamptz", (c) => c.notNull())
    .addColumn("missed_count", "integer", (c) => c.notNull().check(sql`missed_count >= 0`))
    .addColumn("estimated_duration_ms", "integer", (c) => c.notNull().check(sql`estimated_duration_ms >= 0`))
    .addColumn("max_lateness_ms", "integer", (c) => c.notNull().check(sql`max_lateness_ms > 0`))
    .addColumn("status", "text", (c) => c.notNull().defaultTo("offered").check(oneOf("status", OFFER_STATUSES)))
    .addColumn("requested_by", "text", (c) => c.notNull())
    .addColumn("decided_by", "text")
    .addColumn("decided_at", "timestamptz")
    .addColumn("job_id", "text")
    .addColumn("released_count", "integer", (c) => c.notNull().defaultTo(0).check(sql`released_count >= 0`))
    .addColumn("skipped_count", "integer", (c) => c.notNull().defaultTo(0).check(sql`skipped_count >= 0`))
    .addColumn("completed_at", "timestamptz")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addForeignKeyConstraint(
      "backfill_offers_connection_tenant_fkey",
      ["connection_id", "tenant_id"],
      "connections",
      ["id", "tenant_id"],
      (fk) => fk.onDelete("cascade")
    )
    // A decision says who and when; a completed backfill says when it finished.
    .addCheckConstraint(
      "backfill_offers_decision",
      sql`(status = 'offered') = (decided_at is null) and (decided_at is null) = (decided_by is null) and (status = 'completed') = (completed_at is not null)`
    )
    .execute()
  await db.schema
    .createIndex("backfill_offers_connection_idx")
    .on("backfill_offers")
    .columns(["tenant_id", "connection_id", "created_at"])
    .execute()

  // When the post was held: a backfill's window ("failed after") is about when posts failed, and the
  // post whose failure paused the channel was scheduled before the pause.
  await db.schema.alterTable("posts").addColumn("held_at", "timestamptz").execute()
  await sql`update posts set held_at = updated_at where status = 'held'`.execute(db)

  await db.schema.alterTable("dlq_entries").addColumn("resolved_by", "text").execute()
  await sql`update dlq_entries set resolved_by = 'unknown' where resolved_at is not null`.execute(db)
  await db.schema
    .alterTable("dlq_entries")
    .addCheckConstraint("dlq_entries_resolved_by_with_time", sql`(resolved_at is null) = (resolved_by is null)`)
    .execute()
  await db.schema.createIndex("dlq_entries_post_idx").on("dlq_entries").column("post_id").execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex("dlq_entries_post_idx").execute()
  await db.schema.alterTable("dlq_entries").dropConstraint("dlq_entries_resolved_by_with_time").execute()
  await db.schema.alterTable("dlq_entries").dropColumn("resolved_by").execute()
  await db.schema.alterTable("posts").dropColumn("held_at").execute()
  await db.schema.dropTable("backfill_offers").execute()
  await db.schema.dropTable("oauth_state_uses").execute()
}
