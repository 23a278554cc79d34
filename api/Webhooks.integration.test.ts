// Platform webhooks end to end: the simulator signs and sends each platform's real requests to our
// routes over HTTP; a correctly signed event is acknowledged and acted on by the webhook job; a wrong,
// missing or stale signature is a 401 with nothing changed; a redelivery is a 200 processed once; a
// verified body that does not decode is a 400; and no fuzzed request ever gets a 5xx or changes state.
import { Redacted } from "effect"
import fc from "fast-check"
import { sql } from "kysely"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { WebhookDeliveryRequest } from "../chaos/simulator/webhooks/WebhookRequest.ts"
import { ConnectionRepo } from "../db/ConnectionRepo.ts"
import { findPoint, MetricRecorder } from "../observability/MetricRecorder.ts"
import { type ApiHarness, startApiHarness } from "../test/api/ApiHarness.ts"
import { waitFor } from "../test/pipeline/PipelineHarness.ts"

let h: ApiHarness
beforeAll(async () => {
  // Webhook retries without backoff delays, so a failing event reaches the DLQ within the test.
  h = await startApiHarness({ jitter: 0 })
})
afterAll(async () => {
  await h?.close()
})

const MAILCHIMP_SECRET = "sim-mailchimp-webhook-secret"
const target = (platform: string) =>
  `${h.server.url}/api/webhooks/${platform}${platform === "mailchimp" ? `?secret=${MAILCHIMP_SECRET}` : ""}`
const deliver = (request: WebhookDeliveryRequest) => h.sim.control.deliverWebhook(request)
const unique = () => crypto.randomUUID().replaceAll("-", "").slice(0, 12)

const count = async (query: ReturnType<typeof sql<{ n: string }>>) => Number((await query.execute(h.t.db)).rows[0]?.n ?? 0)

/** Everything a webhook could change: stored events, their jobs, connections, their audit and health rows. */
const snapshot = async () => ({
  events: await count(sql<{ n: string }>`select count(*) as n from webhook_events`),
  jobs: await count(sql<{ n: string }>`select count(*) as n from pgboss.job where name = 'webhook'`),
  connections: (await sql<{ s: string }>`select string_agg(id || ':' || status || ':' || coalesce(pause_reason, ''), ',' order by id) as s from connections`.execute(h.t.db)).rows[0]?.s,
  audit: await count(sql<{ n: string }>`select count(*) as n from connection_audit`),
  health: await count(sql<{ n: string }>`select count(*) as n from integration_health`)
})

const connection = (id: string) => h.t.db.selectFrom("connections").selectAll().where("id", "=", id).executeTakeFirstOrThrow()
const eventRows = (platform: "meta" | "linkedin" | "tiktok" | "gbp" | "mailchimp") => h.t.db.selectFrom("webhook_events").selectAll().where("platform", "=", platform).orderBy("received_at").execute()
const rejections = async (platform: "meta" | "linkedin" | "tiktok" | "gbp" | "mailchimp") => {
  const point = findPoint(await h.run(MetricRecorder.use((m) => m.snapshot)), "connector.webhook.signature_rejected", { platform })
  return point !== undefined && point.kind !== "histogram" ? point.value : 0
}

/** Sends each refused variant and checks 401s (or the expected status), a metric per rejection, and no change at all. */
const refusedChangeNothing = async (platform: "meta" | "linkedin" | "tiktok" | "gbp" | "mailchimp", requests: ReadonlyArray<readonly [number, WebhookDeliveryRequest]>) => {
  const before = await snapshot()
  const rejectedBefore = await rejections(platform)
  for (const [status, request] of requests) {
    const answer = await deliver(request)
    expect(`${answer.status} ${answer.body}`).toMatch(new RegExp(`^${status} `))
  }
  expect(await rejections(platform)).toBe(rejectedBefore + requests.filter(([status]) => status === 401).length)
  expect(await snapshot()).toEqual(before)
}

