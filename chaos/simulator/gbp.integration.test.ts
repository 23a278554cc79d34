import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { classifyResponse } from "../../core/classify/Classifier.ts"
import type { Classification } from "../../core/taxonomy/Classification.ts"
import { pkceS256 } from "./OAuthFlow.ts"
import { type RunningSimulator, startPartnerSimulator } from "./PartnerSimulator.ts"
import { type PartnerReply, partnerFetch } from "./partnerFetch.ts"
import { GBP_SCOPE } from "./TokenPolicy.ts"

let sim: RunningSimulator
beforeAll(async () => {
  sim = await startPartnerSimulator()
})
afterAll(() => sim.close())
beforeEach(() => sim.control.reset())

const LOCATION = "accounts/3000001/locations/4000001"
const posts = (location = LOCATION): string => `${sim.baseUrl("mybusiness.googleapis.com")}/v4/${location}/localPosts`

const create = (token: string, key = "gbp-key-1", location = LOCATION): Promise<PartnerReply> =>
  partnerFetch(posts(location), {
    json: { languageCode: "en-US", summary: "Open late on Friday", topicType: "STANDARD", media: [{ mediaFormat: "PHOTO", sourceUrl: "https://cdn.example.com/p.jpg" }] },
    headers: { authorization: `Bearer ${token}`, "x-postd-dedupe-key": key }
  })

const mint = (scopes?: ReadonlyArray<string>) =>
  sim.control.mintToken({ platform: "gbp", accountIds: [LOCATION], withRefreshToken: true, ...(scopes === undefined ? {} : { scopes }) })

const classify = (reply: PartnerReply): Classification => classifyResponse({ platform: "gbp", status: reply.status, headers: reply.headers, body: reply.body })

const googleError = (reply: PartnerReply): { readonly status?: string; readonly details?: ReadonlyArray<{ readonly reason?: string }> } =>
  (reply.body as { error: { status?: string; details?: ReadonlyArray<{ reason?: string }> } }).error

