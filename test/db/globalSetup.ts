// One PostgreSQL server per test run: TEST_DATABASE_URL when set (e.g. the machine's PostgreSQL 15),
// else an embedded cluster in a temporary directory. Test files each create their own database on it.
import { chmod, mkdtemp, rm } from "node:fs/promises"
import os from "node:os"
import path from "node:path"
import type { TestProject } from "vitest/node"
import { startEmbeddedPostgres } from "../../db/startEmbeddedPostgres.ts"

declare module "vitest" {
  export interface ProvidedContext {
    adminDatabaseUrl: string
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env["TEST_DATABASE_URL"]
  if (external !== undefined && external !== "") {
    project.provide("adminDatabaseUrl", external)
    return async () => {}
  }
  // The parent must be reachable by the OS user `postgres` when running as root; os.tmpdir() is.
  const dir = await mkdtemp(path.join(os.tmpdir(), "postd-test-pg-"))
  await chmod(dir, 0o711)
  const handle = await startEmbeddedPostgres({ dataDir: path.join(dir, "data"), persistent: false })
  project.provide("adminDatabaseUrl", handle.adminUrl)
  return async () => {
    await handle.stop()
    await rm(dir, { recursive: true, force: true })
  }
}
