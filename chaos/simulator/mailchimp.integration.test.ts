import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { classifyResponse } from "../../core/classify/Classifier.ts"
import type { Classification } from "../../core/taxonomy/Classification.ts"
import { type RunningSimulator, startPartnerSimulator } from "./PartnerSimulator.ts"
import { type PartnerReply, partnerFetch } from "./partnerFetch.ts"

let sim: RunningSimulator
beforeAll(async () => {
  sim = await startPartnerSimulator()
})
afterAll(() => sim.close())
beforeEach(() => sim.control.reset())

const LIST = "a1b2c3d4e5"
const ACCOUNT = `us1:${LIST}`
const api = (path: string, dc = "us1"): string => `${sim.baseUrl(`${dc}.api.mailchimp.com`)}/3.0${path}`

const createCampaign = (token: string, key = "mc-key-1", dc = "us1", listId = LIST): Promise<PartnerReply> =>
  partnerFetch(api("/campaigns", dc), {
    json: {
      type: "regular",
      recipients: { list_id: listId },
      settings: { subject_line: "Weekend beans", title: key, from_name: "Sim Coffee", reply_to: "hello@example.com" }
    },
    headers: { authorization: `Bearer ${token}`, "x-postd-dedupe-key": key }
  })

const mint = () => sim.control.mintToken({ platform: "mailchimp", accountIds: [ACCOUNT] })

const classify = (reply: PartnerReply): Classification =>
  classifyResponse({ platform: "mailchimp", status: reply.status, headers: reply.headers, body: reply.body })

describe("Mailchimp campaigns", () => {
  it("creates a campaign (status save), sets content, sends it (204), lists it, and counts it under its dedupe key", async () => {
    const { accessToken, expiresAt } = await mint()
    expect(expiresAt).toBeNull()
    const auth = { authorization: `OAuth ${accessToken}` }
    expect((await partnerFetch(api("/ping"), { headers: auth })).body).toEqual({ health_status: "Everything's Chimpy!" })

    const created = await createCampaign(accessToken)
    expect(created.status).toBe(200)
    expect(created.body).toMatchObject({ id: expect.stringMatching(/^[0-9a-f]{10}$/), status: "save", settings: { title: "mc-key-1", subject_line: "Weekend beans" } })
    const id = (created.body as { id: string }).id

    const notReady = await partnerFetch(api(`/campaigns/${id}/actions/send`), { method: "POST", headers: auth })
    expect(notReady.status).toBe(400)
    expect(notReady.body).toMatchObject({ title: "Bad Request", detail: "Your Campaign is not ready to send." })

    const content = await partnerFetch(api(`/campaigns/${id}/content`), { method: "PUT", json: { html: "<p>Hello</p>" }, headers: auth })
    expect(content.status).toBe(200)
    const sent = await partnerFetch(api(`/campaigns/${id}/actions/send`), { method: "POST", headers: auth })
    expect(sent.status).toBe(204)

    const list = await partnerFetch(api(`/campaigns?list_id=${LIST}&count=10`), { headers: auth })
    expect(list.body).toMatchObject({ campaigns: [{ id, status: "sent", settings: { title: "mc-key-1" } }], total_items: 1 })
    expect(await sim.control.postCounts()).toEqual({ "mc-key-1": 1 })
  })

  it("a call on another data center's host is 403 Wrong Datacenter: VALIDATION_ERROR", async () => {
    const { accessToken } = await mint()
    const reply = await createCampaign(accessToken, "k", "us7")
    expect(reply.status).toBe(403)
    expect(reply.body).toMatchObject({ title: "Wrong Datacenter" })
    expect(classify(reply).code).toBe("VALIDATION_ERROR")
  })
})

