// Pause → reconnect → resume → backfill as the frontend and the user's browser live it: the typed
// client over HTTP, the reconnect link from `connections.status`, the simulator's real consent page,
// our callback, and the held posts published exactly once each after `backfill.accept`. And every
// way a callback can go wrong, each refused in plain words with nothing changed.
import { TRPCClientError } from "@trpc/client"
import { Redacted } from "effect"
import { sql } from "kysely"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type ApiHarness, newBrowser, startApiHarness, submitConsent } from "../test/api/ApiHarness.ts"
import { TEST_JWT_SECRET, waitFor } from "../test/pipeline/PipelineHarness.ts"
import { ConnectionRepo } from "../db/ConnectionRepo.ts"
import { secretsFrom } from "./auth/ApiSecrets.ts"
import { type OAuthStateClaims, signState, startPath } from "./oauth/OAuthState.ts"

let h: ApiHarness
beforeAll(async () => {
  h = await startApiHarness()
})
afterAll(async () => {
  await h?.close()
})

/** The connection's stored token envelopes and audit trail: what "nothing changed" is checked against. */
const snapshot = async (connectionId: string) => {
  const row = await h.t.db
    .selectFrom("connections")
    .select(["status", "pause_reason", "access_token_enc", "refresh_token_enc", "scopes", "partner_user_id"])
    .where("id", "=", connectionId)
    .executeTakeFirstOrThrow()
  const audit = await sql<{ n: string }>`select count(*) as n from connection_audit where connection_id = ${connectionId}`.execute(h.t.db)
  return { ...row, auditRows: Number(audit.rows[0]?.n ?? 0) }
}

/** A Meta page whose token expired: posts scheduled for it are held and it is paused. */
const pausedMetaChannel = async (posts = 2) => {
  const connected = await h.connect("meta")
  const client = h.client(h.token(connected.tenantId, "member"))
  await h.sim.control.expireToken(connected.token)
  const scheduled = []
  for (let i = 0; i < posts; i++) {
    scheduled.push(await client.posts.schedule.mutate({ connectionId: connected.connectionId, text: `missed post ${i} ${crypto.randomUUID()}` }))
  }
  for (const post of scheduled) await waitFor(() => client.posts.get.query({ postId: post.id }), (p) => p.status === "held")
  return { ...connected, client, scheduled }
}

/** Follows a reconnect link through our start route to the simulator's consent page; returns its submit URL. */
const toConsent = async (browser: ReturnType<typeof newBrowser>, link: string, account: string, decision: "approve" | "deny" = "approve") => {
  const start = await browser.get(link)
  expect(start.status).toBe(302)
  const authorize = start.location ?? ""
  const consent = await browser.get(authorize)
  expect(consent.status).toBe(200)
  return { authorize, submit: submitConsent(authorize, consent.body, account, decision) }
}

