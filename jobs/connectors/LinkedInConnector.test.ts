import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted, Result } from "effect"
import fc from "fast-check"
import type { PublishRequest } from "../../core/publish/Connector.ts"
import { credentialsFor, fakeFetch, formOf, jsonOf, type Route } from "./FakeFetch.ts"
import {
  commentaryForms,
  escapeLittleText,
  introspectionReport,
  linkedInAuthorOf,
  linkedInPostBody,
  linkedInPostsOf,
  makeLinkedInConnector
} from "./LinkedInConnector.ts"
import { partnerEndpointsFor } from "./PartnerEndpoints.ts"
import { makePartnerHttp } from "./PartnerHttp.ts"

const ORG = "urn:li:organization:42"
const INTENT = new Date("2026-11-23T10:00:00Z")
const connectorWith = (routes: ReadonlyArray<Route>, endpoints = partnerEndpointsFor("http://sim.test")) => {
  const fake = fakeFetch(routes)
  return { fake, connector: makeLinkedInConnector(endpoints, makePartnerHttp({ timeoutMs: 1_000, fetch: fake.fetch })) }
}
const request = (content: PublishRequest["content"], extra: Partial<PublishRequest> = {}): PublishRequest => ({
  credentials: credentialsFor("linkedin", ORG),
  content,
  dedupeKey: "dk-li",
  intentAt: INTENT,
  ...extra
})
const text = { text: "We are hiring (again) #jobs", format: "text", mediaUrls: [] } as const

describe("LinkedIn payloads", () => {
  it("accepts organization and person URNs only", () => {
    assert.isTrue(Result.isSuccess(linkedInAuthorOf(ORG)))
    assert.isTrue(Result.isSuccess(linkedInAuthorOf("urn:li:person:abc_D-1")))
    for (const bad of ["42", "urn:li:share:1", "urn:li:organization:", "urn:li:organization:1&q=x"]) {
      assert.isTrue(Result.isFailure(linkedInAuthorOf(bad)), bad)
    }
  })

  it("escapes little-text markup so the commentary reads back as written", () => {
    assert.strictEqual(escapeLittleText("a (b) #c @d_e *f* [g] {h} <i> |j ~k \\l"), "a \\(b\\) \\#c \\@d\\_e \\*f\\* \\[g\\] \\{h\\} \\<i\\> \\|j \\~k \\\\l")
    fc.assert(
      fc.property(fc.string(), (s) => {
        // Unescaping (drop each backslash that escapes the next character) gives the original back.
        assert.strictEqual(escapeLittleText(s).replace(/\\(.)/gs, "$1"), s)
      })
    )
  })

  it("builds the documented post body, with an article for a link", () => {
    assert.deepStrictEqual(Result.getOrUndefined(linkedInPostBody(ORG, { ...text, link: "https://x.test/job", title: "Jobs" })), {
      author: ORG,
      commentary: "We are hiring \\(again\\) \\#jobs",
      visibility: "PUBLIC",
      distribution: { feedDistribution: "MAIN_FEED", targetEntities: [], thirdPartyDistributionChannels: [] },
      lifecycleState: "PUBLISHED",
      isReshareDisabledByAuthor: false,
      content: { article: { source: "https://x.test/job", title: "Jobs" } }
    })
    const image = linkedInPostBody(ORG, { text: "x", format: "image", mediaUrls: ["https://cdn.test/a.png"] })
    assert.strictEqual(Result.isFailure(image) ? image.failure._tag : undefined, "CAPABILITY_UNSUPPORTED")
  })

  it("lists posts with createdAt in epoch milliseconds", () => {
    assert.deepStrictEqual(linkedInPostsOf({ elements: [{ id: "urn:li:share:1", commentary: "c", createdAt: INTENT.getTime() }] }), [
      { id: "urn:li:share:1", text: "c", createdAt: INTENT }
    ])
    assert.deepStrictEqual(commentaryForms("plain"), ["plain"])
  })
})

