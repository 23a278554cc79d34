// /api/webhooks/{platform}: each platform's handshake (GET) and events (POST). An event's signature
// is checked on the raw bytes before anything else; a bad, missing or stale one is a 401, one
// WEBHOOK_SIGNATURE_INVALID log line and a metric, and changes nothing. A verified body that does
// not decode is a 400. A verified event is stored with its job (jobs/WebhookInbox.ts) and answered
// 200 at once; a redelivery is answered 200 and not processed again. Processing is the job's.
import { createHash } from "node:crypto"
import type { IncomingMessage, ServerResponse } from "node:http"
import { Cause, Clock, Effect, Exit, type ManagedRuntime, Redacted, Result, Schema } from "effect"
import { isPlatform, type Platform } from "../../core/taxonomy/Taxonomy.ts"
import {
  interpretGbpPush,
  interpretLinkedInEvent,
  interpretMailchimpEvent,
  interpretMetaDeauthorize,
  interpretMetaEvent,
  interpretTikTokEvent,
  type Interpretation,
  SignedRequestPayload,
  urgencyOf
} from "../../core/webhooks/WebhookEvents.ts"
import type { IncomingWebhookEvent } from "../../db/WebhookEventRepo.ts"
import { META_DEAUTHORIZE_TYPE } from "../../jobs/WebhookProcessor.ts"
import { WebhookInbox } from "../../jobs/WebhookInbox.ts"
import { MetricRecorder } from "../../observability/MetricRecorder.ts"
import type { AppServices } from "../AppServices.ts"
import { constantTimeEqual } from "../auth/Hmac.ts"
import { type JwksCache, makeJwksCache } from "./GoogleJwks.ts"
import {
  jwtKeyId,
  linkedInChallengeResponse,
  type PushTokenRefusal,
  verifyHubSignature,
  verifyLinkedInSignature,
  verifyPushToken,
  verifySignedRequest,
  verifyTikTokSignature,
  verifyUrlSecret
} from "./Signatures.ts"
import type { WebhookSettings } from "./WebhookConfig.ts"

export const WEBHOOK_ROUTE = /^\/api\/webhooks\/([^/]+)$/

export interface WebhookRouteOptions {
  readonly runtime: ManagedRuntime.ManagedRuntime<AppServices, unknown>
  readonly publicUrl: () => string
  /** Read once at start-up (WebhookConfig): a bad setting stops the server from starting, not each request. */
  readonly settings: WebhookSettings
}

/** What verifying and decoding one POST came to. */
type Verdict =
  | { readonly kind: "accepted"; readonly event: IncomingWebhookEvent }
  | { readonly kind: "refused"; readonly reason: PushTokenRefusal }
  | { readonly kind: "malformed"; readonly why: string }

const sha256 = (data: Uint8Array | string): string => createHash("sha256").update(data).digest("hex")

const header = (req: IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name]
  return Array.isArray(value) ? value[0] : value
}

const contentTypeOf = (req: IncomingMessage): string => (header(req, "content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? ""

class BodyTooLarge extends Error {}

const readBody = (req: IncomingMessage, max: number): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    let size = 0
    req.on("data", (chunk: Buffer) => {
      size += chunk.length
      if (size > max) {
        reject(new BodyTooLarge())
        req.resume()
        return
      }
      chunks.push(chunk)
    })
    req.on("end", () => resolve(Buffer.concat(chunks)))
    req.on("error", reject)
  })

const send = (res: ServerResponse, status: number, body: unknown, contentType = "application/json; charset=utf-8"): void => {
  const text = typeof body === "string" ? body : JSON.stringify(body)
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(text), "cache-control": "no-store" })
  res.end(text)
}

const accepted = (platform: Platform, raw: Buffer, contentType: string, interpretation: Interpretation, key?: string): Verdict =>
  Result.isFailure(interpretation)
    ? { kind: "malformed", why: interpretation.failure }
    : {
        kind: "accepted",
        event: {
          platform,
          eventKey: interpretation.success.eventId ?? key ?? sha256(raw),
          eventType: interpretation.success.eventType,
          contentType,
          payload: raw.toString("utf8"),
          urgency: urgencyOf(interpretation.success.actions)
        }
      }

