// Throughput and latency of the classifiers on a realistic mixed workload: the shared corpus plus
// documented shapes of every platform, each as a parsed body and as the raw JSON string a client
// hands over, with usage and retry headers, plus network errors as real Error objects.
// Prints human-readable lines, then one JSON line with the figures (always the last line).
import { readFileSync } from "node:fs"
import path from "node:path"
import { classifyFailure, classifyResponse } from "../../core/classify/Classifier.ts"
import type { PartnerFailure, PartnerResponse } from "../../core/classify/PartnerResponse.ts"
import type { Classification } from "../../core/taxonomy/Classification.ts"
import type { Platform } from "../../core/taxonomy/Taxonomy.ts"

const WARMUP_MS = 1_000
const MEASURE_MS = 3_000

type Input = { readonly kind: "response"; readonly response: PartnerResponse } | { readonly kind: "failure"; readonly failure: PartnerFailure }

const NOW = Date.parse("2026-03-10T18:30:00.000Z")

const response = (platform: Platform, status: number, body: unknown, headers: Record<string, string> = {}): ReadonlyArray<Input> => [
  { kind: "response", response: { platform, status, headers, body, nowMs: NOW } },
  { kind: "response", response: { platform, status, headers, body: body === null || typeof body === "string" ? body : JSON.stringify(body), nowMs: NOW } }
]

const graph = (code: number, subcode?: number, message = "An error occurred") => ({
  error: { message, type: "OAuthException", code, ...(subcode === undefined ? {} : { error_subcode: subcode }), fbtrace_id: "AbCdEf123" }
})
const li = (status: number, serviceErrorCode: number, message: string) => ({ status, serviceErrorCode, message })
const tt = (code: string) => ({ data: {}, error: { code, message: "m", log_id: "2025010101ABCDEF" } })
const ttStatus = (status: string, failReason?: string) => ({
  data: { status, ...(failReason === undefined ? {} : { fail_reason: failReason }) },
  error: { code: "ok", message: "", log_id: "2025010101ABCDEF" }
})
const rpc = (code: number, status: string, details: ReadonlyArray<unknown> = []) => ({
  error: { code, message: "message", status, errors: [{ message: "message", domain: "global", reason: "x" }], details }
})
const info = (reason: string, quotaLimitValue = "300") => ({
  "@type": "type.googleapis.com/google.rpc.ErrorInfo",
  reason,
  domain: "googleapis.com",
  metadata: { service: "mybusinessbusinessinformation.googleapis.com", quota_limit_value: quotaLimitValue }
})
const mc = (status: number, title: string, detail = "detail") => ({
  type: "https://mailchimp.com/developer/marketing/docs/errors/",
  title,
  status,
  detail,
  instance: "0c3a1b2c-3d4e-5f60-7182-93a4b5c6d7e8"
})

const usage = { "x-app-usage": '{"call_count":100,"total_time":25,"total_cputime":25}' }
const buc = { "x-business-use-case-usage": '{"1234":[{"type":"pages","call_count":100,"total_cputime":30,"total_time":40,"estimated_time_to_regain_access":7}]}' }

const SHAPES: ReadonlyArray<Input> = [
  ...response("meta", 400, graph(190, 463)),
  ...response("meta", 400, graph(190, 460)),
  ...response("meta", 400, graph(190, 458)),
  ...response("meta", 400, graph(190)),
  ...response("meta", 403, graph(4), usage),
  ...response("meta", 400, graph(80001), buc),
  ...response("meta", 400, graph(100, 33)),
  ...response("meta", 400, graph(100, undefined, "(#100) Missing permissions")),
  ...response("meta", 400, graph(368, undefined, "You've already posted this.")),
  ...response("meta", 403, graph(4, 2207051)),
  ...response("meta", 400, graph(9, 2207042)),
  ...response("meta", 500, graph(2)),
  ...response("meta", 200, { id: "123_456" }),
  ...response("linkedin", 401, li(401, 65602, "The token used in the request has expired")),
  ...response("linkedin", 401, li(401, 65608, "Member is restricted")),
  ...response("linkedin", 429, li(429, 101, "Resource level throttle APPLICATION DAY limit for calls to this resource is reached.")),
  ...response("linkedin", 422, {
    message: "Content is a duplicate of urn:li:share:7000000000000000000",
    errorDetails: { inputErrors: [{ code: "DUPLICATE_POST" }] },
    status: 422
  }),
  ...response("linkedin", 404, { status: 404, message: "Resource adAccounts does not exist" }),
  ...response("linkedin", 400, { error: "invalid_request", error_description: "The provided authorization grant or refresh token is invalid" }),
  ...response("linkedin", 201, null, { "x-restli-id": "urn:li:share:1" }),
  ...response("tiktok", 429, tt("rate_limit_exceeded")),
  ...response("tiktok", 403, tt("spam_risk_user_banned_from_posting")),
  ...response("tiktok", 200, tt("spam_risk_too_many_posts")),
  ...response("tiktok", 200, ttStatus("FAILED", "video_pull_failed")),
  ...response("tiktok", 200, ttStatus("PROCESSING_UPLOAD")),
  ...response("tiktok", 400, { error: "invalid_grant", error_description: "Refresh token is invalid", log_id: "L1" }),
  ...response("gbp", 429, rpc(429, "RESOURCE_EXHAUSTED", [info("RATE_LIMIT_EXCEEDED", "0")])),
  ...response("gbp", 401, rpc(401, "UNAUTHENTICATED", [info("ACCESS_TOKEN_EXPIRED")])),
  ...response("gbp", 400, rpc(400, "INVALID_ARGUMENT", [{ "@type": "type.googleapis.com/google.mybusiness.v4.ValidationError", errorDetails: [{ code: 1000, field: "media" }] }])),
  ...response("gbp", 404, rpc(404, "NOT_FOUND")),
  ...response("gbp", 404, "<!DOCTYPE html><html lang=en><title>Error 404 (Not Found)!!1</title></html>"),
  ...response("gbp", 200, { name: "accounts/1/locations/2/localPosts/3", state: "REJECTED" }),
  ...response("gbp", 503, rpc(503, "UNAVAILABLE"), { "retry-after": "20" }),
  ...response("mailchimp", 401, mc(401, "API Key Invalid")),
  ...response("mailchimp", 400, mc(400, "Invalid Resource", "jane@example.com has signed up to a lot of lists very recently")),
  ...response("mailchimp", 400, mc(400, "Member Exists")),
  ...response("mailchimp", 429, mc(429, "Too Many Requests")),
  ...response("mailchimp", 500, mc(500, "Internal Server Error"))
]

