import { assert, describe, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import fc from "fast-check"
import type { PublishRequest } from "../../core/publish/Connector.ts"
import { credentialsFor, fakeFetch, jsonOf, type Route } from "./FakeFetch.ts"
import {
  type Campaign,
  campaignBody,
  campaignHtml,
  mailchimpAudienceOf,
  makeMailchimpConnector,
  planFor,
  SUBJECT_MAX,
  subjectLineFor
} from "./MailchimpConnector.ts"
import { partnerEndpointsFor } from "./PartnerEndpoints.ts"
import { DEDUPE_HEADER, makePartnerHttp } from "./PartnerHttp.ts"

const M = "/us1.api.mailchimp.com/3.0"
const connectorWith = (routes: ReadonlyArray<Route>) => {
  const fake = fakeFetch(routes)
  return { fake, connector: makeMailchimpConnector(partnerEndpointsFor("http://sim.test"), makePartnerHttp({ timeoutMs: 1_000, fetch: fake.fetch })) }
}
const content = { text: "Spring sale\n\nEverything -20% <today>", format: "text", mediaUrls: [], title: "Spring sale!" } as const
const request = (extra: Partial<PublishRequest> = {}): PublishRequest => ({
  credentials: credentialsFor("mailchimp", "us1:list9"),
  content,
  dedupeKey: "dk-mc",
  ...extra
})
const campaign = (id: string, status: string, title = "dk-mc") => ({ id, status, settings: { title }, archive_url: `https://mailchi.mp/${id}` })

describe("Mailchimp payloads", () => {
  it("reads {dc}:{listId} and refuses a dc that could change the host", () => {
    assert.deepStrictEqual(Result.getOrUndefined(mailchimpAudienceOf("us21:abc123")), { dc: "us21", listId: "abc123" })
    for (const bad of ["abc123", "us1:", "evil.com/x:abc", "us1.evil:abc", "us1:abc/def"]) {
      assert.isTrue(Result.isFailure(mailchimpAudienceOf(bad)), bad)
    }
  })

  it("escapes the text into HTML paragraphs and never lets text become markup", () => {
    assert.strictEqual(
      Result.getOrUndefined(campaignHtml(content)),
      "<!DOCTYPE html><html><body><p>Spring sale</p><p>Everything -20% &lt;today&gt;</p></body></html>"
    )
    fc.assert(
      fc.property(fc.string(), (text) => {
        const html = Result.getOrUndefined(campaignHtml({ text, format: "text", mediaUrls: [] })) ?? ""
        const inner = html.replace(/^<!DOCTYPE html><html><body>/, "").replace(/<\/body><\/html>$/, "")
        assert.notMatch(inner.replace(/<\/?p>|<br>/g, ""), /[<>]/)
      })
    )
  })

  it("refuses media or link URLs that are not http(s)", () => {
    const bad = campaignHtml({ ...content, link: "javascript:alert(1)" })
    assert.strictEqual(Result.isFailure(bad) ? bad.failure._tag : undefined, "VALIDATION_ERROR")
  })

  it("titles the campaign with the dedupe key and takes the subject from the title or the first line", () => {
    assert.deepStrictEqual(campaignBody("list9", "dk-mc", content), {
      type: "regular",
      recipients: { list_id: "list9" },
      settings: { subject_line: "Spring sale!", title: "dk-mc" }
    })
    assert.strictEqual(subjectLineFor({ text: "\n  First line \nsecond", format: "text", mediaUrls: [] }), "First line")
    assert.strictEqual(subjectLineFor({ text: "y".repeat(400), format: "text", mediaUrls: [] }).length, SUBJECT_MAX)
  })

  it("sends an existing sent campaign never again, reuses an unsent one and otherwise creates", () => {
    const c = (id: string, status: string, title = "dk"): Campaign => ({ id, status, title, archiveUrl: undefined })
    assert.deepStrictEqual(planFor([c("1", "save", "other"), c("2", "sent")], "dk"), { kind: "done", campaign: c("2", "sent") })
    assert.deepStrictEqual(planFor([c("3", "save")], "dk"), { kind: "reuse", campaign: c("3", "save") })
    assert.deepStrictEqual(planFor([c("4", "sent", "other")], "dk"), { kind: "create" })
  })
})

describe("MailchimpConnector", () => {
  it.effect("creates the campaign, puts the content and sends it, with the dedupe key on every call", () =>
    Effect.gen(function* () {
      const { fake, connector } = connectorWith([
        { method: "GET", path: `${M}/campaigns`, reply: { body: { campaigns: [] } } },
        { method: "POST", path: `${M}/campaigns`, reply: { body: campaign("c1", "save") } },
        { method: "PUT", path: `${M}/campaigns/c1/content`, reply: { body: { html: "" } } },
        { method: "POST", path: `${M}/campaigns/c1/actions/send`, reply: { status: 204 } }
      ])
      assert.deepStrictEqual(yield* connector.publish(request()), { partnerPostId: "c1", url: "https://mailchi.mp/c1" })
      assert.deepStrictEqual(
        fake.requests.map((r) => `${r.method} ${r.url.pathname}`),
        [`GET ${M}/campaigns`, `POST ${M}/campaigns`, `PUT ${M}/campaigns/c1/content`, `POST ${M}/campaigns/c1/actions/send`]
      )
      assert.isTrue(fake.requests.every((r) => r.headers[DEDUPE_HEADER] === "dk-mc"))
      assert.strictEqual(fake.requests[0]?.url.searchParams.get("list_id"), "list9")
      assert.include((jsonOf(fake.requests[2]) as { html: string }).html, "&lt;today&gt;")
    }))

  it.effect("reuses an unsent campaign with our title instead of creating a second one", () =>
    Effect.gen(function* () {
      const { fake, connector } = connectorWith([
        { method: "GET", path: `${M}/campaigns`, reply: { body: { campaigns: [campaign("c2", "save")] } } },
        { method: "PUT", path: `${M}/campaigns/c2/content`, reply: { body: {} } },
        { method: "POST", path: `${M}/campaigns/c2/actions/send`, reply: { status: 204 } }
      ])
      assert.strictEqual((yield* connector.publish(request())).partnerPostId, "c2")
      assert.strictEqual(fake.callsTo("POST", `${M}/campaigns`).length, 0)
    }))

  it.effect("returns an already sent campaign without sending again", () =>
    Effect.gen(function* () {
      const { fake, connector } = connectorWith([{ method: "GET", path: `${M}/campaigns`, reply: { body: { campaigns: [campaign("c3", "sent")] } } }])
      assert.strictEqual((yield* connector.publish(request())).partnerPostId, "c3")
      assert.strictEqual(fake.requests.length, 1)
    }))

  it.effect("reconciles only sent or sending campaigns titled with the dedupe key", () =>
    Effect.gen(function* () {
      const { connector } = connectorWith([
        {
          method: "GET",
          path: `${M}/campaigns`,
          reply: [
            { body: { campaigns: [campaign("c4", "save"), campaign("c5", "sent", "another-key")] } },
            { body: { campaigns: [campaign("c6", "sending")] } }
          ]
        }
      ])
      assert.isUndefined(yield* connector.findPublished(request()))
      assert.strictEqual((yield* connector.findPublished(request()))?.partnerPostId, "c6")
    }))

  it.effect("pings for health, classifies a de-authorized token as AUTH_INVALID, and has no refreshToken", () =>
    Effect.gen(function* () {
      const { connector } = connectorWith([
        { method: "GET", path: `${M}/ping`, reply: [{ body: { health_status: "Everything's Chimpy!" } }, { status: 401, body: { title: "API Key Invalid", status: 401, detail: "d" } }] }
      ])
      assert.deepStrictEqual(yield* connector.healthCheck(credentialsFor("mailchimp", "us1:list9")), {})
      assert.strictEqual((yield* Effect.flip(connector.healthCheck(credentialsFor("mailchimp", "us1:list9"))))._tag, "AUTH_INVALID")
      assert.isFalse("refreshToken" in connector)
    }))
})