describe("Google Business Profile local posts", () => {
  it("creates a LIVE local post, lists it, and counts it under its dedupe key", async () => {
    const { accessToken } = await mint()
    const created = await create(accessToken)
    expect(created.status).toBe(200)
    expect(created.body).toMatchObject({
      name: expect.stringMatching(/^accounts\/3000001\/locations\/4000001\/localPosts\/\d+$/),
      summary: "Open late on Friday",
      state: "LIVE",
      createTime: expect.any(String),
      searchUrl: expect.stringContaining("https://local.google.com/"),
      media: [expect.objectContaining({ mediaFormat: "PHOTO", sourceUrl: "https://cdn.example.com/p.jpg" })]
    })
    const list = await partnerFetch(`${posts()}?pageSize=1`, { headers: { authorization: `Bearer ${accessToken}` } })
    expect(list.body).toEqual({ localPosts: [expect.objectContaining({ name: (created.body as { name: string }).name, state: "LIVE" })] })
    expect(await sim.control.postCounts({ platform: "gbp" })).toEqual({ "gbp-key-1": 1 })
  })

  it("answers tokeninfo and userinfo for a live token, invalid_token for a dead one", async () => {
    const { accessToken } = await mint()
    const info = await partnerFetch(`${sim.baseUrl("www.googleapis.com")}/oauth2/v3/tokeninfo?access_token=${accessToken}`)
    expect(info.body).toMatchObject({ scope: GBP_SCOPE, sub: "google-user-1", exp: expect.stringMatching(/^\d+$/) })
    const me = await partnerFetch(`${sim.baseUrl("www.googleapis.com")}/oauth2/v3/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } })
    expect(me.body).toMatchObject({ sub: "google-user-1" })
    await sim.control.expireToken(accessToken)
    const dead = await partnerFetch(`${sim.baseUrl("www.googleapis.com")}/oauth2/v3/tokeninfo?access_token=${accessToken}`)
    expect(dead.status).toBe(400)
    expect(dead.body).toEqual({ error: "invalid_token", error_description: "Invalid Value" })
    expect(classify(dead).code).toBe("AUTH_INVALID")
  })

  it("refuses an invalid body as INVALID_ARGUMENT (VALIDATION_ERROR); a malformed path gets Google's HTML 404 (VALIDATION_ERROR)", async () => {
    const { accessToken } = await mint()
    const bad = await partnerFetch(posts(), { json: { topicType: "NOPE" }, headers: { authorization: `Bearer ${accessToken}` } })
    expect(bad.status).toBe(400)
    expect(googleError(bad).status).toBe("INVALID_ARGUMENT")
    expect(classify(bad).code).toBe("VALIDATION_ERROR")
    const html = await partnerFetch(`${sim.baseUrl("mybusiness.googleapis.com")}/v4/4000001/localPosts`, { headers: { authorization: `Bearer ${accessToken}` } })
    expect(html.status).toBe(404)
    expect(html.headers["content-type"]).toContain("text/html")
    expect(classify(html).code).toBe("VALIDATION_ERROR")
  })
})

describe("Google Business Profile account and location listings (v1)", () => {
  const accounts = (token: string): Promise<PartnerReply> =>
    partnerFetch(`${sim.baseUrl("mybusinessaccountmanagement.googleapis.com")}/v1/accounts`, { headers: { authorization: `Bearer ${token}` } })
  const locations = (token: string, account = "3000001", readMask: string | null = "name,title"): Promise<PartnerReply> =>
    partnerFetch(
      `${sim.baseUrl("mybusinessbusinessinformation.googleapis.com")}/v1/accounts/${account}/locations${readMask === null ? "" : `?readMask=${readMask}`}`,
      { headers: { authorization: `Bearer ${token}` } }
    )

  it("lists each account holding the grant's locations once, and its locations with the fields of readMask", async () => {
    await sim.control.createAccount({ platform: "gbp", accountId: "accounts/3000001/locations/4000002", userId: "google-user-1", name: "Sim Coffee Uptown" })
    await sim.control.createAccount({ platform: "gbp", accountId: "accounts/3000009/locations/4000009", userId: "google-user-1", name: "Sim Kiosk" })
    const { accessToken } = await sim.control.mintToken({
      platform: "gbp",
      accountIds: [LOCATION, "accounts/3000001/locations/4000002", "accounts/3000009/locations/4000009"]
    })
    const listed = await accounts(accessToken)
    expect(listed.status).toBe(200)
    expect(listed.body).toEqual({
      accounts: [
        expect.objectContaining({ name: "accounts/3000001", accountName: expect.any(String), type: "PERSONAL" }),
        expect.objectContaining({ name: "accounts/3000009", type: "PERSONAL" })
      ]
    })
    expect((await locations(accessToken)).body).toEqual({
      locations: [
        { name: "locations/4000001", title: "Sim Coffee Downtown" },
        { name: "locations/4000002", title: "Sim Coffee Uptown" }
      ]
    })
    expect((await locations(accessToken, "3000009", "name")).body).toEqual({ locations: [{ name: "locations/4000009" }] })
  })

  it("answers an empty message ({}) when the grant has no location left under the account", async () => {
    const { accessToken } = await mint()
    await sim.control.deleteAccount("gbp", LOCATION)
    const reply = await locations(accessToken)
    expect(reply.status).toBe(200)
    expect(reply.body).toEqual({})
  })

  it("refuses a listing without readMask (400 INVALID_ARGUMENT: VALIDATION_ERROR), an account outside the grant and a token without business.manage (403)", async () => {
    const { accessToken } = await mint()
    const noMask = await locations(accessToken, "3000001", null)
    expect(noMask.status).toBe(400)
    expect(googleError(noMask).status).toBe("INVALID_ARGUMENT")
    expect(JSON.stringify(noMask.body)).toContain("read_mask")
    expect(classify(noMask).code).toBe("VALIDATION_ERROR")

    const other = await locations(accessToken, "9999999")
    expect(other.status).toBe(403)
    expect(googleError(other).status).toBe("PERMISSION_DENIED")

    await sim.control.removeScope({ token: accessToken, scope: GBP_SCOPE })
    for (const reply of [await accounts(accessToken), await locations(accessToken)]) {
      expect(reply.status).toBe(403)
      expect(googleError(reply).details).toEqual([expect.objectContaining({ reason: "ACCESS_TOKEN_SCOPE_INSUFFICIENT" })])
      expect(classify(reply).code).toBe("PERMISSION_INSUFFICIENT")
    }
    const expired = await mint()
    await sim.control.expireToken(expired.accessToken)
    expect(classify(await accounts(expired.accessToken)).code).toBe("AUTH_EXPIRED")
  })
})

describe("Google failures, in google.rpc.Status shapes, as the classifier reads them", () => {
  it("an expired token is 401 UNAUTHENTICATED with ErrorInfo ACCESS_TOKEN_EXPIRED: AUTH_EXPIRED", async () => {
    const { accessToken } = await mint()
    await sim.control.expireToken(accessToken)
    const reply = await create(accessToken)
    expect(reply.status).toBe(401)
    expect(reply.headers["www-authenticate"]).toContain('error="invalid_token"')
    expect(googleError(reply)).toMatchObject({ status: "UNAUTHENTICATED", details: [expect.objectContaining({ reason: "ACCESS_TOKEN_EXPIRED" })] })
    expect(classify(reply).code).toBe("AUTH_EXPIRED")
  })

  it("a revoked grant (or an unknown token) is 401 ACCESS_TOKEN_INVALID: AUTH_INVALID, since Google cannot tell them apart", async () => {
    const { accessToken } = await mint()
    await sim.control.revoke({ platform: "gbp", userId: "google-user-1" })
    for (const reply of [await create(accessToken), await create("ya29.unknown")]) {
      expect(reply.status).toBe(401)
      expect(googleError(reply).details).toEqual([expect.objectContaining({ reason: "ACCESS_TOKEN_INVALID" })])
      expect(classify(reply).code).toBe("AUTH_INVALID")
    }
    const missing = await partnerFetch(posts(), { json: { summary: "x" } })
    expect(googleError(missing).details).toEqual([expect.objectContaining({ reason: "CREDENTIALS_MISSING" })])
    expect(classify(missing).code).toBe("AUTH_INVALID")
  })

  it("a token without business.manage is 403 PERMISSION_DENIED ACCESS_TOKEN_SCOPE_INSUFFICIENT: PERMISSION_INSUFFICIENT", async () => {
    const { accessToken } = await mint()
    await sim.control.removeScope({ token: accessToken, scope: GBP_SCOPE })
    const reply = await create(accessToken)
    expect(reply.status).toBe(403)
    expect(reply.headers["www-authenticate"]).toContain('error="insufficient_scope"')
    expect(googleError(reply)).toMatchObject({ status: "PERMISSION_DENIED", details: [expect.objectContaining({ reason: "ACCESS_TOKEN_SCOPE_INSUFFICIENT" })] })
    expect(classify(reply).code).toBe("PERMISSION_INSUFFICIENT")
  })

  it("a suspended location has no Google reason of its own: 403 PERMISSION_DENIED, read as PERMISSION_INSUFFICIENT (not ACCOUNT_RESTRICTED)", async () => {
    const { accessToken } = await mint()
    await sim.control.restrictAccount({ platform: "gbp", accountId: LOCATION })
    const reply = await create(accessToken)
    expect(reply.status).toBe(403)
    expect(googleError(reply).status).toBe("PERMISSION_DENIED")
    expect(classify(reply).code).toBe("PERMISSION_INSUFFICIENT")
  })

  it("a deleted location is 404 NOT_FOUND: RESOURCE_NOT_FOUND", async () => {
    const { accessToken } = await mint()
    await sim.control.deleteAccount("gbp", LOCATION)
    const reply = await create(accessToken)
    expect(reply.status).toBe(404)
    expect(googleError(reply).status).toBe("NOT_FOUND")
    expect(classify(reply).code).toBe("RESOURCE_NOT_FOUND")
  })

  it("faults: INTERNAL (PARTNER_5XX), UNAVAILABLE (PARTNER_UNAVAILABLE), RESOURCE_EXHAUSTED (RATE_LIMIT_429; QUOTA_EXCEEDED for the daily quota)", async () => {
    const { accessToken } = await mint()
    await sim.control.addFault({ kind: "http_5xx", platform: "gbp", count: 1 })
    const internal = await create(accessToken)
    expect(googleError(internal).status).toBe("INTERNAL")
    expect(classify(internal).code).toBe("PARTNER_5XX")
    await sim.control.addFault({ kind: "http_5xx", platform: "gbp", status: 503, count: 1 })
    const unavailable = await create(accessToken)
    expect(googleError(unavailable).status).toBe("UNAVAILABLE")
    expect(classify(unavailable).code).toBe("PARTNER_UNAVAILABLE")

    await sim.control.addFault({ kind: "rate_limit", platform: "gbp", retryAfterSec: 20, count: 1 })
    const limited = await create(accessToken)
    expect(limited.status).toBe(429)
    expect(googleError(limited)).toMatchObject({ status: "RESOURCE_EXHAUSTED", details: [expect.objectContaining({ reason: "RATE_LIMIT_EXCEEDED" })] })
    expect(classify(limited)).toMatchObject({ code: "RATE_LIMIT_429", retryAfterMs: 20_000 })

    await sim.control.addFault({ kind: "quota", platform: "gbp", count: 1 })
    const daily = await create(accessToken)
    expect(googleError(daily).details).toEqual([expect.objectContaining({ reason: "RESOURCE_QUOTA_EXCEEDED" })])
    expect(classify(daily).code).toBe("QUOTA_EXCEEDED")
    expect(await sim.control.postCounts()).toEqual({})
  })
})

describe("Google OAuth", () => {
  const redirect = "http://localhost:4321/oauth/google/callback"
  const verifier = "google-pkce-verifier-0123456789-abcdefghijklmnop"
  const token = (form: Readonly<Record<string, string>>): Promise<PartnerReply> =>
    partnerFetch(`${sim.baseUrl("oauth2.googleapis.com")}/token`, { form: { client_id: "sim-gbp-client", client_secret: "sim-gbp-secret", ...form } })

  it("the code exchange returns a refresh token; a refresh returns none and the stored one keeps working", async () => {
    const approved = await partnerFetch(
      `${sim.baseUrl("accounts.google.com")}/o/oauth2/v2/auth?${new URLSearchParams({
        client_id: "sim-gbp-client",
        redirect_uri: redirect,
        response_type: "code",
        scope: GBP_SCOPE,
        access_type: "offline",
        state: "g-state",
        code_challenge: pkceS256(verifier),
        code_challenge_method: "S256",
        sim_account: LOCATION,
        sim_decision: "approve"
      })}`
    )
    const location = new URL(approved.headers["location"] ?? "")
    expect(location.searchParams.get("scope")).toBe(GBP_SCOPE)
    const first = await token({ grant_type: "authorization_code", code: location.searchParams.get("code") ?? "", redirect_uri: redirect, code_verifier: verifier })
    expect(first.body).toEqual({
      access_token: expect.stringMatching(/^ya29\./),
      expires_in: 3_599,
      refresh_token: expect.stringMatching(/^1\/\//),
      scope: GBP_SCOPE,
      token_type: "Bearer"
    })
    const refreshToken = (first.body as { refresh_token: string }).refresh_token
    for (let i = 0; i < 2; i++) {
      const refreshed = await token({ grant_type: "refresh_token", refresh_token: refreshToken })
      expect(refreshed.status).toBe(200)
      expect(refreshed.body).not.toHaveProperty("refresh_token")
      expect((await create((refreshed.body as { access_token: string }).access_token, `gbp-${i}`)).status).toBe(200)
    }
  })

  it("after the user revokes (control API or Google's /revoke), refresh is invalid_grant 'Token has been expired or revoked.': TOKEN_REFRESH_FAILED", async () => {
    const viaControl = await mint()
    await sim.control.revoke({ token: viaControl.accessToken })
    const viaGoogle = await mint()
    const revoked = await partnerFetch(`${sim.baseUrl("oauth2.googleapis.com")}/revoke`, { form: { token: viaGoogle.accessToken } })
    expect(revoked.status).toBe(200)
    const again = await partnerFetch(`${sim.baseUrl("oauth2.googleapis.com")}/revoke`, { form: { token: viaGoogle.accessToken } })
    expect(again.body).toEqual({ error: "invalid_token", error_description: "Token expired or revoked" })
    expect(classify(again).code).toBe("AUTH_INVALID")
    for (const tokens of [viaControl, viaGoogle]) {
      const reply = await token({ grant_type: "refresh_token", refresh_token: tokens.refreshToken ?? "" })
      expect(reply.status).toBe(400)
      expect(reply.body).toEqual({ error: "invalid_grant", error_description: "Token has been expired or revoked." })
      expect(classify(reply).code).toBe("TOKEN_REFRESH_FAILED")
    }
  })
})

describe("Google Business Profile location state (v1 locations/{id})", () => {
  const location = (token: string, id = "4000001", readMask: string | null = "name,title,metadata"): Promise<PartnerReply> =>
    partnerFetch(
      `${sim.baseUrl("mybusinessbusinessinformation.googleapis.com")}/v1/locations/${id}${readMask === null ? "" : `?readMask=${readMask}`}`,
      { headers: { authorization: `Bearer ${token}` } }
    )
  const metadata = (reply: PartnerReply): Record<string, unknown> => (reply.body as { metadata: Record<string, unknown> }).metadata

  it("answers the location with the fields of readMask, able to post while healthy", async () => {
    const { accessToken } = await mint()
    const reply = await location(accessToken)
    expect(reply.status).toBe(200)
    expect(reply.body).toMatchObject({ name: "locations/4000001", title: "Sim Coffee Downtown", metadata: { hasVoiceOfMerchant: true, canOperateLocalPost: true } })
    expect((await location(accessToken, "4000001", "name")).body).toEqual({ name: "locations/4000001" })
    expect((await location(accessToken, "4000001", "metadata.hasVoiceOfMerchant")).body).toEqual({ metadata: { hasVoiceOfMerchant: true } })
    expect(classify(await location(accessToken, "4000001", null)).code).toBe("VALIDATION_ERROR")
  })

  it("answers a restricted location 200 without voice of merchant or local posts, a deleted one 404 NOT_FOUND", async () => {
    const { accessToken } = await mint()
    await sim.control.restrictAccount({ platform: "gbp", accountId: LOCATION })
    const restricted = await location(accessToken)
    expect(restricted.status).toBe(200)
    expect(metadata(restricted)).toMatchObject({ hasVoiceOfMerchant: false, canOperateLocalPost: false })
    await sim.control.deleteAccount("gbp", LOCATION)
    const gone = await location(accessToken)
    expect(gone.status).toBe(404)
    expect(googleError(gone).status).toBe("NOT_FOUND")
    expect(classify(gone).code).toBe("RESOURCE_NOT_FOUND")
    expect(classify(await location(accessToken, "4999999")).code).toBe("RESOURCE_NOT_FOUND")
  })

  it("checks access as the other location calls: the grant must hold the location, with business.manage, on a live token", async () => {
    await sim.control.createAccount({ platform: "gbp", accountId: "accounts/3000002/locations/4000002", userId: "google-user-2" })
    const { accessToken } = await mint()
    const other = await location(accessToken, "4000002")
    expect(other.status).toBe(403)
    expect(googleError(other).status).toBe("PERMISSION_DENIED")
    await sim.control.removeScope({ token: accessToken, scope: GBP_SCOPE })
    expect(classify(await location(accessToken)).code).toBe("PERMISSION_INSUFFICIENT")
    const expired = await mint()
    await sim.control.expireToken(expired.accessToken)
    expect(classify(await location(expired.accessToken)).code).toBe("AUTH_EXPIRED")
  })
})