describe("meta", () => {
  it("answers the subscription handshake with the challenge for the right verify token only", async () => {
    const ok = await deliver({ platform: "meta", kind: "verify", target: target("meta"), verifyToken: "sim-meta-verify-token", challenge: "1158201444" })
    expect(ok).toMatchObject({ status: 200, body: "1158201444", validated: true })
    expect((await deliver({ platform: "meta", kind: "verify", target: target("meta"), verifyToken: "guess" })).status).toBe(403)
  })

  it("revokes a deauthorized user's connection and holds its scheduled posts within a second", async () => {
    const userId = `mu-${unique()}`
    const connected = await h.connect("meta", { accountId: `9${Date.now()}${Math.floor(Math.random() * 1000)}`, userId })
    const client = h.client(h.token(connected.tenantId, "member"))
    // Due in 3 s: their jobs are already waiting when the event arrives, and run after the pause.
    const soon = new Date(Date.now() + 3_000).toISOString()
    const posts = [
      await client.posts.schedule.mutate({ connectionId: connected.connectionId, text: "soon 1", scheduledAt: soon }),
      await client.posts.schedule.mutate({ connectionId: connected.connectionId, text: "soon 2", scheduledAt: soon })
    ]
    const started = performance.now()
    const answer = await deliver({ platform: "meta", kind: "deauthorize", target: target("meta"), userId })
    expect(answer.status).toBe(200)
    await waitFor(
      async () => ({ c: await connection(connected.connectionId), p: await Promise.all(posts.map((p) => client.posts.get.query({ postId: p.id }))) }),
      ({ c, p }) => c.status === "revoked" && p.every((x) => x.status === "held"),
      5_000
    )
    const elapsedMs = performance.now() - started
    expect(elapsedMs).toBeLessThan(1_000)
    expect(await connection(connected.connectionId)).toMatchObject({ status: "revoked", pause_reason: "APP_DEAUTHORIZED", health_status: "critical" })
    const audit = await h.t.db.selectFrom("connection_audit").selectAll().where("connection_id", "=", connected.connectionId).where("action", "=", "auto_pause").execute()
    expect(audit).toEqual([expect.objectContaining({ actor: "webhook:meta" })])
    const health = await h.t.db.selectFrom("integration_health").selectAll().where("connection_id", "=", connected.connectionId).execute()
    expect(health).toEqual([expect.objectContaining({ source: "webhook", status: "critical", error_code: "APP_DEAUTHORIZED" })])
    // The held posts' jobs, already waiting, run at their time and do nothing: the pause voided their tickets.
    await waitFor(
      async () =>
        (await sql<{ state: string }>`select state from pgboss.job where name = 'publish' and data->>'postId' = any(${posts.map((p) => p.id)})`.execute(h.t.db)).rows,
      (jobs) => jobs.length === 2 && jobs.every((j) => j.state === "completed"),
      15_000
    )
    expect(await h.sim.control.calls({ method: "POST", accountId: connected.accountId })).toHaveLength(0)
    for (const p of posts) expect((await client.posts.get.query({ postId: p.id })).status).toBe("held")
  })

  it("pauses a page that uninstalled the app, and a user's connections that relied on a revoked permission", async () => {
    const page = await h.connect("meta", { accountId: `8${Date.now()}`, userId: `mu-${unique()}` })
    expect((await deliver({ platform: "meta", kind: "deauthorize", target: target("meta"), profileId: page.accountId })).status).toBe(200)
    await waitFor(() => connection(page.connectionId), (c) => c.status === "revoked")

    const userId = `mu-${unique()}`
    const scoped = await h.connect("meta", { accountId: `7${Date.now()}`, userId })
    const entries = [{ id: userId, time: Math.floor(Date.now() / 1000), changes: [{ field: "pages_manage_posts", value: { verb: "revoked" } }] }]
    expect((await deliver({ platform: "meta", kind: "event", target: target("meta"), object: "permissions", entries })).status).toBe(200)
    await waitFor(() => connection(scoped.connectionId), (c) => c.status === "attention")
    expect((await connection(scoped.connectionId)).pause_reason).toBe("PERMISSION_INSUFFICIENT")
  })

  it("refuses a wrong, missing or stale signature and another algorithm with 401; a bad body with 400; a redelivery once", async () => {
    const userId = `mu-${unique()}`
    const connected = await h.connect("meta", { accountId: `6${Date.now()}`, userId })
    const base = { platform: "meta", kind: "deauthorize", target: target("meta"), userId } as const
    await refusedChangeNothing("meta", [
      [401, { ...base, signature: "wrong" }],
      [401, { ...base, signature: "missing" }],
      [401, { ...base, issuedAt: Math.floor(Date.now() / 1000) - 3_600 }],
      [401, { ...base, algorithm: "HMAC-SHA1" }],
      [401, { platform: "meta", kind: "event", target: target("meta"), object: "permissions", entries: [], signature: "wrong" }],
      [400, { platform: "meta", kind: "event", target: target("meta"), object: "permissions", entries: [], rawBody: '{"object":"permissions","entry":' }],
      [400, { ...base, rawBody: Buffer.from('{"algorithm":"HMAC-SHA256"').toString("base64url") }]
    ])
    const issuedAt = Math.floor(Date.now() / 1000)
    const first = await deliver({ ...base, issuedAt })
    const again = await deliver({ ...base, issuedAt })
    expect([first.status, again.status]).toEqual([200, 200])
    expect(JSON.parse(again.body)).toEqual({ received: true, duplicate: true })
    await waitFor(() => connection(connected.connectionId), (c) => c.status === "revoked")
    const audit = await h.t.db.selectFrom("connection_audit").select("action").where("connection_id", "=", connected.connectionId).where("action", "=", "auto_pause").execute()
    expect(audit).toHaveLength(1)
  })
})

