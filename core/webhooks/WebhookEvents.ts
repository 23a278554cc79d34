// What a verified platform event means for our connections, pure: the event's envelope decoded with
// Schema (a body that does not decode is malformed), its type, the key it is deduplicated by when the
// platform gives an id, and the actions it asks for — pause matching connections with a taxonomy
// code, or read the account's own state first (Google says "the location changed", not how).
// Events we have no use for are recorded with no action.
import { Result, Schema } from "effect"
import type { ErrorCode } from "../taxonomy/Taxonomy.ts"

/** Which connections an action is about: by the account we publish to, or by the user who granted it. */
export type WebhookMatch =
  | { readonly by: "account"; readonly accountId: string }
  | { readonly by: "user"; readonly userId: string }

export type WebhookAction =
  /** Pause every matching connection with `code`. `scope`: only those whose grant held this scope. */
  | { readonly kind: "pause"; readonly code: ErrorCode; readonly match: WebhookMatch; readonly detail: string; readonly scope?: string }
  /** Read the matching account's state from the platform, then pause if it is gone or restricted. */
  | { readonly kind: "check_account"; readonly match: WebhookMatch; readonly detail: string }

export interface WebhookInterpretation {
  readonly eventType: string
  /** The platform's own event id, when it sends one (deduplication uses it before a body hash). */
  readonly eventId?: string | undefined
  readonly actions: ReadonlyArray<WebhookAction>
}

export type Interpretation = Result.Result<WebhookInterpretation, string>

/** How soon an event must be processed: one that pauses first, one that checks an account next, a record last. */
export type WebhookUrgency = "pause" | "check" | "record"

export const urgencyOf = (actions: ReadonlyArray<WebhookAction>): WebhookUrgency =>
  actions.some((a) => a.kind === "pause") ? "pause" : actions.length > 0 ? "check" : "record"

const decodeJson = <S extends Schema.Top & Schema.Decoder<unknown>>(schema: S, text: string): Result.Result<S["Type"], string> => {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return Result.fail("the body is not JSON")
  }
  return Result.mapError(Schema.decodeUnknownResult(schema)(parsed), (e) => e.message)
}

// Meta

const MetaChange = Schema.Struct({ field: Schema.String, value: Schema.optionalKey(Schema.Unknown) })
const MetaEntry = Schema.Struct({
  id: Schema.optionalKey(Schema.Union([Schema.String, Schema.Number])),
  uid: Schema.optionalKey(Schema.Union([Schema.String, Schema.Number])),
  time: Schema.optionalKey(Schema.Number),
  changes: Schema.optionalKey(Schema.Array(MetaChange)),
  changed_fields: Schema.optionalKey(Schema.Array(Schema.String))
})
export const MetaEnvelope = Schema.Struct({ object: Schema.String, entry: Schema.Array(MetaEntry) })

/** The payload of a Facebook Login signed_request (deauthorize and data-deletion callbacks). */
export const SignedRequestPayload = Schema.Struct({
  algorithm: Schema.String,
  issued_at: Schema.Number,
  user_id: Schema.optionalKey(Schema.Union([Schema.String, Schema.Number])),
  profile_id: Schema.optionalKey(Schema.Union([Schema.String, Schema.Number]))
})
export type SignedRequestPayload = typeof SignedRequestPayload.Type

const verbOf = (value: unknown): string | undefined =>
  typeof value === "object" && value !== null && "verb" in value && typeof value.verb === "string" ? value.verb : undefined

/** A deauthorization: the user removed the app (user_id), or a page uninstalled it (user_id 0, profile_id). */
export const interpretMetaDeauthorize = (payload: SignedRequestPayload): Interpretation => {
  const userId = payload.user_id === undefined ? "" : String(payload.user_id)
  const profileId = payload.profile_id === undefined ? "" : String(payload.profile_id)
  const match: WebhookMatch | undefined =
    userId !== "" && userId !== "0" ? { by: "user", userId } : profileId !== "" ? { by: "account", accountId: profileId } : undefined
  if (match === undefined) return Result.fail("the signed_request names neither a user nor a page")
  return Result.succeed({
    eventType: "deauthorize",
    actions: [{ kind: "pause", code: "APP_DEAUTHORIZED", match, detail: "Meta deauthorize callback: the app was removed" }]
  })
}

export const interpretMetaEvent = (body: string): Interpretation =>
  Result.map(decodeJson(MetaEnvelope, body), (envelope) => {
    const actions: Array<WebhookAction> = []
    if (envelope.object === "permissions") {
      for (const entry of envelope.entry) {
        const userId = String(entry.id ?? entry.uid ?? "")
        if (userId === "") continue
        for (const change of entry.changes ?? []) {
          const verb = verbOf(change.value)
          if (change.field === "connected" && verb === "disconnected") {
            actions.push({ kind: "pause", code: "APP_DEAUTHORIZED", match: { by: "user", userId }, detail: "Meta permissions webhook: the user disconnected the app" })
          } else if (verb === "revoked") {
            actions.push({
              kind: "pause",
              code: "PERMISSION_INSUFFICIENT",
              match: { by: "user", userId },
              scope: change.field,
              detail: `Meta permissions webhook: ${change.field} revoked`
            })
          }
        }
      }
    }
    return { eventType: `${envelope.object}`, actions }
  })

// LinkedIn: organization social actions and lead notifications; none of them changes a grant.

