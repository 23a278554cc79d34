// The embedded cluster must never change its host process's exit code, and must not outlive it.
import { spawn } from "node:child_process"
import { existsSync } from "node:fs"
import { chmod, mkdtemp, rm } from "node:fs/promises"
import os from "node:os"
import path from "node:path"
import { pathToFileURL } from "node:url"
import { afterEach, describe, expect, it } from "vitest"

const MODULE = pathToFileURL(path.resolve(import.meta.dirname, "startEmbeddedPostgres.ts")).href
const dirs: Array<string> = []

const tempDataDir = async (): Promise<string> => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "postd-epg-"))
  await chmod(dir, 0o711)
  dirs.push(dir)
  return path.join(dir, "pg")
}

const runScript = (body: string): Promise<{ code: number | null; stderr: string }> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", `import { startEmbeddedPostgres } from ${JSON.stringify(MODULE)}\n${body}`], {
      stdio: ["ignore", "ignore", "pipe"]
    })
    let stderr = ""
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString("utf8")
    })
    child.on("exit", (code) => resolve({ code, stderr }))
  })

const waitUntil = async (predicate: () => boolean, timeoutMs: number): Promise<boolean> => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (predicate()) return true
    await new Promise((r) => setTimeout(r, 100))
  }
  return predicate()
}

afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
})

describe("startEmbeddedPostgres", () => {
  it("leaves the host's exit code alone after a clean stop (a failing test run must not exit 0)", async () => {
    const dataDir = await tempDataDir()
    const { code, stderr } = await runScript(
      `const h = await startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)}, persistent: true })\nawait h.stop()\nprocess.exitCode = 3`
    )
    expect(stderr).toBe("")
    expect(code).toBe(3)
    expect(existsSync(path.join(dataDir, "postmaster.pid"))).toBe(false)
  })

  it("stops the postmaster when its host exits without stop()", async () => {
    const dataDir = await tempDataDir()
    const { code } = await runScript(
      `await startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)}, persistent: true })\nprocess.exit(4)`
    )
    expect(code).toBe(4)
    expect(existsSync(path.join(dataDir, "PG_VERSION"))).toBe(true)
    expect(await waitUntil(() => !existsSync(path.join(dataDir, "postmaster.pid")), 15_000)).toBe(true)
  })
})
