import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { classifyResponse } from "../../core/classify/Classifier.ts"
import type { ErrorCode } from "../../core/taxonomy/Taxonomy.ts"
import { type RunningSimulator, startPartnerSimulator } from "./PartnerSimulator.ts"
import { type PartnerReply, partnerFetch } from "./partnerFetch.ts"

let sim: RunningSimulator
beforeAll(async () => {
  sim = await startPartnerSimulator()
})
afterAll(() => sim.close())
beforeEach(() => sim.control.reset())

const PAGE = "1000001"
const IG = "17841400000000001"
const graph = (path: string): string => `${sim.baseUrl("graph.facebook.com")}/v21.0${path}`

const pageToken = async (over: { readonly scopes?: ReadonlyArray<string> } = {}): Promise<string> =>
  (await sim.control.mintToken({ platform: "meta", accountIds: [PAGE, `ig:${IG}`], ...over })).accessToken

const postToFeed = (token: string, dedupeKey = "meta-key-1", page = PAGE): Promise<PartnerReply> =>
  partnerFetch(graph(`/${page}/feed`), {
    form: { message: "Fresh roast today", access_token: token },
    headers: { "x-postd-dedupe-key": dedupeKey }
  })

const classified = (reply: PartnerReply): { readonly code: ErrorCode; readonly retryAfterMs?: number } => {
  const c = classifyResponse({ platform: "meta", status: reply.status, headers: reply.headers, body: reply.body })
  return c.retryAfterMs === undefined ? { code: c.code } : { code: c.code, retryAfterMs: c.retryAfterMs }
}

const graphError = (reply: PartnerReply): unknown => (reply.body as { readonly error?: unknown }).error

describe("Meta pages", () => {
  it("publishes to a page feed with a valid token; the post is listed and counted under its dedupe key", async () => {
    const token = await pageToken()
    const created = await postToFeed(token)
    expect(created.status).toBe(200)
    const id = (created.body as { id: string }).id
    expect(id).toMatch(/^1000001_\d+$/)

    const feed = await partnerFetch(graph(`/${PAGE}/feed?fields=id,message,created_time&limit=5`), { headers: { authorization: `Bearer ${token}` } })
    expect(feed.status).toBe(200)
    expect(feed.body).toEqual({ data: [{ id, message: "Fresh roast today", created_time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$/) }] })
    expect(await sim.control.postCounts()).toEqual({ "meta-key-1": 1 })
    const [post] = await sim.control.posts({ dedupeKey: "meta-key-1" })
    expect(post).toMatchObject({ platform: "meta", accountId: PAGE, partnerId: id, text: "Fresh roast today", status: "PUBLISHED" })
  })

  it("publishes a photo with url and caption, answering the photo id and the post id", async () => {
    const token = await pageToken()
    const reply = await partnerFetch(graph(`/${PAGE}/photos`), {
      json: { url: "https://cdn.example.com/a.jpg", caption: "Latte art", access_token: token },
      headers: { "x-postd-dedupe-key": "photo-1" }
    })
    expect(reply.status).toBe(200)
    expect(reply.body).toEqual({ id: expect.stringMatching(/^\d+$/), post_id: expect.stringMatching(/^1000001_\d+$/) })
    expect((await sim.control.posts({ platform: "meta" }))[0]).toMatchObject({ media: ["https://cdn.example.com/a.jpg"], text: "Latte art" })
  })

  it("answers /me and /me/permissions, listing a removed permission as declined", async () => {
    const token = await pageToken()
    await sim.control.removeScope({ token, scope: "pages_manage_posts" })
    const me = await partnerFetch(graph("/me?fields=id,name"), { headers: { authorization: `Bearer ${token}` } })
    expect(me.body).toMatchObject({ id: "meta-user-1" })
    const permissions = await partnerFetch(graph(`/me/permissions?access_token=${token}`))
    const data = (permissions.body as { data: ReadonlyArray<{ permission: string; status: string }> }).data
    expect(data).toContainEqual({ permission: "pages_manage_posts", status: "declined" })
    expect(data).toContainEqual({ permission: "instagram_content_publish", status: "granted" })
  })
})

