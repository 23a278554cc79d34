// Partner connections: creation with encrypted tokens, the connector's credentials, token storage
// after a refresh, and the automatic pause / resume with its audit trail. Every query is scoped by
// tenant, so another tenant's connection id behaves exactly like a missing one.
import { Context, Effect, Layer, Redacted, Schema } from "effect"
import { type ExpressionBuilder, type Kysely, sql, type Transaction } from "kysely"
import type { Credentials, TokenSet } from "../core/publish/Connector.ts"
import { buildPauseReason } from "../core/recovery/PauseReason.ts"
import type { ErrorCode, Platform } from "../core/taxonomy/Taxonomy.ts"
import { Database, type DatabaseError } from "./Database.ts"
import type { ConnectionRow, ConnectionStatus, ConnectionsTable, DatabaseSchema, HealthStatus } from "./DatabaseSchema.ts"
import { holdScheduledPosts } from "./PostRepo.ts"
import { TokenCipher, type TokenDecryptError } from "./TokenCipher.ts"

/** The tenant has this partner account connected already (another request connected it first). */
export class ConnectionExists extends Schema.TaggedError<ConnectionExists>()("ConnectionExists", {
  platform: Schema.String,
  partnerAccountId: Schema.String
}) {}

export class ConnectionNotFound extends Schema.TaggedError<ConnectionNotFound>()("ConnectionNotFound", {
  tenantId: Schema.String,
  connectionId: Schema.String
}) {
  override get message(): string {
    return `connection ${this.connectionId} not found for tenant ${this.tenantId}`
  }
}

/** The connection exists but holds no access token (never connected, or its tokens were cleared). */
export class ConnectionHasNoToken extends Schema.TaggedError<ConnectionHasNoToken>()("ConnectionHasNoToken", {
  connectionId: Schema.String
}) {}

export interface Connection {
  readonly id: string
  readonly tenantId: string
  readonly brandId: string
  readonly platform: Platform
  readonly partnerAccountId: string
  readonly partnerUserId: string | null
  readonly displayName: string | null
  readonly status: ConnectionStatus
  readonly healthStatus: HealthStatus
  readonly pauseReason: ErrorCode | null
  readonly pauseDescription: string | null
  readonly pausedAt: Date | null
  readonly scopes: ReadonlyArray<string>
  readonly tokenExpiresAt: Date | null
  readonly lastHealthCheckAt: Date | null
  readonly createdAt: Date
  readonly updatedAt: Date
}

export interface NewConnectionInput {
  readonly tenantId: string
  readonly brandId: string
  readonly platform: Platform
  readonly partnerAccountId: string
  readonly partnerUserId?: string | undefined
  readonly displayName?: string | undefined
  readonly tokens: TokenSet
  readonly actor?: string | undefined
}

export interface PausedConnection {
  readonly id: string
  readonly tenantId: string
  readonly platform: Platform
  readonly status: ConnectionStatus
  readonly reason: ErrorCode | null
  readonly description: string | null
  readonly pausedAt: Date | null
  readonly heldPosts: number
}

export interface ConnectionSummary extends Connection {
  /** Posts this connection holds while paused, waiting for a resume or a backfill decision. */
  readonly heldPosts: number
}

export interface ConnectionFilter {
  readonly platform?: Platform | undefined
  readonly status?: ConnectionStatus | undefined
}

/** What a reconnect brings: the new grant's tokens, and who the partner says granted them. */
export interface ReconnectInput {
  readonly tokens: TokenSet
  readonly partnerUserId?: string | null | undefined
  readonly displayName?: string | null | undefined
}

export interface ReconnectResult {
  readonly previousStatus: ConnectionStatus
  readonly previousReason: ErrorCode | null
  readonly refreshTokenRotated: boolean
}

/** Who a platform event is about: the account we publish to, or the user who granted access. */
export type PartnerMatch = { readonly accountId: string } | { readonly userId: string }

/** What the health sweep needs of a connection, across tenants. */
export interface SweepCandidate {
  readonly id: string
  readonly tenantId: string
  readonly platform: Platform
  readonly status: ConnectionStatus
  readonly pauseReason: ErrorCode | null
  readonly tokenExpiresAt: Date | null
  readonly lastHealthCheckAt: Date | null
  readonly createdAt: Date
}

