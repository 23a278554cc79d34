// The `classify` operator command: classify one partner response or network error, a stream of
// corpus-format JSON lines, or print the taxonomy. Usage errors go to stderr with exit 2 and leave
// stdout empty, so scripts can trust whatever does reach stdout.
import { once } from "node:events"
import { createInterface } from "node:readline"
import { Result, Schema, SchemaIssue } from "effect"
import { classifyFailure, classifyResponse } from "../../core/classify/Classifier.ts"
import type { Classification } from "../../core/taxonomy/Classification.ts"
import { ACTION_MEANINGS, PLATFORMS, Platform, TAXONOMY } from "../../core/taxonomy/Taxonomy.ts"

const USAGE = `usage:
  classify --platform <${PLATFORMS.join("|")}> --status <100-599> [--body <json or text>] [--header 'name: value']... [--now <epoch ms or ISO date>]
  classify --platform <platform> --error-code <CODE> [--message <text>]
  classify --jsonl            < lines.jsonl   (one {id, platform, status, headers, body} or {id, platform, error} per line)
  classify --taxonomy
  classify --help`

class UsageError extends Error {}

type Args = {
  platform?: string
  status?: string
  body?: string
  headers: Array<string>
  errorCode?: string
  message?: string
  now?: string
  jsonl: boolean
  taxonomy: boolean
  help: boolean
}

const VALUE_FLAGS = {
  "--platform": "platform",
  "--status": "status",
  "--body": "body",
  "--error-code": "errorCode",
  "--message": "message",
  "--now": "now"
} as const
type ValueFlag = keyof typeof VALUE_FLAGS

const isValueFlag = (flag: string): flag is ValueFlag => Object.hasOwn(VALUE_FLAGS, flag)

const parseArgs = (argv: ReadonlyArray<string>): Args => {
  const args: Args = { headers: [], jsonl: false, taxonomy: false, help: false }
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] ?? ""
    const eq = token.startsWith("--") ? token.indexOf("=") : -1
    const flag = eq > 0 ? token.slice(0, eq) : token
    const inline = eq > 0 ? token.slice(eq + 1) : undefined
    const value = (): string => {
      if (inline !== undefined) return inline
      const next = argv[++i]
      if (next === undefined) throw new UsageError(`${flag} needs a value`)
      return next
    }
    if (flag === "--help" || flag === "-h") args.help = true
    else if (flag === "--jsonl" || flag === "--taxonomy") {
      if (inline !== undefined) throw new UsageError(`${flag} takes no value`)
      args[flag === "--jsonl" ? "jsonl" : "taxonomy"] = true
    } else if (flag === "--header") args.headers.push(value())
    else if (isValueFlag(flag)) {
      const key = VALUE_FLAGS[flag]
      if (args[key] !== undefined) throw new UsageError(`${flag} given more than once`)
      args[key] = value()
    } else if (flag.startsWith("-")) throw new UsageError(`unknown flag ${flag}`)
    else throw new UsageError(`unexpected argument ${JSON.stringify(token)}`)
  }
  return args
}

const decodePlatform = Schema.decodeUnknownResult(Platform)

const platformOf = (value: string | undefined): Platform => {
  if (value === undefined) throw new UsageError("missing --platform")
  const decoded = decodePlatform(value)
  if (Result.isFailure(decoded)) throw new UsageError(`unknown platform ${JSON.stringify(value)} (expected ${PLATFORMS.join(", ")})`)
  return decoded.success
}

const statusOf = (value: string | undefined): number => {
  if (value === undefined) throw new UsageError("missing --status")
  if (!/^\s*\d+\s*$/.test(value)) throw new UsageError(`--status must be an integer HTTP status, got ${JSON.stringify(value)}`)
  const status = Number(value)
  if (status < 100 || status > 599) throw new UsageError(`--status must be between 100 and 599, got ${status}`)
  return status
}

const headersOf = (values: ReadonlyArray<string>): Record<string, Array<string>> => {
  const headers: Record<string, Array<string>> = {}
  for (const line of values) {
    const colon = line.indexOf(":")
    const name = colon < 0 ? "" : line.slice(0, colon).trim()
    if (colon < 0 || name === "") throw new UsageError(`--header must look like 'name: value', got ${JSON.stringify(line)}`)
    const list = Object.hasOwn(headers, name) ? headers[name] : undefined
    const value = line.slice(colon + 1).trim()
    if (list === undefined) Object.defineProperty(headers, name, { value: [value], enumerable: true, writable: true })
    else list.push(value)
  }
  return headers
}

const nowOf = (value: string | undefined): number => {
  if (value === undefined) return Date.now()
  const ms = /^\s*\d+\s*$/.test(value) ? Number(value) : Date.parse(value)
  if (!Number.isFinite(ms) || ms <= 0) throw new UsageError(`--now must be epoch milliseconds or an ISO date, got ${JSON.stringify(value)}`)
  return ms
}

type Mode = "jsonl" | "taxonomy" | "response" | "network"