describe("linkedin", () => {
  it("answers the challengeCode validation with its HMAC", async () => {
    expect(await deliver({ platform: "linkedin", kind: "validate", target: target("linkedin") })).toMatchObject({ status: 200, validated: true })
  })

  it("acknowledges and records a signed event without acting on it; refuses wrong and missing signatures; processes a redelivery once", async () => {
    const body = { type: "ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS", notifications: [{ notificationId: Date.now(), action: "COMMENT" }] }
    await refusedChangeNothing("linkedin", [
      [401, { platform: "linkedin", kind: "event", target: target("linkedin"), body, signature: "wrong" }],
      [401, { platform: "linkedin", kind: "event", target: target("linkedin"), body, signature: "missing" }],
      [400, { platform: "linkedin", kind: "event", target: target("linkedin"), rawBody: "not json" }]
    ])
    for (const signaturePrefix of [false, true]) {
      expect((await deliver({ platform: "linkedin", kind: "event", target: target("linkedin"), body, signaturePrefix })).status).toBe(200)
    }
    const rows = await waitFor(() => eventRows("linkedin"), (r) => r.length === 1 && r[0]?.status === "ignored")
    expect(rows[0]).toMatchObject({ event_type: "ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS", matched_connections: 0 })
  })
})

describe("tiktok", () => {
  it("pauses on authorization.removed by its reason: deauthorized, or restricted when banned", async () => {
    const removed = await h.connect("tiktok", { accountId: `open-${unique()}` })
    const banned = await h.connect("tiktok", { accountId: `open-${unique()}` })
    for (const [c, reason] of [[removed, 1], [banned, 4]] as const) {
      const answer = await deliver({ platform: "tiktok", kind: "event", target: target("tiktok"), event: "authorization.removed", userOpenId: c.accountId, content: { reason } })
      expect(answer.status).toBe(200)
    }
    await waitFor(() => connection(removed.connectionId), (c) => c.status === "revoked")
    await waitFor(() => connection(banned.connectionId), (c) => c.pause_reason === "ACCOUNT_RESTRICTED")
    expect((await connection(removed.connectionId)).pause_reason).toBe("APP_DEAUTHORIZED")
  })

  it("refuses a stale, wrong or missing signature with 401, a bad body with 400, and processes a redelivery once", async () => {
    const c = await h.connect("tiktok", { accountId: `open-${unique()}` })
    const base = { platform: "tiktok", kind: "event", target: target("tiktok"), event: "authorization.removed", userOpenId: c.accountId, content: { reason: 1 } } as const
    await refusedChangeNothing("tiktok", [
      [401, { ...base, timestamp: Math.floor(Date.now() / 1000) - 600 }],
      [401, { ...base, signature: "wrong" }],
      [401, { ...base, signature: "missing" }],
      [400, { ...base, rawBody: '{"event":"authorization.removed"}' }]
    ])
    const timestamp = Math.floor(Date.now() / 1000)
    const createTime = timestamp - 5
    expect((await deliver({ ...base, timestamp, createTime })).status).toBe(200)
    expect(JSON.parse((await deliver({ ...base, timestamp, createTime })).body)).toEqual({ received: true, duplicate: true })
    await waitFor(() => connection(c.connectionId), (x) => x.status === "revoked")
    const events = (await eventRows("tiktok")).filter((e) => e.payload.includes(c.accountId))
    expect(events).toHaveLength(1)
  })
})

