// Kysely types for every table, assembled into one `DatabaseSchema`. snake_case stays inside db/;
// repositories map rows to core's domain types.
import type { ColumnType, Generated, Insertable, JSONColumnType, Selectable, Updateable } from "kysely"
import type { ErrorCode, Platform } from "../core/taxonomy/Taxonomy.ts"

type CreatedAt = ColumnType<Date, Date | string | undefined, never>
type Timestamp = ColumnType<Date, Date | string, Date | string>

export type ConnectionStatus = "active" | "attention" | "paused" | "revoked" | "inactive"
export type HealthStatus = "healthy" | "warning" | "critical"

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

export interface DatabaseSchema {
  tenants: TenantsTable
  connections: ConnectionsTable
  connection_audit: ConnectionAuditTable
}

export type TenantRow = Selectable<TenantsTable>
export type NewTenant = Insertable<TenantsTable>
export type ConnectionRow = Selectable<ConnectionsTable>
export type NewConnection = Insertable<ConnectionsTable>
export type ConnectionUpdate = Updateable<ConnectionsTable>
export type ConnectionAuditRow = Selectable<ConnectionAuditTable>
export type NewConnectionAudit = Insertable<ConnectionAuditTable>
