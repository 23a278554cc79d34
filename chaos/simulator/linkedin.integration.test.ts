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

const ORG = "urn:li:organization:2000001"
const PERSON = "urn:li:person:sim-member-1"
const api = (path: string): string => `${sim.baseUrl("api.linkedin.com")}${path}`
const oauth = (path: string): string => `${sim.baseUrl("www.linkedin.com")}${path}`

const headers = (token: string, extra: Readonly<Record<string, string>> = {}): Record<string, string> => ({
  authorization: `Bearer ${token}`,
  "linkedin-version": "202411",
  "x-restli-protocol-version": "2.0.0",
  ...extra
})

const postBody = (author: string, commentary: string) => ({
  author,
  commentary,
  visibility: "PUBLIC",
  distribution: { feedDistribution: "MAIN_FEED", targetEntities: [], thirdPartyDistributionChannels: [] },
  lifecycleState: "PUBLISHED",
  isReshareDisabledByAuthor: false
})

const publish = (token: string, options: { readonly author?: string; readonly text?: string; readonly key?: string; readonly version?: string | null } = {}): Promise<PartnerReply> => {
  const h = headers(token, { "x-postd-dedupe-key": options.key ?? "li-key-1" })
  if (options.version === null) delete h["linkedin-version"]
  else if (options.version !== undefined) h["linkedin-version"] = options.version
  return partnerFetch(api("/rest/posts"), { json: postBody(options.author ?? ORG, options.text ?? "New seasonal blend"), headers: h })
}

const mint = async (over: { readonly scopes?: ReadonlyArray<string>; readonly accountIds?: ReadonlyArray<string> } = {}) =>
  sim.control.mintToken({ platform: "linkedin", accountIds: [ORG, PERSON], withRefreshToken: true, ...over })

const classify = (reply: PartnerReply): Classification =>
  classifyResponse({ platform: "linkedin", status: reply.status, headers: reply.headers, body: reply.body })

describe("LinkedIn posts", () => {
  it("publishes as an organization (201, x-restli-id), lists it by author and counts it under its dedupe key", async () => {
    const { accessToken } = await mint()
    const created = await publish(accessToken)
    expect(created.status).toBe(201)
    expect(created.text).toBe("")
    const urn = created.headers["x-restli-id"] ?? ""
    expect(urn).toMatch(/^urn:li:share:\d+$/)

    const list = await partnerFetch(api(`/rest/posts?author=${encodeURIComponent(ORG)}&q=author&count=10`), { headers: headers(accessToken) })
    expect(list.status).toBe(200)
    expect((list.body as { elements: unknown }).elements).toEqual([
      expect.objectContaining({ id: urn, commentary: "New seasonal blend", author: ORG, createdAt: expect.any(Number) })
    ])
    expect(await sim.control.postCounts({ platform: "linkedin" })).toEqual({ "li-key-1": 1 })
  })

  it("publishes as a member with w_member_social and answers userinfo", async () => {
    const { accessToken } = await mint({ scopes: ["openid", "w_member_social"] })
    expect((await publish(accessToken, { author: PERSON })).status).toBe(201)
    const me = await partnerFetch(api("/v2/userinfo"), { headers: { authorization: `Bearer ${accessToken}` } })
    expect(me.body).toMatchObject({ sub: "sim-member-1", name: expect.any(String) })
  })

  it("refuses the same commentary from the same author as a 422 DUPLICATE_POST: DUPLICATE_CONTENT", async () => {
    const { accessToken } = await mint()
    const first = await publish(accessToken)
    const again = await publish(accessToken, { key: "li-key-2" })
    expect(again.status).toBe(422)
    expect(again.body).toMatchObject({ errorDetails: { inputErrors: [{ code: "DUPLICATE_POST" }] }, status: 422 })
    expect(JSON.stringify(again.body)).toContain(first.headers["x-restli-id"] ?? "missing")
    expect(classify(again).code).toBe("DUPLICATE_CONTENT")
    expect(await sim.control.postCounts()).toEqual({ "li-key-1": 1 })
  })

  it("a missing or retired LinkedIn-Version is 426 NONEXISTENT_VERSION: VALIDATION_ERROR", async () => {
    const { accessToken } = await mint()
    for (const version of [null, "202001"]) {
      const reply = await publish(accessToken, { version })
      expect(reply.status).toBe(426)
      expect(reply.body).toMatchObject({ code: "NONEXISTENT_VERSION", status: 426 })
      expect(classify(reply).code).toBe("VALIDATION_ERROR")
    }
  })
})

