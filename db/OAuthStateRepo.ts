// The single use of each OAuth state. A state is signed and self-contained; what makes it single-use
// is the row its callback inserts here, keyed by the state's id: a second callback with the same
// state finds the row and is refused, even if both arrive at once. A row outlives its state (which
// is refused once expired, signed or not) by RETENTION_DAYS, for the reconnect audit, and is then
// pruned by later uses, a bounded batch at a time.
import { Context, Effect, Layer } from "effect"
import { sql } from "kysely"
import type { Platform } from "../core/taxonomy/Taxonomy.ts"
import { Database, type DatabaseError } from "./Database.ts"
import type { OAuthPurpose } from "./DatabaseSchema.ts"

export interface StateUse {
  readonly stateId: string
  readonly tenantId: string
  readonly platform: Platform
  readonly purpose: OAuthPurpose
  readonly connectionId: string | null
  readonly actor: string
  readonly expiresAt: Date
}

/** How long a used state's row is kept after the state expired. */
export const RETENTION_DAYS = 30
const PRUNE_BATCH = 500

export class OAuthStateRepo extends Context.Service<
  OAuthStateRepo,
  {
    /** Records the use; false when the state was used before (a replay). */
    readonly consume: (use: StateUse) => Effect.Effect<boolean, DatabaseError>
    readonly isUsed: (stateId: string) => Effect.Effect<boolean, DatabaseError>
    /** How the callback ended, for the audit of reconnects. */
    readonly recordOutcome: (stateId: string, outcome: string) => Effect.Effect<void, DatabaseError>
  }
>()("postd/db/OAuthStateRepo") {
  static readonly layer = Layer.effect(
    OAuthStateRepo,
    Effect.gen(function* () {
      const database = yield* Database

      const consume = Effect.fn("OAuthStateRepo.consume")(function* (use: StateUse) {
        const inserted = yield* database.use("OAuthStateRepo.consume", (db) =>
          db
            .insertInto("oauth_state_uses")
            .values({
              state_id: use.stateId,
              tenant_id: use.tenantId,
              platform: use.platform,
              purpose: use.purpose,
              connection_id: use.connectionId,
              actor: use.actor,
              expires_at: use.expiresAt
            })
            .onConflict((oc) => oc.column("state_id").doNothing())
            .returning("state_id")
            .executeTakeFirst()
        )
        if (inserted !== undefined) yield* prune
        return inserted !== undefined
      })

      const prune = database.use("OAuthStateRepo.prune", (db) =>
        sql`delete from oauth_state_uses where state_id in (
              select state_id from oauth_state_uses
               where expires_at < now() - make_interval(days => ${RETENTION_DAYS}) limit ${PRUNE_BATCH})`.execute(db)
      )

      const isUsed = Effect.fn("OAuthStateRepo.isUsed")(function* (stateId: string) {
        const row = yield* database.use("OAuthStateRepo.isUsed", (db) =>
          db.selectFrom("oauth_state_uses").select("state_id").where("state_id", "=", stateId).executeTakeFirst()
        )
        return row !== undefined
      })

      const recordOutcome = Effect.fn("OAuthStateRepo.recordOutcome")(function* (stateId: string, outcome: string) {
        yield* database.use("OAuthStateRepo.recordOutcome", (db) =>
          db.updateTable("oauth_state_uses").set({ outcome }).where("state_id", "=", stateId).execute()
        )
      })

      return OAuthStateRepo.of({ consume, isUsed, recordOutcome })
    })
  )
}
