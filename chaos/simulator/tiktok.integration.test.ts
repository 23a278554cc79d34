import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { classifyResponse, detectFailure } from "../../core/classify/Classifier.ts"
import type { Classification } from "../../core/taxonomy/Classification.ts"
import { pkceS256 } from "./OAuthFlow.ts"
import { type RunningSimulator, startPartnerSimulator } from "./PartnerSimulator.ts"
import { type PartnerReply, partnerFetch } from "./partnerFetch.ts"

let sim: RunningSimulator
beforeAll(async () => {
  sim = await startPartnerSimulator()
})
afterAll(() => sim.close())
beforeEach(() => sim.control.reset())

const CREATOR = "sim-open-id-1"
const api = (path: string): string => `${sim.baseUrl("open.tiktokapis.com")}${path}`

const auth = (token: string, key?: string): Record<string, string> => ({
  authorization: `Bearer ${token}`,
  ...(key === undefined ? {} : { "x-postd-dedupe-key": key })
})

const initVideo = (token: string, key = "tt-key-1"): Promise<PartnerReply> =>
  partnerFetch(api("/v2/post/publish/video/init/"), {
    json: {
      post_info: { title: "Pour-over in 30 seconds", privacy_level: "PUBLIC_TO_EVERYONE", disable_comment: false, disable_duet: false, disable_stitch: false },
      source_info: { source: "PULL_FROM_URL", video_url: "https://media.example.com/v.mp4" }
    },
    headers: auth(token, key)
  })

const fetchStatus = (token: string, publishId: string): Promise<PartnerReply> =>
  partnerFetch(api("/v2/post/publish/status/fetch/"), { json: { publish_id: publishId }, headers: auth(token) })

const mint = (scopes?: ReadonlyArray<string>) =>
  sim.control.mintToken({ platform: "tiktok", accountIds: [CREATOR], withRefreshToken: true, ...(scopes === undefined ? {} : { scopes }) })

const classify = (reply: PartnerReply): Classification =>
  classifyResponse({ platform: "tiktok", status: reply.status, headers: reply.headers, body: reply.body })

const errorCode = (reply: PartnerReply): unknown => (reply.body as { error?: { code?: unknown } }).error?.code

describe("TikTok content posting", () => {
  it("publishes a video: init answers a publish_id, status goes PROCESSING_DOWNLOAD then PUBLISH_COMPLETE, counted once", async () => {
    const { accessToken } = await mint()
    const info = await partnerFetch(api("/v2/post/publish/creator_info/query/"), { method: "POST", headers: auth(accessToken) })
    expect(info.body).toMatchObject({ data: { privacy_level_options: expect.arrayContaining(["SELF_ONLY"]) }, error: { code: "ok" } })

    const init = await initVideo(accessToken)
    expect(init.status).toBe(200)
    expect(init.body).toEqual({ data: { publish_id: expect.stringMatching(/^v_pub_url~v2-1\.\d+$/) }, error: { code: "ok", message: "", log_id: expect.any(String) } })
    const publishId = (init.body as { data: { publish_id: string } }).data.publish_id

    const processing = await fetchStatus(accessToken, publishId)
    expect(processing.body).toMatchObject({ data: { status: "PROCESSING_DOWNLOAD" }, error: { code: "ok" } })
    expect(detectFailure({ platform: "tiktok", status: processing.status, headers: processing.headers, body: processing.body })).toBeUndefined()
    const complete = await fetchStatus(accessToken, publishId)
    expect(complete.body).toMatchObject({ data: { status: "PUBLISH_COMPLETE", publicaly_available_post_id: [expect.stringMatching(/^\d+$/)] } })
    expect(await sim.control.postCounts()).toEqual({ "tt-key-1": 1 })
    expect((await sim.control.posts({ platform: "tiktok" }))[0]).toMatchObject({ accountId: CREATOR, partnerId: publishId, status: "PUBLISH_COMPLETE" })
  })

  it("publishes photos through content/init", async () => {
    const { accessToken } = await mint()
    const reply = await partnerFetch(api("/v2/post/publish/content/init/"), {
      json: {
        post_info: { title: "Beans", description: "Three origins", privacy_level: "SELF_ONLY" },
        source_info: { source: "PULL_FROM_URL", photo_images: ["https://media.example.com/1.jpg", "https://media.example.com/2.jpg"], photo_cover_index: 0 },
        post_mode: "DIRECT_POST",
        media_type: "PHOTO"
      },
      headers: auth(accessToken, "tt-photo")
    })
    expect(reply.body).toMatchObject({ data: { publish_id: expect.stringMatching(/^p_pub_url~/) }, error: { code: "ok" } })
    expect((await sim.control.posts({ dedupeKey: "tt-photo" }))[0]).toMatchObject({ text: "Three origins", media: ["https://media.example.com/1.jpg", "https://media.example.com/2.jpg"] })
  })

  it("answers user info for the token's creator and refuses malformed init bodies as invalid_params (VALIDATION_ERROR)", async () => {
    const { accessToken } = await mint()
    const me = await partnerFetch(api("/v2/user/info/?fields=open_id,display_name"), { headers: auth(accessToken) })
    expect(me.body).toMatchObject({ data: { user: { open_id: CREATOR } }, error: { code: "ok" } })
    const bad = await partnerFetch(api("/v2/post/publish/video/init/"), { json: { post_info: { title: "x" } }, headers: auth(accessToken) })
    expect(bad.status).toBe(400)
    expect(errorCode(bad)).toBe("invalid_params")
    expect(classify(bad).code).toBe("VALIDATION_ERROR")
  })
})