describe("LinkedIn organizationAcls", () => {
  const acls = (token: string, params: Readonly<Record<string, string>> = {}, extra: Readonly<Record<string, string>> = {}): Promise<PartnerReply> =>
    partnerFetch(`${api("/rest/organizationAcls")}?${new URLSearchParams({ q: "roleAssignee", role: "ADMINISTRATOR", state: "APPROVED", ...params })}`, {
      headers: headers(token, extra)
    })

  it("lists the organizations the token's member administers, and none for another role", async () => {
    await sim.control.createAccount({ platform: "linkedin", accountId: "urn:li:organization:2000002", userId: "sim-member-1", name: "Sim Roasters" })
    const { accessToken } = await mint({ accountIds: [ORG, PERSON, "urn:li:organization:2000002"] })
    const reply = await acls(accessToken)
    expect(reply.status).toBe(200)
    expect(reply.body).toEqual({
      paging: { start: 0, count: 10, links: [], total: 2 },
      elements: [
        { organization: ORG, role: "ADMINISTRATOR", state: "APPROVED", roleAssignee: "urn:li:person:sim-member-1" },
        { organization: "urn:li:organization:2000002", role: "ADMINISTRATOR", state: "APPROVED", roleAssignee: "urn:li:person:sim-member-1" }
      ]
    })
    expect((await acls(accessToken, { count: "1", start: "1" })).body).toMatchObject({
      paging: { start: 1, count: 1, total: 2 },
      elements: [{ organization: "urn:li:organization:2000002" }]
    })
    expect((await acls(accessToken, { role: "ANALYST" })).body).toMatchObject({ elements: [], paging: { total: 0 } })
  })

  it("refuses a revoked token (65601: APP_DEAUTHORIZED), a member-only token (403 ACCESS_DENIED) and a missing LinkedIn-Version (426)", async () => {
    const { accessToken } = await mint()
    await sim.control.revoke({ token: accessToken })
    const revoked = await acls(accessToken)
    expect(revoked.status).toBe(401)
    expect(revoked.body).toMatchObject({ serviceErrorCode: 65601 })
    expect(classify(revoked).code).toBe("APP_DEAUTHORIZED")

    const member = await mint({ scopes: ["openid", "profile", "w_member_social"] })
    const denied = await acls(member.accessToken)
    expect(denied.status).toBe(403)
    expect(denied.body).toMatchObject({ serviceErrorCode: 100, message: "Not enough permissions to access: GET /rest/organizationAcls" })
    expect(classify(denied).code).toBe("PERMISSION_INSUFFICIENT")

    const unversioned = await partnerFetch(`${api("/rest/organizationAcls")}?q=roleAssignee`, { headers: { authorization: `Bearer ${member.accessToken}` } })
    expect(unversioned.status).toBe(426)
  })
})

