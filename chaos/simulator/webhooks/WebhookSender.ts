// The simulator as the partner that calls us: builds a platform's real webhook request (verification
// GET, event POST, deauthorize callback, Pub/Sub push), signs it with the registered default app's
// secret (or Google's key) the way the platform does, sends it to the target over HTTP and reports
// what the service answered — and, for verification GETs, whether the platform would accept it.
import { createHash, randomInt, randomUUID } from "node:crypto"
import type { Platform } from "../../../core/taxonomy/Taxonomy.ts"
import { valueAt } from "../SimRequest.ts"
import { seconds } from "../SimResponse.ts"
import { defaultClientId, defaultClientSecret, type SimulatorState } from "../SimulatorState.ts"
import type { SignatureMode, WebhookDeliveryRequest, WebhookDeliveryResult } from "./WebhookRequest.ts"
import {
  hmacSha256Hex,
  linkedinChallengeResponse,
  metaSignature256,
  metaSignatureSha1,
  metaSignedRequest,
  tiktokSignature,
  wrongSecret
} from "./WebhookSigning.ts"

interface WebhookContext {
  readonly state: SimulatorState
  /** The simulator clock, epoch ms: issued_at, create_time, t, iat and fired_at default to it. */
  readonly clock: () => number
  /** Aborts deliveries still in flight when the simulator closes. */
  readonly signal: AbortSignal
}

/** A request ready for the wire. */
interface OutgoingWebhook {
  readonly method: "GET" | "POST"
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly body?: string
  /** How the platform judges the answer to a verification GET; absent for events. */
  readonly validate?: (answer: Answer) => boolean
}

/** The target's answer as read off the wire (elapsedMs not yet rounded). */
type Answer = Pick<WebhookDeliveryResult, "status" | "headers" | "body" | "elapsedMs">

/** The delivery did not get an answer (refused, reset, timed out). */
export class DeliveryFailed extends Error {
  /** The delivery timed out, or was aborted by the simulator closing, rather than refused or reset. */
  readonly timedOut: boolean

  constructor(message: string, timedOut: boolean) {
    super(message)
    this.timedOut = timedOut
  }
}

const DEFAULT_DELIVERY_TIMEOUT_MS = 10_000
/** LinkedIn fails a validation answered later than this. */
const LINKEDIN_VALIDATION_DEADLINE_MS = 3_000
const DEFAULT_PUSH_EMAIL = "postd-push@sim-project.iam.gserviceaccount.com"
const DEFAULT_PUSH_ISSUER = "https://accounts.google.com"
const PUSH_SUBSCRIPTION = "projects/sim/subscriptions/postd"

const JSON_TYPE = "application/json"
const FORM_TYPE = "application/x-www-form-urlencoded"

/** The secret of the platform's registered default app (Meta: the app secret). */
const webhookSecretOf = (state: SimulatorState, platform: Platform): string =>
  state.app(platform, defaultClientId(platform))?.clientSecret ?? defaultClientSecret(platform)

/** The key a signature of this mode is made with; undefined when it is left out. */
const keyFor = (secret: string, mode: SignatureMode | undefined): string | undefined =>
  mode === "missing" ? undefined : mode === "wrong" ? wrongSecret(secret) : secret

const withQuery = (target: string, params: Readonly<Record<string, string>>): string => {
  const url = new URL(target)
  for (const [name, value] of Object.entries(params)) url.searchParams.append(name, value)
  return url.toString()
}

const digits = (length: number): string => Array.from({ length }, (_, i) => String(randomInt(i === 0 ? 1 : 0, 10))).join("")

/** Mailchimp's fired_at: "2026-12-01 10:00:00" (UTC). */
const mailchimpTime = (ms: number): string => new Date(ms).toISOString().slice(0, 19).replace("T", " ")

/** `merges[FNAME]` → `data[merges][FNAME]`; `email` → `data[email]`. */
const mailchimpField = (key: string): string => {
  const bracket = key.indexOf("[")
  return bracket < 0 ? `data[${key}]` : `data[${key.slice(0, bracket)}]${key.slice(bracket)}`
}

/** A stable numeric service-account id for an email, the form of Google's `sub`. */
const serviceAccountId = (email: string): string => {
  const hash = BigInt(`0x${createHash("sha256").update(email).digest("hex").slice(0, 20)}`)
  return `1${(hash % 10n ** 20n).toString().padStart(20, "0")}`
}

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