const NotificationId = Schema.Union([Schema.String, Schema.Number])
const LinkedInEvent = Schema.Struct({
  notificationId: Schema.optionalKey(NotificationId),
  type: Schema.optionalKey(Schema.String),
  action: Schema.optionalKey(Schema.String),
  /** The organization social action envelope carries its notifications in a list. */
  notifications: Schema.optionalKey(Schema.Array(Schema.Struct({ notificationId: Schema.optionalKey(NotificationId) })))
})

export const interpretLinkedInEvent = (body: string): Interpretation =>
  Result.map(decodeJson(LinkedInEvent, body), (event) => {
    const ids = [event.notificationId, ...(event.notifications ?? []).map((n) => n.notificationId)].filter((id) => id !== undefined)
    return { eventType: event.type ?? event.action ?? "notification", eventId: ids.length === 0 ? undefined : ids.map(String).join(","), actions: [] }
  })

// TikTok

export const TikTokEnvelope = Schema.Struct({
  client_key: Schema.String,
  event: Schema.String,
  create_time: Schema.Number,
  user_openid: Schema.optionalKey(Schema.String),
  content: Schema.optionalKey(Schema.String)
})

const RemovalContent = Schema.fromJsonString(Schema.Struct({ reason: Schema.optionalKey(Schema.Number) }))

/** authorization.removed reasons (developers.tiktok.com/doc/webhooks-events): 3 age changed and 4 banned restrict the account. */
export const tiktokRemovalCode = (reason: number | undefined): ErrorCode => (reason === 3 || reason === 4 ? "ACCOUNT_RESTRICTED" : "APP_DEAUTHORIZED")

const TIKTOK_REASONS: { readonly [reason: number]: string } = {
  0: "unknown",
  1: "the user disconnected the app",
  2: "the user's account was deleted",
  3: "the user's age changed",
  4: "the user's account was banned",
  5: "the developer revoked the authorization"
}

export const interpretTikTokEvent = (body: string): Interpretation =>
  Result.flatMap(decodeJson(TikTokEnvelope, body), (envelope) => {
    if (envelope.event !== "authorization.removed") return Result.succeed({ eventType: envelope.event, actions: [] })
    const openId = envelope.user_openid ?? ""
    if (openId === "") return Result.fail("authorization.removed without user_openid")
    const content: Result.Result<{ readonly reason?: number }, unknown> =
      envelope.content === undefined ? Result.succeed({}) : Schema.decodeUnknownResult(RemovalContent)(envelope.content)
    if (Result.isFailure(content)) return Result.fail("authorization.removed content is not JSON with a numeric reason")
    const reason = content.success.reason
    return Result.succeed({
      eventType: envelope.event,
      actions: [
        {
          kind: "pause",
          code: tiktokRemovalCode(reason),
          match: { by: "account", accountId: openId },
          detail: `TikTok authorization.removed (reason ${reason ?? "absent"}: ${TIKTOK_REASONS[reason ?? 0] ?? "unknown"})`
        }
      ]
    })
  })

// Google Business Profile, through a Pub/Sub push

export const PubSubPush = Schema.Struct({
  message: Schema.Struct({
    data: Schema.optionalKey(Schema.String),
    messageId: Schema.optionalKey(Schema.String),
    message_id: Schema.optionalKey(Schema.String),
    publishTime: Schema.optionalKey(Schema.String),
    attributes: Schema.optionalKey(Schema.Record(Schema.String, Schema.String))
  }),
  subscription: Schema.optionalKey(Schema.String)
})

const GbpNotification = Schema.fromJsonString(
  Schema.Struct({
    type: Schema.optionalKey(Schema.String),
    notificationType: Schema.optionalKey(Schema.String),
    locationName: Schema.optionalKey(Schema.String),
    location_name: Schema.optionalKey(Schema.String)
  })
)

/** Notification types after which a location may be gone or suspended: its state is read to know. */
export const GBP_STATE_TYPES: ReadonlySet<string> = new Set(["UPDATED_LOCATION_STATE", "VOICE_OF_MERCHANT_UPDATED", "LOSS_OF_VOICE_OF_MERCHANT"])

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/

export const interpretGbpPush = (body: string): Interpretation =>
  Result.flatMap(decodeJson(PubSubPush, body), (push) => {
    const messageId = push.message.messageId ?? push.message.message_id
    const data = push.message.data ?? ""
    if (!BASE64.test(data)) return Result.fail("message.data is not base64")
    let text: string
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(atob(data.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0)))
    } catch {
      return Result.fail("message.data is not base64 of UTF-8")
    }
    const notification = Schema.decodeUnknownResult(GbpNotification)(text)
    if (Result.isFailure(notification)) return Result.fail("message.data is not a Business Profile notification")
    const type = notification.success.type ?? notification.success.notificationType ?? "UNKNOWN"
    const location = notification.success.locationName ?? notification.success.location_name
    const actions: ReadonlyArray<WebhookAction> =
      GBP_STATE_TYPES.has(type) && location !== undefined
        ? [{ kind: "check_account", match: { by: "account", accountId: location }, detail: `Business Profile ${type}` }]
        : []
    return Result.succeed({ eventType: type, eventId: messageId, actions })
  })

// Mailchimp: audience events (subscribe, unsubscribe, profile, upemail, cleaned, campaign); none changes a grant.

export const interpretMailchimpEvent = (form: URLSearchParams): Interpretation => {
  const type = form.get("type")
  if (type === null || type === "") return Result.fail("the form has no type")
  return Result.succeed({ eventType: type, actions: [] })
}

