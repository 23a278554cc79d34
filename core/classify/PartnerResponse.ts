// What the classifiers read: a partner's HTTP response, or a failure that produced none, plus the
// normalised view every platform classifier works on (lower-cased headers, the body parsed as JSON
// when it is JSON). Everything here comes off the wire and is read without trusting its shape.
import { PLATFORMS, type Platform } from "../taxonomy/Taxonomy.ts"
import { isRecord, parseJson } from "./Fields.ts"

export type HeaderValue = string | ReadonlyArray<string> | undefined
export type Headers = Readonly<Record<string, HeaderValue>>

export interface PartnerResponse {
  readonly platform: Platform
  readonly status: number
  readonly headers: Headers
  /** Parsed JSON, a raw string (JSON, text or HTML), or null. */
  readonly body: unknown
  /** Epoch ms used to turn reset timestamps into waits; 0 (the default) means unknown, and then only relative hints count. */
  readonly nowMs?: number
}

/** A call that failed before any response arrived (network, TLS, timeout, cancellation). */
export interface PartnerFailure {
  readonly platform?: Platform
  readonly error: unknown
}

export interface ResponseView {
  /** Undefined when the caller passed something that is not one of our platforms. */
  readonly platform: Platform | undefined
  /** As given; may be NaN, negative or absurd, and the classifiers must cope. */
  readonly status: number
  readonly headers: ReadonlyMap<string, string>
  /** The body, parsed when it was a JSON string. */
  readonly body: unknown
  /** The raw text when the body was a string that is not JSON (HTML error pages, plain text). */
  readonly text: string | undefined
  readonly nowMs: number
}

const isPlatform = (value: unknown): value is Platform =>
  typeof value === "string" && (PLATFORMS as ReadonlyArray<string>).includes(value)

// A repeated header (or an array value) keeps its first string: for Retry-After and request ids the
// first occurrence is the one HTTP clients honour.
const headerMap = (headers: unknown): ReadonlyMap<string, string> => {
  const map = new Map<string, string>()
  if (!isRecord(headers)) return map
  for (const name of Object.keys(headers)) {
    const value = headers[name]
    const first = typeof value === "string" ? value : Array.isArray(value) ? value.find((v) => typeof v === "string") : undefined
    const key = name.toLowerCase()
    if (typeof first === "string" && !map.has(key)) map.set(key, first)
  }
  return map
}

const readBody = (body: unknown): { readonly body: unknown; readonly text: string | undefined } => {
  if (typeof body !== "string") return { body, text: undefined }
  const trimmed = body.trim()
  if (trimmed === "") return { body: null, text: undefined }
  if (trimmed.startsWith("{") || trimmed.startsWith("[") || trimmed.startsWith("\"")) {
    const parsed = parseJson(trimmed)
    if (parsed !== undefined) return { body: parsed.value, text: undefined }
  }
  return { body: null, text: body }
}

export const viewOf = (response: PartnerResponse): ResponseView => {
  const raw: unknown = response
  const platform = isRecord(raw) ? raw["platform"] : undefined
  const status = isRecord(raw) ? raw["status"] : undefined
  const nowMs = isRecord(raw) ? raw["nowMs"] : undefined
  const { body, text } = readBody(isRecord(raw) ? raw["body"] : undefined)
  return {
    platform: isPlatform(platform) ? platform : undefined,
    status: typeof status === "number" ? status : Number.NaN,
    headers: headerMap(isRecord(raw) ? raw["headers"] : undefined),
    body,
    text,
    nowMs: typeof nowMs === "number" && Number.isFinite(nowMs) && nowMs > 0 ? nowMs : 0
  }
}

export const header = (view: ResponseView, name: string): string | undefined => view.headers.get(name)

export const isSuccessStatus = (status: number): boolean => Number.isInteger(status) && status >= 200 && status <= 299

/** A status that is a real HTTP status code, as opposed to NaN, negatives or garbage. */
export const isHttpStatus = (status: number): boolean => Number.isInteger(status) && status >= 100 && status <= 599

const HTML = /^\s*<(?:!doctype|html|head|body|\?xml|title)\b/i

export const isHtml = (view: ResponseView): boolean => view.text !== undefined && HTML.test(view.text)
