// Google's signing keys for push tokens, fetched from the JWKS URL and kept for as long as Google's
// cache-control says (an hour if it says nothing). A token with a key id we do not know refreshes
// the keys, at most once a minute, so a key rotation is picked up and a flood of forged kids is not
// a flood of fetches.
import type { JsonWebKey } from "node:crypto"
import { Schema } from "effect"

const Jwks = Schema.Struct({
  keys: Schema.Array(Schema.Struct({ kid: Schema.String, kty: Schema.String, n: Schema.optionalKey(Schema.String), e: Schema.optionalKey(Schema.String) }))
})

const decodeJwks = Schema.decodeUnknownSync(Jwks)

export interface JwksCache {
  /** The keys by id; refreshed first when stale or when `kid` is unknown (rate-limited). */
  readonly keys: (kid: string | undefined) => Promise<ReadonlyMap<string, JsonWebKey>>
}

export const makeJwksCache = (url: string, options: { readonly timeoutMs?: number; readonly now?: () => number } = {}): JwksCache => {
  const now = options.now ?? Date.now
  let keys: ReadonlyMap<string, JsonWebKey> = new Map()
  let expiresAt = 0
  let lastFetch = Number.NEGATIVE_INFINITY
  let inFlight: Promise<void> | undefined

  const fetchKeys = async (): Promise<void> => {
    lastFetch = now()
    const res = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 5_000), headers: { accept: "application/json" } })
    if (!res.ok) throw new Error(`JWKS ${url} answered ${res.status}`)
    const body = decodeJwks(await res.json())
    keys = new Map(body.keys.map((k) => [k.kid, { kty: k.kty, ...(k.n === undefined ? {} : { n: k.n }), ...(k.e === undefined ? {} : { e: k.e }) }]))
    const maxAge = /max-age=(\d+)/.exec(res.headers.get("cache-control") ?? "")?.[1]
    expiresAt = now() + (maxAge === undefined ? 3_600 : Number(maxAge)) * 1_000
  }

  const refresh = (): Promise<void> => {
    inFlight ??= fetchKeys().finally(() => {
      inFlight = undefined
    })
    return inFlight
  }

  return {
    keys: async (kid) => {
      const unknown = kid !== undefined && !keys.has(kid) && now() - lastFetch > 60_000
      if (now() >= expiresAt || unknown) await refresh()
      return keys
    }
  }
}
