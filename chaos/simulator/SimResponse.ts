// What a simulated partner answers: status, headers and a body, built by the platform modules and
// written to the socket by the server in one place.
export interface SimResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  /** Already serialised; empty for 204s, redirects and the like. */
  readonly body: string
}

export const JSON_TYPE = "application/json; charset=UTF-8"

export const jsonResponse = (status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): SimResponse => ({
  status,
  headers: { "content-type": JSON_TYPE, ...headers },
  body: JSON.stringify(body)
})

export const emptyResponse = (status: number, headers: Readonly<Record<string, string>> = {}): SimResponse => ({
  status,
  headers,
  body: ""
})

export const htmlResponse = (status: number, html: string): SimResponse => ({
  status,
  headers: { "content-type": "text/html; charset=UTF-8" },
  body: html
})

export const redirectResponse = (location: string): SimResponse => ({
  status: 302,
  headers: { location },
  body: ""
})

export const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/** Epoch ms as whole epoch seconds, the form of partners' iat, created_at, create_time and the like. */
export const seconds = (ms: number): number => Math.floor(ms / 1_000)

/**
 * Keeps the fields a comma-separated list of dotted paths names (Mailchimp's `fields`, Google's
 * `readMask`: `lists.id`, `metadata.placeId`); paths into an array apply to each element. No
 * fields: the whole value.
 */
export const onlyFields = (value: unknown, fields: string | null): unknown => {
  if (fields === null || fields.trim() === "") return value
  const paths = fields
    .split(",")
    .map((f) => f.trim().split("."))
    .filter((p) => p.every((segment) => segment !== ""))
  const pick = (node: unknown, wanted: ReadonlyArray<ReadonlyArray<string>>): unknown => {
    if (Array.isArray(node)) return node.map((item: unknown) => pick(item, wanted))
    if (typeof node !== "object" || node === null || wanted.some((p) => p.length === 0)) return node
    const out: Record<string, unknown> = {}
    for (const [key, child] of Object.entries(node)) {
      const below = wanted.filter((p) => p[0] === key).map((p) => p.slice(1))
      if (below.length > 0) out[key] = pick(child, below)
    }
    return out
  }
  return pick(value, paths)
}