describe("LinkedIn failures, in LinkedIn's shapes, as the classifier reads them", () => {
  it("an unknown token is 401 65600 (AUTH_INVALID); a missing one the documented 'Empty oauth2_access_token' (AUTH_INVALID)", async () => {
    const unknown = await publish("AQVnope")
    expect(unknown.status).toBe(401)
    expect(unknown.body).toMatchObject({ serviceErrorCode: 65600 })
    expect(classify(unknown).code).toBe("AUTH_INVALID")
    const missing = await partnerFetch(api("/rest/posts"), { json: postBody(ORG, "x"), headers: { "linkedin-version": "202411" } })
    expect(missing.body).toEqual({ message: "Empty oauth2_access_token", serviceErrorCode: 401, status: 401 })
    expect(classify(missing).code).toBe("AUTH_INVALID")
  })

  it("an expired token is 401 65602: AUTH_EXPIRED", async () => {
    const { accessToken } = await mint()
    await sim.control.expireToken(accessToken)
    const reply = await publish(accessToken)
    expect(reply.status).toBe(401)
    expect(reply.body).toMatchObject({ serviceErrorCode: 65602, code: "EXPIRED_ACCESS_TOKEN" })
    expect(classify(reply).code).toBe("AUTH_EXPIRED")
  })

  it("a revoked app is 401 65601: APP_DEAUTHORIZED", async () => {
    const { accessToken } = await mint()
    await sim.control.revoke({ platform: "linkedin", accountId: ORG })
    const reply = await publish(accessToken)
    expect(reply.body).toMatchObject({ serviceErrorCode: 65601, code: "REVOKED_ACCESS_TOKEN" })
    expect(classify(reply).code).toBe("APP_DEAUTHORIZED")
  })

  it("a missing w_organization_social is 403 serviceErrorCode 100 naming the call: PERMISSION_INSUFFICIENT", async () => {
    const { accessToken } = await mint()
    await sim.control.removeScope({ accountId: ORG, scope: "w_organization_social" })
    const reply = await publish(accessToken)
    expect(reply.status).toBe(403)
    expect(reply.body).toMatchObject({ serviceErrorCode: 100, message: "Not enough permissions to access: POST /rest/posts" })
    expect(classify(reply).code).toBe("PERMISSION_INSUFFICIENT")
    // The member scope still works: only the organization's scope went.
    expect((await publish(accessToken, { author: PERSON, key: "li-member" })).status).toBe(201)
  })

  it("a restricted member is 401 65608: ACCOUNT_RESTRICTED, not a token problem", async () => {
    const { accessToken } = await mint()
    await sim.control.restrictAccount({ platform: "linkedin", accountId: ORG })
    const reply = await publish(accessToken)
    expect(reply.status).toBe(401)
    expect(reply.body).toMatchObject({ serviceErrorCode: 65608, code: "RESTRICTED_MEMBER" })
    expect(classify(reply).code).toBe("ACCOUNT_RESTRICTED")
  })

  it("a deleted organization is 404: RESOURCE_NOT_FOUND; an unknown path is 'Resource X does not exist': VALIDATION_ERROR", async () => {
    const { accessToken } = await mint()
    await sim.control.deleteAccount("linkedin", ORG)
    const gone = await publish(accessToken)
    expect(gone.status).toBe(404)
    expect(classify(gone).code).toBe("RESOURCE_NOT_FOUND")
    const wrongPath = await partnerFetch(api("/rest/postz"), { headers: headers(accessToken) })
    expect(wrongPath.body).toMatchObject({ status: 404, message: "Resource postz does not exist" })
    expect(classify(wrongPath).code).toBe("VALIDATION_ERROR")
  })

  it("faults: 500 (PARTNER_5XX), 503 (PARTNER_UNAVAILABLE), 429 serviceErrorCode 101 (RATE_LIMIT_429 with Retry-After), DAY limit (QUOTA_EXCEEDED)", async () => {
    const { accessToken } = await mint()
    await sim.control.addFault({ kind: "http_5xx", platform: "linkedin", count: 1 })
    expect(classify(await publish(accessToken)).code).toBe("PARTNER_5XX")
    await sim.control.addFault({ kind: "http_5xx", platform: "linkedin", status: 503, count: 1 })
    expect(classify(await publish(accessToken)).code).toBe("PARTNER_UNAVAILABLE")

    await sim.control.addFault({ kind: "rate_limit", platform: "linkedin", retryAfterSec: 30, count: 1 })
    const limited = await publish(accessToken)
    expect(limited.status).toBe(429)
    expect(limited.headers["retry-after"]).toBe("30")
    expect(limited.body).toMatchObject({ serviceErrorCode: 101, status: 429 })
    expect(classify(limited)).toMatchObject({ code: "RATE_LIMIT_429", retryAfterMs: 30_000 })

    await sim.control.addFault({ kind: "rate_limit", platform: "linkedin", count: 1 })
    const bare = classify(await publish(accessToken))
    expect(bare.code).toBe("RATE_LIMIT_429")
    expect(bare.retryAfterMs).toBeUndefined()

    await sim.control.addFault({ kind: "quota", platform: "linkedin", count: 1 })
    const day = await publish(accessToken)
    expect(day.body).toMatchObject({ message: expect.stringContaining("APPLICATION DAY limit") })
    expect(classify(day).code).toBe("QUOTA_EXCEEDED")
    expect(await sim.control.postCounts()).toEqual({})
  })
})

