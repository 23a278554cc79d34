// The publish pipeline's tables: posts, the attempt log, the dead-letter queue, the shared token
// buckets and circuit breakers. Code lists are frozen copies of the contract at the time of writing,
// as in 0001: a later change to the taxonomy gets its own migration.
import { type Kysely, sql } from "kysely"

const PLATFORMS = ["meta", "linkedin", "tiktok", "gbp", "mailchimp"]
const CODES = [
  "AUTH_EXPIRED", "AUTH_INVALID", "APP_DEAUTHORIZED", "PERMISSION_INSUFFICIENT", "TOKEN_REFRESH_FAILED",
  "ACCOUNT_RESTRICTED", "RESOURCE_NOT_FOUND", "RATE_LIMIT_429", "QUOTA_EXCEEDED", "PARTNER_5XX",
  "PARTNER_UNAVAILABLE", "NETWORK_ERROR", "TIMEOUT", "TLS_ERROR", "VALIDATION_ERROR", "CONTENT_REJECTED",
  "DUPLICATE_CONTENT", "MEDIA_INVALID", "CAPABILITY_UNSUPPORTED", "CIRCUIT_BREAKER_OPEN",
  "WEBHOOK_SIGNATURE_INVALID", "WEBHOOK_FAILURE", "UNKNOWN"
]
const ACTIONS = [
  "RETRY_WITH_BACKOFF", "RETRY_AFTER_WINDOW", "REFRESH_TOKEN", "TRIGGER_RECONNECT", "PAUSE_CHANNEL",
  "FAIL_AND_NOTIFY", "SEND_TO_DLQ", "ESCALATE_TO_SUPPORT"
]
const FORMATS = ["text", "image", "video", "carousel"]
const POST_STATUSES = ["scheduled", "publishing", "held", "published", "failed", "dead_lettered", "skipped"]
const ATTEMPT_OUTCOMES = [
  "published", "reconciled", "retry_scheduled", "deferred", "held", "paused", "dead_lettered", "refresh_failed"
]
const DLQ_ACTIONS = ["publish", "delete", "refresh", "health_check", "webhook"]
const DLQ_REASONS = ["MAX_RETRIES", "UNRETRYABLE", "WEBHOOK_FAILURE"]
const BREAKER_STATES = ["closed", "open", "half_open"]

const oneOf = (column: string, values: ReadonlyArray<string>) =>
  sql.raw(`${column} in (${values.map((v) => `'${v}'`).join(", ")})`)