describe("reconnect through the platform's OAuth", () => {
  it("takes a paused channel back to active through the reconnect link, then publishes each held post exactly once after backfill.accept", async () => {
    const { tenantId, connectionId, client, scheduled } = await pausedMetaChannel(3)
    const paused = await client.connections.status.query({ connectionId })
    expect(paused).toMatchObject({ status: "attention", pauseCode: "TOKEN_REFRESH_FAILED", requiresReauth: true, heldPosts: 3 })
    expect(paused.userMessage).toMatch(/Facebook\/Instagram/)
    expect(paused.recoveryAction).toMatch(/Reconnect/)
    const link = paused.reconnectUrl ?? ""
    const url = new URL(link)
    expect(url.pathname).toBe("/api/oauth/meta/start")
    expect(url.searchParams.get("reconnect")).toBe("true")
    expect(url.searchParams.get("prev_connection")).toBe(connectionId)
    expect(url.searchParams.get("reason")).toBe("TOKEN_REFRESH_FAILED")
    expect(url.searchParams.get("state")).toMatch(/^s1\./)

    const browser = newBrowser()
    const { authorize, submit } = await toConsent(browser, link, "1000001")
    // The platform's real authorization URL and parameters.
    const dialog = new URL(authorize)
    expect(dialog.pathname).toBe("/www.facebook.com/v21.0/dialog/oauth")
    expect(dialog.searchParams.get("client_id")).toBe("sim-meta-client")
    expect(dialog.searchParams.get("redirect_uri")).toBe(`${h.server.url}/api/oauth/meta/callback`)
    expect(dialog.searchParams.get("scope")?.split(",")).toEqual(expect.arrayContaining(["pages_manage_posts", "instagram_content_publish"]))
    const approved = await browser.get(submit)
    expect(approved.status).toBe(302)
    expect(approved.location).toContain("/api/oauth/meta/callback?")
    const callback = await browser.get(approved.location ?? "")
    expect(callback.status).toBe(200)
    expect(callback.body).toContain('data-outcome="reconnected"')
    expect(callback.body).toMatch(/3 post\(s\) missed/)

    const active = await client.connections.status.query({ connectionId })
    expect(active).toMatchObject({ status: "active", pauseCode: null, reconnectUrl: null, heldPosts: 3 })
    // Reconnected, the held posts wait for the user's decision: nothing went out yet.
    for (const post of scheduled) expect((await client.posts.get.query({ postId: post.id })).status).toBe("held")

    // The banner offers the posts missed since the pause; the one whose failure paused it counts too.
    const offer = await client.backfill.offer.mutate({ connectionId, failedAfter: paused.pausedAt ?? "" })
    expect(offer).toMatchObject({ missedJobCount: 3, status: "offered", estimatedDuration: "PT0S" })
    const accepted = await client.backfill.accept.mutate({ backfillJobId: offer.backfillJobId })
    expect(accepted.status).toMatch(/accepted|completed/)
    // Accepting twice changes nothing: the same decision, one backfill job.
    const decided = await h.t.db.selectFrom("backfill_offers").selectAll().where("id", "=", offer.backfillJobId).executeTakeFirstOrThrow()
    const backfillJobs = async () =>
      Number((await sql<{ n: string }>`select count(*) as n from pgboss.job where name = 'backfill' and data->>'backfillJobId' = ${offer.backfillJobId}`.execute(h.t.db)).rows[0]?.n)
    expect(await backfillJobs()).toBe(1)
    expect((await client.backfill.accept.mutate({ backfillJobId: offer.backfillJobId })).backfillJobId).toBe(offer.backfillJobId)
    const again = await h.t.db.selectFrom("backfill_offers").selectAll().where("id", "=", offer.backfillJobId).executeTakeFirstOrThrow()
    expect({ decidedBy: again.decided_by, decidedAt: again.decided_at, jobId: again.job_id }).toEqual({ decidedBy: decided.decided_by, decidedAt: decided.decided_at, jobId: decided.job_id })
    expect(await backfillJobs()).toBe(1)
    for (const post of scheduled) await waitFor(() => client.posts.get.query({ postId: post.id }), (p) => p.status === "published")
    const counts = await h.sim.control.postCounts()
    for (const post of scheduled) expect(counts[post.dedupeKey]).toBe(1)
    const audit = await h.t.db.selectFrom("connection_audit").select(["action", "actor"]).where("connection_id", "=", connectionId).orderBy("id").execute()
    expect(audit.map((a) => a.action)).toEqual(["created", "auto_pause", "reconnected"])
    expect(audit.at(-1)?.actor).toBe("member:member-user")
    const done = await h.t.db.selectFrom("backfill_offers").selectAll().where("id", "=", offer.backfillJobId).executeTakeFirstOrThrow()
    expect(done).toMatchObject({ status: "completed", released_count: 3, skipped_count: 0, decided_by: "member:member-user" })
    // The token the reconnect brought is stored encrypted: its plaintext is in no table and no job.
    const fresh = Redacted.value((await h.run(ConnectionRepo.use((r) => r.credentials(tenantId, connectionId)))).accessToken)
    for (const table of ["connections", "connection_audit", "oauth_state_uses", "backfill_offers", "posts", "dlq_entries"]) {
      const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(h.t.db)
      expect(JSON.stringify(rows.rows), table).not.toContain(fresh)
    }
    expect(JSON.stringify((await sql`select data from pgboss.job`.execute(h.t.db)).rows)).not.toContain(fresh)
  })

  it("refuses a grant for another account: the channel stays paused and its tokens and audit trail are unchanged", async () => {
    const { connectionId, client } = await pausedMetaChannel(1)
    await h.sim.control.createAccount({ platform: "meta", accountId: "1000777", userId: "meta-user-7", name: "Someone Else's Page" })
    const before = await snapshot(connectionId)
    const link = (await client.connections.status.query({ connectionId })).reconnectUrl ?? ""
    const browser = newBrowser()
    const { submit } = await toConsent(browser, link, "1000777")
    const approved = await browser.get(submit)
    const callback = await browser.get(approved.location ?? "")
    expect(callback.status).toBe(409)
    expect(callback.body).toContain('data-outcome="wrong_account"')
    expect(callback.body).toContain("Someone Else&#39;s Page (1000777)")
    expect(callback.body).toContain("Nothing was changed")
    expect(await snapshot(connectionId)).toEqual(before)
    expect((await client.connections.status.query({ connectionId })).status).toBe("attention")
  })

  it("reconnecting with the opt-in backfill link publishes the held posts without another step", async () => {
    const { connectionId, client, scheduled } = await pausedMetaChannel(2)
    const { url } = await client.connections.reconnectUrl.query({ connectionId, backfill: true })
    const browser = newBrowser()
    const { submit } = await toConsent(browser, url, "1000001")
    const callback = await browser.get((await browser.get(submit)).location ?? "")
    expect(callback.status).toBe(200)
    expect(callback.body).toMatch(/2 missed post\(s\) are being published late/)
    for (const post of scheduled) await waitFor(() => client.posts.get.query({ postId: post.id }), (p) => p.status === "published")
    const counts = await h.sim.control.postCounts()
    for (const post of scheduled) expect(counts[post.dedupeKey]).toBe(1)
  })

  it("asks again for a permission the user took away: the missing scope, and Meta's rerequest", async () => {
    const connected = await h.connect("meta")
    const client = h.client(h.token(connected.tenantId, "member"))
    await h.sim.control.removeScope({ platform: "meta", token: connected.token, scope: "pages_manage_posts" })
    const post = await client.posts.schedule.mutate({ connectionId: connected.connectionId, text: "needs the permission back" })
    await waitFor(() => client.posts.get.query({ postId: post.id }), (p) => p.status === "held")
    const status = await client.connections.status.query({ connectionId: connected.connectionId })
    expect(status).toMatchObject({ pauseCode: "PERMISSION_INSUFFICIENT", requiresReauth: true })
    const browser = newBrowser()
    const start = await browser.get(status.reconnectUrl ?? "")
    const dialog = new URL(start.location ?? "")
    expect(dialog.searchParams.get("scope")?.split(",")).toContain("pages_manage_posts")
    expect(dialog.searchParams.get("auth_type")).toBe("rerequest")
  })

  it("refuses an administrator's resume of a channel that needs a reconnect, naming the code", async () => {
    const { tenantId, connectionId } = await pausedMetaChannel(1)
    const admin = h.client(h.token(tenantId, "admin"))
    const refused = await admin.connections.resume.mutate({ connectionId }).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(TRPCClientError)
    expect((refused as TRPCClientError<never>).data).toMatchObject({
      code: "PRECONDITION_FAILED",
      taxonomyCode: "TOKEN_REFRESH_FAILED",
      userMessage: expect.stringContaining("Facebook/Instagram")
    })
    expect((refused as TRPCClientError<never>).message).toMatch(/needs a reconnect/)
    expect((await admin.connections.status.query({ connectionId })).status).toBe("attention")
  })

  it("leaves the reconnect link out of the status for a tenant whose RECONNECT_WIZARD_ENABLED is off", async () => {
    const tenantId = await h.newTenant()
    const flagged = await startApiHarness({ tenantFlags: { [tenantId]: { RECONNECT_WIZARD_ENABLED: false } } })
    try {
      await flagged.newTenant(tenantId)
      const connected = await flagged.connect("linkedin", { tenantId })
      const client = flagged.client(flagged.token(tenantId, "member"))
      await flagged.sim.control.revoke({ platform: "linkedin", token: connected.token })
      const post = await client.posts.schedule.mutate({ connectionId: connected.connectionId, text: "held" })
      await waitFor(() => client.posts.get.query({ postId: post.id }), (p) => p.status === "held")
      const status = await client.connections.status.query({ connectionId: connected.connectionId })
      expect(status).toMatchObject({ status: "revoked", pauseCode: "APP_DEAUTHORIZED", requiresReauth: true, reconnectUrl: null })
      // The explicit procedure still works: the flag gates the banner, not reconnecting.
      expect((await client.connections.reconnectUrl.query({ connectionId: connected.connectionId })).url).toContain("/api/oauth/linkedin/start")
    } finally {
      await flagged.close()
    }
  })

  it("connects a new account for the caller's tenant through connectUrl, with PKCE where the platform has it (Google)", async () => {
    const tenantId = await h.newTenant()
    const client = h.client(h.token(tenantId, "member"))
    const { url } = await client.connections.connectUrl.query({ platform: "gbp", brandId: "brand-7" })
    expect(new URL(url).pathname).toBe("/api/oauth/gbp/start")
    expect(new URL(url).searchParams.get("reconnect")).toBeNull()
    const browser = newBrowser()
    const { authorize, submit } = await toConsent(browser, url, "accounts/3000001/locations/4000001")
    const google = new URL(authorize)
    expect(google.pathname).toBe("/accounts.google.com/o/oauth2/v2/auth")
    expect(google.searchParams.get("code_challenge_method")).toBe("S256")
    expect(google.searchParams.get("access_type")).toBe("offline")
    const callback = await browser.get((await browser.get(submit)).location ?? "")
    expect(callback.status).toBe(200)
    expect(callback.body).toContain('data-outcome="connected"')
    const [connection] = await client.connections.list.query()
    expect(connection).toMatchObject({
      platform: "gbp",
      brandId: "brand-7",
      partnerAccountId: "accounts/3000001/locations/4000001",
      displayName: "Sim Coffee Downtown",
      status: "active"
    })
    // The new channel publishes with the tokens it was given.
    const post = await client.posts.schedule.mutate({ connectionId: connection?.id ?? "", text: "hello from a new channel" })
    await waitFor(() => client.posts.get.query({ postId: post.id }), (p) => p.status === "published")
  })
})