describe("Meta /me/accounts", () => {
  type PageEntry = { readonly id: string; readonly access_token: string; readonly instagram_business_account?: { readonly id: string } }
  const pagesOf = (reply: PartnerReply): ReadonlyArray<PageEntry> => (reply.body as { data: ReadonlyArray<PageEntry> }).data

  it("lists the grant's pages with a usable page token, and the Instagram account of the page's user", async () => {
    const token = await pageToken()
    const reply = await partnerFetch(graph("/me/accounts?fields=id,name,access_token,instagram_business_account"), { headers: { authorization: `Bearer ${token}` } })
    expect(reply.status).toBe(200)
    expect(reply.body).toEqual({
      data: [
        {
          id: PAGE,
          name: "Sim Coffee Page",
          access_token: token,
          category: "Coffee Shop",
          category_list: [expect.objectContaining({ name: "Coffee Shop" })],
          tasks: ["MANAGE", "CREATE_CONTENT"],
          instagram_business_account: { id: IG }
        }
      ],
      paging: { cursors: { before: expect.any(String), after: expect.any(String) } }
    })
    const pageAccessToken = pagesOf(reply)[0]?.access_token ?? ""
    expect((await postToFeed(pageAccessToken)).status).toBe(200)
  })

  it("links an Instagram account only to a page of the same user, and leaves deleted pages out", async () => {
    await sim.control.createAccount({ platform: "meta", accountId: "1000002", userId: "someone-else", name: "Other Page" })
    await sim.control.createAccount({ platform: "meta", accountId: "1000003", userId: "meta-user-1", name: "Gone Page" })
    const { accessToken } = await sim.control.mintToken({ platform: "meta", accountIds: ["1000002", PAGE, "1000003", `ig:${IG}`], userId: "meta-user-1" })
    await sim.control.deleteAccount("meta", "1000003")
    const pages = pagesOf(await partnerFetch(graph(`/me/accounts?access_token=${accessToken}`)))
    expect(pages.map((p) => [p.id, p.instagram_business_account?.id])).toEqual([
      ["1000002", undefined],
      [PAGE, IG]
    ])
  })

  it("lists no pages for a token without pages_show_list", async () => {
    const token = await pageToken({ scopes: ["pages_manage_posts"] })
    const reply = await partnerFetch(graph(`/me/accounts?access_token=${token}`))
    expect(reply.status).toBe(200)
    expect(reply.body).toEqual({ data: [] })
  })

  it("refuses an expired token with 190/463 (AUTH_EXPIRED) and an unknown one with 190 (AUTH_INVALID)", async () => {
    const token = await pageToken()
    await sim.control.expireToken(token)
    const expired = await partnerFetch(graph("/me/accounts"), { headers: { authorization: `Bearer ${token}` } })
    expect(expired.status).toBe(400)
    expect(graphError(expired)).toMatchObject({ code: 190, error_subcode: 463 })
    expect(classified(expired).code).toBe("AUTH_EXPIRED")
    const unknown = await partnerFetch(graph("/me/accounts?access_token=EAAGnope"))
    expect(classified(unknown).code).toBe("AUTH_INVALID")
  })
})