describe("LinkedIn OAuth", () => {
  const redirect = "http://127.0.0.1:4321/oauth/linkedin/callback"
  const authorize = (params: Readonly<Record<string, string>>): Promise<PartnerReply> =>
    partnerFetch(
      `${oauth("/oauth/v2/authorization")}?${new URLSearchParams({
        response_type: "code",
        client_id: "sim-linkedin-client",
        redirect_uri: redirect,
        state: "li-state",
        scope: "openid w_organization_social",
        ...params
      })}`
    )
  const token = (form: Readonly<Record<string, string>>): Promise<PartnerReply> =>
    partnerFetch(oauth("/oauth/v2/accessToken"), { form: { client_id: "sim-linkedin-client", client_secret: "sim-linkedin-secret", ...form } })

  it("exchanges a code, then rotates the refresh token on every refresh; the old one is then invalid_grant (TOKEN_REFRESH_FAILED)", async () => {
    const approved = await authorize({ sim_account: ORG, sim_decision: "approve" })
    const code = new URL(approved.headers["location"] ?? "").searchParams.get("code") ?? ""
    const first = await token({ grant_type: "authorization_code", code, redirect_uri: redirect })
    expect(first.status).toBe(200)
    expect(first.body).toEqual({
      access_token: expect.stringMatching(/^AQV/),
      expires_in: 5_184_000,
      refresh_token: expect.stringMatching(/^AQX/),
      refresh_token_expires_in: 31_536_000,
      scope: "openid,w_organization_social"
    })
    const { access_token: access, refresh_token: refresh } = first.body as { access_token: string; refresh_token: string }
    expect((await publish(access)).status).toBe(201)

    const refreshed = await token({ grant_type: "refresh_token", refresh_token: refresh })
    expect(refreshed.status).toBe(200)
    const rotated = (refreshed.body as { refresh_token: string }).refresh_token
    expect(rotated).toMatch(/^AQX/)
    expect(rotated).not.toBe(refresh)

    const stale = await token({ grant_type: "refresh_token", refresh_token: refresh })
    expect(stale.status).toBe(400)
    expect(stale.body).toEqual({ error: "invalid_grant", error_description: "The provided authorization grant or refresh token is invalid, expired or revoked" })
    expect(classify(stale).code).toBe("TOKEN_REFRESH_FAILED")
    expect((await token({ grant_type: "refresh_token", refresh_token: rotated })).status).toBe(200)
  })

  it("refuses a refresh after the member revoked the app, a reused code, a wrong redirect_uri and bad client credentials", async () => {
    const { refreshToken } = await mint()
    await sim.control.revoke({ token: refreshToken ?? "" })
    const revoked = await token({ grant_type: "refresh_token", refresh_token: refreshToken ?? "" })
    expect(classify(revoked).code).toBe("TOKEN_REFRESH_FAILED")

    const code = () => authorize({ sim_account: ORG, sim_decision: "approve" }).then((r) => new URL(r.headers["location"] ?? "").searchParams.get("code") ?? "")
    const once = await code()
    expect((await token({ grant_type: "authorization_code", code: once, redirect_uri: redirect })).status).toBe(200)
    expect((await token({ grant_type: "authorization_code", code: once, redirect_uri: redirect })).body).toMatchObject({ error: "invalid_grant" })
    expect((await token({ grant_type: "authorization_code", code: await code(), redirect_uri: "http://127.0.0.1:1/else" })).body).toMatchObject({
      error: "invalid_grant"
    })
    const badClient = await token({ grant_type: "authorization_code", code: await code(), redirect_uri: redirect, client_secret: "wrong" })
    expect(badClient.status).toBe(401)
    expect(badClient.body).toMatchObject({ error: "invalid_client" })
  })
})