describe("TikTok failures, in TikTok's shapes, as the classifier reads them", () => {
  it("unknown, expired and revoked tokens are all 401 access_token_invalid, which the classifier reads as AUTH_EXPIRED (refresh first)", async () => {
    const { accessToken } = await mint()
    const unknown = await initVideo("act.nope")
    await sim.control.expireToken(accessToken)
    const expired = await initVideo(accessToken)
    const fresh = await mint()
    await sim.control.revoke({ token: fresh.accessToken })
    const revoked = await initVideo(fresh.accessToken)
    for (const reply of [unknown, expired, revoked]) {
      expect(reply.status).toBe(401)
      expect(errorCode(reply)).toBe("access_token_invalid")
      expect(classify(reply).code).toBe("AUTH_EXPIRED")
    }
  })

  it("a token without video.publish is 401 scope_not_authorized: PERMISSION_INSUFFICIENT", async () => {
    const { accessToken } = await mint(["user.info.basic"])
    const reply = await initVideo(accessToken)
    expect(reply.status).toBe(401)
    expect(errorCode(reply)).toBe("scope_not_authorized")
    expect(classify(reply).code).toBe("PERMISSION_INSUFFICIENT")
  })

  it("a banned creator is 403 spam_risk_user_banned_from_posting: ACCOUNT_RESTRICTED", async () => {
    const { accessToken } = await mint()
    await sim.control.restrictAccount({ platform: "tiktok", accountId: CREATOR })
    const reply = await initVideo(accessToken)
    expect(reply.status).toBe(403)
    expect(errorCode(reply)).toBe("spam_risk_user_banned_from_posting")
    expect(classify(reply).code).toBe("ACCOUNT_RESTRICTED")
  })

  it("an unknown publish_id, or one of a deleted creator, is 400 invalid_publish_id: RESOURCE_NOT_FOUND", async () => {
    const { accessToken } = await mint()
    const unknown = await fetchStatus(accessToken, "v_pub_url~v2-1.1")
    expect(unknown.status).toBe(400)
    expect(errorCode(unknown)).toBe("invalid_publish_id")
    expect(classify(unknown).code).toBe("RESOURCE_NOT_FOUND")

    const publishId = ((await initVideo(accessToken)).body as { data: { publish_id: string } }).data.publish_id
    await sim.control.deleteAccount("tiktok", CREATOR)
    const gone = await fetchStatus(accessToken, publishId)
    expect(errorCode(gone)).toBe("invalid_publish_id")
    expect(classify(gone).code).toBe("RESOURCE_NOT_FOUND")
    // Posting for a deleted creator: TikTok has no documented "user gone" code; its token is dead.
    const init = await initVideo(accessToken, "after-delete")
    expect(errorCode(init)).toBe("access_token_invalid")
  })

  it("faults: internal_error 500/503 (PARTNER_5XX), 429 rate_limit_exceeded (RATE_LIMIT_429, TikTok's one-minute window), daily cap (QUOTA_EXCEEDED)", async () => {
    const { accessToken } = await mint()
    await sim.control.addFault({ kind: "http_5xx", platform: "tiktok", count: 1 })
    const five = await initVideo(accessToken)
    expect(five.status).toBe(500)
    expect(errorCode(five)).toBe("internal_error")
    expect(classify(five).code).toBe("PARTNER_5XX")
    await sim.control.addFault({ kind: "http_5xx", platform: "tiktok", status: 503, count: 1 })
    expect(classify(await initVideo(accessToken)).code).toBe("PARTNER_5XX")

    await sim.control.addFault({ kind: "rate_limit", platform: "tiktok", count: 1 })
    const limited = await initVideo(accessToken)
    expect(limited.status).toBe(429)
    expect(errorCode(limited)).toBe("rate_limit_exceeded")
    expect(classify(limited)).toMatchObject({ code: "RATE_LIMIT_429", retryAfterMs: 60_000 })
    await sim.control.addFault({ kind: "rate_limit", platform: "tiktok", retryAfterSec: 90, count: 1 })
    expect(classify(await initVideo(accessToken))).toMatchObject({ code: "RATE_LIMIT_429", retryAfterMs: 90_000 })

    await sim.control.addFault({ kind: "quota", platform: "tiktok", count: 1 })
    const capped = await initVideo(accessToken)
    expect(capped.status).toBe(403)
    expect(errorCode(capped)).toBe("spam_risk_too_many_posts")
    expect(classify(capped).code).toBe("QUOTA_EXCEEDED")
    expect(await sim.control.postCounts()).toEqual({})
  })
})

