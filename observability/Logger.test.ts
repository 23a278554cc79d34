import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import type { Level } from "pino"
import { loggerLayer, makeLogger } from "./Logger.ts"

const memory = (level: Level = "info") => {
  const lines: Array<string> = []
  const logger = makeLogger({ level, destination: { write: (line) => void lines.push(line) } })
  const records = (): Array<{ readonly [key: string]: unknown }> => lines.map((line) => JSON.parse(line))
  return { logger, lines, records }
}

class PublishFailed extends Schema.TaggedError<PublishFailed>()("PublishFailed", { message: Schema.String }) {}

describe("makeLogger", () => {
  it("writes one JSON line per entry with level, ISO time, service and message", () => {
    const { logger, lines, records } = memory()
    logger.info({ platform: "meta", latencyMs: 345 }, "Publish completed")
    assert.strictEqual(lines.length, 1)
    assert.isTrue(lines[0]?.endsWith("\n"))
    const [record] = records()
    assert.strictEqual(record?.["level"], "info")
    assert.strictEqual(record?.["service"], "postd")
    assert.strictEqual(record?.["msg"], "Publish completed")
    assert.strictEqual(record?.["platform"], "meta")
    assert.strictEqual(record?.["latencyMs"], 345)
    assert.match(String(record?.["time"]), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
  })

  it("redacts authorization, cookies, tokens and passwords wherever they sit", () => {
    const { logger, lines, records } = memory()
    logger.info(
      {
        authorization: "Bearer top-secret-1",
        cookie: "session=top-secret-2",
        token: "top-secret-3",
        connection: { accessToken: "top-secret-4", refreshToken: "top-secret-5", platform: "linkedin" },
        user: { password: "top-secret-6" },
        webhook: { token: "top-secret-7" },
        req: { headers: { authorization: "Bearer top-secret-8", cookie: "a=top-secret-9" } }
      },
      "connected"
    )
    assert.notInclude(lines.join(""), "top-secret")
    const [record] = records()
    assert.strictEqual(record?.["authorization"], "[REDACTED]")
    assert.deepStrictEqual(record?.["connection"], {
      accessToken: "[REDACTED]",
      refreshToken: "[REDACTED]",
      platform: "linkedin"
    })
  })

  it("drops entries below the configured level", () => {
    const { logger, lines } = memory("warn")
    logger.info("not written")
    logger.warn("written")
    assert.strictEqual(lines.length, 1)
  })
})

describe("loggerLayer", () => {
  it.effect("writes Effect.log calls as the same pino JSON lines, annotations as fields", () => {
    const { logger, records } = memory()
    return Effect.gen(function* () {
      yield* Effect.logInfo("Publish completed", { latencyMs: 345, retryCount: 0 }).pipe(
        Effect.annotateLogs({ requestId: "req-1", cycleId: "cycle-9", tenantId: "tenant-42" })
      )
      const [record] = records()
      assert.strictEqual(record?.["msg"], "Publish completed")
      assert.strictEqual(record?.["level"], "info")
      assert.strictEqual(record?.["service"], "postd")
      assert.strictEqual(record?.["requestId"], "req-1")
      assert.strictEqual(record?.["cycleId"], "cycle-9")
      assert.strictEqual(record?.["tenantId"], "tenant-42")
      assert.strictEqual(record?.["latencyMs"], 345)
      assert.strictEqual(record?.["retryCount"], 0)
    }).pipe(Effect.provide(loggerLayer(logger)))
  })

  it.effect("redacts secrets that arrive as annotations or logged objects", () => {
    const { logger, lines } = memory()
    return Effect.gen(function* () {
      yield* Effect.logWarning("refresh", { connection: { refreshToken: "top-secret-a" } }).pipe(
        Effect.annotateLogs("token", "top-secret-b")
      )
      assert.strictEqual(lines.length, 1)
      assert.notInclude(lines.join(""), "top-secret")
      assert.include(lines[0] ?? "", '"token":"[REDACTED]"')
    }).pipe(Effect.provide(loggerLayer(logger)))
  })

  it.effect("maps Effect levels to pino levels and follows the logger's minimum level", () => {
    const { logger, records } = memory("debug")
    return Effect.gen(function* () {
      yield* Effect.logTrace("too low")
      yield* Effect.logDebug("debug line")
      yield* Effect.logWarning("warn line")
      yield* Effect.logError("error line")
      yield* Effect.logFatal("fatal line")
      assert.deepStrictEqual(
        records().map((record) => [record["level"], record["msg"]]),
        [
          ["debug", "debug line"],
          ["warn", "warn line"],
          ["error", "error line"],
          ["fatal", "fatal line"]
        ]
      )
    }).pipe(Effect.provide(loggerLayer(logger)))
  })

  it.effect("serialises a logged error as err and a failure cause as cause", () => {
    const { logger, records } = memory()
    return Effect.gen(function* () {
      yield* Effect.logError("publish failed", new PublishFailed({ message: "partner said no" }))
      yield* Effect.fail(new PublishFailed({ message: "boom" })).pipe(
        Effect.tapCause((cause) => Effect.logError("job failed", cause)),
        Effect.ignore
      )
      const [withError, withCause] = records()
      assert.strictEqual(withError?.["msg"], "publish failed")
      const err = withError?.["err"]
      assert.isTrue(typeof err === "object" && err !== null && "message" in err && err.message === "partner said no")
      assert.isTrue(typeof err === "object" && err !== null && "_tag" in err && err._tag === "PublishFailed")
      assert.deepStrictEqual(Object.keys(err ?? {}).filter((key) => key.startsWith("~")), [])
      assert.strictEqual(withCause?.["msg"], "job failed")
      assert.include(String(withCause?.["cause"]), "boom")
    }).pipe(Effect.provide(loggerLayer(logger)))
  })

  it.effect("reports open log spans in milliseconds", () => {
    const { logger, records } = memory()
    return Effect.gen(function* () {
      yield* Effect.logInfo("inside").pipe(Effect.withLogSpan("publish"))
      const spans = records()[0]?.["spans"]
      assert.deepStrictEqual(spans, { publish: 0 })
    }).pipe(Effect.provide(loggerLayer(logger)))
  })
})