describe("Meta Instagram", () => {
  it("publishes through a FINISHED container; publishing the same container again creates nothing", async () => {
    const token = await pageToken()
    const auth = { authorization: `Bearer ${token}` }
    const container = await partnerFetch(graph(`/${IG}/media`), { json: { image_url: "https://cdn.example.com/b.jpg", caption: "Beans" }, headers: auth })
    expect(container.status).toBe(200)
    const creationId = (container.body as { id: string }).id
    const status = await partnerFetch(graph(`/${creationId}?fields=status_code`), { headers: auth })
    expect(status.body).toEqual({ status_code: "FINISHED", id: creationId })

    const publish = () => partnerFetch(graph(`/${IG}/media_publish`), { json: { creation_id: creationId }, headers: { ...auth, "x-postd-dedupe-key": "ig-1" } })
    const first = await publish()
    expect(first.status).toBe(200)
    const again = await publish()
    expect(again.body).toEqual(first.body)
    expect(await sim.control.postCounts()).toEqual({ "ig-1": 1 })

    const media = await partnerFetch(graph(`/${IG}/media?fields=id,caption,timestamp`), { headers: auth })
    expect((media.body as { data: ReadonlyArray<unknown> }).data).toEqual([
      { id: (first.body as { id: string }).id, caption: "Beans", timestamp: expect.any(String) }
    ])
  })

  it("refuses a container without media as an invalid parameter", async () => {
    const token = await pageToken()
    const reply = await partnerFetch(graph(`/${IG}/media`), { json: { caption: "no media", access_token: token } })
    expect(reply.status).toBe(400)
    expect(graphError(reply)).toMatchObject({ code: 100 })
    expect(classified(reply).code).toBe("VALIDATION_ERROR")
  })
})