describe("LinkedInConnector", () => {
  it.effect("publishes with the versioned headers and takes the URN from x-restli-id", () =>
    Effect.gen(function* () {
      const { fake, connector } = connectorWith([
        { method: "POST", path: "/api.linkedin.com/rest/posts", reply: { status: 201, headers: { "x-restli-id": "urn:li:share:7" } } }
      ])
      const post = yield* connector.publish(request(text))
      assert.deepStrictEqual(post, { partnerPostId: "urn:li:share:7", url: "https://www.linkedin.com/feed/update/urn:li:share:7" })
      const sent = fake.requests[0]
      assert.strictEqual(sent?.headers["linkedin-version"], "202411")
      assert.strictEqual(sent?.headers["x-restli-protocol-version"], "2.0.0")
      assert.strictEqual((jsonOf(sent) as { author: string }).author, ORG)
    }))

  it.effect("fails a 201 without x-restli-id as UNKNOWN rather than inventing an id", () =>
    Effect.gen(function* () {
      const { connector } = connectorWith([{ method: "POST", path: "/api.linkedin.com/rest/posts", reply: { status: 201 } }])
      assert.strictEqual((yield* Effect.flip(connector.publish(request(text))))._tag, "UNKNOWN")
    }))

  it.effect("reads LinkedIn's duplicate-post 422 as DUPLICATE_CONTENT", () =>
    Effect.gen(function* () {
      const { connector } = connectorWith([
        {
          method: "POST",
          path: "/api.linkedin.com/rest/posts",
          reply: { status: 422, body: { message: "Content is a duplicate of urn:li:share:7", errorDetails: { inputErrors: [{ code: "DUPLICATE_POST" }] }, status: 422 } }
        }
      ])
      assert.strictEqual((yield* Effect.flip(connector.publish(request(text))))._tag, "DUPLICATE_CONTENT")
    }))

  it.effect("finds our post among the author's posts by its escaped commentary", () =>
    Effect.gen(function* () {
      const { fake, connector } = connectorWith([
        {
          method: "GET",
          path: "/api.linkedin.com/rest/posts",
          reply: { body: { elements: [{ id: "urn:li:share:8", commentary: "We are hiring \\(again\\) \\#jobs", createdAt: INTENT.getTime() + 1_000, author: ORG }] } }
        }
      ])
      assert.strictEqual((yield* connector.findPublished(request(text)))?.partnerPostId, "urn:li:share:8")
      const query = fake.requests[0]?.url.searchParams
      assert.strictEqual(query?.get("author"), ORG)
      assert.strictEqual(query?.get("q"), "author")
      assert.include(fake.requests[0]?.url.search ?? "", "author=urn%3Ali%3Aorganization%3A42")
      assert.isUndefined(yield* connector.findPublished(request({ ...text, text: "not posted" })))
    }))

  it.effect("refreshes with the client credentials and keeps the returned refresh token", () =>
    Effect.gen(function* () {
      const { fake, connector } = connectorWith([
        {
          method: "POST",
          path: "/www.linkedin.com/oauth/v2/accessToken",
          reply: { body: { access_token: "new-a", expires_in: 5_184_000, refresh_token: "r-1", refresh_token_expires_in: 31_536_000, scope: "w_organization_social" } }
        }
      ])
      const tokens = yield* (connector.refreshToken?.(Redacted.make("r-1")) ?? Effect.die("LinkedIn must refresh"))
      assert.strictEqual(Redacted.value(tokens.accessToken), "new-a")
      assert.strictEqual(tokens.refreshToken === undefined ? undefined : Redacted.value(tokens.refreshToken), "r-1")
      assert.deepStrictEqual(formOf(fake.requests[0]), {
        grant_type: "refresh_token",
        refresh_token: "r-1",
        client_id: "sim-linkedin-client",
        client_secret: "sim-linkedin-secret"
      })
    }))

  it.effect("turns a rejected refresh grant into TOKEN_REFRESH_FAILED", () =>
    Effect.gen(function* () {
      const { connector } = connectorWith([
        {
          method: "POST",
          path: "/www.linkedin.com/oauth/v2/accessToken",
          reply: { status: 400, body: { error: "invalid_grant", error_description: "The provided authorization grant or refresh token is invalid, expired or revoked" } }
        }
      ])
      const error = yield* Effect.flip(connector.refreshToken?.(Redacted.make("bad")) ?? Effect.die("LinkedIn must refresh"))
      assert.strictEqual(error._tag, "TOKEN_REFRESH_FAILED")
      assert.notInclude(error.message, "bad")
    }))

  it.effect("fails a refresh for an operator when no OAuth client is configured", () =>
    Effect.gen(function* () {
      const { fake, connector } = connectorWith([], partnerEndpointsFor())
      const error = yield* Effect.flip(connector.refreshToken?.(Redacted.make("r")) ?? Effect.die("LinkedIn must refresh"))
      assert.strictEqual(error._tag, "UNKNOWN")
      assert.strictEqual(fake.requests.length, 0)
    }))

  const INTROSPECT = "/www.linkedin.com/oauth/v2/introspectToken"
  const active = { active: true, client_id: "sim-linkedin-client", status: "active", expires_at: 1_800_000_000, scope: "r_organization_social,w_organization_social", auth_type: "3L" }

  const USERINFO = { method: "GET", path: "/api.linkedin.com/v2/userinfo", reply: { body: { sub: "m-1" } } } as const

  it.effect("health-checks userinfo, then introspects the token with the client credentials and reports its scopes", () =>
    Effect.gen(function* () {
      const { fake, connector } = connectorWith([USERINFO, { method: "POST", path: INTROSPECT, reply: { body: active } }])
      assert.deepStrictEqual(yield* connector.healthCheck(credentialsFor("linkedin", ORG)), { scopes: ["r_organization_social", "w_organization_social"] })
      assert.deepStrictEqual(
        fake.requests.map((r) => `${r.method} ${r.url.pathname}`),
        ["GET /api.linkedin.com/v2/userinfo", `POST ${INTROSPECT}`]
      )
      assert.deepStrictEqual(formOf(fake.requests[1]), { client_id: "sim-linkedin-client", client_secret: "sim-linkedin-secret", token: "access-token-1" })
      assert.isUndefined(fake.requests[1]?.headers["authorization"])
    }))

  it.effect("stops at userinfo's classified error: a revoked token never reaches introspection", () =>
    Effect.gen(function* () {
      const { fake, connector } = connectorWith([
        { method: "GET", path: "/api.linkedin.com/v2/userinfo", reply: { status: 401, body: { status: 401, serviceErrorCode: 65601, code: "REVOKED_ACCESS_TOKEN", message: "revoked" } } },
        { method: "POST", path: INTROSPECT, reply: { body: active } }
      ])
      assert.strictEqual((yield* Effect.flip(connector.healthCheck(credentialsFor("linkedin", ORG))))._tag, "APP_DEAUTHORIZED")
      assert.strictEqual(fake.callsTo("POST", INTROSPECT).length, 0)
    }))

  it("reads an inactive token by its status: expired, revoked, or unknown to LinkedIn", () => {
    const codeOf = (body: unknown): string | undefined => {
      const report = introspectionReport(body)
      return Result.isFailure(report) ? report.failure._tag : undefined
    }
    assert.strictEqual(codeOf({ ...active, active: false, status: "expired" }), "AUTH_EXPIRED")
    assert.strictEqual(codeOf({ ...active, active: false, status: "revoked" }), "APP_DEAUTHORIZED")
    assert.strictEqual(codeOf({ active: false }), "AUTH_INVALID")
    assert.strictEqual(codeOf({}), "AUTH_INVALID")
    assert.deepStrictEqual(Result.getOrUndefined(introspectionReport({ active: true })), {})
  })

  it.effect("fails the health check of an inactive token and of an operator's wrong client", () =>
    Effect.gen(function* () {
      const { connector } = connectorWith([
        USERINFO,
        {
          method: "POST",
          path: INTROSPECT,
          reply: [{ body: { active: false } }, { status: 401, body: { error: "invalid_client", error_description: "Client authentication failed" } }]
        }
      ])
      assert.strictEqual((yield* Effect.flip(connector.healthCheck(credentialsFor("linkedin", ORG))))._tag, "AUTH_INVALID")
      assert.strictEqual((yield* Effect.flip(connector.healthCheck(credentialsFor("linkedin", ORG))))._tag, "UNKNOWN")
    }))

  it.effect("health-checks with userinfo when no OAuth client is configured", () =>
    Effect.gen(function* () {
      const { fake, connector } = connectorWith([{ method: "GET", path: "/v2/userinfo", reply: { body: { sub: "m-1" } } }], partnerEndpointsFor())
      assert.deepStrictEqual(yield* connector.healthCheck(credentialsFor("linkedin", ORG)), {})
      assert.strictEqual(fake.requests[0]?.url.hostname, "api.linkedin.com")
      assert.strictEqual(fake.requests.length, 1)
    }))
})