const withCode = (code: string, message: string): Error => Object.assign(new Error(message), { code })

const NETWORK: ReadonlyArray<Input> = [
  { kind: "failure", failure: { platform: "meta", error: withCode("ECONNRESET", "socket hang up") } },
  { kind: "failure", failure: { platform: "linkedin", error: new TypeError("fetch failed", { cause: withCode("UND_ERR_CONNECT_TIMEOUT", "Connect Timeout Error") }) } },
  { kind: "failure", failure: { platform: "gbp", error: new DOMException("The operation was aborted due to timeout", "TimeoutError") } },
  { kind: "failure", failure: { platform: "tiktok", error: new Error("socket hang up") } }
]

interface CorpusLine {
  readonly platform: Platform
  readonly status: number | null
  readonly headers: Record<string, string>
  readonly body: unknown
  readonly error?: { readonly code: string; readonly message: string }
}

const corpus: ReadonlyArray<Input> = readFileSync(path.resolve(import.meta.dirname, "../fixtures/partner-errors.sample.jsonl"), "utf8")
  .split("\n")
  .filter((line) => line.trim() !== "")
  .flatMap((line): ReadonlyArray<Input> => {
    const c = JSON.parse(line) as CorpusLine
    if (c.error !== undefined) return [{ kind: "failure", failure: { platform: c.platform, error: withCode(c.error.code, c.error.message) } }]
    return response(c.platform, c.status ?? 0, c.body, c.headers)
  })

const workload: ReadonlyArray<Input> = [...corpus, ...SHAPES, ...NETWORK]

const run = (input: Input): Classification =>
  input.kind === "response" ? classifyResponse(input.response) : classifyFailure(input.failure)

let checksum = 0

const loopFor = (ms: number, record: (ns: number) => void): { readonly samples: number; readonly elapsedNs: number } => {
  const start = process.hrtime.bigint()
  const deadline = start + BigInt(ms) * 1_000_000n
  let samples = 0
  let i = 0
  for (;;) {
    const input = workload[i] ?? workload[0]
    if (input === undefined) throw new Error("empty workload")
    const t0 = process.hrtime.bigint()
    const result = run(input)
    const t1 = process.hrtime.bigint()
    checksum += result.code.length
    record(Number(t1 - t0))
    samples++
    i = i + 1 === workload.length ? 0 : i + 1
    if (t1 >= deadline) return { samples, elapsedNs: Number(t1 - start) }
  }
}

let durations = new Float64Array(1 << 20)
let count = 0
const record = (ns: number): void => {
  if (count === durations.length) {
    const grown = new Float64Array(durations.length * 2)
    grown.set(durations)
    durations = grown
  }
  durations[count++] = ns
}

const percentileUs = (sorted: Float64Array, p: number): number => {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return (sorted[index] ?? 0) / 1_000
}

const responses = workload.filter((w) => w.kind === "response").length
console.log(`workload: ${workload.length} inputs (${responses} responses, half as raw JSON strings; ${workload.length - responses} network errors)`)
console.log(`warming up for ${WARMUP_MS} ms ...`)
loopFor(WARMUP_MS, () => {})
console.log(`measuring for ${MEASURE_MS} ms ...`)
const { samples, elapsedNs } = loopFor(MEASURE_MS, record)
const sorted = durations.subarray(0, count).sort()
const durationMs = elapsedNs / 1e6
const result = {
  bench: "classify",
  classificationsPerSec: Math.round(samples / (elapsedNs / 1e9)),
  samples,
  durationMs: Math.round(durationMs),
  p50Us: Number(percentileUs(sorted, 50).toFixed(2)),
  p99Us: Number(percentileUs(sorted, 99).toFixed(2)),
  heapUsedMb: Number((process.memoryUsage().heapUsed / 1024 / 1024).toFixed(1))
}
console.log(`classifications: ${samples} in ${result.durationMs} ms = ${result.classificationsPerSec.toLocaleString("en")} per second (each call timed)`)
console.log(`latency per classification: p50 ${result.p50Us} µs, p99 ${result.p99Us} µs; heap used ${result.heapUsedMb} MB (checksum ${checksum})`)
console.log(JSON.stringify(result))