const modeOf = (args: Args): Mode => {
  const modes: Array<[Mode, string]> = []
  if (args.jsonl) modes.push(["jsonl", "--jsonl"])
  if (args.taxonomy) modes.push(["taxonomy", "--taxonomy"])
  if (args.status !== undefined) modes.push(["response", "--status"])
  if (args.errorCode !== undefined) modes.push(["network", "--error-code"])
  const [first, second] = modes
  if (second !== undefined) throw new UsageError(`conflicting modes: ${first?.[1]} and ${second[1]}`)
  if (first === undefined) {
    if (args.platform !== undefined) throw new UsageError("missing --status (or --error-code for a network error)")
    throw new UsageError("no mode given: use --platform with --status or --error-code, --jsonl, or --taxonomy")
  }
  const mode = first[0]
  const given: Array<[boolean, string]> = [
    [args.platform !== undefined, "--platform"],
    [args.body !== undefined, "--body"],
    [args.headers.length > 0, "--header"],
    [args.message !== undefined, "--message"],
    [args.now !== undefined, "--now"]
  ]
  const allowed: Record<Mode, ReadonlyArray<string>> = {
    jsonl: [],
    taxonomy: [],
    response: ["--platform", "--body", "--header", "--now"],
    network: ["--platform", "--message"]
  }
  const stray = given.find(([present, flag]) => present && !allowed[mode].includes(flag))
  if (stray !== undefined) throw new UsageError(`${stray[1]} cannot be used with ${first[1]}`)
  return mode
}

const write = async (text: string): Promise<void> => {
  if (!process.stdout.write(text)) await once(process.stdout, "drain")
}

// ---- --jsonl: one untrusted line in, one line out --------------------------------------------

const Id = Schema.Union([Schema.String, Schema.Finite])
const LineHeaders = Schema.Record(Schema.String, Schema.Union([Schema.String, Schema.Array(Schema.String)]))
const ResponseLine = Schema.Struct({
  id: Id,
  platform: Platform,
  status: Schema.Int,
  headers: Schema.optionalKey(Schema.NullOr(LineHeaders)),
  body: Schema.optionalKey(Schema.Unknown),
  nowMs: Schema.optionalKey(Schema.Finite)
})
const NetworkLine = Schema.Struct({
  id: Id,
  platform: Platform,
  error: Schema.Struct({
    code: Schema.optionalKey(Schema.String),
    message: Schema.optionalKey(Schema.String),
    name: Schema.optionalKey(Schema.String)
  })
})
const decodeResponseLine = Schema.decodeUnknownResult(ResponseLine, { errors: "all" })
const decodeNetworkLine = Schema.decodeUnknownResult(NetworkLine, { errors: "all" })

const formatIssue = SchemaIssue.makeFormatterDefault()

const oneLine = (error: Schema.SchemaError): string =>
  formatIssue(error.issue)
    .replace(/\n\s*at /g, " at ")
    .split("\n")
    .join("; ")

const idOf = (value: unknown): string | number | null => {
  if (typeof value !== "object" || value === null || Array.isArray(value) || !Object.hasOwn(value, "id")) return null
  const id: unknown = (value as { readonly id: unknown }).id
  return typeof id === "string" || (typeof id === "number" && Number.isFinite(id)) ? id : null
}

const summary = (id: string | number, c: Classification) => ({
  id,
  code: c.code,
  action: c.action,
  retryable: c.retryable,
  pausesChannel: c.pausesChannel,
  ...(c.retryAfterMs !== undefined ? { retryAfterMs: c.retryAfterMs } : {})
})

const classifyLine = (line: string, nowMs: number): object => {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    return { id: null, error: "invalid JSON" }
  }
  const id = idOf(value)
  const error = typeof value === "object" && value !== null && Object.hasOwn(value, "error") ? (value as { readonly error: unknown }).error : undefined
  if (error !== undefined && error !== null) {
    const decoded = decodeNetworkLine(value)
    if (Result.isFailure(decoded)) return { id, error: `invalid network-error line: ${oneLine(decoded.failure)}` }
    const { platform, error: thrown } = decoded.success
    return summary(decoded.success.id, classifyFailure({ platform, error: thrown }))
  }
  const decoded = decodeResponseLine(value)
  if (Result.isFailure(decoded)) return { id, error: `invalid response line: ${oneLine(decoded.failure)}` }
  const r = decoded.success
  return summary(
    r.id,
    classifyResponse({ platform: r.platform, status: r.status, headers: r.headers ?? {}, body: r.body ?? null, nowMs: r.nowMs ?? nowMs })
  )
}

const runJsonl = async (): Promise<void> => {
  const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY })
  for await (const line of lines) {
    if (line.trim() === "") continue
    await write(`${JSON.stringify(classifyLine(line, Date.now()))}\n`)
  }
}

// ---- entry point -------------------------------------------------------------------------------

const run = async (argv: ReadonlyArray<string>): Promise<void> => {
  const args = parseArgs(argv)
  if (args.help) return write(`${USAGE}\n`)
  const mode = modeOf(args)
  switch (mode) {
    case "taxonomy":
      return write(`${JSON.stringify({ codes: TAXONOMY, actions: ACTION_MEANINGS }, null, 2)}\n`)
    case "jsonl":
      return runJsonl()
    case "response": {
      const platform = platformOf(args.platform)
      const classification = classifyResponse({
        platform,
        status: statusOf(args.status),
        headers: headersOf(args.headers),
        body: args.body ?? null,
        nowMs: nowOf(args.now)
      })
      return write(`${JSON.stringify(classification, null, 2)}\n`)
    }
    case "network": {
      const platform = platformOf(args.platform)
      const error = { code: args.errorCode, ...(args.message !== undefined ? { message: args.message } : {}) }
      return write(`${JSON.stringify(classifyFailure({ platform, error }), null, 2)}\n`)
    }
  }
}

// A reader that closes early (`| head`) is not our failure.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0)
  throw error
})

try {
  await run(process.argv.slice(2))
} catch (error) {
  if (!(error instanceof UsageError)) throw error
  process.stderr.write(`classify: ${error.message}\n${USAGE}\n`)
  process.exitCode = 2
}