describe("gbp", () => {
  const location = () => `accounts/${Date.now()}${Math.floor(Math.random() * 1000)}/locations/${Math.floor(Math.random() * 1e9)}`
  const push = (locationName: string, extra: Partial<WebhookDeliveryRequest & { platform: "gbp" }> = {}): WebhookDeliveryRequest => ({
    platform: "gbp",
    kind: "push",
    target: target("gbp"),
    notification: { type: "UPDATED_LOCATION_STATE", locationName },
    ...extra
  })

  it("reads the location's state after a state notification: a suspended one is restricted, a deleted one is gone, a healthy one stays active", async () => {
    const suspended = await h.connect("gbp", { accountId: location() })
    const deleted = await h.connect("gbp", { accountId: location() })
    const fine = await h.connect("gbp", { accountId: location() })
    await h.sim.control.restrictAccount({ platform: "gbp", accountId: suspended.accountId })
    await h.sim.control.deleteAccount("gbp", deleted.accountId)
    for (const c of [suspended, deleted, fine]) expect((await deliver(push(c.accountId))).status).toBe(200)
    await waitFor(() => connection(suspended.connectionId), (c) => c.pause_reason === "ACCOUNT_RESTRICTED")
    await waitFor(() => connection(deleted.connectionId), (c) => c.pause_reason === "RESOURCE_NOT_FOUND")
    await waitFor(
      () => h.t.db.selectFrom("integration_health").selectAll().where("connection_id", "=", fine.connectionId).execute(),
      (rows) => rows.length === 1
    )
    expect(await connection(fine.connectionId)).toMatchObject({ status: "active", health_status: "healthy" })
  })

  it("reads the state with a refreshed token when the stored one expired, and pauses with the token's own code when it is dead", async () => {
    const expired = await h.connect("gbp", { accountId: location(), withRefreshToken: true })
    await h.sim.control.expireToken(expired.token)
    await h.sim.control.deleteAccount("gbp", expired.accountId)
    const revoked = await h.connect("gbp", { accountId: location() })
    await h.sim.control.revoke({ platform: "gbp", token: revoked.token })
    for (const c of [expired, revoked]) expect((await deliver(push(c.accountId))).status).toBe(200)
    await waitFor(() => connection(expired.connectionId), (c) => c.pause_reason === "RESOURCE_NOT_FOUND")
    const credentials = await h.run(ConnectionRepo.use((r) => r.credentials(expired.tenantId, expired.connectionId)))
    expect(Redacted.value(credentials.accessToken)).not.toBe(expired.token)
    // Google answers a revoked token 401 UNAUTHENTICATED, which does not say why: AUTH_INVALID.
    await waitFor(() => connection(revoked.connectionId), (c) => c.status !== "active")
    expect(await connection(revoked.connectionId)).toMatchObject({ status: "attention", pause_reason: "AUTH_INVALID", health_status: "critical" })
    const audit = await h.t.db.selectFrom("connection_audit").select("actor").where("connection_id", "=", revoked.connectionId).where("action", "=", "auto_pause").execute()
    expect(audit).toEqual([{ actor: "webhook:gbp" }])
  })

  it("refuses a push token from another key, for another audience or account, or expired, with 401; a bad body with 400; a redelivery once", async () => {
    const c = await h.connect("gbp", { accountId: location() })
    await h.sim.control.deleteAccount("gbp", c.accountId)
    await refusedChangeNothing("gbp", [
      [401, push(c.accountId, { signature: "wrong" })],
      [401, push(c.accountId, { signature: "missing" })],
      [401, push(c.accountId, { audience: "https://elsewhere.example/push" })],
      [401, push(c.accountId, { email: "attacker@evil.iam.gserviceaccount.com" })],
      [401, push(c.accountId, { issuedAt: Math.floor(Date.now() / 1000) - 7_200, expiresInSec: 3_600 })],
      [400, push(c.accountId, { rawBody: '{"message":{"data":"%%%"}}' })]
    ])
    const messageId = `m-${unique()}`
    expect((await deliver(push(c.accountId, { messageId }))).status).toBe(200)
    expect(JSON.parse((await deliver(push(c.accountId, { messageId }))).body)).toEqual({ received: true, duplicate: true })
    await waitFor(() => connection(c.connectionId), (x) => x.pause_reason === "RESOURCE_NOT_FOUND")
    expect((await eventRows("gbp")).filter((e) => e.event_key === messageId)).toHaveLength(1)
  })

  it("retries an event it failed to process with backoff, then dead-letters it as WEBHOOK_FAILURE", async () => {
    const c = await h.connect("gbp", { accountId: location() })
    await h.sim.control.addFault({ kind: "http_5xx", platform: "gbp", path: "mybusinessbusinessinformation.googleapis.com", accountId: c.accountId })
    const messageId = `m-${unique()}`
    expect((await deliver(push(c.accountId, { messageId }))).status).toBe(200)
    const [event] = await waitFor(
      () => h.t.db.selectFrom("webhook_events").selectAll().where("event_key", "=", messageId).execute(),
      (rows) => rows[0]?.status === "dead_lettered",
      30_000
    )
    expect(event).toMatchObject({ attempts: 6, last_error: expect.stringContaining("PARTNER_5XX") })
    const entry = await h.t.db.selectFrom("dlq_entries").selectAll().where("job_id", "=", event?.id ?? "").executeTakeFirstOrThrow()
    expect(entry).toMatchObject({ action: "webhook", error_code: "WEBHOOK_FAILURE", reason_code: "WEBHOOK_FAILURE", tenant_id: c.tenantId, retry_count: 5 })
    expect((await connection(c.connectionId)).status).toBe("active")
    await h.sim.control.clearFaults()

    // Once the cause is gone an operator replays it: processed once, the entry resolved by the system.
    const ops = h.client(h.token(c.tenantId, "ops"))
    expect(await ops.dlq.replay.mutate({ ids: [entry.id] })).toEqual([{ id: entry.id, outcome: "requeued", postId: null, webhookEventId: event?.id }])
    expect(await ops.dlq.replay.mutate({ ids: [entry.id] })).toEqual([{ id: entry.id, outcome: "already_requeued", postId: null, webhookEventId: event?.id }])
    await waitFor(
      () => h.t.db.selectFrom("webhook_events").select(["status", "attempts"]).where("id", "=", event?.id ?? "").executeTakeFirstOrThrow(),
      (e) => e.status === "processed"
    )
    const resolved = await waitFor(
      () => h.t.db.selectFrom("dlq_entries").selectAll().where("id", "=", entry.id).executeTakeFirstOrThrow(),
      (e) => e.resolved_at !== null
    )
    expect(resolved).toMatchObject({ resolved_by: "system", replay_count: 1 })
    const health = await h.t.db.selectFrom("integration_health").select(["source", "status"]).where("connection_id", "=", c.connectionId).execute()
    expect(health).toEqual([{ source: "webhook", status: "healthy" }])
    expect(await ops.dlq.replay.mutate({ ids: [entry.id] })).toEqual([{ id: entry.id, outcome: "refused", message: "the entry is resolved; nothing to replay" }])
  })
})

