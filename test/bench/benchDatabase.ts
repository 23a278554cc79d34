// The benchmarks' database: a fresh database on DATABASE_URL's server when it is set, otherwise a
// throw-away embedded PostgreSQL cluster in a temporary directory. `drop()` removes what was made.
import { randomBytes } from "node:crypto"
import { chmod, mkdtemp, rm } from "node:fs/promises"
import os from "node:os"
import path from "node:path"
import pg from "pg"
import { ensureDatabase } from "../../db/DatabaseUrl.ts"
import { startEmbeddedPostgres } from "../../db/startEmbeddedPostgres.ts"

export interface BenchDatabase {
  readonly url: string
  /** For the report: which server and database the figures come from. */
  readonly description: string
  readonly drop: () => Promise<void>
}

const admin = async (adminUrl: string, statement: string): Promise<void> => {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    await client.query(statement)
  } finally {
    await client.end()
  }
}

export const createBenchDatabase = async (configuredUrl: string | undefined): Promise<BenchDatabase> => {
  if (configuredUrl !== undefined && configuredUrl !== "") {
    const name = `postd_bench_${randomBytes(6).toString("hex")}`
    await admin(configuredUrl, `create database ${name}`)
    const url = new URL(configuredUrl)
    url.pathname = `/${name}`
    return {
      url: url.toString(),
      description: `fresh database ${name} on DATABASE_URL's server`,
      drop: () => admin(configuredUrl, `drop database if exists ${name} with (force)`)
    }
  }
  // The parent must be reachable by the OS user `postgres` when running as root, as in the test setup.
  const dir = await mkdtemp(path.join(os.tmpdir(), "postd-bench-pg-"))
  await chmod(dir, 0o711)
  const handle = await startEmbeddedPostgres({ dataDir: path.join(dir, "data"), persistent: false })
  const url = await ensureDatabase(handle.adminUrl, "postd_bench")
  return {
    url,
    description: `embedded PostgreSQL on port ${handle.port} in ${dir}`,
    drop: async () => {
      await handle.stop()
      await rm(dir, { recursive: true, force: true })
    }
  }
}
