// The `Database` service: one Kysely instance over a pg pool, owned by the layer's scope, so the
// pool closes when the runtime is disposed. Where the server comes from is `DatabaseUrl`'s business.
import { type Cause, Context, Effect, Exit, Layer, Redacted, Schema } from "effect"
import { Kysely, PostgresDialect, sql, type Transaction } from "kysely"
import pg from "pg"
import type { DatabaseSchema } from "./DatabaseSchema.ts"
import { DatabaseUrl } from "./DatabaseUrl.ts"
import { migrateToLatest } from "./migrate.ts"

/** An infrastructure failure of our own database (not a partner failure, so not a taxonomy code). */
export class DatabaseError extends Schema.TaggedError<DatabaseError>()("DatabaseError", {
  operation: Schema.String,
  message: Schema.String
}) {}

/** `catch` for a database call: the operation and the driver's message. */
export const databaseError =
  (operation: string) =>
  (e: unknown): DatabaseError =>
    new DatabaseError({ operation, message: e instanceof Error ? e.message : String(e) })

/** PostgreSQL's unique_violation (23505) on this constraint. */
export const isUniqueViolation = (e: unknown, constraint: string): boolean =>
  e instanceof Error && "code" in e && e.code === "23505" && "constraint" in e && e.constraint === constraint

/** Carries a failed transaction body's cause through Kysely's rollback. */
class RolledBack extends Error {
  readonly body: Cause.Cause<unknown>
  constructor(body: Cause.Cause<unknown>) {
    super("transaction rolled back")
    this.body = body
  }
}

export const makeKysely = (
  url: string,
  poolMax = 10,
  onIdleClientError: (error: Error) => void = () => {}
): Kysely<DatabaseSchema> => {
  const pool = new pg.Pool({ connectionString: url, max: poolMax, application_name: "postd-resilience" })
  // An idle client dropped by the server (restart, failover, admin kill) is discarded by the pool
  // and replaced on the next query; without this listener the 'error' event would crash the process.
  pool.on("error", onIdleClientError)
  return new Kysely<DatabaseSchema>({ dialect: new PostgresDialect({ pool }) })
}

export class Database extends Context.Service<
  Database,
  {
    readonly db: Kysely<DatabaseSchema>
    /** Runs a Kysely operation as an Effect, failing with DatabaseError. */
    readonly use: <A>(operation: string, f: (db: Kysely<DatabaseSchema>) => Promise<A>) => Effect.Effect<A, DatabaseError>
    /**
     * Runs `f` inside one database transaction: committed when `f` succeeds, rolled back when it
     * fails (its own typed failure comes back unchanged) or the commit does (DatabaseError). The
     * caller's context (logger, log annotations) carries into `f`.
     */
    readonly transaction: <A, E>(
      operation: string,
      f: (trx: Transaction<DatabaseSchema>) => Effect.Effect<A, E>
    ) => Effect.Effect<A, E | DatabaseError>
    readonly ping: Effect.Effect<void, DatabaseError>
  }
>()("postd/db/Database") {
  /** Connects to `DatabaseUrl` and migrates to the latest schema before anything else runs. */
  static readonly layer = Layer.effect(
    Database,
    Effect.gen(function* () {
      const url = yield* DatabaseUrl
      // Logs from pool callbacks go through the runtime's logger, not a default one.
      const runFork = Effect.runForkWith(yield* Effect.context<never>())
      const db = yield* Effect.acquireRelease(
        Effect.sync(() =>
          makeKysely(Redacted.value(url.url), 10, (error) => {
            runFork(Effect.logWarning("idle database connection lost").pipe(Effect.annotateLogs("error", error.message)))
          })
        ),
        (db) => Effect.promise(() => db.destroy())
      )
      const report = yield* Effect.tryPromise({
        try: () => migrateToLatest(db),
        catch: databaseError("migrate")
      }).pipe(Effect.orDie)
      if (report.applied.length > 0) yield* Effect.logInfo("migrations applied").pipe(Effect.annotateLogs("migrations", report.applied))
      const use = <A>(operation: string, f: (db: Kysely<DatabaseSchema>) => Promise<A>) =>
        Effect.tryPromise({
          try: () => f(db),
          catch: databaseError(operation)
        }).pipe(Effect.withSpan(`Database.${operation}`))
      const transaction = <A, E>(operation: string, f: (trx: Transaction<DatabaseSchema>) => Effect.Effect<A, E>) =>
        Effect.flatMap(Effect.context<never>(), (context) =>
          Effect.tryPromise({
            try: () =>
              db.transaction().execute(async (trx) => {
                const exit = await Effect.runPromiseExitWith(context)(f(trx))
                // Throwing is how Kysely rolls back; the failure itself travels in the exception.
                if (Exit.isFailure(exit)) throw new RolledBack(exit.cause)
                return exit.value
              }),
            catch: (e) => e
          })
        ).pipe(
          Effect.catch((e): Effect.Effect<never, E | DatabaseError> =>
            e instanceof RolledBack
              ? Effect.failCause(e.body as Cause.Cause<E>)
              : Effect.fail(databaseError(operation)(e))
          ),
          Effect.withSpan(`Database.transaction.${operation}`)
        )
      return Database.of({
        db,
        use,
        transaction,
        ping: use("ping", (db) => sql`select 1`.execute(db)).pipe(Effect.asVoid, Effect.timeout("2 seconds"), Effect.catchTag("TimeoutError", () => Effect.fail(new DatabaseError({ operation: "ping", message: "timed out after 2 s" }))))
      })
    })
  )
}
