// Tenants, their partner connections, and the audit trail of every change to a connection.
// The code lists are frozen copies of the contract at the time of writing: a later change to the
// taxonomy gets its own migration rather than silently rewriting this one.
import { type Kysely, sql } from "kysely"

const PLATFORMS = ["meta", "linkedin", "tiktok", "gbp", "mailchimp"]
const STATUSES = ["active", "attention", "paused", "revoked", "inactive"]
const HEALTH = ["healthy", "warning", "critical"]
const CODES = [
  "AUTH_EXPIRED", "AUTH_INVALID", "APP_DEAUTHORIZED", "PERMISSION_INSUFFICIENT", "TOKEN_REFRESH_FAILED",
  "ACCOUNT_RESTRICTED", "RESOURCE_NOT_FOUND", "RATE_LIMIT_429", "QUOTA_EXCEEDED", "PARTNER_5XX",
  "PARTNER_UNAVAILABLE", "NETWORK_ERROR", "TIMEOUT", "TLS_ERROR", "VALIDATION_ERROR", "CONTENT_REJECTED",
  "DUPLICATE_CONTENT", "MEDIA_INVALID", "CAPABILITY_UNSUPPORTED", "CIRCUIT_BREAKER_OPEN",
  "WEBHOOK_SIGNATURE_INVALID", "WEBHOOK_FAILURE", "UNKNOWN"
]

const oneOf = (column: string, values: ReadonlyArray<string>) =>
  sql.raw(`${column} in (${values.map((v) => `'${v}'`).join(", ")})`)

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("tenants")
    .addColumn("id", "uuid", (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn("name", "text", (c) => c.notNull().check(sql`length(name) between 1 and 200`))
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute()

  await db.schema
    .createTable("connections")
    .addColumn("id", "uuid", (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn("tenant_id", "uuid", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
    .addColumn("brand_id", "text", (c) => c.notNull())
    .addColumn("platform", "text", (c) => c.notNull().check(oneOf("platform", PLATFORMS)))
    .addColumn("partner_account_id", "text", (c) => c.notNull())
    .addColumn("partner_user_id", "text")
    .addColumn("display_name", "text")
    .addColumn("status", "text", (c) => c.notNull().defaultTo("active").check(oneOf("status", STATUSES)))
    .addColumn("health_status", "text", (c) => c.notNull().defaultTo("healthy").check(oneOf("health_status", HEALTH)))
    .addColumn("pause_reason", "text", (c) => c.check(oneOf("pause_reason", CODES)))
    .addColumn("pause_description", "text")
    .addColumn("paused_at", "timestamptz")
    .addColumn("scopes", sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn("token_expires_at", "timestamptz")
    .addColumn("access_token_enc", "text")
    .addColumn("refresh_token_enc", "text")
    .addColumn("last_health_check_at", "timestamptz")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    // An automatic pause (attention, revoked) always says why in taxonomy terms; an active
    // connection carries no stale reason. A manual pause by an admin may have no code.
    .addCheckConstraint(
      "connections_pause_reason_matches_status",
      sql`not (status in ('attention', 'revoked') and pause_reason is null) and not (status = 'active' and pause_reason is not null)`
    )
    .addUniqueConstraint("connections_tenant_platform_account_key", ["tenant_id", "platform", "partner_account_id"])
    .execute()
  await db.schema.createIndex("connections_tenant_status_idx").on("connections").columns(["tenant_id", "status"]).execute()
  await db.schema
    .createIndex("connections_platform_account_idx")
    .on("connections")
    .columns(["platform", "partner_account_id"])
    .execute()

  await db.schema
    .createTable("connection_audit")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("tenant_id", "uuid", (c) => c.notNull().references("tenants.id").onDelete("cascade"))
    .addColumn("connection_id", "uuid", (c) => c.notNull().references("connections.id").onDelete("cascade"))
    .addColumn("action", "text", (c) => c.notNull())
    .addColumn("details", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn("actor", "text", (c) => c.notNull())
    .addColumn("at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema
    .createIndex("connection_audit_connection_at_idx")
    .on("connection_audit")
    .columns(["connection_id", "at"])
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("connection_audit").execute()
  await db.schema.dropTable("connections").execute()
  await db.schema.dropTable("tenants").execute()
}