export interface PausedFilter {
  readonly tenantId?: string | undefined
  readonly platform?: Platform | undefined
  readonly reason?: ErrorCode | undefined
}

export interface AuditEntry {
  readonly action: string
  readonly details: Record<string, unknown>
  readonly actor: string
  readonly at: Date
}

const isEmpty = (token: Redacted.Redacted<string>): boolean => Redacted.value(token).trim() === ""

const rotatesRefresh = (tokens: TokenSet): tokens is TokenSet & { readonly refreshToken: Redacted.Redacted<string> } =>
  tokens.refreshToken !== undefined && !isEmpty(tokens.refreshToken)

const PAUSED_STATUSES: ReadonlyArray<ConnectionStatus> = ["attention", "paused", "revoked"]

const toConnection = (row: Omit<ConnectionRow, "access_token_enc" | "refresh_token_enc">): Connection => ({
  id: row.id,
  tenantId: row.tenant_id,
  brandId: row.brand_id,
  platform: row.platform,
  partnerAccountId: row.partner_account_id,
  partnerUserId: row.partner_user_id,
  displayName: row.display_name,
  status: row.status,
  healthStatus: row.health_status,
  pauseReason: row.pause_reason,
  pauseDescription: row.pause_description,
  pausedAt: row.paused_at,
  scopes: row.scopes,
  tokenExpiresAt: row.token_expires_at,
  lastHealthCheckAt: row.last_health_check_at,
  createdAt: row.created_at,
  updatedAt: row.updated_at
})

const audit = (
  trx: Kysely<DatabaseSchema> | Transaction<DatabaseSchema>,
  row: { readonly tenantId: string; readonly connectionId: string },
  action: string,
  actor: string,
  details: Record<string, unknown>
) =>
  trx
    .insertInto("connection_audit")
    .values({ tenant_id: row.tenantId, connection_id: row.connectionId, action, actor, details: JSON.stringify(details) })
    .execute()

// The columns a domain Connection needs; token envelopes are never selected with it.
const CONNECTION_COLUMNS = [
  "id", "tenant_id", "brand_id", "platform", "partner_account_id", "partner_user_id", "display_name", "status",
  "health_status", "pause_reason", "pause_description", "paused_at", "scopes", "token_expires_at",
  "last_health_check_at", "created_at", "updated_at"
] as const

