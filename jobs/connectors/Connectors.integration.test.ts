// The five connectors over real HTTP against the partner simulator (chaos/simulator/main.ts, run as
// its own process: jobs/ may not import chaos/), configured the way production is, through
// PartnersLive and PARTNER_SIMULATOR_URL. The simulator is driven through its /_control API.
import { type ChildProcess, spawn } from "node:child_process"
import path from "node:path"
import { ConfigProvider, Effect, Layer, Redacted } from "effect"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { type Connector, Connectors, type Credentials, type PostContent, type PublishRequest } from "../../core/publish/Connector.ts"
import type { ErrorCode, Platform } from "../../core/taxonomy/Taxonomy.ts"
import type { TaxonomyError } from "../../core/taxonomy/TaxonomyError.ts"
import { PartnersLive } from "./PartnersLive.ts"

const SIMULATOR_MAIN = path.resolve(import.meta.dirname, "../../chaos/simulator/main.ts")

interface Simulator {
  readonly url: string
  readonly child: ChildProcess
  readonly exited: Promise<number | null>
}

const startSimulator = async (): Promise<Simulator> => {
  const child = spawn(process.execPath, [SIMULATOR_MAIN], {
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1" },
    stdio: ["ignore", "pipe", "pipe"]
  })
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
  let url: string | undefined
  let stdout = ""
  let stderr = ""
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8")
    for (const line of stdout.split("\n")) {
      if (!line.trim().startsWith("{")) continue
      try {
        const parsed: unknown = JSON.parse(line)
        const candidate = typeof parsed === "object" && parsed !== null && "url" in parsed ? parsed.url : undefined
        if (typeof candidate === "string") url = candidate
      } catch {
        // A partial line; the rest is still on its way.
      }
    }
  })
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8")
  })
  const deadline = Date.now() + 30_000
  while (url === undefined) {
    if (child.exitCode !== null) throw new Error(`simulator exited with ${child.exitCode}: ${stderr}`)
    if (Date.now() > deadline) throw new Error(`simulator did not start: ${stderr}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  return { url, child, exited }
}

let sim: Simulator

const control = async <T>(method: string, route: string, body?: unknown): Promise<T> => {
  const response = await fetch(`${sim.url}/_control${route}`, {
    method,
    ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`control ${method} ${route}: ${response.status} ${text}`)
  return (text === "" ? undefined : JSON.parse(text)) as T
}

interface Minted {
  readonly accessToken: string
  readonly refreshToken?: string
}

const mint = (platform: Platform, accountIds: ReadonlyArray<string>, extra: Record<string, unknown> = {}) =>
  control<Minted>("POST", "/tokens", { platform, accountIds, ...extra })
const postCount = async (dedupeKey: string): Promise<number> =>
  (await control<Record<string, number>>("GET", `/posts/counts?dedupeKey=${encodeURIComponent(dedupeKey)}`))[dedupeKey] ?? 0
const addFault = (spec: Record<string, unknown>) => control("POST", "/faults", spec)

const connectorsFrom = (env: Record<string, string>): Promise<Connectors["Service"]> =>
  Effect.runPromise(
    Effect.gen(function* () {
      return yield* Connectors
    }).pipe(Effect.provide(PartnersLive.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown(env))))))
  )

let connectors: Connectors["Service"]
let impatient: Connectors["Service"]

beforeAll(async () => {
  sim = await startSimulator()
  const env = { PARTNER_SIMULATOR_URL: sim.url, PARTNER_POLL_ATTEMPTS: "10", PARTNER_POLL_INTERVAL_MS: "20" }
  connectors = await connectorsFrom(env)
  impatient = await connectorsFrom({ ...env, PARTNER_TIMEOUT_MS: "300" })
})

afterAll(async () => {
  sim.child.kill("SIGTERM")
  await sim.exited
})

beforeEach(async () => {
  await control("POST", "/reset", {})
})

const run = <A>(effect: Effect.Effect<A, TaxonomyError>): Promise<A> => Effect.runPromise(effect)
const failure = (effect: Effect.Effect<unknown, TaxonomyError>): Promise<TaxonomyError> => Effect.runPromise(Effect.flip(effect))

const credentials = (platform: Platform, partnerAccountId: string, token: string): Credentials => ({
  connectionId: `conn-${platform}`,
  platform,
  partnerAccountId,
  partnerUserId: null,
  accessToken: Redacted.make(token),
  scopes: []
})

interface Fixture {
  readonly name: string
  readonly platform: Platform
  readonly accountId: string
  /** The accounts the minted token is granted for. */
  readonly grantFor: ReadonlyArray<string>
  readonly content: PostContent
  /** A path substring of the (first) publish call, for faults aimed at it. */
  readonly publishPath: string
  /** The call that makes the post public: losing its answer leaves a published post behind. */
  readonly lastPublishPath: string
  /** What a 503 on the publish call reads as. */
  readonly unavailable: ErrorCode
  /** A scope whose removal makes publishing impossible. */
  readonly publishScope: string
  /** How the health check shows that scope gone: its report leaves it out, or the check fails. */
  readonly healthSeesScope: "report" | "fails" | undefined
  readonly expired: ErrorCode | undefined
  readonly revoked: ErrorCode
  readonly refresh: "rotates" | "keeps" | undefined
}

const FIXTURES: ReadonlyArray<Fixture> = [
  {
    name: "Facebook page",
    platform: "meta",
    accountId: "1000001",
    grantFor: ["1000001", "ig:17841400000000001"],
    content: { text: "Fresh roast today", format: "text", mediaUrls: [], link: "https://simcoffee.example/roast" },
    publishPath: "/1000001/feed",
    lastPublishPath: "/1000001/feed",
    unavailable: "PARTNER_UNAVAILABLE",
    publishScope: "pages_manage_posts",
    healthSeesScope: "report",
    expired: "AUTH_EXPIRED",
    revoked: "APP_DEAUTHORIZED",
    refresh: undefined
  },
  {
    name: "Instagram",
    platform: "meta",
    accountId: "ig:17841400000000001",
    grantFor: ["1000001", "ig:17841400000000001"],
    content: { text: "Latte art of the day", format: "image", mediaUrls: ["https://cdn.simcoffee.example/latte.jpg"] },
    publishPath: "/17841400000000001/media",
    lastPublishPath: "/17841400000000001/media_publish",
    unavailable: "PARTNER_UNAVAILABLE",
    publishScope: "instagram_content_publish",
    healthSeesScope: "report",
    expired: "AUTH_EXPIRED",
    revoked: "APP_DEAUTHORIZED",
    refresh: undefined
  },
  {
    name: "LinkedIn organization",
    platform: "linkedin",
    accountId: "urn:li:organization:2000001",
    grantFor: ["urn:li:organization:2000001"],
    content: { text: "We are hiring baristas (again) #coffee", format: "text", mediaUrls: [] },
    publishPath: "/rest/posts",
    lastPublishPath: "/rest/posts",
    unavailable: "PARTNER_UNAVAILABLE",
    publishScope: "w_organization_social",
    healthSeesScope: "report",
    expired: "AUTH_EXPIRED",
    revoked: "APP_DEAUTHORIZED",
    refresh: "rotates"
  },
  {
    name: "TikTok",
    platform: "tiktok",
    accountId: "sim-open-id-1",
    grantFor: ["sim-open-id-1"],
    content: { text: "Pour-over in 30 seconds", format: "video", mediaUrls: ["https://cdn.simcoffee.example/pour.mp4"] },
    publishPath: "/v2/post/publish/video/init/",
    lastPublishPath: "/v2/post/publish/video/init/",
    // TikTok documents no 503 body: its internal_error code decides, whatever the status.
    unavailable: "PARTNER_5XX",
    publishScope: "video.publish",
    healthSeesScope: "fails",
    // TikTok has one code for an expired and a revoked token; its advice is to refresh.
    expired: "AUTH_EXPIRED",
    revoked: "AUTH_EXPIRED",
    refresh: "rotates"
  },
  {
    name: "Google Business Profile",
    platform: "gbp",
    accountId: "accounts/3000001/locations/4000001",
    grantFor: ["accounts/3000001/locations/4000001"],
    content: { text: "Open late on Friday", format: "text", mediaUrls: [], link: "https://simcoffee.example/hours" },
    publishPath: "/localPosts",
    lastPublishPath: "/localPosts",
    unavailable: "PARTNER_UNAVAILABLE",
    publishScope: "https://www.googleapis.com/auth/business.manage",
    healthSeesScope: "fails",
    expired: "AUTH_EXPIRED",
    revoked: "AUTH_INVALID",
    refresh: "keeps"
  },
  {
    name: "Mailchimp",
    platform: "mailchimp",
    accountId: "us1:a1b2c3d4e5",
    grantFor: ["us1:a1b2c3d4e5"],
    content: { text: "Spring beans are in\n\nTry the new Ethiopia roast.", format: "text", mediaUrls: [], title: "Spring beans" },
    publishPath: "/campaigns",
    lastPublishPath: "/actions/send",
    unavailable: "PARTNER_UNAVAILABLE",
    publishScope: "",
    healthSeesScope: undefined,
    // Mailchimp tokens never expire.
    expired: undefined,
    revoked: "AUTH_INVALID",
    refresh: undefined
  }
]

const withRefresh = (f: Fixture): boolean => f.refresh !== undefined

describe.each(FIXTURES)("$name connector against the simulator", (f) => {
  const connector = (): Connector => connectors.forPlatform(f.platform)
  let dedupeSeq = 0
  const request = async (extra: Partial<PublishRequest> = {}) => {
    const token = await mint(f.platform, f.grantFor, withRefresh(f) ? { withRefreshToken: true } : {})
    dedupeSeq++
    return {
      token,
      request: {
        credentials: credentials(f.platform, f.accountId, token.accessToken),
        content: f.content,
        dedupeKey: `${f.platform}-${f.accountId}-${dedupeSeq}`,
        intentAt: new Date(Date.now() - 1_000),
        ...extra
      } satisfies PublishRequest
    }
  }

  it("publishes once under its dedupe key; reconciliation finds nothing before and the same post after", async () => {
    const { request: req } = await request()
    expect(await run(connector().findPublished(req))).toBeUndefined()
    const post = await run(connector().publish(req))
    expect(post.partnerPostId).not.toBe("")
    expect(await postCount(req.dedupeKey)).toBe(1)
    if (f.platform === "tiktok") {
      // TikTok reconciles by the publish_id of the attempt, which the caller keeps as partnerRef.
      expect(await run(connector().findPublished(req))).toBeUndefined()
    } else {
      expect((await run(connector().findPublished(req)))?.partnerPostId).toBe(post.partnerPostId)
    }
    expect(await postCount(req.dedupeKey)).toBe(1)
  })

  it("does not take an older identical post for this attempt's", async () => {
    const { request: req } = await request()
    await run(connector().publish(req))
    const later = { ...req, dedupeKey: `${req.dedupeKey}-later`, intentAt: new Date(Date.now() + 10 * 60_000) }
    expect(await run(connector().findPublished(later))).toBeUndefined()
  })

  it("recovers a publish whose answer was lost: TIMEOUT, then found by reconciliation, still one post", async () => {
    const { request: req } = await request()
    await addFault({ kind: "accept_then_timeout", platform: f.platform, path: f.lastPublishPath, method: "POST", count: 1 })
    const error = await failure(impatient.forPlatform(f.platform).publish(req))
    expect(error._tag).toBe("TIMEOUT")
    if (f.platform === "tiktok") {
      expect(await run(connector().findPublished(req))).toBeUndefined()
    } else {
      expect(await run(connector().findPublished(req))).toBeDefined()
    }
    expect(await postCount(req.dedupeKey)).toBe(1)
  })

  it("passes its health check, reporting the publishing scope where the platform lists scopes", async () => {
    const { request: req } = await request()
    const report = await run(connector().healthCheck(req.credentials))
    if (f.healthSeesScope === "report" || f.platform === "gbp") expect(report.scopes).toContain(f.publishScope)
  })

  if (f.expired !== undefined) it("reads an expired access token as the platform's expiry code", async () => {
    const { token, request: req } = await request()
    await control("POST", "/tokens/expire", { token: token.accessToken })
    expect((await failure(connector().publish(req)))._tag).toBe(f.expired)
    expect((await failure(connector().healthCheck(req.credentials)))._tag).toBe(f.expired)
  })

  it("reads an app the user removed as the platform reports it, in publishing and in the health check", async () => {
    const { token, request: req } = await request()
    await control("POST", "/revoke", { token: token.accessToken })
    expect((await failure(connector().publish(req)))._tag).toBe(f.revoked)
    expect((await failure(connector().healthCheck(req.credentials)))._tag).toBe(f.revoked)
  })

  if (f.publishScope !== "") it("reads a removed publishing scope as PERMISSION_INSUFFICIENT, and the health check sees it", async () => {
    const { token, request: req } = await request()
    await control("POST", "/scopes/remove", { token: token.accessToken, scope: f.publishScope })
    expect((await failure(connector().publish(req)))._tag).toBe("PERMISSION_INSUFFICIENT")
    if (f.healthSeesScope === "fails") {
      expect((await failure(connector().healthCheck(req.credentials)))._tag).toBe("PERMISSION_INSUFFICIENT")
    } else {
      const report = await run(connector().healthCheck(req.credentials))
      expect(report.scopes).toBeDefined()
      expect(report.scopes).not.toContain(f.publishScope)
    }
  })

  it("reads a 500 as PARTNER_5XX and a 503 as the platform's unavailable", async () => {
    const { request: req } = await request()
    await addFault({ kind: "http_5xx", platform: f.platform, path: f.publishPath, method: "POST", status: 500, count: 1 })
    expect((await failure(connector().publish(req)))._tag).toBe("PARTNER_5XX")
    await addFault({ kind: "http_5xx", platform: f.platform, path: f.publishPath, method: "POST", status: 503, count: 1 })
    expect((await failure(connector().publish(req)))._tag).toBe(f.unavailable)
    expect(await postCount(req.dedupeKey)).toBe(0)
  })

  it("reads a rate limit as RATE_LIMIT_429 and keeps the Retry-After wait", async () => {
    const { request: req } = await request()
    await addFault({ kind: "rate_limit", platform: f.platform, path: f.publishPath, method: "POST", retryAfterSec: 42, count: 1 })
    const error = await failure(connector().publish(req))
    expect(error._tag).toBe("RATE_LIMIT_429")
    expect(error.retryAfterMs).toBeGreaterThanOrEqual(42_000)
  })

  it("reads a partner that never answers as TIMEOUT within PARTNER_TIMEOUT_MS", async () => {
    const { request: req } = await request()
    await addFault({ kind: "timeout", platform: f.platform, path: f.publishPath, method: "POST", count: 1 })
    const started = Date.now()
    expect((await failure(impatient.forPlatform(f.platform).publish(req)))._tag).toBe("TIMEOUT")
    expect(Date.now() - started).toBeLessThan(5_000)
  })

  it("reads a connection reset as NETWORK_ERROR", async () => {
    const { request: req } = await request()
    await addFault({ kind: "reset", platform: f.platform, path: f.publishPath, method: "POST", count: 1 })
    expect((await failure(connector().publish(req)))._tag).toBe("NETWORK_ERROR")
  })

  if (f.refresh !== undefined) it("refreshes the token and the refreshed token works", async () => {
    const { token, request: req } = await request()
    const refresh = connector().refreshToken
    if (refresh === undefined || token.refreshToken === undefined) throw new Error(`${f.platform} must refresh`)
    const tokens = await run(refresh(Redacted.make(token.refreshToken)))
    if (f.refresh === "rotates") {
      expect(tokens.refreshToken).toBeDefined()
      expect(tokens.refreshToken === undefined ? undefined : Redacted.value(tokens.refreshToken)).not.toBe(token.refreshToken)
      // The old refresh token was retired by the rotation.
      expect((await failure(refresh(Redacted.make(token.refreshToken))))._tag).toBe("TOKEN_REFRESH_FAILED")
    } else {
      expect(tokens.refreshToken).toBeUndefined()
      expect((await run(refresh(Redacted.make(token.refreshToken)))).accessToken).toBeDefined()
    }
    expect(tokens.expiresAt?.getTime()).toBeGreaterThan(Date.now())
    await run(connector().healthCheck({ ...req.credentials, accessToken: tokens.accessToken }))
  })

  if (f.refresh !== undefined) it("turns a refresh after the user removed the app into TOKEN_REFRESH_FAILED", async () => {
    const { token } = await request()
    await control("POST", "/revoke", { token: token.accessToken })
    const refresh = connector().refreshToken
    if (refresh === undefined || token.refreshToken === undefined) throw new Error(`${f.platform} must refresh`)
    const error = await failure(refresh(Redacted.make(token.refreshToken)))
    expect(error._tag).toBe("TOKEN_REFRESH_FAILED")
    expect(error.message).not.toContain(token.refreshToken)
  })

  if (f.refresh === undefined) it("has no refreshToken: the platform has no refresh tokens", () => {
    expect(connector().refreshToken).toBeUndefined()
  })
})

describe("platform specifics against the simulator", () => {
  it("TikTok reconciles by the attempt's publish_id: the completed post is found, nothing is re-posted", async () => {
    const token = await mint("tiktok", ["sim-open-id-1"])
    const tiktok = connectors.forPlatform("tiktok")
    const req: PublishRequest = {
      credentials: credentials("tiktok", "sim-open-id-1", token.accessToken),
      content: { text: "Cold brew time-lapse", format: "carousel", mediaUrls: ["https://cdn.simcoffee.example/1.jpg", "https://cdn.simcoffee.example/2.jpg"] },
      dedupeKey: "tiktok-ref-1"
    }
    const post = await run(tiktok.publish(req))
    const [created] = await control<{ posts: ReadonlyArray<{ partnerId: string }> }>("GET", "/posts?dedupeKey=tiktok-ref-1").then((r) => r.posts)
    expect(created).toBeDefined()
    const found = await run(tiktok.findPublished({ ...req, partnerRef: created?.partnerId }))
    expect(found?.partnerPostId).toBe(post.partnerPostId)
    expect((await run(tiktok.publish({ ...req, partnerRef: created?.partnerId }))).partnerPostId).toBe(post.partnerPostId)
    expect(await postCount("tiktok-ref-1")).toBe(1)
  })

  it("Mailchimp sends a campaign once: a second publish with the same key finds it sent", async () => {
    const token = await mint("mailchimp", ["us1:a1b2c3d4e5"])
    const mailchimp = connectors.forPlatform("mailchimp")
    const req: PublishRequest = {
      credentials: credentials("mailchimp", "us1:a1b2c3d4e5", token.accessToken),
      content: { text: "Hello list", format: "text", mediaUrls: [] },
      dedupeKey: "mc-once"
    }
    const first = await run(mailchimp.publish(req))
    const second = await run(mailchimp.publish(req))
    expect(second.partnerPostId).toBe(first.partnerPostId)
    expect(await postCount("mc-once")).toBe(1)
  })

  it("Mailchimp reuses the unsent campaign of an attempt that died before sending", async () => {
    const token = await mint("mailchimp", ["us1:a1b2c3d4e5"])
    const mailchimp = connectors.forPlatform("mailchimp")
    const req: PublishRequest = {
      credentials: credentials("mailchimp", "us1:a1b2c3d4e5", token.accessToken),
      content: { text: "Hello again", format: "text", mediaUrls: [] },
      dedupeKey: "mc-reuse"
    }
    await addFault({ kind: "http_5xx", platform: "mailchimp", path: "/actions/send", method: "POST", status: 500, count: 1 })
    expect((await failure(mailchimp.publish(req)))._tag).toBe("PARTNER_5XX")
    expect(await run(mailchimp.findPublished(req))).toBeUndefined()
    const post = await run(mailchimp.publish(req))
    expect((await run(mailchimp.findPublished(req)))?.partnerPostId).toBe(post.partnerPostId)
    expect(await postCount("mc-reuse")).toBe(1)
  })

  it("LinkedIn answers a repeated commentary with its duplicate 422, read as DUPLICATE_CONTENT", async () => {
    const token = await mint("linkedin", ["urn:li:organization:2000001"])
    const linkedin = connectors.forPlatform("linkedin")
    const req: PublishRequest = {
      credentials: credentials("linkedin", "urn:li:organization:2000001", token.accessToken),
      content: { text: "Same words twice", format: "text", mediaUrls: [] },
      dedupeKey: "li-dup"
    }
    await run(linkedin.publish(req))
    expect((await failure(linkedin.publish({ ...req, dedupeKey: "li-dup-2" })))._tag).toBe("DUPLICATE_CONTENT")
  })

  it("LinkedIn's health check refuses an OAuth client LinkedIn does not know as UNKNOWN, and without a client keeps to userinfo", async () => {
    const token = await mint("linkedin", ["urn:li:organization:2000001"])
    const creds = credentials("linkedin", "urn:li:organization:2000001", token.accessToken)
    const unknownClient = await connectorsFrom({ PARTNER_SIMULATOR_URL: sim.url, LINKEDIN_CLIENT_ID: "unregistered-client", LINKEDIN_CLIENT_SECRET: "x" })
    expect((await failure(unknownClient.forPlatform("linkedin").healthCheck(creds)))._tag).toBe("UNKNOWN")
    const noClient = await connectorsFrom({ LINKEDIN_API_URL: `${sim.url}/api.linkedin.com`, LINKEDIN_OAUTH_URL: `${sim.url}/www.linkedin.com` })
    await control("POST", "/scopes/remove", { token: token.accessToken, scope: "w_organization_social" })
    expect(await run(noClient.forPlatform("linkedin").healthCheck(creds))).toEqual({})
    expect((await run(connectors.forPlatform("linkedin").healthCheck(creds))).scopes).not.toContain("w_organization_social")
  })

  it("Google Business Profile reads its location's own state: ok, restricted when suspended, gone when deleted", async () => {
    const location = "accounts/3000001/locations/4000001"
    const token = await mint("gbp", [location])
    const accountStatus = connectors.forPlatform("gbp").accountStatus
    if (accountStatus === undefined) throw new Error("gbp must read its account status")
    const creds = credentials("gbp", location, token.accessToken)
    expect(await run(accountStatus(creds))).toBe("ok")
    await control("POST", "/accounts/restrict", { platform: "gbp", accountId: location })
    expect(await run(accountStatus(creds))).toBe("restricted")
    await control("POST", "/accounts/delete", { platform: "gbp", accountId: location })
    expect(await run(accountStatus(creds))).toBe("gone")
    await control("POST", "/tokens/expire", { token: token.accessToken })
    expect((await failure(accountStatus(creds)))._tag).toBe("AUTH_EXPIRED")
  })

  it("only Google Business Profile reads account status", () => {
    const reading = (["meta", "linkedin", "tiktok", "gbp", "mailchimp"] as const).filter((p) => connectors.forPlatform(p).accountStatus !== undefined)
    expect(reading).toEqual(["gbp"])
  })

  it("Meta reports a declined permission by leaving it out of the health check's scopes", async () => {
    const token = await mint("meta", ["1000001"])
    await control("POST", "/scopes/remove", { token: token.accessToken, scope: "pages_manage_posts" })
    const report = await run(connectors.forPlatform("meta").healthCheck(credentials("meta", "1000001", token.accessToken)))
    expect(report.scopes).not.toContain("pages_manage_posts")
    expect(report.scopes).toContain("pages_read_engagement")
  })
})
