// One HTTP call to a (simulated) partner, answered as the classifier wants it: status, lower-cased
// headers and the body parsed when it is JSON. Tests and chaos scripts use it to feed
// `classifyResponse` exactly what a connector would have seen.
export interface PartnerReply {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  /** Parsed JSON, the raw text for anything else, or null for an empty body. */
  readonly body: unknown
  readonly text: string
}

export interface PartnerCall {
  readonly method?: string
  readonly headers?: Readonly<Record<string, string>>
  /** Sent as application/json. */
  readonly json?: unknown
  /** Sent as application/x-www-form-urlencoded. */
  readonly form?: Readonly<Record<string, string>>
  readonly signal?: AbortSignal
  /** Redirects are returned, not followed (OAuth tests read the Location header). */
  readonly followRedirects?: boolean
}

export const partnerFetch = async (url: string, call: PartnerCall = {}): Promise<PartnerReply> => {
  const headers: Record<string, string> = { ...call.headers }
  let body: string | undefined
  if (call.json !== undefined) {
    headers["content-type"] ??= "application/json"
    body = JSON.stringify(call.json)
  } else if (call.form !== undefined) {
    headers["content-type"] ??= "application/x-www-form-urlencoded"
    body = new URLSearchParams(call.form).toString()
  }
  const response = await fetch(url, {
    method: call.method ?? (body === undefined ? "GET" : "POST"),
    headers,
    redirect: call.followRedirects === true ? "follow" : "manual",
    ...(body === undefined ? {} : { body }),
    ...(call.signal === undefined ? {} : { signal: call.signal })
  })
  const text = await response.text()
  let parsed: unknown = text === "" ? null : text
  if (text !== "" && (response.headers.get("content-type") ?? "").includes("json")) {
    try {
      parsed = JSON.parse(text)
    } catch {
      parsed = text
    }
  }
  return { status: response.status, headers: Object.fromEntries(response.headers.entries()), body: parsed, text }
}
