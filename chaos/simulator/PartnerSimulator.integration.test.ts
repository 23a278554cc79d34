import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { classifyFailure } from "../../core/classify/Classifier.ts"
import { type RunningSimulator, startPartnerSimulator } from "./PartnerSimulator.ts"
import { type PartnerReply, partnerFetch } from "./partnerFetch.ts"

// A clock the tests move by hand, for fault durations.
let now = Date.UTC(2026, 10, 23, 12, 0, 0)
let sim: RunningSimulator
beforeAll(async () => {
  sim = await startPartnerSimulator({ clock: () => now, callLogCapacity: 1_000 })
})
afterAll(() => sim.close())
beforeEach(() => sim.control.reset())

const ORG = "urn:li:organization:2000001"
const linkedin = (path: string): string => `${sim.baseUrl("api.linkedin.com")}${path}`

const mint = async (): Promise<string> => (await sim.control.mintToken({ platform: "linkedin", accountIds: [ORG] })).accessToken

const userinfo = (token: string, init: { readonly signal?: AbortSignal } = {}): Promise<PartnerReply> =>
  partnerFetch(linkedin("/v2/userinfo"), { headers: { authorization: `Bearer ${token}` }, ...init })

const publish = (token: string, key: string, init: { readonly signal?: AbortSignal; readonly author?: string } = {}): Promise<PartnerReply> =>
  partnerFetch(linkedin("/rest/posts"), {
    json: { author: init.author ?? ORG, commentary: `post ${key}`, visibility: "PUBLIC", lifecycleState: "PUBLISHED" },
    headers: { authorization: `Bearer ${token}`, "linkedin-version": "202411", "x-postd-dedupe-key": key },
    ...(init.signal === undefined ? {} : { signal: init.signal })
  })

/** What a connector would see when the call never produced a response. */
const failureOf = async (call: Promise<unknown>): Promise<unknown> => {
  try {
    await call
  } catch (error) {
    return error
  }
  throw new Error("expected the call to fail")
}

