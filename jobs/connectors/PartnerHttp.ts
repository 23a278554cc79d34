// The one way connectors talk to partners: global fetch with a per-call timeout, the body read as
// text then JSON, and every failure — error statuses, failures inside a 2xx body, network errors,
// timeouts — turned into a taxonomy error by core/classify. No retries here: the pipeline owns them.
import { Clock, Effect, Redacted } from "effect"
import { classifyFailure, classifyResponse, detectFailure } from "../../core/classify/Classifier.ts"
import type { PartnerResponse } from "../../core/classify/PartnerResponse.ts"
import { toTaxonomyError } from "../../core/taxonomy/Classification.ts"
import type { Platform } from "../../core/taxonomy/Taxonomy.ts"
import type { TaxonomyError } from "../../core/taxonomy/TaxonomyError.ts"

export const DEDUPE_HEADER = "x-postd-dedupe-key"

export type FormValue = string | Redacted.Redacted<string> | undefined

export type PartnerBody =
  | { readonly json: unknown }
  | { readonly form: Readonly<Record<string, FormValue>> }

export interface PartnerCall {
  readonly platform: Platform
  readonly method: "GET" | "POST" | "PUT"
  /** Base URL plus path, without a query string. */
  readonly url: string
  readonly query?: Readonly<Record<string, string | number | undefined>>
  /** Sent as `Authorization: Bearer`. */
  readonly token?: Redacted.Redacted<string>
  /** For the rare endpoint that only takes the token as a query parameter (Google tokeninfo). */
  readonly tokenQuery?: { readonly name: string; readonly token: Redacted.Redacted<string> }
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: PartnerBody
  /** Set on publish calls; real partners ignore it, the simulator counts posts by it. */
  readonly dedupeKey?: string | undefined
}

export interface PartnerReply {
  readonly status: number
  /** Lower-cased names. */
  readonly headers: Readonly<Record<string, string>>
  /** Parsed JSON; the raw text when it is not JSON; null when empty. */
  readonly body: unknown
}

export type Fetch = (input: string, init: RequestInit) => Promise<Response>

export interface PartnerHttp {
  readonly call: (call: PartnerCall) => Effect.Effect<PartnerReply, TaxonomyError>
}

/** Query string with the token (if any) added last, so it exists only in the URL handed to fetch. */
export const urlFor = (call: PartnerCall): string => {
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(call.query ?? {})) {
    if (value !== undefined) params.append(name, String(value))
  }
  if (call.tokenQuery !== undefined) params.append(call.tokenQuery.name, Redacted.value(call.tokenQuery.token))
  const query = params.toString()
  return query === "" ? call.url : `${call.url}?${query}`
}

export const encodeForm = (form: Readonly<Record<string, FormValue>>): string => {
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(form)) {
    if (value !== undefined) params.append(name, Redacted.isRedacted(value) ? Redacted.value(value) : value)
  }
  return params.toString()
}

const requestInit = (call: PartnerCall, signal: AbortSignal): RequestInit => {
  const headers: Record<string, string> = { accept: "application/json", ...call.headers }
  if (call.token !== undefined) headers["authorization"] = `Bearer ${Redacted.value(call.token)}`
  if (call.dedupeKey !== undefined) headers[DEDUPE_HEADER] = call.dedupeKey
  let body: string | undefined
  if (call.body !== undefined && "json" in call.body) {
    headers["content-type"] = "application/json"
    body = JSON.stringify(call.body.json)
  } else if (call.body !== undefined) {
    headers["content-type"] = "application/x-www-form-urlencoded"
    body = encodeForm(call.body.form)
  }
  // A redirect from an API endpoint is not something to follow with a bearer token attached; it
  // comes back as a 3xx, which the classifier reads as "not an error status" (UNKNOWN).
  return { method: call.method, headers, signal, redirect: "manual", ...(body === undefined ? {} : { body }) }
}

/** JSON when the text parses as JSON, the text itself otherwise, null when empty. */
export const parseBody = (text: string): unknown => {
  if (text.trim() === "") return null
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

interface RawReply {
  readonly status: number
  readonly headers: Record<string, string>
  readonly text: string
}

export const makePartnerHttp = (options: { readonly timeoutMs: number; readonly fetch?: Fetch | undefined }): PartnerHttp => {
  const fetchImpl: Fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init))

  const call = Effect.fn("PartnerHttp.call")(function* (call: PartnerCall) {
    yield* Effect.annotateCurrentSpan({ "partner.platform": call.platform, "http.method": call.method })
    const raw = yield* Effect.tryPromise({
      // The body is read inside the same timeout: a partner that stalls mid-body is a timeout too.
      try: async (interrupt): Promise<RawReply> => {
        const signal = AbortSignal.any([interrupt, AbortSignal.timeout(options.timeoutMs)])
        const response = await fetchImpl(urlFor(call), requestInit(call, signal))
        const text = await response.text()
        const headers: Record<string, string> = {}
        response.headers.forEach((value, name) => {
          headers[name.toLowerCase()] = value
        })
        return { status: response.status, headers, text }
      },
      catch: (error) => toTaxonomyError(classifyFailure({ platform: call.platform, error }))
    })
    const nowMs = yield* Clock.currentTimeMillis
    const reply: PartnerReply = { status: raw.status, headers: raw.headers, body: parseBody(raw.text) }
    const response: PartnerResponse = { platform: call.platform, ...reply, nowMs }
    const ok = raw.status >= 200 && raw.status <= 299
    const failure = ok ? detectFailure(response) : classifyResponse(response)
    yield* Effect.annotateCurrentSpan({
      "http.status": raw.status,
      ...(failure === undefined ? {} : { "partner.error_code": failure.code }),
      ...(failure?.requestId === undefined ? {} : { "partner.request_id": failure.requestId })
    })
    if (failure !== undefined) return yield* Effect.fail(toTaxonomyError(failure))
    return reply
  })

  return { call }
}
