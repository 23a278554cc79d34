// Kysely types for every table, assembled into one `DatabaseSchema`. snake_case stays inside db/;
// repositories map rows to core's domain types. The value lists the API decodes its inputs against
// (statuses, DLQ reasons, OAuth purposes) are declared here once, their types derived from them.
import type { ColumnType, Generated, Insertable, JSONColumnType, Selectable, Updateable } from "kysely"
import type { PostFormat } from "../core/publish/Connector.ts"
import type { ErrorAction, ErrorCode, Platform } from "../core/taxonomy/Taxonomy.ts"

type CreatedAt = ColumnType<Date, Date | string | undefined, never>
type Timestamp = ColumnType<Date, Date | string, Date | string>

export const CONNECTION_STATUSES = ["active", "attention", "paused", "revoked", "inactive"] as const
export type ConnectionStatus = (typeof CONNECTION_STATUSES)[number]
/** unknown: the last check could not reach the partner (network), so it says nothing either way. */
export type HealthStatus = "healthy" | "warning" | "critical" | "unknown"

export interface TenantsTable {
  id: Generated<string>
  name: string
  created_at: CreatedAt
}

export interface ConnectionsTable {
  id: Generated<string>
  tenant_id: string
  brand_id: string
  platform: Platform
  /** The partner's id of what we publish to: page, organization, creator, location, audience. */
  partner_account_id: string
  /** The partner's id of the member who granted access (Meta user, LinkedIn member, Google account). */
  partner_user_id: string | null
  display_name: string | null
  status: ColumnType<ConnectionStatus, ConnectionStatus | undefined, ConnectionStatus>
  health_status: ColumnType<HealthStatus, HealthStatus | undefined, HealthStatus>
  pause_reason: ErrorCode | null
  pause_description: string | null
  paused_at: Timestamp | null
  scopes: ColumnType<Array<string>, Array<string> | undefined, Array<string>>
  token_expires_at: Timestamp | null
  /** AES-256-GCM envelopes (key id, iv, tag, ciphertext); never plaintext. */
  access_token_enc: string | null
  refresh_token_enc: string | null
  last_health_check_at: Timestamp | null
  created_at: CreatedAt
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>
}

export interface ConnectionAuditTable {
  id: Generated<string>
  tenant_id: string
  connection_id: string
  action: string
  details: JSONColumnType<Record<string, unknown>>
  actor: string
  at: CreatedAt
}

export const POST_STATUSES = ["scheduled", "publishing", "held", "published", "failed", "dead_lettered", "skipped"] as const
export type PostStatus = (typeof POST_STATUSES)[number]
export type PublishOutcome =
  | "published"
  | "reconciled"
  | "retry_scheduled"
  | "deferred"
  | "held"
  | "paused"
  | "dead_lettered"
  | "refresh_failed"
export type DlqJobAction = "publish" | "delete" | "refresh" | "health_check" | "webhook"
export const DLQ_REASON_CODES = ["MAX_RETRIES", "UNRETRYABLE", "WEBHOOK_FAILURE"] as const
export type DlqReasonCode = (typeof DLQ_REASON_CODES)[number]
export type BreakerState = "closed" | "open" | "half_open"

export interface PostsTable {
  id: Generated<string>
  tenant_id: string
  connection_id: string
  brand_id: string
  text: string
  media_urls: ColumnType<Array<string>, Array<string> | undefined, Array<string>>
  title: string | null
  link: string | null
  format: PostFormat
  scheduled_at: Timestamp
  status: ColumnType<PostStatus, PostStatus | undefined, PostStatus>
  /** Our idempotency key towards the partner; a trigger sets it to the post id when none is given. */
  dedupe_key: ColumnType<string, string | undefined, string>
  attempts: ColumnType<number, number | undefined, number>
  last_error_code: ErrorCode | null
  partner_post_id: string | null
  /** The partner's handle from an attempt that got that far (TikTok publish_id, IG container id). */
  partner_ref: string | null
  /** Set before the first partner call: from then on the outcome may be unknown, so reconcile first. */
  publish_intent_at: Timestamp | null
  published_at: Timestamp | null
  /** True when the partner post was found by reconciliation rather than created by our last call. */
  reconciled: ColumnType<boolean, boolean | undefined, boolean>
  skipped_reason: string | null
  /** When the post was last held (its connection paused); a backfill's window is about this. */
  held_at: Timestamp | null
  /** The ticket of the one publish job this post answers to; null while held. */
  publish_ticket: string | null
  created_at: CreatedAt
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>
}

export interface PublishAttemptsTable {
  id: Generated<string>
  post_id: string
  connection_id: string
  tenant_id: string
  platform: Platform
  attempt: number
  outcome: PublishOutcome
  error_code: ErrorCode | null
  latency_ms: number | null
  at: CreatedAt
}