const decodeSignedRequest = Schema.decodeUnknownResult(Schema.fromJsonString(SignedRequestPayload))

/** Challenge echoes are bounded and plain, so the handshake cannot be used to reflect markup. */
const PLAIN = /^[A-Za-z0-9._~-]{1,200}$/

export const makeWebhookRoutes = (options: WebhookRouteOptions) => {
  const { runtime, settings: s } = options
  let jwks: JwksCache | undefined
  const jwksOf = (url: string): JwksCache => {
    jwks ??= makeJwksCache(url)
    return jwks
  }
  const nowSeconds = (): Promise<number> => runtime.runPromise(Clock.currentTimeMillis).then((ms) => ms / 1_000)

  const verifyPost = async (platform: Platform, s: WebhookSettings, req: IncomingMessage, url: URL, raw: Buffer): Promise<Verdict> => {
    const contentType = contentTypeOf(req)
    switch (platform) {
      case "meta": {
        const meta = s.meta
        if (meta === undefined) return { kind: "refused", reason: "missing" }
        const secret = Redacted.value(meta.appSecret)
        if (contentType === "application/x-www-form-urlencoded") {
          // The Facebook Login deauthorize callback: a form with the signed_request.
          const signed = verifySignedRequest(secret, new URLSearchParams(raw.toString("utf8")).get("signed_request") ?? undefined, await nowSeconds(), s.toleranceSeconds)
          if (Result.isFailure(signed)) return { kind: "refused", reason: signed.failure }
          const payload = decodeSignedRequest(signed.success)
          if (Result.isFailure(payload)) return { kind: "malformed", why: "the signed_request payload is not a deauthorization" }
          const meaning = interpretMetaDeauthorize(payload.success)
          return accepted(platform, Buffer.from(signed.success), META_DEAUTHORIZE_TYPE, meaning, sha256(raw))
        }
        const refusal = verifyHubSignature(secret, raw, header(req, "x-hub-signature-256"))
        if (refusal !== undefined) return { kind: "refused", reason: refusal }
        return accepted(platform, raw, contentType, interpretMetaEvent(raw.toString("utf8")))
      }
      case "linkedin": {
        if (s.linkedin === undefined) return { kind: "refused", reason: "missing" }
        const refusal = verifyLinkedInSignature(Redacted.value(s.linkedin.clientSecret), raw, header(req, "x-li-signature"))
        if (refusal !== undefined) return { kind: "refused", reason: refusal }
        return accepted(platform, raw, contentType, interpretLinkedInEvent(raw.toString("utf8")))
      }
      case "tiktok": {
        if (s.tiktok === undefined) return { kind: "refused", reason: "missing" }
        const refusal = verifyTikTokSignature(Redacted.value(s.tiktok.clientSecret), raw, header(req, "tiktok-signature"), await nowSeconds(), s.toleranceSeconds)
        if (refusal !== undefined) return { kind: "refused", reason: refusal }
        return accepted(platform, raw, contentType, interpretTikTokEvent(raw.toString("utf8")))
      }
      case "gbp": {
        const gbp = s.gbp
        if (gbp === undefined) return { kind: "refused", reason: "missing" }
        const token = /^Bearer\s+(\S+)$/i.exec(header(req, "authorization") ?? "")?.[1]
        const keys = token === undefined ? new Map() : await jwksOf(gbp.jwksUrl).keys(jwtKeyId(token))
        const refusal = verifyPushToken(token, keys, {
          audience: gbp.audience ?? `${options.publicUrl()}/api/webhooks/gbp`,
          serviceAccount: gbp.serviceAccount,
          nowSeconds: await nowSeconds()
        })
        if (refusal !== undefined) return { kind: "refused", reason: refusal }
        return accepted(platform, raw, contentType, interpretGbpPush(raw.toString("utf8")))
      }
      case "mailchimp": {
        if (s.mailchimp === undefined) return { kind: "refused", reason: "missing" }
        const refusal = verifyUrlSecret(Redacted.value(s.mailchimp.secret), url.searchParams.get("secret"))
        if (refusal !== undefined) return { kind: "refused", reason: refusal }
        return accepted(platform, raw, contentType, interpretMailchimpEvent(new URLSearchParams(raw.toString("utf8"))))
      }
    }
  }

  /** The subscription handshakes: Meta's hub challenge, LinkedIn's challengeCode, Mailchimp's GET check. */
  const handshake = (platform: Platform, s: WebhookSettings, url: URL, res: ServerResponse) => {
    const q = url.searchParams
    switch (platform) {
      case "meta": {
        const token = s.meta?.verifyToken
        const given = q.get("hub.verify_token") ?? ""
        const challenge = q.get("hub.challenge") ?? ""
        const ok =
          q.get("hub.mode") === "subscribe" &&
          token !== undefined &&
          constantTimeEqual(Buffer.from(given), Buffer.from(Redacted.value(token))) &&
          PLAIN.test(challenge)
        return ok ? send(res, 200, challenge, "text/plain; charset=utf-8") : send(res, 403, { error: "verification refused" })
      }
      case "linkedin": {
        const code = q.get("challengeCode") ?? ""
        if (!PLAIN.test(code) || s.linkedin === undefined) return send(res, 400, { error: "challengeCode is required" })
        return send(res, 200, { challengeCode: code, challengeResponse: linkedInChallengeResponse(Redacted.value(s.linkedin.clientSecret), code) })
      }
      case "mailchimp": {
        const refusal = s.mailchimp === undefined ? "missing" : verifyUrlSecret(Redacted.value(s.mailchimp.secret), q.get("secret"))
        return refusal === undefined ? send(res, 200, { ok: true }) : send(res, 401, { error: "invalid secret" })
      }
      default:
        return send(res, 405, { error: "method not allowed" })
    }
  }

  const rejected = (platform: Platform, reason: string, requestId: string) =>
    Effect.andThen(
      MetricRecorder.use((m) => m.increment("connector.webhook.signature_rejected", { platform })),
      Effect.logWarning("webhook rejected").pipe(
        Effect.annotateLogs({ platform, errorCode: "WEBHOOK_SIGNATURE_INVALID", reason, requestId })
      )
    )

  return async (req: IncomingMessage, res: ServerResponse, match: RegExpExecArray, url: URL, requestId: string): Promise<void> => {
    const platform = match[1] ?? ""
    if (!isPlatform(platform)) return send(res, 404, { error: "no such platform" })
    if (s[platform] === undefined) return send(res, 404, { error: `webhooks for ${platform} are not configured` })
    if (req.method === "GET" || req.method === "HEAD") return handshake(platform, s, url, res)
    if (req.method !== "POST") return send(res, 405, { error: "method not allowed" })
    let raw: Buffer
    try {
      raw = await readBody(req, s.maxBodyBytes)
    } catch (error) {
      if (error instanceof BodyTooLarge) return send(res, 413, { error: "body too large" })
      throw error
    }
    let verdict: Verdict
    try {
      verdict = await verifyPost(platform, s, req, url, raw)
    } catch (error) {
      // The platform's keys could not be fetched: nothing can be verified, so the platform retries.
      await runtime.runPromise(Effect.logError("webhook verification unavailable").pipe(Effect.annotateLogs({ platform, requestId, error: String(error) })))
      return send(res, 503, { error: "verification temporarily unavailable" })
    }
    if (verdict.kind === "refused") {
      await runtime.runPromise(rejected(platform, verdict.reason, requestId))
      return send(res, 401, { error: "invalid signature" })
    }
    if (verdict.kind === "malformed") return send(res, 400, { error: "malformed event", detail: verdict.why.slice(0, 300) })
    const exit = await runtime.runPromiseExit(WebhookInbox.use((inbox) => inbox.accept(verdict.event)))
    if (Exit.isFailure(exit)) {
      await runtime.runPromise(Effect.logError("webhook not stored").pipe(Effect.annotateLogs({ platform, requestId, cause: Cause.pretty(exit.cause) })))
      return send(res, 503, { error: "try again" })
    }
    return send(res, 200, { received: true, ...(exit.value.duplicate ? { duplicate: true } : {}) })
  }
}