const until = async (condition: () => boolean | Promise<boolean>, timeoutMs = 2_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met in time")
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe("fault scoping and lifetime", () => {
  it("fraction hits about that share of matching calls, the same calls again for the same seed", async () => {
    const token = await mint()
    const run = async (): Promise<ReadonlyArray<number>> => {
      await sim.control.clearFaults()
      const fault = await sim.control.addFault({ kind: "http_5xx", platform: "linkedin", fraction: 0.5, seed: 99 })
      const statuses: Array<number> = []
      for (let i = 0; i < 60; i++) statuses.push((await userinfo(token)).status)
      const [view] = await sim.control.faults()
      expect(view?.id).toBe(fault.id)
      expect(view?.hits).toBe(statuses.filter((s) => s === 500).length)
      return statuses
    }
    const first = await run()
    const failed = first.filter((s) => s === 500).length
    expect(failed).toBeGreaterThan(15)
    expect(failed).toBeLessThan(45)
    expect(first.every((s) => s === 500 || s === 200)).toBe(true)
    expect(await run()).toEqual(first)
  })

  it("count hits exactly the next N matching calls, then the fault is gone", async () => {
    const token = await mint()
    await sim.control.addFault({ kind: "rate_limit", path: "/v2/userinfo", count: 2 })
    const statuses = [await userinfo(token), await userinfo(token), await userinfo(token)].map((r) => r.status)
    expect(statuses).toEqual([429, 429, 200])
    expect(await sim.control.faults()).toEqual([])
  })

  it("durationMs and until end faults on the simulator clock", async () => {
    const token = await mint()
    await sim.control.addFault({ kind: "http_5xx", platform: "linkedin", durationMs: 60_000 })
    await sim.control.addFault({ kind: "http_5xx", platform: "linkedin", status: 503, until: now + 120_000 })
    expect((await userinfo(token)).status).toBe(500)
    now += 60_000
    expect((await userinfo(token)).status).toBe(503)
    now += 60_000
    expect((await userinfo(token)).status).toBe(200)
  })

  it("scopes by account, token and method: calls outside the scope are untouched", async () => {
    const token = await mint()
    const other = await mint()
    const person = "urn:li:person:sim-member-1"
    const both = (await sim.control.mintToken({ platform: "linkedin", accountIds: [ORG, person] })).accessToken
    await sim.control.addFault({ kind: "http_5xx", accountId: ORG })
    expect((await publish(both, "a")).status).toBe(500)
    expect((await publish(both, "b", { author: person })).status).toBe(201)
    await sim.control.clearFaults()
    await sim.control.addFault({ kind: "http_5xx", token, method: "GET" })
    expect((await userinfo(token)).status).toBe(500)
    expect((await userinfo(other)).status).toBe(200)
    expect((await publish(token, "c")).status).toBe(201)
  })

  it("latency delays the answer without changing it", async () => {
    const token = await mint()
    await sim.control.addFault({ kind: "latency", latencyMs: 150, count: 1 })
    const started = performance.now()
    const reply = await userinfo(token)
    expect(reply.status).toBe(200)
    expect(performance.now() - started).toBeGreaterThanOrEqual(140)
  })
})

describe("calls that never get an answer", () => {
  it("timeout: the request hangs until the client gives up, which the classifier reads as TIMEOUT", async () => {
    const token = await mint()
    await sim.control.addFault({ kind: "timeout", platform: "linkedin", count: 1 })
    const error = await failureOf(userinfo(token, { signal: AbortSignal.timeout(150) }))
    expect(classifyFailure({ platform: "linkedin", error }).code).toBe("TIMEOUT")
    await until(() => sim.hangingRequests() === 0)
    expect(await sim.control.calls({ outcome: "timeout" })).toEqual([expect.objectContaining({ path: "/v2/userinfo", status: null, fault: "timeout" })])
  })

  it("reset: the socket is destroyed, which the classifier reads as NETWORK_ERROR", async () => {
    const token = await mint()
    await sim.control.addFault({ kind: "reset", platform: "linkedin", count: 1 })
    const error = await failureOf(userinfo(token))
    expect(classifyFailure({ platform: "linkedin", error }).code).toBe("NETWORK_ERROR")
    expect((await userinfo(token)).status).toBe(200)
  })

  it("accept_then_timeout stores the post exactly once although the client never hears back", async () => {
    const token = await mint()
    await sim.control.addFault({ kind: "accept_then_timeout", path: "/rest/posts", method: "POST", count: 1 })
    const error = await failureOf(publish(token, "unheard-1", { signal: AbortSignal.timeout(150) }))
    expect(classifyFailure({ platform: "linkedin", error }).code).toBe("TIMEOUT")
    expect(await sim.control.postCounts()).toEqual({ "unheard-1": 1 })
    expect(await sim.control.calls({ dedupeKey: "unheard-1" })).toEqual([expect.objectContaining({ status: 201, outcome: "timeout", fault: "accept_then_timeout" })])
    // What reconciliation would find before any retry.
    const list = await partnerFetch(linkedin(`/rest/posts?author=${encodeURIComponent(ORG)}&q=author&count=5`), {
      headers: { authorization: `Bearer ${token}`, "linkedin-version": "202411" }
    })
    expect((list.body as { elements: ReadonlyArray<{ commentary: string }> }).elements.map((e) => e.commentary)).toEqual(["post unheard-1"])
  })

  it("accept_then_reset stores the post, then resets the connection (NETWORK_ERROR)", async () => {
    const token = await mint()
    await sim.control.addFault({ kind: "accept_then_reset", platform: "linkedin", count: 1 })
    const error = await failureOf(publish(token, "unheard-2"))
    expect(classifyFailure({ platform: "linkedin", error }).code).toBe("NETWORK_ERROR")
    expect(await sim.control.postCounts()).toEqual({ "unheard-2": 1 })
  })

  it("close() ends requests still hanging or delayed, so nothing leaks", async () => {
    const own = await startPartnerSimulator()
    const token = (await own.control.mintToken({ platform: "tiktok", accountIds: ["sim-open-id-1"] })).accessToken
    await own.control.addFault({ kind: "timeout", path: "/v2/user/info/" })
    await own.control.addFault({ kind: "latency", latencyMs: 60_000, path: "/creator_info/" })
    const call = (method: string, path: string) =>
      failureOf(partnerFetch(`${own.baseUrl("open.tiktokapis.com")}${path}`, { method, headers: { authorization: `Bearer ${token}` } }))
    const hanging = call("GET", "/v2/user/info/")
    const delayed = call("POST", "/v2/post/publish/creator_info/query/")
    await until(() => own.hangingRequests() === 1 && own.openRequests() === 2)
    const started = performance.now()
    await own.close()
    expect(performance.now() - started).toBeLessThan(1_000)
    for (const error of [await hanging, await delayed]) expect(classifyFailure({ platform: "tiktok", error }).code).toBe("NETWORK_ERROR")
    expect(own.hangingRequests()).toBe(0)
    await until(() => own.openRequests() === 0)
  })
})

describe("the call log", () => {
  it("records platform, method, path template, status and dedupe key, filterable, so a test can prove there was no retry", async () => {
    const token = await mint()
    const before = (await sim.control.calls()).at(-1)?.seq ?? 0
    await publish(token, "once")
    await userinfo(token)
    const posts = await sim.control.calls({ platform: "linkedin", method: "POST", path: "/rest/posts", sinceSeq: before })
    expect(posts).toEqual([
      expect.objectContaining({ platform: "linkedin", host: "api.linkedin.com", method: "POST", path: "/rest/posts", status: 201, dedupeKey: "once", accountId: ORG, at: now })
    ])
    expect(await sim.control.calls({ status: 200, sinceSeq: before })).toHaveLength(1)
    expect(await sim.control.calls({ pathContains: "api.linkedin.com/v2", sinceSeq: before })).toHaveLength(1)
    await sim.control.clearCalls()
    expect(await sim.control.calls()).toEqual([])
  })

  it("keeps only the newest callLogCapacity calls", async () => {
    const small = await startPartnerSimulator({ callLogCapacity: 5 })
    try {
      const token = (await small.control.mintToken({ platform: "mailchimp", accountIds: ["us1:a1b2c3d4e5"] })).accessToken
      for (let i = 0; i < 8; i++) await partnerFetch(`${small.baseUrl("us1.api.mailchimp.com")}/3.0/ping`, { headers: { authorization: `Bearer ${token}` } })
      const calls = await small.control.calls()
      expect(calls.map((c) => c.seq)).toEqual([4, 5, 6, 7, 8])
    } finally {
      await small.close()
    }
  })
})

describe("load", () => {
  it("takes 300 concurrent publishes, each accepted and counted exactly once", async () => {
    const token = await mint()
    const keys = Array.from({ length: 300 }, (_, i) => `load-${i}`)
    const replies = await Promise.all(keys.map((key) => publish(token, key)))
    expect(replies.every((r) => r.status === 201)).toBe(true)
    const counts = await sim.control.postCounts({ platform: "linkedin" })
    expect(Object.keys(counts)).toHaveLength(300)
    expect(Object.values(counts).every((n) => n === 1)).toBe(true)
    expect(new Set(replies.map((r) => r.headers["x-restli-id"])).size).toBe(300)
    expect(await sim.control.calls({ path: "/rest/posts" })).toHaveLength(300)
  })
})

describe("the control API and unknown routes", () => {
  it("rejects malformed control requests with 400 and says why", async () => {
    await expect(sim.control.addFault({ kind: "http_5xx", fraction: 2 })).rejects.toThrow(/400/)
    const raw = await partnerFetch(`${sim.url}/_control/faults`, { json: { kind: "meteor" } })
    expect(raw.status).toBe(400)
    expect(raw.body).toMatchObject({ error: expect.stringContaining("kind") })
    await expect(sim.control.mintToken({ platform: "meta", accountIds: ["1000001"], withRefreshToken: true })).rejects.toThrow(/no refresh tokens/)
    await expect(sim.control.revoke({})).rejects.toThrow(/400/)
    expect((await partnerFetch(`${sim.url}/_control/nothing`)).status).toBe(404)
    await expect(sim.control.expireToken("unknown")).rejects.toThrow(/404/)
  })

  it("creates accounts idempotently, restores a deleted one, and reset re-seeds the defaults", async () => {
    const input = { platform: "gbp" as const, accountId: "accounts/9/locations/9", userId: "g-9", name: "Nine" }
    await sim.control.createAccount(input)
    await sim.control.deleteAccount("gbp", input.accountId)
    const again = await sim.control.createAccount(input)
    expect(again).toEqual({ ...input, restricted: null, deleted: false })
    expect((await sim.control.accounts("gbp")).map((a) => a.accountId).sort()).toEqual(["accounts/3000001/locations/4000001", input.accountId])
    await sim.control.reset()
    expect((await sim.control.accounts("gbp")).map((a) => a.accountId)).toEqual(["accounts/3000001/locations/4000001"])
    await sim.control.reset({ seedDefaults: false })
    expect(await sim.control.accounts()).toEqual([])
  })

  it("answers an unmounted host with 404, and a body over the limit with 413", async () => {
    expect((await partnerFetch(`${sim.url}/api.example.com/anything`)).status).toBe(404)
    const tiny = await startPartnerSimulator({ maxBodyBytes: 64 })
    try {
      const reply = await partnerFetch(`${tiny.baseUrl("api.linkedin.com")}/rest/posts`, { json: { commentary: "x".repeat(200) } })
      expect(reply.status).toBe(413)
    } finally {
      await tiny.close()
    }
  })
})