export interface DlqEntriesTable {
  id: Generated<string>
  job_id: string
  /** Null only for a webhook event that failed before any tenant's connection was matched. */
  tenant_id: string | null
  connection_id: string | null
  post_id: string | null
  platform: Platform | null
  action: DlqJobAction
  payload: JSONColumnType<Record<string, unknown>>
  error_code: ErrorCode
  taxonomy_action: ErrorAction
  reason_code: DlqReasonCode
  last_error_message: string
  retry_count: ColumnType<number, number | undefined, number>
  first_attempt: Timestamp
  last_attempt: Timestamp
  created_at: CreatedAt
  resolved_at: Timestamp | null
  resolution: string | null
  /** Who resolved it: the operator's subject, or `system` when a replay published the post. */
  resolved_by: string | null
  /** A reference into the runbooks, e.g. `docs/runbooks/partner-errors.md#auth_expired`. */
  runbook: string
  replayed_at: Timestamp | null
  replay_count: ColumnType<number, number | undefined, number>
}

export interface RateLimitBucketsTable {
  tenant_id: string
  platform: Platform
  tokens: number
  refilled_at: Timestamp
}

export interface CircuitBreakersTable {
  connection_id: string
  state: ColumnType<BreakerState, BreakerState | undefined, BreakerState>
  consecutive_failures: ColumnType<number, number | undefined, number>
  opened_at: Timestamp | null
  probe_started_at: Timestamp | null
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>
}

export const OAUTH_PURPOSES = ["connect", "reconnect"] as const
export type OAuthPurpose = (typeof OAUTH_PURPOSES)[number]

export interface OAuthStateUsesTable {
  state_id: string
  tenant_id: string
  platform: Platform
  purpose: OAuthPurpose
  connection_id: string | null
  actor: string
  outcome: string | null
  used_at: CreatedAt
  expires_at: Timestamp
}

export type BackfillStatus = "offered" | "accepted" | "declined" | "completed"

export interface BackfillOffersTable {
  id: Generated<string>
  tenant_id: string
  connection_id: string
  failed_after: Timestamp
  missed_count: number
  estimated_duration_ms: number
  max_lateness_ms: number
  status: ColumnType<BackfillStatus, BackfillStatus | undefined, BackfillStatus>
  requested_by: string
  decided_by: string | null
  decided_at: Timestamp | null
  job_id: string | null
  released_count: ColumnType<number, number | undefined, number>
  skipped_count: ColumnType<number, number | undefined, number>
  completed_at: Timestamp | null
  created_at: CreatedAt
}

export type WebhookEventStatus = "received" | "processed" | "ignored" | "failed" | "dead_lettered"

export interface WebhookEventsTable {
  id: Generated<string>
  platform: Platform
  event_key: string
  event_type: string
  content_type: string
  payload: string
  status: ColumnType<WebhookEventStatus, WebhookEventStatus | undefined, WebhookEventStatus>
  attempts: ColumnType<number, number | undefined, number>
  matched_connections: ColumnType<number, number | undefined, number>
  last_error: string | null
  received_at: CreatedAt
  processed_at: Timestamp | null
}

export type HealthSource = "ping" | "webhook" | "probe" | "sweep"

export interface IntegrationHealthTable {
  id: Generated<string>
  tenant_id: string
  connection_id: string
  platform: Platform
  status: HealthStatus
  source: HealthSource
  latency_ms: number | null
  error_code: ErrorCode | null
  detail: string | null
  at: CreatedAt
}

export interface DatabaseSchema {
  tenants: TenantsTable
  connections: ConnectionsTable
  connection_audit: ConnectionAuditTable
  posts: PostsTable
  publish_attempts: PublishAttemptsTable
  dlq_entries: DlqEntriesTable
  rate_limit_buckets: RateLimitBucketsTable
  circuit_breakers: CircuitBreakersTable
  oauth_state_uses: OAuthStateUsesTable
  backfill_offers: BackfillOffersTable
  webhook_events: WebhookEventsTable
  integration_health: IntegrationHealthTable
}

export type TenantRow = Selectable<TenantsTable>
export type NewTenant = Insertable<TenantsTable>
export type ConnectionRow = Selectable<ConnectionsTable>
export type NewConnection = Insertable<ConnectionsTable>
export type ConnectionUpdate = Updateable<ConnectionsTable>
export type ConnectionAuditRow = Selectable<ConnectionAuditTable>
export type NewConnectionAudit = Insertable<ConnectionAuditTable>
export type PostRow = Selectable<PostsTable>
export type NewPost = Insertable<PostsTable>
export type PostUpdate = Updateable<PostsTable>
export type PublishAttemptRow = Selectable<PublishAttemptsTable>
export type NewPublishAttempt = Insertable<PublishAttemptsTable>
export type DlqEntryRow = Selectable<DlqEntriesTable>
export type NewDlqEntry = Insertable<DlqEntriesTable>
export type RateLimitBucketRow = Selectable<RateLimitBucketsTable>
export type CircuitBreakerRow = Selectable<CircuitBreakersTable>
export type BackfillOfferRow = Selectable<BackfillOffersTable>
export type WebhookEventRow = Selectable<WebhookEventsTable>
export type IntegrationHealthRow = Selectable<IntegrationHealthTable>