describe("callbacks that change nothing", () => {
  it("answers a denied consent, a replayed state, a tampered link, a forged signature and a foreign browser in plain words", async () => {
    const { connectionId, client } = await pausedMetaChannel(1)
    const before = await snapshot(connectionId)
    const link = (await client.connections.status.query({ connectionId })).reconnectUrl ?? ""

    // Denied at the consent page.
    const denier = newBrowser()
    const { submit: deny } = await toConsent(denier, link, "1000001", "deny")
    const denyCallback = (await denier.get(deny)).location ?? ""
    const denied = await denier.get(denyCallback)
    expect(denied.status).toBe(400)
    expect(denied.body).toContain('data-outcome="denied"')
    expect(denied.body).toContain("You cancelled")
    // The same link again is a replay, refused at the start. The denied callback again is refused
    // too: the first answer ended the browser's binding to the flow (its cookie), so this browser
    // no longer owns the state; the snapshot below shows neither changed anything.
    expect((await denier.get(link)).status).toBe(409)
    const replayedCallback = await denier.get(denyCallback)
    expect(replayedCallback.status).toBe(400)
    expect(replayedCallback.body).toContain('data-outcome="browser_mismatch"')

    // A link whose visible parameters were changed.
    const tampered = new URL(link)
    tampered.searchParams.set("prev_connection", crypto.randomUUID())
    const altered = await newBrowser().get(tampered.toString())
    expect(altered.status).toBe(400)
    expect(altered.body).toContain('data-outcome="invalid_state"')

    // A state whose signature does not verify.
    const forged = new URL(link)
    forged.searchParams.set("state", `${forged.searchParams.get("state")?.slice(0, -4)}AAAA`)
    const forgedAnswer = await newBrowser().get(forged.toString())
    expect(forgedAnswer.status).toBe(400)
    expect(forgedAnswer.body).toContain('data-outcome="invalid_state"')

    // The callback in a browser that never started the flow.
    const owner = newBrowser()
    const fresh = (await client.connections.reconnectUrl.query({ connectionId })).url
    const { submit } = await toConsent(owner, fresh, "1000001")
    const callbackUrl = (await owner.get(submit)).location ?? ""
    const stranger = await newBrowser().get(callbackUrl)
    expect(stranger.status).toBe(400)
    expect(stranger.body).toContain('data-outcome="browser_mismatch"')

    expect(await snapshot(connectionId)).toEqual(before)
  })

  it("refuses an expired state at the start and at the callback", async () => {
    const { tenantId, connectionId } = await pausedMetaChannel(0)
    const before = await snapshot(connectionId)
    const claims: OAuthStateClaims = {
      id: crypto.randomUUID(),
      tenantId,
      platform: "meta",
      purpose: "reconnect",
      connectionId,
      reason: "TOKEN_REFRESH_FAILED",
      brandId: "brand-1",
      actor: "member:member-user",
      backfill: false,
      expiresAt: Math.floor(Date.now() / 1_000) - 1
    }
    const state = signState(secretsFrom(TEST_JWT_SECRET).stateKey, claims)
    const browser = newBrowser()
    browser.cookies.set("postd_oauth_state", claims.id)
    const start = await browser.get(`${h.server.url}${startPath(claims, state)}`)
    expect(start.status).toBe(400)
    expect(start.body).toContain('data-outcome="expired"')
    const callback = await browser.get(`${h.server.url}/api/oauth/meta/callback?code=anything&state=${encodeURIComponent(state)}`)
    expect(callback.status).toBe(400)
    expect(callback.body).toContain("This link has expired")
    expect(await snapshot(connectionId)).toEqual(before)
  })
})
