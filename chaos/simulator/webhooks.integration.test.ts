// The simulator as a webhook sender: each variant of POST /_control/webhooks/deliver reaches a small
// local node:http target, and the signature it carries is checked here with the platform's scheme,
// computed independently of the simulator's code (node:crypto only).
import { createHmac, createPublicKey, type JsonWebKey, verify } from "node:crypto"
import { createServer, type IncomingHttpHeaders, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { type RunningSimulator, startPartnerSimulator } from "./PartnerSimulator.ts"

interface Captured {
  readonly method: string
  readonly url: URL
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

interface Reply {
  readonly status?: number
  readonly body?: string
  readonly headers?: Readonly<Record<string, string>>
}

let sim: RunningSimulator
let server: Server
let target: string
let received: Array<Captured> = []
let respond: (request: Captured) => Reply | Promise<Reply> = () => ({})

beforeAll(async () => {
  sim = await startPartnerSimulator()
  server = createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => {
      const captured: Captured = {
        method: req.method ?? "GET",
        url: new URL(req.url ?? "/", "http://target.invalid"),
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8")
      }
      received.push(captured)
      void Promise.resolve(respond(captured)).then((reply) => {
        res.writeHead(reply.status ?? 200, { "content-type": "text/plain", ...reply.headers })
        res.end(reply.body ?? "ok")
      })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  target = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/webhooks`
})
afterAll(async () => {
  await sim.close()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})
beforeEach(async () => {
  await sim.control.reset()
  received = []
  respond = () => ({})
})

const hmacHex = (secret: string, message: string): string => createHmac("sha256", secret).update(message).digest("hex")
const only = (): Captured => {
  expect(received).toHaveLength(1)
  const [request] = received
  if (request === undefined) throw new Error("the target got nothing")
  return request
}
const header = (request: Captured, name: string): string | undefined => {
  const value = request.headers[name]
  return Array.isArray(value) ? value[0] : value
}
const nowSec = (): number => Math.floor(Date.now() / 1_000)

describe("Meta", () => {
  it("verifies the subscription with hub.mode, hub.verify_token and hub.challenge, and judges the echo", async () => {
    respond = (r) => ({ body: r.url.searchParams.get("hub.challenge") ?? "" })
    const result = await sim.control.deliverWebhook({ platform: "meta", kind: "verify", target, verifyToken: "vt-1", challenge: "1158201444" })
    const request = only()
    expect(request.method).toBe("GET")
    expect(Object.fromEntries(request.url.searchParams)).toEqual({ "hub.mode": "subscribe", "hub.verify_token": "vt-1", "hub.challenge": "1158201444" })
    expect(result).toMatchObject({ status: 200, body: "1158201444", validated: true })
    expect(result.sentBody).toBeUndefined()
    respond = () => ({ status: 403, body: "bad token" })
    expect(await sim.control.deliverWebhook({ platform: "meta", kind: "verify", target, verifyToken: "nope" })).toMatchObject({ status: 403, validated: false })
  })

  const signedRequestOf = (request: Captured): { readonly sig: string; readonly payload: string } => {
    expect(header(request, "content-type")).toContain("application/x-www-form-urlencoded")
    const value = new URLSearchParams(request.body).get("signed_request") ?? ""
    const [sig = "", payload = ""] = value.split(".")
    return { sig, payload }
  }
  const expectedSig = (secret: string, payload: string): string => createHmac("sha256", secret).update(payload).digest("base64url")

  it("sends the deauthorize callback as a signed_request signed with the app secret over the payload segment", async () => {
    respond = () => ({ status: 200, body: "" })
    const result = await sim.control.deliverWebhook({ platform: "meta", kind: "deauthorize", target, userId: "meta-user-1", issuedAt: 1_700_000_000 })
    const { sig, payload } = signedRequestOf(only())
    expect(sig).toBe(expectedSig("sim-meta-secret", payload))
    expect(JSON.parse(Buffer.from(payload, "base64url").toString("utf8"))).toEqual({ algorithm: "HMAC-SHA256", issued_at: 1_700_000_000, user_id: "meta-user-1" })
    expect(payload).not.toContain("=")
    expect(result.status).toBe(200)
    expect(result.sentBody).toBe(only().body)
  })

  it("sends a page uninstall with user_id 0 and profile_id, issued now by default", async () => {
    await sim.control.deliverWebhook({ platform: "meta", kind: "deauthorize", target, profileId: "1000001" })
    const { sig, payload } = signedRequestOf(only())
    expect(sig).toBe(expectedSig("sim-meta-secret", payload))
    const decoded = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"))
    expect(decoded).toMatchObject({ algorithm: "HMAC-SHA256", user_id: "0", profile_id: "1000001" })
    expect(Math.abs(decoded.issued_at - nowSec())).toBeLessThanOrEqual(5)
  })

  it("signs a deauthorize wrongly, leaves the signature out, or signs a raw payload as given", async () => {
    await sim.control.deliverWebhook({ platform: "meta", kind: "deauthorize", target, userId: "u1", signature: "wrong" })
    await sim.control.deliverWebhook({ platform: "meta", kind: "deauthorize", target, userId: "u1", signature: "missing" })
    await sim.control.deliverWebhook({ platform: "meta", kind: "deauthorize", target, rawBody: "not json" })
    await sim.control.deliverWebhook({ platform: "meta", kind: "deauthorize", target, signedRequest: "garbage" })
    const [wrong, missing, raw, verbatim] = received.map(signedRequestOf)
    expect(wrong?.sig).not.toBe(expectedSig("sim-meta-secret", wrong?.payload ?? ""))
    expect(wrong?.sig).not.toBe("")
    expect(missing?.sig).toBe("")
    expect(Buffer.from(raw?.payload ?? "", "base64url").toString("utf8")).toBe("not json")
    expect(raw?.sig).toBe(expectedSig("sim-meta-secret", raw?.payload ?? ""))
    expect(verbatim).toEqual({ sig: "garbage", payload: "" })
  })

  it("sends a permissions event with X-Hub-Signature-256 over the raw body", async () => {
    const entries = [{ id: "meta-user-1", time: 1_700_000_000, changes: [{ field: "pages_manage_posts", value: { verb: "revoked" } }] }]
    await sim.control.deliverWebhook({ platform: "meta", kind: "event", target, object: "permissions", entries })
    const request = only()
    expect(request.method).toBe("POST")
    expect(header(request, "content-type")).toContain("application/json")
    expect(JSON.parse(request.body)).toEqual({ object: "permissions", entry: entries })
    expect(header(request, "x-hub-signature-256")).toBe(`sha256=${hmacHex("sim-meta-secret", request.body)}`)
    expect(header(request, "x-hub-signature")).toBe(`sha1=${createHmac("sha1", "sim-meta-secret").update(request.body).digest("hex")}`)
  })

  it("signs an event's raw body exactly as given, wrongly, or not at all", async () => {
    const rawBody = '{"object":"permissions","entry":[ {"id":"u1"'
    await sim.control.deliverWebhook({ platform: "meta", kind: "event", target, object: "page", entries: [], rawBody })
    await sim.control.deliverWebhook({ platform: "meta", kind: "event", target, object: "page", entries: [], signature: "wrong" })
    await sim.control.deliverWebhook({ platform: "meta", kind: "event", target, object: "page", entries: [], signature: "missing" })
    const [raw, wrong, missing] = received
    expect(raw?.body).toBe(rawBody)
    expect(header(raw ?? only(), "x-hub-signature-256")).toBe(`sha256=${hmacHex("sim-meta-secret", rawBody)}`)
    expect(header(wrong ?? only(), "x-hub-signature-256")).not.toBe(`sha256=${hmacHex("sim-meta-secret", wrong?.body ?? "")}`)
    expect(missing?.headers["x-hub-signature-256"]).toBeUndefined()
    expect(missing?.headers["x-hub-signature"]).toBeUndefined()
  })

  it("signs with the secret the default app is registered with", async () => {
    await sim.control.registerApp({ platform: "meta", clientId: "sim-meta-client", clientSecret: "rotated-secret", redirectUris: [] })
    await sim.control.deliverWebhook({ platform: "meta", kind: "event", target, object: "page", entries: [] })
    const request = only()
    expect(header(request, "x-hub-signature-256")).toBe(`sha256=${hmacHex("rotated-secret", request.body)}`)
  })
})

describe("LinkedIn", () => {
  it("validates with challengeCode and accepts only the HMAC of it under the client secret", async () => {
    respond = (r) => {
      const challengeCode = r.url.searchParams.get("challengeCode") ?? ""
      return { headers: { "content-type": "application/json" }, body: JSON.stringify({ challengeCode, challengeResponse: hmacHex("sim-linkedin-secret", challengeCode) }) }
    }
    const result = await sim.control.deliverWebhook({ platform: "linkedin", kind: "validate", target })
    const code = only().url.searchParams.get("challengeCode") ?? ""
    expect(code).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(result).toMatchObject({ status: 200, validated: true })

    respond = (r) => {
      const challengeCode = r.url.searchParams.get("challengeCode") ?? ""
      return { body: JSON.stringify({ challengeCode, challengeResponse: hmacHex("another-secret", challengeCode) }) }
    }
    expect(await sim.control.deliverWebhook({ platform: "linkedin", kind: "validate", target, challengeCode: "890e4665-4dfe-4ab1-b689-ed553bceeed0" })).toMatchObject({
      status: 200,
      validated: false
    })
  })

  it("sends an organization notification with X-LI-Signature, bare hex or with the hmacsha256= prefix", async () => {
    await sim.control.deliverWebhook({ platform: "linkedin", kind: "event", target })
    await sim.control.deliverWebhook({ platform: "linkedin", kind: "event", target, body: { type: "LEAD_ACTION", leadAction: "CREATED" }, signaturePrefix: true })
    const [plain, prefixed] = received
    if (plain === undefined || prefixed === undefined) throw new Error("two deliveries expected")
    expect(JSON.parse(plain.body)).toMatchObject({
      type: "ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS",
      notifications: [{ organizationalEntity: "urn:li:organization:2000001", action: "COMMENT", notificationId: expect.any(Number) }]
    })
    expect(header(plain, "x-li-signature")).toBe(hmacHex("sim-linkedin-secret", plain.body))
    expect(prefixed.body).toBe('{"type":"LEAD_ACTION","leadAction":"CREATED"}')
    expect(header(prefixed, "x-li-signature")).toBe(`hmacsha256=${hmacHex("sim-linkedin-secret", prefixed.body)}`)
  })

  it("signs a raw body as given, wrongly, or not at all", async () => {
    await sim.control.deliverWebhook({ platform: "linkedin", kind: "event", target, rawBody: "{broken" })
    await sim.control.deliverWebhook({ platform: "linkedin", kind: "event", target, signature: "wrong" })
    await sim.control.deliverWebhook({ platform: "linkedin", kind: "event", target, signature: "missing" })
    const [raw, wrong, missing] = received
    expect(raw?.body).toBe("{broken")
    expect(header(raw ?? only(), "x-li-signature")).toBe(hmacHex("sim-linkedin-secret", "{broken"))
    expect(header(wrong ?? only(), "x-li-signature")).not.toBe(hmacHex("sim-linkedin-secret", wrong?.body ?? ""))
    expect(missing?.headers["x-li-signature"]).toBeUndefined()
  })
})

describe("TikTok", () => {
  const parseSignature = (request: Captured): { readonly t: string; readonly s: string } => {
    const parts = Object.fromEntries((header(request, "tiktok-signature") ?? "").split(",").map((p) => p.split("=", 2)))
    return { t: parts["t"] ?? "", s: parts["s"] ?? "" }
  }

  it("sends authorization.removed with TikTok-Signature over '<t>.<raw body>'", async () => {
    await sim.control.deliverWebhook({ platform: "tiktok", kind: "event", target, event: "authorization.removed", userOpenId: "sim-open-id-1", content: { reason: 1 } })
    const request = only()
    const body = JSON.parse(request.body)
    expect(body).toMatchObject({ client_key: "sim-tiktok-client", event: "authorization.removed", user_openid: "sim-open-id-1", content: '{"reason":1}' })
    expect(Math.abs(body.create_time - nowSec())).toBeLessThanOrEqual(5)
    const { t, s } = parseSignature(request)
    expect(Math.abs(Number(t) - nowSec())).toBeLessThanOrEqual(5)
    expect(s).toBe(hmacHex("sim-tiktok-secret", `${t}.${request.body}`))
  })

  it("sends a stale t when told, signs wrongly, or leaves the header out", async () => {
    const base = { platform: "tiktok", kind: "event", target, event: "authorization.removed", userOpenId: "o1", content: { reason: 4 } } as const
    await sim.control.deliverWebhook({ ...base, timestamp: 1_600_000_000, createTime: 1_600_000_000 })
    await sim.control.deliverWebhook({ ...base, signature: "wrong" })
    await sim.control.deliverWebhook({ ...base, signature: "missing" })
    const [stale, wrong, missing] = received
    if (stale === undefined || wrong === undefined || missing === undefined) throw new Error("three deliveries expected")
    expect(parseSignature(stale)).toEqual({ t: "1600000000", s: hmacHex("sim-tiktok-secret", `1600000000.${stale.body}`) })
    expect(JSON.parse(stale.body).create_time).toBe(1_600_000_000)
    const w = parseSignature(wrong)
    expect(w.s).not.toBe(hmacHex("sim-tiktok-secret", `${w.t}.${wrong.body}`))
    expect(missing.headers["tiktok-signature"]).toBeUndefined()
  })
})

describe("Google Business Profile (Pub/Sub push)", () => {
  interface Jwks {
    readonly keys: ReadonlyArray<JsonWebKey & { readonly kid: string; readonly alg: string; readonly use: string }>
  }
  const certs = async (): Promise<{ readonly jwks: Jwks; readonly cacheControl: string | null }> => {
    const response = await fetch(`${sim.baseUrl("www.googleapis.com")}/oauth2/v3/certs`)
    return { jwks: (await response.json()) as Jwks, cacheControl: response.headers.get("cache-control") }
  }
  const parts = (jwt: string): { readonly header: Record<string, unknown>; readonly claims: Record<string, unknown>; readonly input: string; readonly sig: string } => {
    const [h = "", c = "", sig = ""] = jwt.split(".")
    return {
      header: JSON.parse(Buffer.from(h, "base64url").toString("utf8")),
      claims: JSON.parse(Buffer.from(c, "base64url").toString("utf8")),
      input: `${h}.${c}`,
      sig
    }
  }
  const verifies = (jwks: Jwks, jwt: string): boolean => {
    const { header: h, input, sig } = parts(jwt)
    const key = jwks.keys.find((k) => k.kid === h["kid"])
    if (key === undefined) return false
    return verify("sha256", Buffer.from(input), createPublicKey({ key, format: "jwk" }), Buffer.from(sig, "base64url"))
  }
  const bearer = (request: Captured): string => (header(request, "authorization") ?? "").replace(/^Bearer /, "")

  it("serves Google's certs as a cacheable JWKS with one RS256 key", async () => {
    const { jwks, cacheControl } = await certs()
    expect(cacheControl).toMatch(/^public, max-age=\d+/)
    expect(jwks.keys).toHaveLength(1)
    expect(jwks.keys[0]).toMatchObject({ kty: "RSA", alg: "RS256", use: "sig", e: "AQAB", kid: expect.stringMatching(/^[0-9a-f]{40}$/) })
    await sim.control.reset()
    expect((await certs()).jwks).toEqual(jwks)
  })

  it("pushes the notification base64 in message.data with a Google-signed OIDC token", async () => {
    // The target checks the token against the simulator's certs while the delivery waits on it.
    respond = async (r) => ({ status: verifies((await certs()).jwks, bearer(r)) ? 204 : 401, body: "" })
    const notification = { type: "UPDATED_LOCATION_STATE", locationName: "accounts/3000001/locations/4000001" }
    const result = await sim.control.deliverWebhook({ platform: "gbp", kind: "push", target, notification, messageId: "2070443601311540" })
    expect(result.status).toBe(204)
    const request = only()
    const body = JSON.parse(request.body)
    expect(body).toMatchObject({ subscription: "projects/sim/subscriptions/postd", message: { messageId: "2070443601311540", attributes: {}, publishTime: expect.any(String) } })
    expect(JSON.parse(Buffer.from(body.message.data, "base64").toString("utf8"))).toEqual(notification)
    const { header: h, claims } = parts(bearer(request))
    expect(h).toMatchObject({ alg: "RS256", kid: (await certs()).jwks.keys[0]?.kid })
    expect(claims).toMatchObject({
      iss: "https://accounts.google.com",
      aud: target,
      email: "postd-push@sim-project.iam.gserviceaccount.com",
      email_verified: true,
      sub: expect.stringMatching(/^\d{21}$/),
      azp: claims["sub"]
    })
    expect(Number(claims["exp"]) - Number(claims["iat"])).toBe(3_600)
    expect(Math.abs(Number(claims["iat"]) - nowSec())).toBeLessThanOrEqual(5)
  })

  it("takes the audience, email, issuer and times given, signs with an impostor key under the same kid, or sends no token", async () => {
    const notification = { type: "NEW_REVIEW", locationName: "accounts/3000001/locations/4000001" }
    const base = { platform: "gbp", kind: "push", target, notification } as const
    await sim.control.deliverWebhook({ ...base, audience: "https://postd.example/push", email: "other@x.iam.gserviceaccount.com", issuer: "accounts.google.com", issuedAt: 1_600_000_000, expiresInSec: 60 })
    await sim.control.deliverWebhook({ ...base, signature: "wrong" })
    await sim.control.deliverWebhook({ ...base, signature: "missing", rawBody: "{not json" })
    const [custom, wrong, missing] = received
    if (custom === undefined || wrong === undefined || missing === undefined) throw new Error("three deliveries expected")
    const { jwks } = await certs()
    expect(verifies(jwks, bearer(custom))).toBe(true)
    expect(parts(bearer(custom)).claims).toMatchObject({ aud: "https://postd.example/push", email: "other@x.iam.gserviceaccount.com", iss: "accounts.google.com", iat: 1_600_000_000, exp: 1_600_000_060 })
    expect(parts(bearer(wrong)).header["kid"]).toBe(jwks.keys[0]?.kid)
    expect(verifies(jwks, bearer(wrong))).toBe(false)
    expect(missing.headers["authorization"]).toBeUndefined()
    expect(missing.body).toBe("{not json")
  })
})

describe("Mailchimp", () => {
  it("validates with a GET to the URL as given, secret query included", async () => {
    const withSecret = `${target}?secret=s3cr3t`
    expect(await sim.control.deliverWebhook({ platform: "mailchimp", kind: "validate", target: withSecret })).toMatchObject({ status: 200, validated: true })
    const request = only()
    expect(request.method).toBe("GET")
    expect(request.url.searchParams.get("secret")).toBe("s3cr3t")
    respond = () => ({ status: 404 })
    expect(await sim.control.deliverWebhook({ platform: "mailchimp", kind: "validate", target })).toMatchObject({ status: 404, validated: false })
  })

  it("posts an event as a form with type, fired_at and data[...] fields", async () => {
    await sim.control.deliverWebhook({
      platform: "mailchimp",
      kind: "event",
      target: `${target}?secret=s3cr3t`,
      type: "unsubscribe",
      firedAt: "2026-12-01 10:00:00",
      data: { email: "a@example.com", list_id: "a1b2c3d4e5", "merges[FNAME]": "Ada" }
    })
    const request = only()
    expect(header(request, "content-type")).toContain("application/x-www-form-urlencoded")
    expect(request.url.searchParams.get("secret")).toBe("s3cr3t")
    expect(Object.fromEntries(new URLSearchParams(request.body))).toEqual({
      type: "unsubscribe",
      fired_at: "2026-12-01 10:00:00",
      "data[email]": "a@example.com",
      "data[list_id]": "a1b2c3d4e5",
      "data[merges][FNAME]": "Ada"
    })
  })
})

describe("the delivery control endpoint", () => {
  it("refuses a request that does not decode, naming the problem", async () => {
    const response = await fetch(`${sim.url}/_control/webhooks/deliver`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ platform: "tiktok", kind: "event", target: "not a url" })
    })
    expect(response.status).toBe(400)
    const { error } = (await response.json()) as { error?: unknown }
    expect(error).toEqual(expect.stringContaining('["target"]'))
    expect(received).toHaveLength(0)
  })

  it("answers what the service answered, status, headers and body", async () => {
    respond = () => ({ status: 401, body: '{"error":"bad signature"}', headers: { "content-type": "application/json", "x-request-id": "r-1" } })
    const result = await sim.control.deliverWebhook({ platform: "linkedin", kind: "event", target, signature: "wrong" })
    expect(result).toMatchObject({ status: 401, body: '{"error":"bad signature"}', headers: { "x-request-id": "r-1" } })
  })

  it("fails the control call when the target does not answer", async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    await expect(sim.control.deliverWebhook({ platform: "mailchimp", kind: "validate", target: `http://127.0.0.1:${port}/x` })).rejects.toThrow(/502.*webhook delivery failed/)
  })
})