describe("Mailchimp audiences", () => {
  it("lists the grant's audiences in its data center, keeping only the fields asked for", async () => {
    await sim.control.createAccount({ platform: "mailchimp", accountId: "us1:f6e5d4c3b2", userId: "mc-login-1", name: "Sim Coffee Wholesale" })
    const { accessToken } = await sim.control.mintToken({ platform: "mailchimp", accountIds: [ACCOUNT, "us1:f6e5d4c3b2"] })
    const auth = { authorization: `OAuth ${accessToken}` }
    const full = await partnerFetch(api("/lists"), { headers: auth })
    expect(full.status).toBe(200)
    expect(full.body).toMatchObject({
      lists: [
        { id: LIST, name: "Sim Coffee Newsletter", web_id: expect.any(Number), stats: expect.any(Object) },
        { id: "f6e5d4c3b2", name: "Sim Coffee Wholesale" }
      ],
      total_items: 2
    })
    const trimmed = await partnerFetch(api("/lists?count=1000&fields=lists.id,lists.name"), { headers: auth })
    expect(trimmed.body).toEqual({
      lists: [
        { id: LIST, name: "Sim Coffee Newsletter" },
        { id: "f6e5d4c3b2", name: "Sim Coffee Wholesale" }
      ]
    })
    expect((await partnerFetch(api("/lists?count=1&offset=1&fields=lists.id,total_items"), { headers: auth })).body).toEqual({
      lists: [{ id: "f6e5d4c3b2" }],
      total_items: 2
    })
  })

  it("refuses an unknown token (401 API Key Invalid: AUTH_INVALID) and another data center's host (403 Wrong Datacenter)", async () => {
    const unknown = await partnerFetch(api("/lists"), { headers: { authorization: "OAuth nope" } })
    expect(unknown.status).toBe(401)
    expect(unknown.body).toMatchObject({ title: "API Key Invalid" })
    expect(classify(unknown).code).toBe("AUTH_INVALID")
    const { accessToken } = await mint()
    const elsewhere = await partnerFetch(api("/lists", "us7"), { headers: { authorization: `OAuth ${accessToken}` } })
    expect(elsewhere.status).toBe(403)
    expect(elsewhere.body).toMatchObject({ title: "Wrong Datacenter" })
  })
})

describe("Mailchimp failures, as problem+json, as the classifier reads them", () => {
  it("unknown, expired and revoked tokens are all 401 API Key Invalid: AUTH_INVALID (Mailchimp cannot tell them apart)", async () => {
    const expired = await mint()
    await sim.control.expireToken(expired.accessToken)
    const revoked = await mint()
    await sim.control.revoke({ token: revoked.accessToken })
    for (const token of ["nope", expired.accessToken, revoked.accessToken]) {
      const reply = await createCampaign(token)
      expect(reply.status).toBe(401)
      expect(reply.headers["content-type"]).toContain("application/problem+json")
      expect(reply.body).toMatchObject({ title: "API Key Invalid", status: 401, type: "https://mailchimp.com/developer/marketing/docs/errors/" })
      expect(classify(reply).code).toBe("AUTH_INVALID")
    }
    const missing = await partnerFetch(api("/ping"))
    expect(missing.body).toMatchObject({ title: "API Key Missing" })
    expect(classify(missing).code).toBe("AUTH_INVALID")
  })

  it("a user whose role lost a permission (any scope removed) is 403 Forbidden: PERMISSION_INSUFFICIENT", async () => {
    const { accessToken } = await mint()
    await sim.control.removeScope({ token: accessToken, scope: "campaigns" })
    const reply = await createCampaign(accessToken)
    expect(reply.status).toBe(403)
    expect(reply.body).toMatchObject({ title: "Forbidden" })
    expect(classify(reply).code).toBe("PERMISSION_INSUFFICIENT")
  })

  it("a disabled account is 403 User Disabled: ACCOUNT_RESTRICTED", async () => {
    const { accessToken } = await mint()
    await sim.control.restrictAccount({ platform: "mailchimp", accountId: ACCOUNT })
    const reply = await createCampaign(accessToken)
    expect(reply.body).toMatchObject({ title: "User Disabled", status: 403 })
    expect(classify(reply).code).toBe("ACCOUNT_RESTRICTED")
  })

  it("a deleted list, or a campaign that does not exist, is 404 Resource Not Found: RESOURCE_NOT_FOUND", async () => {
    const { accessToken } = await mint()
    const id = ((await createCampaign(accessToken)).body as { id: string }).id
    await sim.control.deleteAccount("mailchimp", ACCOUNT)
    for (const reply of [
      await createCampaign(accessToken, "k2"),
      await partnerFetch(api(`/campaigns/${id}/content`), { method: "PUT", json: { html: "x" }, headers: { authorization: `Bearer ${accessToken}` } }),
      await partnerFetch(api("/campaigns/0000000000"), { headers: { authorization: `Bearer ${accessToken}` } })
    ]) {
      expect(reply.status).toBe(404)
      expect(reply.body).toMatchObject({ title: "Resource Not Found" })
      expect(classify(reply).code).toBe("RESOURCE_NOT_FOUND")
    }
  })

  it("faults: 500 Internal Server Error (PARTNER_5XX), 503 (PARTNER_UNAVAILABLE), 429 Too Many Requests (RATE_LIMIT_429), and quota answers the same 429", async () => {
    const { accessToken } = await mint()
    await sim.control.addFault({ kind: "http_5xx", platform: "mailchimp", count: 1 })
    const five = await createCampaign(accessToken)
    expect(five.body).toMatchObject({ title: "Internal Server Error", status: 500 })
    expect(classify(five).code).toBe("PARTNER_5XX")
    await sim.control.addFault({ kind: "http_5xx", platform: "mailchimp", status: 503, count: 1 })
    expect(classify(await createCampaign(accessToken)).code).toBe("PARTNER_UNAVAILABLE")

    await sim.control.addFault({ kind: "rate_limit", platform: "mailchimp", retryAfterSec: 5, count: 1 })
    const limited = await createCampaign(accessToken)
    expect(limited.body).toMatchObject({ title: "Too Many Requests", status: 429, detail: "You have exceeded the limit of 10 simultaneous connections." })
    expect(classify(limited)).toMatchObject({ code: "RATE_LIMIT_429", retryAfterMs: 5_000 })
    await sim.control.addFault({ kind: "quota", platform: "mailchimp", count: 1 })
    expect(classify(await createCampaign(accessToken)).code).toBe("RATE_LIMIT_429")
    expect(await sim.control.postCounts()).toEqual({})
  })
})