export async function up(db: Kysely<unknown>): Promise<void> {
  // Lets posts reference (connection, tenant) together, so a post can never point at another
  // tenant's connection even if a caller mixes ids up.
  await db.schema
    .alterTable("connections")
    .addUniqueConstraint("connections_id_tenant_key", ["id", "tenant_id"])
    .execute()

  await db.schema
    .createTable("posts")
    .addColumn("id", "uuid", (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn("tenant_id", "uuid", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
    .addColumn("connection_id", "uuid", (c) => c.notNull())
    .addColumn("brand_id", "text", (c) => c.notNull())
    .addColumn("text", "text", (c) => c.notNull())
    .addColumn("media_urls", sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn("title", "text")
    .addColumn("link", "text")
    .addColumn("format", "text", (c) => c.notNull().check(oneOf("format", FORMATS)))
    .addColumn("scheduled_at", "timestamptz", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull().defaultTo("scheduled").check(oneOf("status", POST_STATUSES)))
    // Filled with the post id by the trigger below when the caller gives none.
    .addColumn("dedupe_key", "text", (c) => c.notNull().unique())
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0).check(sql`attempts >= 0`))
    .addColumn("last_error_code", "text", (c) => c.check(oneOf("last_error_code", CODES)))
    .addColumn("partner_post_id", "text")
    .addColumn("partner_ref", "text")
    .addColumn("publish_intent_at", "timestamptz")
    .addColumn("published_at", "timestamptz")
    // True when the partner post was found by reconciliation rather than created by our last call.
    .addColumn("reconciled", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("skipped_reason", "text")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addForeignKeyConstraint("posts_connection_tenant_fkey", ["connection_id", "tenant_id"], "connections", ["id", "tenant_id"], (fk) => fk.onDelete("cascade"))
    // A published post always says where and when, so reconciliation and reporting never guess.
    .addCheckConstraint(
      "posts_published_has_partner_post",
      sql`status <> 'published' or (partner_post_id is not null and published_at is not null)`
    )
    .execute()
  await sql`
    create function posts_default_dedupe_key() returns trigger language plpgsql as $$
    begin
      if new.dedupe_key is null or new.dedupe_key = '' then
        new.dedupe_key := new.id::text;
      end if;
      return new;
    end
    $$`.execute(db)
  await sql`
    create trigger posts_default_dedupe_key before insert on posts
    for each row execute function posts_default_dedupe_key()`.execute(db)
  await db.schema
    .createIndex("posts_connection_held_idx")
    .on("posts")
    .columns(["connection_id", "scheduled_at", "id"])
    .where(sql.ref("status"), "=", "held")
    .execute()
  await db.schema.createIndex("posts_tenant_scheduled_idx").on("posts").columns(["tenant_id", "scheduled_at"]).execute()

  await db.schema
    .createTable("publish_attempts")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("post_id", "uuid", (c) => c.notNull().references("posts.id").onDelete("cascade"))
    .addColumn("connection_id", "uuid", (c) => c.notNull().references("connections.id").onDelete("cascade"))
    .addColumn("tenant_id", "uuid", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
    .addColumn("platform", "text", (c) => c.notNull().check(oneOf("platform", PLATFORMS)))
    .addColumn("attempt", "integer", (c) => c.notNull().check(sql`attempt >= 0`))
    .addColumn("outcome", "text", (c) => c.notNull().check(oneOf("outcome", ATTEMPT_OUTCOMES)))
    .addColumn("error_code", "text", (c) => c.check(oneOf("error_code", CODES)))
    .addColumn("latency_ms", "integer", (c) => c.check(sql`latency_ms >= 0`))
    .addColumn("at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema.createIndex("publish_attempts_tenant_at_idx").on("publish_attempts").columns(["tenant_id", "at"]).execute()
  await db.schema.createIndex("publish_attempts_post_idx").on("publish_attempts").column("post_id").execute()

  await db.schema
    .createTable("dlq_entries")
    .addColumn("id", "uuid", (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn("job_id", "text", (c) => c.notNull())
    .addColumn("tenant_id", "uuid", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
    // An entry outlives the connection or post it was about: the operator still needs the record.
    .addColumn("connection_id", "uuid", (c) => c.references("connections.id").onDelete("set null"))
    .addColumn("post_id", "uuid", (c) => c.references("posts.id").onDelete("set null"))
    .addColumn("platform", "text", (c) => c.check(oneOf("platform", PLATFORMS)))
    .addColumn("action", "text", (c) => c.notNull().check(oneOf("action", DLQ_ACTIONS)))
    .addColumn("payload", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn("error_code", "text", (c) => c.notNull().check(oneOf("error_code", CODES)))
    .addColumn("taxonomy_action", "text", (c) => c.notNull().check(oneOf("taxonomy_action", ACTIONS)))
    .addColumn("reason_code", "text", (c) => c.notNull().check(oneOf("reason_code", DLQ_REASONS)))
    .addColumn("last_error_message", "text", (c) => c.notNull())
    .addColumn("retry_count", "integer", (c) => c.notNull().defaultTo(0).check(sql`retry_count >= 0`))
    .addColumn("first_attempt", "timestamptz", (c) => c.notNull())
    .addColumn("last_attempt", "timestamptz", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("resolved_at", "timestamptz")
    .addColumn("resolution", "text")
    .addColumn("runbook", "text", (c) => c.notNull())
    .addColumn("replayed_at", "timestamptz")
    .addColumn("replay_count", "integer", (c) => c.notNull().defaultTo(0).check(sql`replay_count >= 0`))
    .addCheckConstraint("dlq_entries_resolution_with_time", sql`(resolved_at is null) = (resolution is null)`)
    .addCheckConstraint("dlq_entries_attempt_order", sql`first_attempt <= last_attempt`)
    .execute()
  await db.schema
    .createIndex("dlq_entries_unresolved_idx")
    .on("dlq_entries")
    .columns(["created_at", "id"])
    .where(sql.ref("resolved_at"), "is", null)
    .execute()
  await db.schema
    .createIndex("dlq_entries_platform_code_idx")
    .on("dlq_entries")
    .columns(["platform", "error_code", "created_at"])
    .execute()
  await db.schema.createIndex("dlq_entries_tenant_created_idx").on("dlq_entries").columns(["tenant_id", "created_at", "id"]).execute()

  await db.schema
    .createTable("rate_limit_buckets")
    .addColumn("tenant_id", "uuid", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
    .addColumn("platform", "text", (c) => c.notNull().check(oneOf("platform", PLATFORMS)))
    .addColumn("tokens", "double precision", (c) => c.notNull().check(sql`tokens >= 0`))
    .addColumn("refilled_at", "timestamptz", (c) => c.notNull())
    .addPrimaryKeyConstraint("rate_limit_buckets_pkey", ["tenant_id", "platform"])
    .execute()

  await db.schema
    .createTable("circuit_breakers")
    .addColumn("connection_id", "uuid", (c) => c.primaryKey().references("connections.id").onDelete("cascade"))
    .addColumn("state", "text", (c) => c.notNull().defaultTo("closed").check(oneOf("state", BREAKER_STATES)))
    .addColumn("consecutive_failures", "integer", (c) => c.notNull().defaultTo(0).check(sql`consecutive_failures >= 0`))
    .addColumn("opened_at", "timestamptz")
    .addColumn("probe_started_at", "timestamptz")
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    // The reset timeout runs from opened_at and the probe lease from probe_started_at.
    .addCheckConstraint(
      "circuit_breakers_state_times",
      sql`(state <> 'open' or opened_at is not null) and (state <> 'half_open' or probe_started_at is not null)`
    )
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("circuit_breakers").execute()
  await db.schema.dropTable("rate_limit_buckets").execute()
  await db.schema.dropTable("dlq_entries").execute()
  await db.schema.dropTable("publish_attempts").execute()
  await db.schema.dropTable("posts").execute()
  await sql`drop function posts_default_dedupe_key()`.execute(db)
  await db.schema.alterTable("connections").dropConstraint("connections_id_tenant_key").execute()
}