export class ConnectionRepo extends Context.Service<
  ConnectionRepo,
  {
    /** A new connection and its `created` audit row; ConnectionExists when the tenant has the account already. */
    readonly create: (input: NewConnectionInput) => Effect.Effect<Connection, ConnectionExists | DatabaseError>
    readonly get: (tenantId: string, id: string) => Effect.Effect<Connection, ConnectionNotFound | DatabaseError>
    /** The connector's view, with the access token decrypted (still Redacted). */
    readonly credentials: (
      tenantId: string,
      id: string
    ) => Effect.Effect<Credentials, ConnectionNotFound | ConnectionHasNoToken | TokenDecryptError | DatabaseError>
    readonly refreshToken: (
      tenantId: string,
      id: string
    ) => Effect.Effect<Redacted.Redacted<string> | undefined, ConnectionNotFound | TokenDecryptError | DatabaseError>
    readonly hasRefreshToken: (tenantId: string, id: string) => Effect.Effect<boolean, ConnectionNotFound | DatabaseError>
    /**
     * Stores a refreshed token set. A refresh token is replaced only by a non-empty new one: Google
     * returns none on refresh, and overwriting would lose the only way to refresh again.
     */
    readonly storeTokens: (
      tenantId: string,
      id: string,
      tokens: TokenSet,
      actor?: string
    ) => Effect.Effect<void, ConnectionNotFound | DatabaseError>
    /**
     * Pauses an active connection with `code` (attention; revoked for APP_DEAUTHORIZED). A paused
     * connection stays as it is, except that APP_DEAUTHORIZED still turns it revoked. Returns whether
     * anything changed; only a change writes an audit row.
     */
    readonly autoPause: (
      tenantId: string,
      id: string,
      code: ErrorCode,
      actor: string
    ) => Effect.Effect<boolean, ConnectionNotFound | DatabaseError>
    /** Back to active from attention, paused or revoked; returns whether anything changed. */
    readonly resume: (tenantId: string, id: string, actor: string) => Effect.Effect<boolean, ConnectionNotFound | DatabaseError>
    readonly list: (tenantId: string, filter?: ConnectionFilter) => Effect.Effect<ReadonlyArray<ConnectionSummary>, DatabaseError>
    readonly summary: (tenantId: string, id: string) => Effect.Effect<ConnectionSummary, ConnectionNotFound | DatabaseError>
    readonly findByAccount: (
      tenantId: string,
      platform: Platform,
      partnerAccountId: string
    ) => Effect.Effect<Connection | undefined, DatabaseError>
    /** An administrator's pause (status paused, no taxonomy code); returns whether anything changed. */
    readonly pauseManually: (
      tenantId: string,
      id: string,
      actor: string,
      note?: string | undefined
    ) => Effect.Effect<boolean, ConnectionNotFound | DatabaseError>
    /**
     * A reconnect through OAuth, in one transaction: the new tokens (a missing or empty refresh token
     * keeps the stored one), the partner user, status active with the pause cleared, and its audit row.
     */
    readonly reconnect: (
      tenantId: string,
      id: string,
      input: ReconnectInput,
      actor: string
    ) => Effect.Effect<ReconnectResult, ConnectionNotFound | DatabaseError>
    /**
     * Every tenant's connections to one partner account or user: a platform's event names the
     * account, not the tenant. Only the webhook processor asks this; it acts per connection, in the
     * connection's own tenant. A Business Profile `locations/L` matches `accounts/A/locations/L`.
     */
    readonly findByPartner: (platform: Platform, match: PartnerMatch) => Effect.Effect<ReadonlyArray<Connection>, DatabaseError>
    /**
     * The sweep's connections, across tenants: active ones and those the breaker paused, in pages
     * of `limit` after the id `after`.
     */
    readonly forSweep: (after: string | undefined, limit: number) => Effect.Effect<ReadonlyArray<SweepCandidate>, DatabaseError>
    /** Paused connections, oldest pause first; across tenants unless `tenantId` is given (the ops view). */
    readonly listPaused: (filter?: PausedFilter) => Effect.Effect<ReadonlyArray<PausedConnection>, DatabaseError>
    readonly audit: (tenantId: string, id: string) => Effect.Effect<ReadonlyArray<AuditEntry>, DatabaseError>
  }
