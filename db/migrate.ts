// Runs the ordered, timestamp-named migrations in db/migrations with Kysely's Migrator, at start-up
// and in tests. A failed migration is a defect of the deployment: it stops the process loudly.
import { promises as fs } from "node:fs"
import path from "node:path"
import { pathToFileURL } from "node:url"
import type { Kysely } from "kysely"
import { FileMigrationProvider, Migrator } from "kysely/migration"

export const MIGRATIONS_DIR = path.resolve(import.meta.dirname, "migrations")

export interface MigrationReport {
  readonly applied: ReadonlyArray<string>
}

export const migrateToLatest = async <DB>(db: Kysely<DB>): Promise<MigrationReport> => {
  const migrator = new Migrator({
    db,
    provider: new FileMigrationProvider({
      fs,
      path,
      migrationFolder: MIGRATIONS_DIR,
      import: (file: string) => import(pathToFileURL(file).href)
    })
  })
  const { error, results } = await migrator.migrateToLatest()
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName ?? "unknown"
    throw new Error(`migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error
    })
  }
  return { applied: (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName) }
}