describe("Meta failures, in Meta's shapes, as the classifier reads them", () => {
  it("an unknown token is 190 with the invalid_token header: AUTH_INVALID", async () => {
    const reply = await postToFeed("EAAGnot-a-real-token")
    expect(reply.status).toBe(400)
    expect(reply.headers["www-authenticate"]).toMatch(/^OAuth "Facebook Platform" "invalid_token"/)
    expect(graphError(reply)).toMatchObject({ code: 190, type: "OAuthException" })
    expect(classified(reply).code).toBe("AUTH_INVALID")
  })

  it("an expired token is 190/463: AUTH_EXPIRED", async () => {
    const token = await pageToken()
    await sim.control.expireToken(token)
    const reply = await postToFeed(token)
    expect(reply.status).toBe(400)
    expect(reply.headers["www-authenticate"]).toContain('"invalid_token"')
    expect(graphError(reply)).toMatchObject({ code: 190, error_subcode: 463 })
    expect(classified(reply).code).toBe("AUTH_EXPIRED")
  })

  it("a revoked app is 190/458: APP_DEAUTHORIZED", async () => {
    const token = await pageToken()
    expect(await sim.control.revoke({ platform: "meta", userId: "meta-user-1" })).toBe(1)
    const reply = await postToFeed(token)
    expect(graphError(reply)).toMatchObject({ code: 190, error_subcode: 458 })
    expect(classified(reply).code).toBe("APP_DEAUTHORIZED")
  })

  it("a missing pages_manage_posts or instagram_content_publish is code 200 as HTTP 403: PERMISSION_INSUFFICIENT", async () => {
    const token = await pageToken({ scopes: ["pages_show_list"] })
    const feed = await postToFeed(token)
    expect(feed.status).toBe(403)
    expect(graphError(feed)).toMatchObject({ code: 200, message: expect.stringContaining("pages_manage_posts") })
    expect(classified(feed).code).toBe("PERMISSION_INSUFFICIENT")
    const ig = await partnerFetch(graph(`/${IG}/media`), { json: { image_url: "https://cdn.example.com/c.jpg", access_token: token } })
    expect(ig.status).toBe(403)
    expect(classified(ig).code).toBe("PERMISSION_INSUFFICIENT")
  })

  it("a page the token does not manage is a code 200 permission error: PERMISSION_INSUFFICIENT", async () => {
    await sim.control.createAccount({ platform: "meta", accountId: "1000002", userId: "someone-else" })
    const reply = await postToFeed(await pageToken(), "k", "1000002")
    expect(reply.status).toBe(403)
    expect(classified(reply).code).toBe("PERMISSION_INSUFFICIENT")
  })

  it("a restricted page is 368 (or 190/459 for a checkpoint): ACCOUNT_RESTRICTED, and nothing is posted", async () => {
    const token = await pageToken()
    await sim.control.restrictAccount({ platform: "meta", accountId: PAGE })
    const blocked = await postToFeed(token)
    expect(graphError(blocked)).toMatchObject({ code: 368 })
    expect(classified(blocked).code).toBe("ACCOUNT_RESTRICTED")
    await sim.control.restrictAccount({ platform: "meta", accountId: PAGE, variant: "checkpoint" })
    const checkpoint = await postToFeed(token)
    expect(graphError(checkpoint)).toMatchObject({ code: 190, error_subcode: 459 })
    expect(classified(checkpoint).code).toBe("ACCOUNT_RESTRICTED")
    expect(await sim.control.postCounts()).toEqual({})
  })

  it("a deleted page is 100/33: RESOURCE_NOT_FOUND", async () => {
    const token = await pageToken()
    await sim.control.deleteAccount("meta", PAGE)
    const reply = await postToFeed(token)
    expect(reply.status).toBe(400)
    expect(graphError(reply)).toMatchObject({ code: 100, error_subcode: 33, type: "GraphMethodException" })
    expect(classified(reply).code).toBe("RESOURCE_NOT_FOUND")
  })

  it("server faults are code 2 as 500 (PARTNER_5XX) and 503 (PARTNER_UNAVAILABLE)", async () => {
    const token = await pageToken()
    await sim.control.addFault({ kind: "http_5xx", platform: "meta", count: 1 })
    const five = await postToFeed(token)
    expect(five.status).toBe(500)
    expect(graphError(five)).toMatchObject({ code: 2, is_transient: true })
    expect(classified(five).code).toBe("PARTNER_5XX")
    await sim.control.addFault({ kind: "http_5xx", platform: "meta", status: 503, count: 1 })
    const unavailable = await postToFeed(token)
    expect(unavailable.status).toBe(503)
    expect(classified(unavailable).code).toBe("PARTNER_UNAVAILABLE")
    expect(await sim.control.postCounts()).toEqual({})
  })

  it("throttling is 80001/80002 with X-Business-Use-Case-Usage, or code 4 with X-App-Usage, never 429: RATE_LIMIT_429 with the stated wait", async () => {
    const token = await pageToken()
    await sim.control.addFault({ kind: "rate_limit", platform: "meta", retryAfterSec: 180, count: 1 })
    const page = await postToFeed(token)
    expect(page.status).toBe(400)
    expect(graphError(page)).toMatchObject({ code: 80001 })
    expect(JSON.parse(page.headers["x-business-use-case-usage"] ?? "{}")).toEqual({
      [PAGE]: [expect.objectContaining({ type: "pages", estimated_time_to_regain_access: 3 })]
    })
    expect(classified(page)).toEqual({ code: "RATE_LIMIT_429", retryAfterMs: 180_000 })

    await sim.control.addFault({ kind: "rate_limit", platform: "meta", count: 1 })
    const ig = await partnerFetch(graph(`/${IG}/media`), { json: { image_url: "https://cdn.example.com/d.jpg", access_token: token } })
    expect(graphError(ig)).toMatchObject({ code: 80002 })
    // No regain estimate: the classifier falls back to the usage percentages (100% → its 5-minute floor).
    expect(classified(ig)).toEqual({ code: "RATE_LIMIT_429", retryAfterMs: 300_000 })

    await sim.control.addFault({ kind: "rate_limit", platform: "meta", variant: "app", count: 1 })
    const app = await postToFeed(token)
    expect(app.status).toBe(403)
    expect(graphError(app)).toMatchObject({ code: 4 })
    expect(JSON.parse(app.headers["x-app-usage"] ?? "{}")).toMatchObject({ call_count: 100 })
    expect(classified(app).code).toBe("RATE_LIMIT_429")

    await sim.control.addFault({ kind: "rate_limit", platform: "meta", variant: "page", count: 1 })
    const legacy = await postToFeed(token)
    expect(graphError(legacy)).toMatchObject({ code: 32 })
    expect(classified(legacy).code).toBe("RATE_LIMIT_429")
  })

  it("the daily cap is 9/2207042: QUOTA_EXCEEDED", async () => {
    await sim.control.addFault({ kind: "quota", platform: "meta", count: 1 })
    const reply = await postToFeed(await pageToken())
    expect(graphError(reply)).toMatchObject({ code: 9, error_subcode: 2207042 })
    expect(classified(reply).code).toBe("QUOTA_EXCEEDED")
  })

  it("an unknown path is Meta's 2500, which the classifier leaves UNKNOWN for triage", async () => {
    const reply = await partnerFetch(graph(`/${PAGE}/nonsense?access_token=x`))
    expect(graphError(reply)).toMatchObject({ code: 2500 })
    expect(classified(reply).code).toBe("UNKNOWN")
  })
})

