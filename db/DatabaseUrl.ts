// Where the database is: DATABASE_URL when set; otherwise an embedded PostgreSQL whose data lives
// under DATA_DIR (default .data/), started with the layer and stopped when its scope closes.
import path from "node:path"
import { Config, Context, Effect, Layer, Option, Redacted } from "effect"
import pg from "pg"
import { startEmbeddedPostgres } from "./startEmbeddedPostgres.ts"

export class DatabaseUrl extends Context.Service<
  DatabaseUrl,
  { readonly url: Redacted.Redacted<string>; readonly embedded: boolean }
>()("postd/db/DatabaseUrl") {
  static readonly fromUrl = (url: string) =>
    Layer.succeed(DatabaseUrl, DatabaseUrl.of({ url: Redacted.make(url), embedded: false }))

  static readonly layer = Layer.effect(
    DatabaseUrl,
    Effect.gen(function* () {
      const configured = yield* Config.option(Config.Redacted("DATABASE_URL"))
      if (Option.isSome(configured)) return DatabaseUrl.of({ url: configured.value, embedded: false })
      const dataDir = yield* Config.String("DATA_DIR").pipe(Config.withDefault(".data"))
      const pgDir = path.resolve(dataDir, "pg")
      const handle = yield* Effect.acquireRelease(
        Effect.tryPromise(() => startEmbeddedPostgres({ dataDir: pgDir, persistent: true })),
        (h) => Effect.promise(() => h.stop()).pipe(Effect.tap(() => Effect.logInfo("embedded PostgreSQL stopped")))
      ).pipe(Effect.orDie)
      const url = yield* Effect.tryPromise(() => ensureDatabase(handle.adminUrl, "postd")).pipe(Effect.orDie)
      yield* Effect.logInfo("embedded PostgreSQL started").pipe(
        Effect.annotateLogs({ dataDir: pgDir, port: handle.port })
      )
      return DatabaseUrl.of({ url: Redacted.make(url), embedded: true })
    })
  )
}

/** Creates `name` on the server behind `adminUrl` unless it exists; returns its URL. */
export const ensureDatabase = async (adminUrl: string, name: string): Promise<string> => {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`invalid database name ${name}`)
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    const found = await client.query("select 1 from pg_database where datname = $1", [name])
    if (found.rowCount === 0) await client.query(`create database ${name}`)
  } finally {
    await client.end()
  }
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return url.toString()
}