describe("LinkedIn token introspection", () => {
  const introspect = (token: string, client: { readonly id: string; readonly secret: string } = { id: "sim-linkedin-client", secret: "sim-linkedin-secret" }) =>
    partnerFetch(oauth("/oauth/v2/introspectToken"), { form: { client_id: client.id, client_secret: client.secret, token } })

  it("answers an active token's status, scopes and expiry in seconds", async () => {
    const minted = await sim.control.mintToken({ platform: "linkedin", accountIds: [ORG] })
    const reply = await introspect(minted.accessToken)
    expect(reply.status).toBe(200)
    expect(reply.body).toMatchObject({
      active: true,
      status: "active",
      client_id: "sim-linkedin-client",
      auth_type: "3L",
      expires_at: Math.floor((minted.expiresAt ?? 0) / 1_000),
      created_at: expect.any(Number)
    })
    expect(String((reply.body as { scope: string }).scope).split(",")).toEqual(expect.arrayContaining(["w_organization_social", "r_organization_social"]))
  })

  it("reflects a removed scope, an expired token, a revoked grant, and knows no token of another client", async () => {
    const minted = await sim.control.mintToken({ platform: "linkedin", accountIds: [ORG] })
    await sim.control.removeScope({ token: minted.accessToken, scope: "w_organization_social" })
    expect((await introspect(minted.accessToken)).body).toMatchObject({ active: true, scope: expect.not.stringContaining("w_organization_social") })

    const expiring = await sim.control.mintToken({ platform: "linkedin", accountIds: [ORG] })
    await sim.control.expireToken(expiring.accessToken)
    expect((await introspect(expiring.accessToken)).body).toMatchObject({ active: false, status: "expired" })

    await sim.control.revoke({ token: minted.accessToken })
    expect((await introspect(minted.accessToken)).body).toMatchObject({ active: false, status: "revoked" })

    expect((await introspect("AQVnot-a-token")).body).toEqual({ active: false })
    await sim.control.registerApp({ platform: "linkedin", clientId: "other-client", clientSecret: "other-secret", redirectUris: [] })
    expect((await introspect(expiring.accessToken, { id: "other-client", secret: "other-secret" })).body).toEqual({ active: false })
  })

  it("refuses wrong client credentials as invalid_client and a missing token as invalid_request", async () => {
    const minted = await sim.control.mintToken({ platform: "linkedin", accountIds: [ORG] })
    const bad = await introspect(minted.accessToken, { id: "sim-linkedin-client", secret: "wrong" })
    expect(bad.status).toBe(401)
    expect(bad.body).toMatchObject({ error: "invalid_client" })
    const missing = await partnerFetch(oauth("/oauth/v2/introspectToken"), { form: { client_id: "sim-linkedin-client", client_secret: "sim-linkedin-secret" } })
    expect(missing.status).toBe(400)
    expect(missing.body).toMatchObject({ error: "invalid_request" })
  })
})
