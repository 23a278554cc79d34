import { Result } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import {
  interpretGbpPush,
  interpretLinkedInEvent,
  interpretMailchimpEvent,
  interpretMetaDeauthorize,
  interpretMetaEvent,
  interpretTikTokEvent,
  tiktokRemovalCode
} from "./WebhookEvents.ts"

const ok = <A>(r: Result.Result<A, string>): A => {
  if (Result.isFailure(r)) throw new Error(r.failure)
  return r.success
}

describe("Meta", () => {
  it("reads a deauthorization by the user, or by a page (user_id 0 with profile_id)", () => {
    expect(ok(interpretMetaDeauthorize({ algorithm: "HMAC-SHA256", issued_at: 1, user_id: "42" })).actions).toEqual([
      expect.objectContaining({ kind: "pause", code: "APP_DEAUTHORIZED", match: { by: "user", userId: "42" } })
    ])
    expect(ok(interpretMetaDeauthorize({ algorithm: "HMAC-SHA256", issued_at: 1, user_id: 0, profile_id: 1000001 })).actions).toEqual([
      expect.objectContaining({ match: { by: "account", accountId: "1000001" } })
    ])
    expect(Result.isFailure(interpretMetaDeauthorize({ algorithm: "HMAC-SHA256", issued_at: 1 }))).toBe(true)
  })

  it("reads a revoked permission as PERMISSION_INSUFFICIENT for that scope, a disconnect as APP_DEAUTHORIZED, and ignores grants", () => {
    const body = JSON.stringify({
      object: "permissions",
      entry: [
        {
          id: "42",
          time: 1,
          changes: [
            { field: "pages_manage_posts", value: { verb: "revoked" } },
            { field: "email", value: { verb: "granted" } },
            { field: "connected", value: { verb: "disconnected" } }
          ]
        }
      ]
    })
    expect(ok(interpretMetaEvent(body)).actions).toEqual([
      expect.objectContaining({ code: "PERMISSION_INSUFFICIENT", scope: "pages_manage_posts", match: { by: "user", userId: "42" } }),
      expect.objectContaining({ code: "APP_DEAUTHORIZED", match: { by: "user", userId: "42" } })
    ])
    expect(ok(interpretMetaEvent(JSON.stringify({ object: "page", entry: [{ id: "1", changes: [{ field: "feed", value: {} }] }] }))).actions).toEqual([])
  })
})

describe("TikTok", () => {
  const event = (content: string, extra: object = {}) =>
    JSON.stringify({ client_key: "ck", event: "authorization.removed", create_time: 1, user_openid: "open-1", content, ...extra })
  it("maps authorization.removed reasons: banned and age-changed restrict, the rest deauthorize", () => {
    for (const [reason, code] of [[0, "APP_DEAUTHORIZED"], [1, "APP_DEAUTHORIZED"], [2, "APP_DEAUTHORIZED"], [3, "ACCOUNT_RESTRICTED"], [4, "ACCOUNT_RESTRICTED"], [5, "APP_DEAUTHORIZED"]] as const) {
      expect(ok(interpretTikTokEvent(event(JSON.stringify({ reason })))).actions).toEqual([
        expect.objectContaining({ code, match: { by: "account", accountId: "open-1" } })
      ])
      expect(tiktokRemovalCode(reason)).toBe(code)
    }
    expect(ok(interpretTikTokEvent(event("{}", { event: "video.publish.completed" }))).actions).toEqual([])
    expect(Result.isFailure(interpretTikTokEvent(event("not json")))).toBe(true)
    expect(Result.isFailure(interpretTikTokEvent(JSON.stringify({ event: "authorization.removed" })))).toBe(true)
  })
})

describe("Google Business Profile push", () => {
  const push = (notification: unknown, messageId = "m-1") =>
    JSON.stringify({ message: { data: Buffer.from(JSON.stringify(notification)).toString("base64"), messageId }, subscription: "s" })
  it("asks for the location's state after a state notification, keyed by the message id; ignores reviews", () => {
    const state = ok(interpretGbpPush(push({ type: "UPDATED_LOCATION_STATE", locationName: "accounts/1/locations/2" })))
    expect(state).toMatchObject({ eventType: "UPDATED_LOCATION_STATE", eventId: "m-1" })
    expect(state.actions).toEqual([expect.objectContaining({ kind: "check_account", match: { by: "account", accountId: "accounts/1/locations/2" } })])
    expect(ok(interpretGbpPush(push({ type: "NEW_REVIEW", locationName: "accounts/1/locations/2" }))).actions).toEqual([])
    expect(Result.isFailure(interpretGbpPush(JSON.stringify({ message: { data: "%%%" } })))).toBe(true)
    expect(Result.isFailure(interpretGbpPush(JSON.stringify({ message: { data: Buffer.from("[1,2]").toString("base64") } })))).toBe(true)
  })
})

describe("LinkedIn and Mailchimp", () => {
  it("record their events without an action", () => {
    expect(ok(interpretLinkedInEvent(JSON.stringify({ notificationId: 7, type: "ORGANIZATION_SOCIAL_ACTION" })))).toEqual({
      eventType: "ORGANIZATION_SOCIAL_ACTION",
      eventId: "7",
      actions: []
    })
    expect(ok(interpretMailchimpEvent(new URLSearchParams("type=unsubscribe&data[email]=a@b.c")))).toEqual({ eventType: "unsubscribe", actions: [] })
    expect(Result.isFailure(interpretMailchimpEvent(new URLSearchParams("")))).toBe(true)
  })
})

describe("every interpreter", () => {
  it("is total on arbitrary text: a result, never a throw (property)", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        for (const interpret of [interpretMetaEvent, interpretLinkedInEvent, interpretTikTokEvent, interpretGbpPush]) {
          expect(["Success", "Failure"]).toContain(interpret(text)._tag)
        }
        expect(["Success", "Failure"]).toContain(interpretMailchimpEvent(new URLSearchParams(text))._tag)
      }),
      { numRuns: 300 }
    )
  })
})
