// Webhooks and synthetic health: every verified platform event as received (raw payload, processed
// once: unique per platform and event key), the health record of each check (pings, webhooks,
// probes), a connection's `unknown` health (a check that could not reach the partner), posts'
// publish tickets (so a pause may hold posts whose jobs are still waiting), and DLQ entries of
// webhook events that belong to no tenant yet (the failure came before any connection was
// matched): operators see them, no tenant does.
import { type Kysely, sql } from "kysely"

const PLATFORMS = ["meta", "linkedin", "tiktok", "gbp", "mailchimp"]
const CODES = [
  "AUTH_EXPIRED", "AUTH_INVALID", "APP_DEAUTHORIZED", "PERMISSION_INSUFFICIENT", "TOKEN_REFRESH_FAILED",
  "ACCOUNT_RESTRICTED", "RESOURCE_NOT_FOUND", "RATE_LIMIT_429", "QUOTA_EXCEEDED", "PARTNER_5XX",
  "PARTNER_UNAVAILABLE", "NETWORK_ERROR", "TIMEOUT", "TLS_ERROR", "VALIDATION_ERROR", "CONTENT_REJECTED",
  "DUPLICATE_CONTENT", "MEDIA_INVALID", "CAPABILITY_UNSUPPORTED", "CIRCUIT_BREAKER_OPEN",
  "WEBHOOK_SIGNATURE_INVALID", "WEBHOOK_FAILURE", "UNKNOWN"
]
const EVENT_STATUSES = ["received", "processed", "ignored", "failed", "dead_lettered"]
const HEALTH = ["healthy", "warning", "critical", "unknown"]
const SOURCES = ["ping", "webhook", "probe", "sweep"]

const oneOf = (column: string, values: ReadonlyArray<string>) =>
  sql.raw(`${column} in (${values.map((v) => `'${v}'`).join(", ")})`)

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("webhook_events")
    .addColumn("id", "uuid", (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn("platform", "text", (c) => c.notNull().check(oneOf("platform", PLATFORMS)))
    /** The platform's event id, else a SHA-256 of what was signed: the duplicate check. */
    .addColumn("event_key", "text", (c) => c.notNull().check(sql`length(event_key) between 1 and 300`))
    .addColumn("event_type", "text", (c) => c.notNull())
    .addColumn("content_type", "text", (c) => c.notNull())
    /** The body exactly as received (its signature was checked on these bytes). */
    .addColumn("payload", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull().defaultTo("received").check(oneOf("status", EVENT_STATUSES)))
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0).check(sql`attempts >= 0`))
    .addColumn("matched_connections", "integer", (c) => c.notNull().defaultTo(0).check(sql`matched_connections >= 0`))
    .addColumn("last_error", "text")
    .addColumn("received_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("processed_at", "timestamptz")
    .addUniqueConstraint("webhook_events_platform_key", ["platform", "event_key"])
    .execute()
  await db.schema.createIndex("webhook_events_received_idx").on("webhook_events").columns(["received_at"]).execute()

  await db.schema
    .createTable("integration_health")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("tenant_id", "uuid", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
    .addColumn("connection_id", "uuid", (c) => c.notNull())
    .addColumn("platform", "text", (c) => c.notNull().check(oneOf("platform", PLATFORMS)))
    .addColumn("status", "text", (c) => c.notNull().check(oneOf("status", HEALTH)))
    .addColumn("source", "text", (c) => c.notNull().check(oneOf("source", SOURCES)))
    .addColumn("latency_ms", "integer", (c) => c.check(sql`latency_ms >= 0`))
    .addColumn("error_code", "text", (c) => c.check(oneOf("error_code", CODES)))
    .addColumn("detail", "text")
    .addColumn("at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addForeignKeyConstraint(
      "integration_health_connection_tenant_fkey",
      ["connection_id", "tenant_id"],
      "connections",
      ["id", "tenant_id"],
      (fk) => fk.onDelete("cascade")
    )
    .execute()
  await db.schema.createIndex("integration_health_connection_at_idx").on("integration_health").columns(["connection_id", "at"]).execute()
  await db.schema.createIndex("integration_health_tenant_at_idx").on("integration_health").columns(["tenant_id", "at"]).execute()

  await db.schema.alterTable("connections").dropConstraint("connections_health_status_check").execute()
  await db.schema
    .alterTable("connections")
    .addCheckConstraint("connections_health_status_check", oneOf("health_status", HEALTH))
    .execute()
  // The sweep's scan: active connections by platform.
  await db.schema.createIndex("connections_status_platform_idx").on("connections").columns(["status", "platform"]).execute()
  // Webhooks find connections across tenants: by the user who granted them (Meta's deauthorize
  // callback) and, for Google, by the location at the end of the account's resource name.
  await db.schema.createIndex("connections_platform_user_idx").on("connections").columns(["platform", "partner_user_id"]).execute()
  await sql`create index connections_gbp_location_idx on connections ((substring(partner_account_id from 'locations/[^/]+$'))) where platform = 'gbp'`.execute(db)

  // A post's publish ticket (a fencing token): a pause can hold a post whose job is still waiting,
  // and that job, finding another ticket, does nothing; so a post never has two live jobs.
  await db.schema.alterTable("posts").addColumn("publish_ticket", "uuid").execute()

  await db.schema.alterTable("dlq_entries").alterColumn("tenant_id", (c) => c.dropNotNull()).execute()
  await db.schema
    .alterTable("dlq_entries")
    .addCheckConstraint("dlq_entries_tenant_unless_webhook", sql`tenant_id is not null or action = 'webhook'`)
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("posts").dropColumn("publish_ticket").execute()
  await db.schema.alterTable("dlq_entries").dropConstraint("dlq_entries_tenant_unless_webhook").execute()
  await sql`delete from dlq_entries where tenant_id is null`.execute(db)
  await db.schema.alterTable("dlq_entries").alterColumn("tenant_id", (c) => c.setNotNull()).execute()
  await db.schema.dropIndex("connections_status_platform_idx").execute()
  await db.schema.dropIndex("connections_platform_user_idx").execute()
  await db.schema.dropIndex("connections_gbp_location_idx").execute()
  await db.schema.alterTable("connections").dropConstraint("connections_health_status_check").execute()
  await sql`update connections set health_status = 'warning' where health_status = 'unknown'`.execute(db)
  await db.schema
    .alterTable("connections")
    .addCheckConstraint("connections_health_status_check", oneOf("health_status", ["healthy", "warning", "critical"]))
    .execute()
  await db.schema.dropTable("integration_health").execute()
  await db.schema.dropTable("webhook_events").execute()
}