const linkedinNotification = (ctx: WebhookContext): unknown => {
  const now = ctx.clock()
  const share = `urn:li:share:71${String(ctx.state.nextNumber("li-webhook-share", 1)).padStart(17, "0")}`
  return {
    type: "ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS",
    notifications: [
      {
        notificationId: ctx.state.nextNumber("li-notification", 900_000_001),
        organizationalEntity: "urn:li:organization:2000001",
        action: "COMMENT",
        sourcePost: share,
        generatedActivity: `urn:li:comment:(${share},71${String(ctx.state.nextNumber("li-comment", 1)).padStart(17, "0")})`,
        lastModifiedAt: now,
        subscriber: "urn:li:person:sim-member-1"
      }
    ]
  }
}

/** The request a platform sends for this delivery, signed as asked. */
const buildWebhook = (ctx: WebhookContext, request: WebhookDeliveryRequest): OutgoingWebhook => {
  const now = ctx.clock()
  switch (request.platform) {
    case "meta": {
      const secret = webhookSecretOf(ctx.state, "meta")
      if (request.kind === "verify") {
        const challenge = request.challenge ?? digits(10)
        return {
          method: "GET",
          url: withQuery(request.target, { "hub.mode": "subscribe", "hub.verify_token": request.verifyToken, "hub.challenge": challenge }),
          headers: { "user-agent": "facebookplatform/1.0 (+http://developers.facebook.com)" },
          validate: (answer) => answer.status === 200 && answer.body === challenge
        }
      }
      if (request.kind === "deauthorize") {
        const userId = request.userId ?? (request.profileId === undefined ? (ctx.state.listAccounts("meta")[0]?.userId ?? "meta-user-1") : "0")
        const payload =
          request.rawBody ??
          JSON.stringify({
            algorithm: request.algorithm ?? "HMAC-SHA256",
            issued_at: request.issuedAt ?? seconds(now),
            user_id: userId,
            ...(request.profileId === undefined ? {} : { profile_id: request.profileId })
          })
        const signedRequest = request.signedRequest ?? metaSignedRequest(keyFor(secret, request.signature), payload)
        return {
          method: "POST",
          url: request.target,
          headers: { "content-type": FORM_TYPE, "user-agent": "facebookexternalua" },
          body: new URLSearchParams({ signed_request: signedRequest }).toString()
        }
      }
      const body = request.rawBody ?? JSON.stringify({ object: request.object, entry: request.entries })
      const key = keyFor(secret, request.signature)
      return {
        method: "POST",
        url: request.target,
        headers: {
          "content-type": JSON_TYPE,
          "user-agent": "facebookexternalua",
          ...(key === undefined ? {} : { "x-hub-signature-256": metaSignature256(key, body), "x-hub-signature": metaSignatureSha1(key, body) })
        },
        body
      }
    }
    case "linkedin": {
      const secret = webhookSecretOf(ctx.state, "linkedin")
      if (request.kind === "validate") {
        const challengeCode = request.challengeCode ?? randomUUID()
        const expected = linkedinChallengeResponse(secret, challengeCode)
        return {
          method: "GET",
          url: withQuery(request.target, { challengeCode }),
          headers: { accept: JSON_TYPE },
          validate: (answer) => {
            const parsed = parseJson(answer.body)
            const response = valueAt(parsed, "challengeResponse")
            return (
              answer.status === 200 &&
              answer.elapsedMs <= LINKEDIN_VALIDATION_DEADLINE_MS &&
              valueAt(parsed, "challengeCode") === challengeCode &&
              typeof response === "string" &&
              response.toLowerCase() === expected
            )
          }
        }
      }
      const body = request.rawBody ?? JSON.stringify(request.body ?? linkedinNotification(ctx))
      const key = keyFor(secret, request.signature)
      const signature = key === undefined ? undefined : hmacSha256Hex(key, body)
      return {
        method: "POST",
        url: request.target,
        headers: {
          "content-type": JSON_TYPE,
          ...(signature === undefined ? {} : { "x-li-signature": request.signaturePrefix === true ? `hmacsha256=${signature}` : signature })
        },
        body
      }
    }
    case "tiktok": {
      const secret = webhookSecretOf(ctx.state, "tiktok")
      const body =
        request.rawBody ??
        JSON.stringify({
          client_key: defaultClientId("tiktok"),
          event: request.event,
          create_time: request.createTime ?? seconds(now),
          user_openid: request.userOpenId,
          content: JSON.stringify(request.content)
        })
      const key = keyFor(secret, request.signature)
      return {
        method: "POST",
        url: request.target,
        headers: { "content-type": JSON_TYPE, ...(key === undefined ? {} : { "tiktok-signature": tiktokSignature(key, request.timestamp ?? seconds(now), body) }) },
        body
      }
    }
    case "gbp": {
      const messageId = request.messageId ?? digits(16)
      const publishTime = new Date(now).toISOString()
      const body =
        request.rawBody ??
        JSON.stringify({
          message: {
            attributes: {},
            data: Buffer.from(JSON.stringify(request.notification), "utf8").toString("base64"),
            messageId,
            message_id: messageId,
            publishTime,
            publish_time: publishTime
          },
          subscription: PUSH_SUBSCRIPTION
        })
      const email = request.email ?? DEFAULT_PUSH_EMAIL
      const iat = request.issuedAt ?? seconds(now)
      const sub = serviceAccountId(email)
      const token =
        request.signature === "missing"
          ? undefined
          : ctx.state.googleSigningKey().signJwt(
              {
                aud: request.audience ?? request.target,
                azp: sub,
                email,
                email_verified: true,
                exp: iat + (request.expiresInSec ?? 3_600),
                iat,
                iss: request.issuer ?? DEFAULT_PUSH_ISSUER,
                sub
              },
              { impostor: request.signature === "wrong" }
            )
      return {
        method: "POST",
        url: request.target,
        headers: {
          "content-type": JSON_TYPE,
          "user-agent": "APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)",
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` })
        },
        body
      }
    }
    case "mailchimp": {
      if (request.kind === "validate") {
        return { method: "GET", url: request.target, headers: { "user-agent": "MailChimp" }, validate: (answer) => answer.status === 200 }
      }
      const form = new URLSearchParams({ type: request.type, fired_at: request.firedAt ?? mailchimpTime(now) })
      for (const [name, value] of Object.entries(request.data)) form.append(mailchimpField(name), value)
      return { method: "POST", url: request.target, headers: { "content-type": FORM_TYPE, "user-agent": "MailChimp" }, body: request.rawBody ?? form.toString() }
    }
  }
}

const send = async (ctx: WebhookContext, outgoing: OutgoingWebhook): Promise<Answer> => {
  const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(DEFAULT_DELIVERY_TIMEOUT_MS)])
  const started = performance.now()
  try {
    const response = await fetch(outgoing.url, {
      method: outgoing.method,
      headers: outgoing.headers,
      redirect: "manual",
      signal,
      ...(outgoing.body === undefined ? {} : { body: outgoing.body })
    })
    const body = await response.text()
    const headers: Record<string, string> = {}
    response.headers.forEach((value, name) => {
      headers[name.toLowerCase()] = value
    })
    return { status: response.status, headers, body, elapsedMs: performance.now() - started }
  } catch (cause) {
    const reason = cause instanceof Error ? (cause.cause instanceof Error ? cause.cause.message : cause.message) : String(cause)
    // Our own timeout rejects with a TimeoutError DOMException, the simulator closing with an AbortError.
    const timedOut = cause instanceof Error && (cause.name === "TimeoutError" || cause.name === "AbortError")
    throw new DeliveryFailed(`${outgoing.method} ${outgoing.url} got no answer: ${reason}`, timedOut)
  }
}

/** Builds, signs and sends the webhook; rejects with DeliveryFailed when the target does not answer. */
export const deliverWebhook = async (ctx: WebhookContext, request: WebhookDeliveryRequest): Promise<WebhookDeliveryResult> => {
  const outgoing = buildWebhook(ctx, request)
  const answer = await send(ctx, outgoing)
  return {
    status: answer.status,
    headers: answer.headers,
    body: answer.body,
    elapsedMs: Math.round(answer.elapsedMs * 100) / 100,
    ...(outgoing.body === undefined ? {} : { sentBody: outgoing.body }),
    ...(outgoing.validate === undefined ? {} : { validated: outgoing.validate(answer) })
  }
}
