import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises"
import os from "node:os"
import path from "node:path"
import { ConfigProvider, Effect, Layer, Logger, Redacted } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { DEV_KEY_FILE, TokenCipher } from "./TokenCipher.ts"

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "postd-token-key-"))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const run = <A>(dataDir: string, f: (cipher: TokenCipher["Service"]) => Effect.Effect<A, unknown>) => {
  const logs: Array<string> = []
  const logger = Logger.make(({ message }) => {
    logs.push(String(message))
  })
  const layer = TokenCipher.layer.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ DATA_DIR: dataDir }))))
  return Effect.runPromise(
    Effect.gen(function* () {
      return yield* f(yield* TokenCipher)
    }).pipe(Effect.provide(layer.pipe(Layer.provide(Logger.layer([logger])))))
  ).then((value) => ({ value, logs }))
}

describe("TokenCipher development key", () => {
  it("is created under DATA_DIR as a 0600 file, announced as a development key, and reused after a restart", async () => {
    const dataDir = path.join(dir, "data")
    const first = await run(dataDir, (cipher) => Effect.succeed(cipher.encrypt(Redacted.make("page-token"))))
    const file = path.join(dataDir, DEV_KEY_FILE)
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect(await readFile(file, "utf8")).toMatch(/^dev:[A-Za-z0-9+/]{43}=\n$/)
    expect(first.logs.join("\n")).toMatch(/development key/)
    const second = await run(dataDir, (cipher) => cipher.decrypt(first.value))
    expect(Redacted.value(second.value)).toBe("page-token")
  })

  it("refuses a corrupted key file as a configuration error", async () => {
    const dataDir = path.join(dir, "corrupt")
    await run(dataDir, () => Effect.void)
    await writeFile(path.join(dataDir, DEV_KEY_FILE), "dev:short\n")
    await expect(run(dataDir, () => Effect.void)).rejects.toThrow(/token-encryption\.key: key "dev" is not valid base64/)
  })
})