describe("TikTok Login Kit", () => {
  const redirect = "http://127.0.0.1:4321/oauth/tiktok/callback"
  const verifier = "a-verifier-of-at-least-43-characters-0123456789abcdef"
  const authorize = (params: Readonly<Record<string, string>>): Promise<PartnerReply> =>
    partnerFetch(
      `${sim.baseUrl("www.tiktok.com")}/v2/auth/authorize/?${new URLSearchParams({
        client_key: "sim-tiktok-client",
        response_type: "code",
        scope: "user.info.basic,video.publish",
        redirect_uri: redirect,
        state: "tt-state",
        code_challenge: pkceS256(verifier),
        code_challenge_method: "S256",
        ...params
      })}`
    )
  const token = (form: Readonly<Record<string, string>>): Promise<PartnerReply> =>
    partnerFetch(api("/v2/oauth/token/"), { form: { client_key: "sim-tiktok-client", client_secret: "sim-tiktok-secret", ...form } })
  const codeOf = (reply: PartnerReply): string => new URL(reply.headers["location"] ?? "").searchParams.get("code") ?? ""

  it("exchanges a code with its PKCE verifier; refresh tokens rotate and the old one becomes invalid_grant (TOKEN_REFRESH_FAILED)", async () => {
    const approved = await authorize({ sim_account: CREATOR, sim_decision: "approve" })
    expect(new URL(approved.headers["location"] ?? "").searchParams.get("scopes")).toBe("user.info.basic,video.publish")
    const exchanged = await token({ grant_type: "authorization_code", code: codeOf(approved), redirect_uri: redirect, code_verifier: verifier })
    expect(exchanged.body).toEqual({
      access_token: expect.stringMatching(/^act\./),
      expires_in: 86_400,
      open_id: CREATOR,
      refresh_token: expect.stringMatching(/^rft\./),
      refresh_expires_in: 31_536_000,
      scope: "user.info.basic,video.publish",
      token_type: "Bearer"
    })
    const first = exchanged.body as { access_token: string; refresh_token: string }
    expect((await initVideo(first.access_token)).status).toBe(200)

    const refreshed = await token({ grant_type: "refresh_token", refresh_token: first.refresh_token })
    const second = refreshed.body as { access_token: string; refresh_token: string }
    expect(second.refresh_token).toMatch(/^rft\./)
    expect(second.refresh_token).not.toBe(first.refresh_token)
    const stale = await token({ grant_type: "refresh_token", refresh_token: first.refresh_token })
    expect(stale.status).toBe(400)
    expect(stale.body).toMatchObject({ error: "invalid_grant", error_description: expect.any(String), log_id: expect.any(String) })
    expect(classify(stale).code).toBe("TOKEN_REFRESH_FAILED")
  })

  it("refuses a code exchanged with the wrong PKCE verifier, and a challenge method other than S256", async () => {
    const wrong = await token({
      grant_type: "authorization_code",
      code: codeOf(await authorize({ sim_account: CREATOR, sim_decision: "approve" })),
      redirect_uri: redirect,
      code_verifier: "not-the-verifier"
    })
    expect(wrong.status).toBe(400)
    expect(wrong.body).toMatchObject({ error: "invalid_grant" })
    expect(classify(wrong).code).toBe("TOKEN_REFRESH_FAILED")
    const plain = await authorize({ code_challenge_method: "plain", sim_account: CREATOR, sim_decision: "approve" })
    expect(new URL(plain.headers["location"] ?? "").searchParams.get("error")).toBe("invalid_request")
  })
})
