// A partner call as the simulator sees it: the partner host taken from the first path segment (the
// shared URL contract), the partner's own path, and the body read once and parsed as JSON or form.
import type { IncomingHttpHeaders } from "node:http"

export type BodyKind = "none" | "json" | "form" | "invalid"

export interface SimRequest {
  readonly method: string
  /** The real partner host this call is addressed to, e.g. "graph.facebook.com". */
  readonly host: string
  /** The partner's own path, e.g. "/v21.0/1000001/feed". */
  readonly path: string
  readonly query: URLSearchParams
  readonly headers: IncomingHttpHeaders
  readonly rawBody: string
  readonly bodyKind: BodyKind
  /** A JSON object body, or the form fields; empty for anything else. */
  readonly body: Readonly<Record<string, unknown>>
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

export const parseBody = (
  contentType: string | undefined,
  raw: string
): { readonly bodyKind: BodyKind; readonly body: Readonly<Record<string, unknown>> } => {
  if (raw.trim() === "") return { bodyKind: "none", body: {} }
  const type = (contentType ?? "").toLowerCase()
  if (type.includes("application/x-www-form-urlencoded")) {
    return { bodyKind: "form", body: Object.fromEntries(new URLSearchParams(raw)) }
  }
  // Partners accept JSON without a content type more often than not; so does the simulator.
  try {
    const parsed: unknown = JSON.parse(raw)
    return isObject(parsed) ? { bodyKind: "json", body: parsed } : { bodyKind: "invalid", body: {} }
  } catch {
    return { bodyKind: "invalid", body: {} }
  }
}

export const headerOf = (req: SimRequest, name: string): string | undefined => {
  const value = req.headers[name.toLowerCase()]
  return Array.isArray(value) ? value[0] : value
}

/** A string field from the body (form or JSON), else the query string. */
export const paramOf = (req: SimRequest, name: string): string | undefined => {
  const fromBody = req.body[name]
  if (typeof fromBody === "string") return fromBody
  if (typeof fromBody === "number") return String(fromBody)
  return req.query.get(name) ?? undefined
}

/** The token from `Authorization: Bearer|OAuth <token>`; Mailchimp's Basic `anystring:<token>` too. */
export const authorizationToken = (req: SimRequest): string | undefined => {
  const value = headerOf(req, "authorization")?.trim()
  if (value === undefined) return undefined
  const match = /^(bearer|oauth|basic)\s+(.+)$/i.exec(value)
  const scheme = match?.[1]?.toLowerCase()
  const credential = match?.[2]?.trim()
  if (scheme === undefined || credential === undefined || credential === "") return undefined
  if (scheme !== "basic") return credential
  const decoded = Buffer.from(credential, "base64").toString("utf8")
  const colon = decoded.indexOf(":")
  return colon < 0 ? undefined : decoded.slice(colon + 1)
}

/**
 * A positive integer query parameter (count, limit, offset…), capped at `max`; `fallback` when it is
 * absent or anything else. An offset's fallback of 0 makes 0 and negatives both read as 0.
 */
export const intParam = (req: SimRequest, name: string, fallback: number, max = Number.POSITIVE_INFINITY): number => {
  const n = Number(req.query.get(name) ?? fallback)
  return Number.isInteger(n) && n > 0 ? Math.min(n, max) : fallback
}

export const DEDUPE_HEADER = "x-postd-dedupe-key"

export const dedupeKeyOf = (req: SimRequest): string | undefined => {
  const key = headerOf(req, DEDUPE_HEADER)?.trim()
  return key === undefined || key === "" ? undefined : key
}

export const stringAt = (value: unknown, ...path: ReadonlyArray<string>): string | undefined => {
  let current: unknown = value
  for (const key of path) current = isObject(current) && Object.hasOwn(current, key) ? current[key] : undefined
  return typeof current === "string" ? current : undefined
}

export const valueAt = (value: unknown, ...path: ReadonlyArray<string>): unknown => {
  let current: unknown = value
  for (const key of path) current = isObject(current) && Object.hasOwn(current, key) ? current[key] : undefined
  return current
}