describe("Facebook Login", () => {
  const redirect = "http://127.0.0.1:4321/oauth/meta/callback"
  const dialog = (params: Readonly<Record<string, string>>): string =>
    `${sim.baseUrl("www.facebook.com")}/v21.0/dialog/oauth?${new URLSearchParams({
      client_id: "sim-meta-client",
      redirect_uri: redirect,
      state: "st-1",
      response_type: "code",
      scope: "pages_manage_posts,pages_show_list",
      ...params
    })}`

  it("shows a consent page, approves with sim_account, and the code exchanges exactly once", async () => {
    const page = await partnerFetch(dialog({}))
    expect(page.status).toBe(200)
    expect(page.text).toContain('name="sim_decision"')

    const approved = await partnerFetch(dialog({ sim_account: PAGE, sim_decision: "approve" }))
    expect(approved.status).toBe(302)
    const location = new URL(approved.headers["location"] ?? "")
    expect(`${location.origin}${location.pathname}`).toBe(redirect)
    expect(location.searchParams.get("state")).toBe("st-1")
    const code = location.searchParams.get("code") ?? ""

    const exchange = () =>
      partnerFetch(graph(`/oauth/access_token?${new URLSearchParams({ client_id: "sim-meta-client", client_secret: "sim-meta-secret", redirect_uri: redirect, code })}`))
    const tokens = await exchange()
    expect(tokens.body).toEqual({ access_token: expect.stringMatching(/^EAAG/), token_type: "bearer", expires_in: 5_184_000 })
    const access = (tokens.body as { access_token: string }).access_token
    expect((await postToFeed(access)).status).toBe(200)
    const permissions = await partnerFetch(graph(`/me/permissions?access_token=${access}`))
    expect((permissions.body as { data: ReadonlyArray<unknown> }).data).toEqual([
      { permission: "pages_manage_posts", status: "granted" },
      { permission: "pages_show_list", status: "granted" }
    ])

    const reused = await exchange()
    expect(reused.status).toBe(400)
    expect(graphError(reused)).toMatchObject({ code: 100, error_subcode: 36009 })
  })

  it("deny redirects with access_denied; an unregistered client or redirect gets an error page, not a redirect", async () => {
    const denied = await partnerFetch(dialog({ sim_decision: "deny" }))
    const location = new URL(denied.headers["location"] ?? "")
    expect(location.searchParams.get("error")).toBe("access_denied")
    expect(location.searchParams.get("error_reason")).toBe("user_denied")
    expect(location.searchParams.get("state")).toBe("st-1")

    expect((await partnerFetch(dialog({ client_id: "nobody", sim_account: PAGE, sim_decision: "approve" }))).status).toBe(400)
    expect((await partnerFetch(dialog({ redirect_uri: "https://evil.example/cb", sim_account: PAGE, sim_decision: "approve" }))).status).toBe(400)
    await sim.control.registerApp({ platform: "meta", clientId: "strict-app", clientSecret: "s3cret", redirectUris: ["https://app.example/cb"] })
    expect((await partnerFetch(dialog({ client_id: "strict-app", sim_account: PAGE, sim_decision: "approve" }))).status).toBe(400)
    const strict = await partnerFetch(dialog({ client_id: "strict-app", redirect_uri: "https://app.example/cb", sim_account: PAGE, sim_decision: "approve" }))
    expect(strict.status).toBe(302)
  })
})
