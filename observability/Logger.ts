// One JSON log format for the whole process: a pino logger for plain code (HTTP server, adapters)
// and a bridge so `Effect.log*` lands in the same pino stream, its log annotations (requestId,
// cycleId, tenantId…) as top-level fields. Secrets are redacted by pino before anything is written.
import { Cause, Layer, Logger, type LogLevel, References } from "effect"
import pino from "pino"
import type { DestinationStream, Level, Logger as PinoLogger } from "pino"

export interface LoggerOptions {
  readonly level: Level | "silent"
  /** Where JSON lines go; stdout when absent. Tests pass an in-memory `{ write }`. */
  readonly destination?: DestinationStream | undefined
  readonly service?: string | undefined
}

const SECRET_KEYS = ["authorization", "cookie", "accessToken", "refreshToken", "token", "password"]

// Top level (log annotations land there), one level down (`{ connection: { accessToken } }`) and
// request headers wherever they are nested.
export const REDACTED_PATHS: ReadonlyArray<string> = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((key) => `*.${key}`),
  "*.headers.authorization",
  "*.headers.cookie",
  '*.headers["set-cookie"]'
]

export const makeLogger = (options: LoggerOptions): PinoLogger =>
  pino(
    {
      level: options.level,
      base: { service: options.service ?? "postd" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Effect's yieldable errors carry "~effect/…" marker keys; they say nothing to a reader.
      serializers: {
        err: (error: Error) =>
          Object.fromEntries(Object.entries(pino.stdSerializers.err(error)).filter(([key]) => !key.startsWith("~")))
      },
      redact: { paths: [...REDACTED_PATHS], censor: "[REDACTED]" }
    },
    options.destination
  )

const PINO_LEVELS: { readonly [L in LogLevel.LogLevel]: Level | undefined } = {
  All: "trace",
  Trace: "trace",
  Debug: "debug",
  Info: "info",
  Warn: "warn",
  Error: "error",
  Fatal: "fatal",
  None: undefined
}

const EFFECT_LEVELS: { readonly [level: string]: LogLevel.LogLevel } = {
  trace: "Trace",
  debug: "Debug",
  info: "Info",
  warn: "Warn",
  error: "Error",
  fatal: "Fatal",
  silent: "None"
}

const isPlainObject = (value: unknown): value is { readonly [key: string]: unknown } => {
  if (typeof value !== "object" || value === null) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

const renderPart = (value: unknown): string => {
  if (typeof value === "string") return value
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

/**
 * An Effect logger writing through `logger`. String parts form `msg`; plain objects are merged in as
 * fields (like pino's `logger.info(obj, msg)`); the first Error becomes `err` (pino's serializer);
 * a failure cause is rendered into `cause`; open log spans become `spans` (ms since each began).
 */
export const effectLogger = (logger: PinoLogger): Logger.Logger<unknown, void> =>
  Logger.make(({ message, logLevel, cause, fiber, date }) => {
    const level = PINO_LEVELS[logLevel]
    if (level === undefined || !logger.isLevelEnabled(level)) return
    const fields: { [key: string]: unknown } = { ...fiber.getRef(References.CurrentLogAnnotations) }
    const words: Array<string> = []
    for (const part of Array.isArray(message) ? message : [message]) {
      if (isPlainObject(part)) Object.assign(fields, part)
      else if (part instanceof Error && fields["err"] === undefined) fields["err"] = part
      else words.push(renderPart(part))
    }
    const spans = fiber.getRef(References.CurrentLogSpans)
    if (spans.length > 0) {
      fields["spans"] = Object.fromEntries(spans.map(([label, startedAt]) => [label, date.getTime() - startedAt]))
    }
    if (cause.reasons.length > 0) fields["cause"] = Cause.pretty(cause)
    logger[level](fields, words.join(" "))
  })

/**
 * Routes every `Effect.log*` of the runtime to `logger` (replacing Effect's console logger), with
 * Effect's minimum level set to the logger's, so a debug pino logger also receives `Effect.logDebug`.
 */
export const loggerLayer = (logger: PinoLogger): Layer.Layer<never> =>
  Layer.mergeAll(
    Logger.layer([effectLogger(logger)]),
    Layer.succeed(References.MinimumLogLevel, EFFECT_LEVELS[logger.level] ?? "Info")
  )
