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
