// What `POST /_control/webhooks/deliver` takes and answers: one variant per platform webhook the
// simulator can send (discriminated by platform + kind), decoded with Schema. Signed variants take
// `signature` ("valid" by default; "wrong" signs with another secret or key; "missing" leaves the
// signature out) and `rawBody` (the exact bytes to send, signed as given).
import { Schema } from "effect"

const SIGNATURE_MODES = ["valid", "wrong", "missing"] as const
export const SignatureMode = Schema.Literals(SIGNATURE_MODES)
export type SignatureMode = typeof SignatureMode.Type

/** An absolute http(s) URL of the service under test; its query string is kept (Mailchimp's secret). */
const Target = Schema.String.check(Schema.isPattern(/^https?:\/\/[^\s/?#]+[^\s#]*$/))
const Seconds = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

const signed = {
  target: Target,
  signature: Schema.optionalKey(SignatureMode),
  rawBody: Schema.optionalKey(Schema.String)
}

const MetaVerify = Schema.Struct({
  platform: Schema.Literal("meta"),
  kind: Schema.Literal("verify"),
  target: Target,
  verifyToken: Schema.String,
  challenge: Schema.optionalKey(Schema.String)
})

const MetaDeauthorize = Schema.Struct({
  platform: Schema.Literal("meta"),
  kind: Schema.Literal("deauthorize"),
  ...signed,
  userId: Schema.optionalKey(Schema.String),
  /** A page that uninstalled the app: `user_id` becomes "0" unless userId is given too. */
  profileId: Schema.optionalKey(Schema.String),
  issuedAt: Schema.optionalKey(Seconds),
  algorithm: Schema.optionalKey(Schema.String),
  /** Sent verbatim as the signed_request field, nothing built or signed (for malformed ones). */
  signedRequest: Schema.optionalKey(Schema.String)
})

const MetaEvent = Schema.Struct({
  platform: Schema.Literal("meta"),
  kind: Schema.Literal("event"),
  ...signed,
  object: Schema.String,
  entries: Schema.Array(Schema.Unknown)
})

const LinkedInValidate = Schema.Struct({
  platform: Schema.Literal("linkedin"),
  kind: Schema.Literal("validate"),
  target: Target,
  /** A type-4 UUID by default, as LinkedIn sends. */
  challengeCode: Schema.optionalKey(Schema.String)
})

const LinkedInEvent = Schema.Struct({
  platform: Schema.Literal("linkedin"),
  kind: Schema.Literal("event"),
  ...signed,
  /** The JSON body; an organization social action notification by default. */
  body: Schema.optionalKey(Schema.Unknown),
  /** Send the header as `hmacsha256=<hex>` instead of the bare hex. */
  signaturePrefix: Schema.optionalKey(Schema.Boolean)
})

const TikTokEvent = Schema.Struct({
  platform: Schema.Literal("tiktok"),
  kind: Schema.Literal("event"),
  ...signed,
  event: Schema.String,
  userOpenId: Schema.String,
  /** Serialised into the envelope's `content` string. */
  content: Schema.Record(Schema.String, Schema.Unknown),
  createTime: Schema.optionalKey(Seconds),
  /** The signature's `t`; default now (an old one makes a stale delivery). */
  timestamp: Schema.optionalKey(Seconds)
})

const GbpPush = Schema.Struct({
  platform: Schema.Literal("gbp"),
  kind: Schema.Literal("push"),
  ...signed,
  /** The token's `aud`; Pub/Sub's default is the push endpoint, so it defaults to target. */
  audience: Schema.optionalKey(Schema.String),
  notification: Schema.Record(Schema.String, Schema.Unknown),
  messageId: Schema.optionalKey(Schema.String),
  email: Schema.optionalKey(Schema.String),
  issuer: Schema.optionalKey(Schema.String),
  issuedAt: Schema.optionalKey(Seconds),
  expiresInSec: Schema.optionalKey(Schema.Int)
})

const MailchimpValidate = Schema.Struct({
  platform: Schema.Literal("mailchimp"),
  kind: Schema.Literal("validate"),
  target: Target
})

const MailchimpEvent = Schema.Struct({
  platform: Schema.Literal("mailchimp"),
  kind: Schema.Literal("event"),
  target: Target,
  type: Schema.Literals(["subscribe", "unsubscribe", "profile", "upemail", "cleaned", "campaign"]),
  /** `data[key]` fields; a key like "merges[FNAME]" becomes `data[merges][FNAME]`. */
  data: Schema.Record(Schema.String, Schema.String),
  /** "YYYY-MM-DD HH:MM:SS" (UTC); default now. */
  firedAt: Schema.optionalKey(Schema.String),
  /** The exact form body to send instead of the built one. */
  rawBody: Schema.optionalKey(Schema.String)
})

export const WebhookDeliveryRequest = Schema.Union([
  MetaVerify,
  MetaDeauthorize,
  MetaEvent,
  LinkedInValidate,
  LinkedInEvent,
  TikTokEvent,
  GbpPush,
  MailchimpValidate,
  MailchimpEvent
])
export type WebhookDeliveryRequest = typeof WebhookDeliveryRequest.Type

/** What our service answered to the delivery. */
export interface WebhookDeliveryResult {
  readonly status: number
  /** Lower-cased names. */
  readonly headers: Readonly<Record<string, string>>
  /** The answer's body as text. */
  readonly body: string
  /** How long the platform waited for the answer, request sent to body read, in ms. */
  readonly elapsedMs: number
  /** The request body the simulator sent (absent for GETs). */
  readonly sentBody?: string
  /** Verification and validation GETs: whether the answer passed the platform's own check. */
  readonly validated?: boolean
}