describe("Mailchimp OAuth", () => {
  const redirect = "http://127.0.0.1:4321/oauth/mailchimp/callback"

  it("exchanges a code for a token that never expires, whose metadata names the data center", async () => {
    const approved = await partnerFetch(
      `${sim.baseUrl("login.mailchimp.com")}/oauth2/authorize?${new URLSearchParams({
        response_type: "code",
        client_id: "sim-mailchimp-client",
        redirect_uri: redirect,
        state: "mc",
        sim_account: ACCOUNT,
        sim_decision: "approve"
      })}`
    )
    const code = new URL(approved.headers["location"] ?? "").searchParams.get("code") ?? ""
    const exchanged = await partnerFetch(`${sim.baseUrl("login.mailchimp.com")}/oauth2/token`, {
      form: { grant_type: "authorization_code", client_id: "sim-mailchimp-client", client_secret: "sim-mailchimp-secret", redirect_uri: redirect, code }
    })
    expect(exchanged.body).toEqual({ access_token: expect.any(String), expires_in: 0, scope: null })
    const token = (exchanged.body as { access_token: string }).access_token
    const metadata = await partnerFetch(`${sim.baseUrl("login.mailchimp.com")}/oauth2/metadata`, { headers: { authorization: `OAuth ${token}` } })
    expect(metadata.body).toMatchObject({ dc: "us1", api_endpoint: "https://us1.api.mailchimp.com", login: { login_id: "mc-login-1" } })
    expect((await createCampaign(token)).status).toBe(200)
    const unknown = await partnerFetch(`${sim.baseUrl("login.mailchimp.com")}/oauth2/metadata`, { headers: { authorization: "OAuth nope" } })
    expect(unknown.status).toBe(401)
    expect(classify(unknown).code).toBe("AUTH_INVALID")

    const refresh = await partnerFetch(`${sim.baseUrl("login.mailchimp.com")}/oauth2/token`, {
      form: { grant_type: "refresh_token", client_id: "sim-mailchimp-client", client_secret: "sim-mailchimp-secret", refresh_token: "x" }
    })
    expect(refresh.body).toMatchObject({ error: "unsupported_grant_type" })
  })
})