>()("postd/db/ConnectionRepo") {
  static readonly layer = Layer.effect(
    ConnectionRepo,
    Effect.gen(function* () {
      const database = yield* Database
      const cipher = yield* TokenCipher

      const notFound = (tenantId: string, connectionId: string) => new ConnectionNotFound({ tenantId, connectionId })

      const create = Effect.fn("ConnectionRepo.create")(function* (input: NewConnectionInput) {
        const { tokens } = input
        const refresh = tokens.refreshToken
        const row = yield* database.use("ConnectionRepo.create", (db) =>
          db.transaction().execute(async (trx) => {
            const inserted = await trx
              .insertInto("connections")
              .values({
                tenant_id: input.tenantId,
                brand_id: input.brandId,
                platform: input.platform,
                partner_account_id: input.partnerAccountId,
                partner_user_id: input.partnerUserId ?? null,
                display_name: input.displayName ?? null,
                scopes: [...(tokens.scopes ?? [])],
                token_expires_at: tokens.expiresAt ?? null,
                access_token_enc: cipher.encrypt(tokens.accessToken),
                refresh_token_enc: refresh === undefined || isEmpty(refresh) ? null : cipher.encrypt(refresh)
              })
              .onConflict((oc) => oc.columns(["tenant_id", "platform", "partner_account_id"]).doNothing())
              .returning(CONNECTION_COLUMNS)
              .executeTakeFirst()
            if (inserted === undefined) return undefined
            await audit(trx, { tenantId: input.tenantId, connectionId: inserted.id }, "created", input.actor ?? "system", {
              platform: input.platform,
              scopes: inserted.scopes
            })
            return inserted
          })
        )
        if (row === undefined) {
          return yield* new ConnectionExists({ platform: input.platform, partnerAccountId: input.partnerAccountId })
        }
        return toConnection(row)
      })

      const get = Effect.fn("ConnectionRepo.get")(function* (tenantId: string, id: string) {
        const row = yield* database.use("ConnectionRepo.get", (db) =>
          db
            .selectFrom("connections")
            .select(CONNECTION_COLUMNS)
            .where("tenant_id", "=", tenantId)
            .where("id", "=", id)
            .executeTakeFirst()
        )
        if (row === undefined) return yield* notFound(tenantId, id)
        return toConnection(row)
      })

      const tokenRow = Effect.fn("ConnectionRepo.tokenRow")(function* (tenantId: string, id: string) {
        const row = yield* database.use("ConnectionRepo.tokens", (db) =>
          db
            .selectFrom("connections")
            .select(["id", "platform", "partner_account_id", "partner_user_id", "scopes", "access_token_enc", "refresh_token_enc"])
            .where("tenant_id", "=", tenantId)
            .where("id", "=", id)
            .executeTakeFirst()
        )
        if (row === undefined) return yield* notFound(tenantId, id)
        return row
      })

      const credentials = Effect.fn("ConnectionRepo.credentials")(function* (tenantId: string, id: string) {
        const row = yield* tokenRow(tenantId, id)
        if (row.access_token_enc === null) return yield* new ConnectionHasNoToken({ connectionId: id })
        return {
          connectionId: row.id,
          platform: row.platform,
          partnerAccountId: row.partner_account_id,
          partnerUserId: row.partner_user_id,
          accessToken: yield* cipher.decrypt(row.access_token_enc),
          scopes: row.scopes
        } satisfies Credentials
      })

      const refreshToken = Effect.fn("ConnectionRepo.refreshToken")(function* (tenantId: string, id: string) {
        const row = yield* tokenRow(tenantId, id)
        return row.refresh_token_enc === null ? undefined : yield* cipher.decrypt(row.refresh_token_enc)
      })

      const hasRefreshToken = Effect.fn("ConnectionRepo.hasRefreshToken")(function* (tenantId: string, id: string) {
        const row = yield* tokenRow(tenantId, id)
        return row.refresh_token_enc !== null
      })

      // The columns a new token set writes. A refresh token is replaced only by a non-empty new one,
      // and expiry and scopes only when the partner said them: absent means "as before".
      const tokenColumns = (tokens: TokenSet) => (eb: ExpressionBuilder<DatabaseSchema, "connections">) => ({
        access_token_enc: cipher.encrypt(tokens.accessToken),
        refresh_token_enc: rotatesRefresh(tokens) ? cipher.encrypt(tokens.refreshToken) : eb.ref("refresh_token_enc"),
        token_expires_at: tokens.expiresAt === undefined ? eb.ref("token_expires_at") : tokens.expiresAt,
        scopes: tokens.scopes === undefined ? eb.ref("scopes") : [...tokens.scopes],
        updated_at: sql<Date>`now()`
      })

      const storeTokens = Effect.fn("ConnectionRepo.storeTokens")(function* (
        tenantId: string,
        id: string,
        tokens: TokenSet,
        actor = "system"
      ) {
        const updated = yield* database.use("ConnectionRepo.storeTokens", (db) =>
          db.transaction().execute(async (trx) => {
            const row = await trx
              .updateTable("connections")
              .set(tokenColumns(tokens))
              .where("tenant_id", "=", tenantId)
              .where("id", "=", id)
              .returning(["id", "token_expires_at", "scopes"])
              .executeTakeFirst()
            if (row === undefined) return false
            await audit(trx, { tenantId, connectionId: id }, "tokens_refreshed", actor, {
              refresh_token_rotated: rotatesRefresh(tokens),
              expires_at: row.token_expires_at?.toISOString() ?? null,
              scopes: row.scopes
            })
            return true
          })
        )
        if (!updated) return yield* notFound(tenantId, id)
      })

      const reconnect = Effect.fn("ConnectionRepo.reconnect")(function* (
        tenantId: string,
        id: string,
        input: ReconnectInput,
        actor: string
      ) {
        const outcome = yield* database.use("ConnectionRepo.reconnect", (db) =>
          db.transaction().execute(async (trx) => {
            const current = await trx
              .selectFrom("connections")
              .select(["status", "pause_reason", "partner_user_id", "display_name"])
              .where("tenant_id", "=", tenantId)
              .where("id", "=", id)
              .forUpdate()
              .executeTakeFirst()
            if (current === undefined) return undefined
            const row = await trx
              .updateTable("connections")
              .set((eb) => ({
                ...tokenColumns(input.tokens)(eb),
                partner_user_id: input.partnerUserId ?? current.partner_user_id,
                display_name: input.displayName ?? current.display_name,
                status: "active" as const,
                health_status: "healthy" as const,
                pause_reason: null,
                pause_description: null,
                paused_at: null
              }))
              .where("tenant_id", "=", tenantId)
              .where("id", "=", id)
              .returning(["token_expires_at", "scopes"])
              .executeTakeFirstOrThrow()
            await audit(trx, { tenantId, connectionId: id }, "reconnected", actor, {
              previous_status: current.status,
              previous_reason_code: current.pause_reason,
              refresh_token_rotated: rotatesRefresh(input.tokens),
              expires_at: row.token_expires_at?.toISOString() ?? null,
              scopes: row.scopes
            })
            return {
              previousStatus: current.status,
              previousReason: current.pause_reason,
              refreshTokenRotated: rotatesRefresh(input.tokens)
            } satisfies ReconnectResult
          })
        )
        if (outcome === undefined) return yield* notFound(tenantId, id)
        return outcome
      })

      const pauseManually = Effect.fn("ConnectionRepo.pauseManually")(function* (
        tenantId: string,
        id: string,
        actor: string,
        note?: string
      ) {
        const outcome = yield* database.use("ConnectionRepo.pauseManually", (db) =>
          db.transaction().execute(async (trx) => {
            const current = await trx
              .selectFrom("connections")
              .select(["status"])
              .where("tenant_id", "=", tenantId)
              .where("id", "=", id)
              .forUpdate()
              .executeTakeFirst()
            if (current === undefined) return "missing" as const
            if (current.status !== "active") return "unchanged" as const
            const description = note ?? "Paused by an administrator."
            await trx
              .updateTable("connections")
              .set({ status: "paused", pause_reason: null, pause_description: description, paused_at: sql<Date>`now()`, updated_at: sql<Date>`now()` })
              .where("tenant_id", "=", tenantId)
              .where("id", "=", id)
              .execute()
            const held = await holdScheduledPosts(trx, tenantId, id)
            await audit(trx, { tenantId, connectionId: id }, "manual_pause", actor, { previous_status: current.status, description, held_posts: held })
            return "changed" as const
          })
        )
        if (outcome === "missing") return yield* notFound(tenantId, id)
        return outcome === "changed"
      })

      const autoPause = Effect.fn("ConnectionRepo.autoPause")(function* (
        tenantId: string,
        id: string,
        code: ErrorCode,
        actor: string
      ) {
        const outcome = yield* database.use("ConnectionRepo.autoPause", (db) =>
          db.transaction().execute(async (trx) => {
            const current = await trx
              .selectFrom("connections")
              .select(["status", "platform"])
              .where("tenant_id", "=", tenantId)
              .where("id", "=", id)
              .forUpdate()
              .executeTakeFirst()
            if (current === undefined) return "missing" as const
            const reason = buildPauseReason(code, current.platform)
            const escalates = reason.status === "revoked" && current.status !== "revoked" && current.status !== "inactive"
            if (current.status !== "active" && !escalates) return "unchanged" as const
            await trx
              .updateTable("connections")
              .set({
                status: reason.status,
                pause_reason: code,
                pause_description: reason.description,
                paused_at: sql<Date>`now()`,
                updated_at: sql<Date>`now()`
              })
              .where("tenant_id", "=", tenantId)
              .where("id", "=", id)
              .execute()
            // Its waiting posts are held now, not when their time comes: the user sees them held at once.
            const held = await holdScheduledPosts(trx, tenantId, id)
            await audit(trx, { tenantId, connectionId: id }, "auto_pause", actor, {
              reason_code: code,
              previous_status: current.status,
              status: reason.status,
              description: reason.description,
              requires_reauth: reason.requiresReauth,
              held_posts: held
            })
            return "changed" as const
          })
        )
        if (outcome === "missing") return yield* notFound(tenantId, id)
        return outcome === "changed"
      })

      const resume = Effect.fn("ConnectionRepo.resume")(function* (tenantId: string, id: string, actor: string) {
        const outcome = yield* database.use("ConnectionRepo.resume", (db) =>
          db.transaction().execute(async (trx) => {
            const current = await trx
              .selectFrom("connections")
              .select(["status", "pause_reason"])
              .where("tenant_id", "=", tenantId)
              .where("id", "=", id)
              .forUpdate()
              .executeTakeFirst()
            if (current === undefined) return "missing" as const
            if (!PAUSED_STATUSES.includes(current.status)) return "unchanged" as const
            await trx
              .updateTable("connections")
              .set({ status: "active", pause_reason: null, pause_description: null, paused_at: null, updated_at: sql<Date>`now()` })
              .where("tenant_id", "=", tenantId)
              .where("id", "=", id)
              .execute()
            await audit(trx, { tenantId, connectionId: id }, "resume", actor, {
              previous_status: current.status,
              previous_reason_code: current.pause_reason
            })
            return "changed" as const
          })
        )
        if (outcome === "missing") return yield* notFound(tenantId, id)
        return outcome === "changed"
      })

      const heldCount = (eb: ExpressionBuilder<DatabaseSchema & { c: ConnectionsTable }, "c">) =>
        eb
          .selectFrom("posts as p")
          .select((inner) => inner.fn.countAll<string>().as("n"))
          .whereRef("p.connection_id", "=", "c.id")
          .whereRef("p.tenant_id", "=", "c.tenant_id")
          .where("p.status", "=", "held")
          .as("held_posts")

      const summaries = (tenantId: string, filter: ConnectionFilter & { readonly id?: string }) =>
        database.use("ConnectionRepo.list", (db) => {
          let query = db
            .selectFrom("connections as c")
            .select(CONNECTION_COLUMNS.map((column) => `c.${column}` as const))
            .select((eb) => [heldCount(eb)])
            .where("c.tenant_id", "=", tenantId)
          if (filter.id !== undefined) query = query.where("c.id", "=", filter.id)
          if (filter.platform !== undefined) query = query.where("c.platform", "=", filter.platform)
          if (filter.status !== undefined) query = query.where("c.status", "=", filter.status)
          return query.orderBy("c.created_at", "asc").orderBy("c.id", "asc").execute()
        }).pipe(
          Effect.map((rows) =>
            rows.map(({ held_posts, ...row }): ConnectionSummary => ({ ...toConnection(row), heldPosts: Number(held_posts ?? 0) }))
          )
        )

      const list = Effect.fn("ConnectionRepo.list")(function* (tenantId: string, filter: ConnectionFilter = {}) {
        return yield* summaries(tenantId, filter)
      })

      const summary = Effect.fn("ConnectionRepo.summary")(function* (tenantId: string, id: string) {
        const [found] = yield* summaries(tenantId, { id })
        if (found === undefined) return yield* notFound(tenantId, id)
        return found
      })

      const findByAccount = Effect.fn("ConnectionRepo.findByAccount")(function* (
        tenantId: string,
        platform: Platform,
        partnerAccountId: string
      ) {
        const row = yield* database.use("ConnectionRepo.findByAccount", (db) =>
          db
            .selectFrom("connections")
            .select(CONNECTION_COLUMNS)
            .where("tenant_id", "=", tenantId)
            .where("platform", "=", platform)
            .where("partner_account_id", "=", partnerAccountId)
            .executeTakeFirst()
        )
        return row === undefined ? undefined : toConnection(row)
      })

      const findByPartner = Effect.fn("ConnectionRepo.findByPartner")(function* (platform: Platform, match: PartnerMatch) {
        const rows = yield* database.use("ConnectionRepo.findByPartner", (db) => {
          const query = db.selectFrom("connections").select(CONNECTION_COLUMNS).where("platform", "=", platform)
          if ("userId" in match) return query.where("partner_user_id", "=", match.userId).orderBy("id").execute()
          const { accountId } = match
          if (platform === "gbp" && /^locations\/[^/]+$/.test(accountId)) {
            // The expression of connections_gbp_location_idx (migration 0004), so the index serves it.
            return query.where(sql<boolean>`substring(partner_account_id from 'locations/[^/]+$') = ${accountId}`).orderBy("id").execute()
          }
          return query.where("partner_account_id", "=", accountId).orderBy("id").execute()
        })
        return rows.map(toConnection)
      })

      const forSweep = Effect.fn("ConnectionRepo.forSweep")(function* (after: string | undefined, limit: number) {
        const rows = yield* database.use("ConnectionRepo.forSweep", (db) => {
          let query = db
            .selectFrom("connections")
            .select(["id", "tenant_id", "platform", "status", "pause_reason", "token_expires_at", "last_health_check_at", "created_at"])
            .where((eb) => eb.or([eb("status", "=", "active"), eb.and([eb("status", "=", "attention"), eb("pause_reason", "=", "CIRCUIT_BREAKER_OPEN")])]))
          if (after !== undefined) query = query.where("id", ">", after)
          return query.orderBy("id").limit(Math.max(1, limit)).execute()
        })
        return rows.map(
          (r): SweepCandidate => ({
            id: r.id,
            tenantId: r.tenant_id,
            platform: r.platform,
            status: r.status,
            pauseReason: r.pause_reason,
            tokenExpiresAt: r.token_expires_at,
            lastHealthCheckAt: r.last_health_check_at,
            createdAt: r.created_at
          })
        )
      })

      const listPaused = Effect.fn("ConnectionRepo.listPaused")(function* (
        filter: PausedFilter = {}
      ) {
        const rows = yield* database.use("ConnectionRepo.listPaused", (db) => {
          let query = db
            .selectFrom("connections as c")
            .select((eb) => [
              "c.id",
              "c.tenant_id",
              "c.platform",
              "c.status",
              "c.pause_reason",
              "c.pause_description",
              "c.paused_at",
              heldCount(eb)
            ])
            .where("c.status", "in", PAUSED_STATUSES)
            .orderBy("c.paused_at", "asc")
            .orderBy("c.id", "asc")
          if (filter.tenantId !== undefined) query = query.where("c.tenant_id", "=", filter.tenantId)
          if (filter.platform !== undefined) query = query.where("c.platform", "=", filter.platform)
          if (filter.reason !== undefined) query = query.where("c.pause_reason", "=", filter.reason)
          return query.execute()
        })
        return rows.map(
          (r): PausedConnection => ({
            id: r.id,
            tenantId: r.tenant_id,
            platform: r.platform,
            status: r.status,
            reason: r.pause_reason,
            description: r.pause_description,
            pausedAt: r.paused_at,
            heldPosts: Number(r.held_posts ?? 0)
          })
        )
      })

      const auditTrail = Effect.fn("ConnectionRepo.audit")(function* (tenantId: string, id: string) {
        const rows = yield* database.use("ConnectionRepo.audit", (db) =>
          db
            .selectFrom("connection_audit")
            .select(["action", "details", "actor", "at"])
            .where("tenant_id", "=", tenantId)
            .where("connection_id", "=", id)
            .orderBy("id", "asc")
            .execute()
        )
        return rows.map((r): AuditEntry => ({ action: r.action, details: r.details, actor: r.actor, at: r.at }))
      })

      return ConnectionRepo.of({
        create,
        get,
        credentials,
        refreshToken,
        hasRefreshToken,
        storeTokens,
        reconnect,
        pauseManually,
        list,
        summary,
        findByAccount,
        findByPartner,
        forSweep,
        autoPause,
        resume,
        listPaused,
        audit: auditTrail
      })
    })
  )
}
