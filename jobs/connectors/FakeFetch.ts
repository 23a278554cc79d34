// A scripted stand-in for fetch in connector unit tests: answers by method and path from a list of
// routes (a route may answer differently on each call) and records every request, so tests assert
// on what was sent without any network.
import { Effect, Fiber, Redacted } from "effect"
import { TestClock } from "effect/testing"
import type { Credentials } from "../../core/publish/Connector.ts"
import type { Platform } from "../../core/taxonomy/Taxonomy.ts"
import type { Fetch } from "./PartnerHttp.ts"

export interface RecordedRequest {
  readonly method: string
  readonly url: URL
  readonly headers: Readonly<Record<string, string>>
  readonly body: string | undefined
}

export interface FakeReply {
  readonly status?: number
  readonly headers?: Readonly<Record<string, string>>
  /** Serialised as JSON unless already a string; omitted for an empty body. */
  readonly body?: unknown
}

export interface Route {
  readonly method: string
  /** Matched against the URL's pathname. */
  readonly path: string | RegExp
  /** One reply for every call, or a list answered in turn (the last one repeats). */
  readonly reply: FakeReply | ReadonlyArray<FakeReply> | ((request: RecordedRequest) => FakeReply)
}

export interface FakeFetch {
  readonly fetch: Fetch
  readonly requests: Array<RecordedRequest>
  readonly callsTo: (method: string, path: string | RegExp) => ReadonlyArray<RecordedRequest>
}

const matches = (path: string | RegExp, pathname: string): boolean =>
  typeof path === "string" ? pathname === path : path.test(pathname)

const headersOf = (init: RequestInit): Record<string, string> => {
  const out: Record<string, string> = {}
  new Headers(init.headers).forEach((value, name) => {
    out[name] = value
  })
  return out
}

export const fakeFetch = (routes: ReadonlyArray<Route>): FakeFetch => {
  const requests: Array<RecordedRequest> = []
  const served = new Map<Route, number>()
  const fetch: Fetch = async (input, init) => {
    const request: RecordedRequest = {
      method: init.method ?? "GET",
      url: new URL(input),
      headers: headersOf(init),
      body: typeof init.body === "string" ? init.body : undefined
    }
    requests.push(request)
    const route = routes.find((r) => r.method === request.method && matches(r.path, request.url.pathname))
    if (route === undefined) return new Response(JSON.stringify({ error: "no route" }), { status: 404 })
    const count = served.get(route) ?? 0
    served.set(route, count + 1)
    const reply =
      typeof route.reply === "function"
        ? route.reply(request)
        : Array.isArray(route.reply)
          ? (route.reply[Math.min(count, route.reply.length - 1)] ?? {})
          : (route.reply as FakeReply)
    const body = reply.body === undefined ? null : typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body)
    return new Response(body, { status: reply.status ?? 200, headers: reply.headers ?? {} })
  }
  return {
    fetch,
    requests,
    callsTo: (method, path) => requests.filter((r) => r.method === method && matches(path, r.url.pathname))
  }
}

/**
 * Runs an effect that sleeps between partner calls under TestClock: forks it, then moves the clock
 * one step at a time (letting the fake fetch's promises settle in between) until it completes.
 */
export const driveClock = <A, E>(effect: Effect.Effect<A, E>, stepMs: number, maxSteps = 100): Effect.Effect<A, E> =>
  Effect.gen(function* () {
    const fiber = yield* Effect.forkChild(effect)
    for (let step = 0; step < maxSteps && fiber.pollUnsafe() === undefined; step++) {
      yield* Effect.yieldNow
      yield* TestClock.adjust(stepMs)
    }
    return yield* Fiber.join(fiber)
  })

export const credentialsFor = (platform: Platform, partnerAccountId: string, token = "access-token-1"): Credentials => ({
  connectionId: `conn-${platform}`,
  platform,
  partnerAccountId,
  partnerUserId: null,
  accessToken: Redacted.make(token),
  scopes: []
})

/** The form fields or JSON object a recorded request carried. */
export const formOf = (request: RecordedRequest | undefined): Record<string, string> =>
  Object.fromEntries(new URLSearchParams(request?.body ?? ""))

export const jsonOf = (request: RecordedRequest | undefined): unknown => JSON.parse(request?.body ?? "null")