describe("mailchimp", () => {
  it("answers its GET validation, records a signed event, refuses a wrong or missing secret with 401", async () => {
    expect((await deliver({ platform: "mailchimp", kind: "validate", target: target("mailchimp") })).status).toBe(200)
    const bare = `${h.server.url}/api/webhooks/mailchimp`
    await refusedChangeNothing("mailchimp", [
      [401, { platform: "mailchimp", kind: "event", target: `${bare}?secret=guess`, type: "unsubscribe", data: { email: "a@example.com" } }],
      [401, { platform: "mailchimp", kind: "event", target: bare, type: "unsubscribe", data: { email: "a@example.com" } }],
      [400, { platform: "mailchimp", kind: "event", target: target("mailchimp"), type: "unsubscribe", data: {}, rawBody: "fired_at=now" }]
    ])
    const event = { platform: "mailchimp", kind: "event", target: target("mailchimp"), type: "unsubscribe", data: { email: `${unique()}@example.com` }, firedAt: "2026-12-01 10:00:00" } as const
    expect((await deliver(event)).status).toBe(200)
    expect(JSON.parse((await deliver(event)).body)).toEqual({ received: true, duplicate: true })
    await waitFor(() => eventRows("mailchimp"), (rows) => rows.length === 1 && rows[0]?.status === "ignored")
  })
})

