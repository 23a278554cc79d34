// A secret for local runs when none is configured: created once under DATA_DIR (mode 0600, exclusive
// create so two processes starting together agree on one value), then reused so what it protects
// survives restarts. Production configures its secrets; this only keeps the local run zero-setup.
import { mkdir, readFile, writeFile } from "node:fs/promises"
import path from "node:path"
import { Effect } from "effect"
import { configError } from "../core/config/ConfigError.ts"

const describe = (e: unknown): string => (e instanceof Error ? e.message : String(e))

/** The file's content (trimmed), creating it with `generate()` when it does not exist yet. */
export const developmentSecret = Effect.fn("DevelopmentSecret.read")(function* (
  dataDir: string,
  fileName: string,
  generate: () => string,
  what: string
) {
  const file = path.resolve(dataDir, fileName)
  const created = yield* Effect.tryPromise({
    try: async () => {
      await mkdir(path.dirname(file), { recursive: true, mode: 0o700 })
      return writeFile(file, `${generate()}\n`, { mode: 0o600, flag: "wx" }).then(
        () => true,
        (e: unknown) => {
          if (e instanceof Error && "code" in e && e.code === "EEXIST") return false
          throw e
        }
      )
    },
    catch: (e) => configError(`cannot create the development ${what} at ${file}: ${describe(e)}`)
  })
  const text = yield* Effect.tryPromise({
    try: () => readFile(file, "utf8"),
    catch: (e) => configError(`cannot read the development ${what} at ${file}: ${describe(e)}`)
  })
  return { file, created, value: text.trim() }
})
