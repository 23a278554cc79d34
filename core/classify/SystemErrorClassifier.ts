// Failures with no partner response: Node system errors, undici (global fetch), axios and the
// DOMExceptions of AbortSignal. The error code decides (on the error or down its `cause` chain);
// `name` separates a timeout signal from our own cancellation; message patterns are a last resort.
import type { ErrorCode } from "../taxonomy/Taxonomy.ts"
import { arrayField, field, shortText } from "./Fields.ts"
import { type Verdict, verdict } from "./Verdict.ts"

const NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EHOSTDOWN",
  "ENETDOWN",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EAI_FAIL",
  "EAI_NODATA",
  "EAI_NONAME",
  "EADDRNOTAVAIL",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "ERR_NETWORK", // axios "Network Error"
  "ERR_SOCKET_CLOSED",
  "ERR_STREAM_PREMATURE_CLOSE",
  "ERR_HTTP2_STREAM_ERROR",
  "ERR_HTTP2_SESSION_ERROR",
  "ERR_HTTP2_GOAWAY_SESSION"
])

const TIMEOUT_CODES = new Set([
  "ETIMEDOUT",
  // axios uses ECONNABORTED for its own `timeout` option ("timeout of Nms exceeded").
  "ECONNABORTED",
  "ESOCKETTIMEDOUT",
  "ERR_SOCKET_CONNECTION_TIMEOUT",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT"
])

const TLS_CODES = new Set([
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_REVOKED",
  "CERT_UNTRUSTED",
  "CERT_SIGNATURE_FAILURE",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "ERR_TLS_HANDSHAKE_TIMEOUT",
  // OpenSSL reports handshake failures ("wrong version number", "handshake failure") as EPROTO.
  "EPROTO"
])

// Our own cancellation (AbortController.abort(), axios CancelToken) is not a partner failure.
const CANCEL_CODES = new Set(["ABORT_ERR", "ERR_CANCELED", "UND_ERR_ABORTED"])

const codeClass = (code: string): ErrorCode | "CANCELLED" | undefined => {
  if (NETWORK_CODES.has(code)) return "NETWORK_ERROR"
  if (TIMEOUT_CODES.has(code)) return "TIMEOUT"
  if (TLS_CODES.has(code) || code.startsWith("ERR_TLS_") || code.startsWith("ERR_SSL_")) return "TLS_ERROR"
  if (CANCEL_CODES.has(code)) return "CANCELLED"
  return undefined
}

// `fetch failed` wraps the real error in `cause`, sometimes an AggregateError (one per address
// tried) inside another cause; a few levels covers every library here without walking cycles.
const MAX_DEPTH = 5
const MAX_AGGREGATED = 10

/** The error, its causes and aggregated errors, breadth first, nearest first. */
const chainOf = (error: unknown): ReadonlyArray<unknown> => {
  const chain: Array<unknown> = []
  let level: ReadonlyArray<unknown> = [error]
  for (let depth = 0; depth < MAX_DEPTH && level.length > 0; depth++) {
    const next: Array<unknown> = []
    for (const e of level) {
      if (e === undefined || e === null || chain.includes(e)) continue
      chain.push(e)
      const cause = field(e, "cause")
      if (cause !== undefined) next.push(cause)
      for (const inner of (arrayField(e, "errors") ?? []).slice(0, MAX_AGGREGATED)) next.push(inner)
    }
    level = next
  }
  return chain
}

// `name` lives on the prototype of Error and DOMException, so unlike partner JSON it is read through
// the chain; a thrown string is its own message.
const stringProp = (e: unknown, key: "code" | "name" | "message"): string | undefined => {
  if (typeof e !== "object" || e === null) return key === "message" && typeof e === "string" ? e : undefined
  const value: unknown = key in e ? (e as Record<string, unknown>)[key] : undefined
  return typeof value === "string" ? value.slice(0, 2_000) : undefined
}

const CODE_IN_MESSAGE = /\b(E[A-Z_]{3,}|UND_ERR_[A-Z_]+|ERR_[A-Z0-9_]+|CERT_[A-Z_]+|UNABLE_TO_[A-Z_]+|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)\b/g

const MESSAGE_PATTERNS: ReadonlyArray<{ readonly pattern: RegExp; readonly code: ErrorCode; readonly why: string }> = [
  { pattern: /timeout of \d+ms exceeded|timed? ?out/i, code: "TIMEOUT", why: "message says it timed out" },
  { pattern: /\b(?:certificate|ssl|tls)\b|handshake/i, code: "TLS_ERROR", why: "message names a TLS/certificate failure" },
  { pattern: /socket hang up|other side closed|fetch failed|network error|getaddrinfo|connection (?:reset|refused|closed)/i, code: "NETWORK_ERROR", why: "message names a network failure" }
]

export const classifySystemError = (error: unknown): Verdict => {
  const chain = chainOf(error)

  for (const e of chain) {
    const code = stringProp(e, "code")
    const kind = code === undefined ? undefined : codeClass(code.trim().toUpperCase())
    if (code === undefined || kind === undefined) continue
    const partnerCode = shortText(code)
    if (kind !== "CANCELLED") return verdict(kind, `error code ${partnerCode}`, { partnerCode })
    if (!chain.some((c) => stringProp(c, "name") === "TimeoutError")) {
      return verdict("UNKNOWN", `error code ${partnerCode}: cancelled by us, not a partner failure`, { partnerCode })
    }
  }

  // AbortSignal.timeout() rejects with a DOMException named TimeoutError (fetch passes it through,
  // sometimes as the `cause` of an AbortError); a bare AbortError is our own cancellation.
  const names = chain.map((e) => stringProp(e, "name"))
  if (names.includes("TimeoutError")) return verdict("TIMEOUT", "TimeoutError from a timeout signal", { partnerCode: "TimeoutError" })
  if (names.includes("AbortError") || names.includes("CanceledError")) {
    return verdict("UNKNOWN", "AbortError without a timeout: cancelled by us, not a partner failure", { partnerCode: "AbortError" })
  }

  for (const e of chain) {
    const message = stringProp(e, "message")
    if (message === undefined) continue
    for (const match of message.matchAll(CODE_IN_MESSAGE)) {
      const code = match[1]
      const kind = code === undefined ? undefined : codeClass(code)
      if (code !== undefined && kind !== undefined && kind !== "CANCELLED") {
        return verdict(kind, `error message names ${code}`, { partnerCode: code })
      }
    }
  }
  for (const e of chain) {
    const message = stringProp(e, "message")
    if (message === undefined) continue
    const hit = MESSAGE_PATTERNS.find((p) => p.pattern.test(message))
    if (hit !== undefined) return verdict(hit.code, `${hit.why} (last-resort message match)`)
  }
  return verdict("UNKNOWN", "unrecognised thrown value: no network, timeout or TLS code")
}