describe("any request", () => {
  it("never gets a 5xx and never changes state without a valid signature (fuzzed headers and bodies on every route)", async () => {
    const before = await snapshot()
    const header = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.stringMatching(/^sha256=[0-9a-f]{64}$/),
      fc.stringMatching(/^t=\d{10},s=[0-9a-f]{64}$/),
      fc.stringMatching(/^Bearer [A-Za-z0-9_-]{10,40}\.[A-Za-z0-9_-]{10,80}\.[A-Za-z0-9_-]{10,80}$/)
    )
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("meta", "linkedin", "tiktok", "gbp", "mailchimp", "myspace"),
        fc.constantFrom("GET", "POST", "PUT"),
        fc.record(
          {
            "x-hub-signature-256": header,
            "x-li-signature": header,
            "tiktok-signature": header,
            authorization: header,
            "content-type": fc.constantFrom("application/json", "application/x-www-form-urlencoded", "text/plain")
          },
          { requiredKeys: [] }
        ),
        fc.oneof(fc.string({ maxLength: 300 }), fc.json({ maxDepth: 3 }), fc.constant("signed_request=abc.def")),
        fc.oneof(fc.constant(""), fc.string({ maxLength: 40 }).map((s) => `?secret=${encodeURIComponent(s)}`), fc.constant("?hub.mode=subscribe&hub.challenge=1")),
        async (platform, method, headers, body, query) => {
          const res = await fetch(`${h.server.url}/api/webhooks/${platform}${query}`, {
            method,
            headers: Object.fromEntries(Object.entries(headers).filter((e): e is [string, string] => typeof e[1] === "string" && /^[\t\x20-\x7e]*$/.test(e[1]))),
            ...(method === "GET" ? {} : { body })
          })
          await res.text()
          expect(res.status, `${method} ${platform}${query}`).toBeLessThan(500)
        }
      ),
      { numRuns: 300 }
    )
    expect(await snapshot()).toEqual(before)
  })
})
