import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import fc from "fast-check"
import { fakeFetch } from "./FakeFetch.ts"
import { DEDUPE_HEADER, encodeForm, type Fetch, makePartnerHttp, parseBody, urlFor } from "./PartnerHttp.ts"

const http = (fetch: Fetch) => makePartnerHttp({ timeoutMs: 1_000, fetch })

const failureOf = <A, E>(effect: Effect.Effect<A, E>) => Effect.flip(effect)

const throwing =
  (error: unknown): Fetch =>
  () =>
    Promise.reject(error)

describe("PartnerHttp request building", () => {
  it("puts a query token into the URL only, after the other parameters", () => {
    const url = urlFor({
      platform: "gbp",
      method: "GET",
      url: "https://www.googleapis.com/oauth2/v3/tokeninfo",
      query: { a: "1", skip: undefined },
      tokenQuery: { name: "access_token", token: Redacted.make("tok en") }
    })
    assert.strictEqual(url, "https://www.googleapis.com/oauth2/v3/tokeninfo?a=1&access_token=tok+en")
  })

  it("writes Redacted form values in the clear and leaves undefined ones out", () => {
    assert.strictEqual(encodeForm({ a: "x y", b: Redacted.make("s&t"), c: undefined }), "a=x+y&b=s%26t")
  })

  it("reads a body as JSON when it parses, as text otherwise, and null when empty", () => {
    assert.deepStrictEqual(parseBody('{"a":1}'), { a: 1 })
    assert.strictEqual(parseBody("<html>oops</html>"), "<html>oops</html>")
    assert.isNull(parseBody("  "))
  })

  it.effect("sends the bearer token, the dedupe key, and a JSON body", () =>
    Effect.gen(function* () {
      const fake = fakeFetch([{ method: "POST", path: "/rest/posts", reply: { status: 201, headers: { "x-restli-id": "urn:li:share:1" } } }])
      const reply = yield* http(fake.fetch).call({
        platform: "linkedin",
        method: "POST",
        url: "https://api.linkedin.com/rest/posts",
        token: Redacted.make("secret-token"),
        headers: { "linkedin-version": "202411" },
        body: { json: { commentary: "hi" } },
        dedupeKey: "key-1"
      })
      assert.strictEqual(reply.status, 201)
      assert.strictEqual(reply.headers["x-restli-id"], "urn:li:share:1")
      assert.isNull(reply.body)
      const sent = fake.requests[0]
      assert.strictEqual(sent?.headers["authorization"], "Bearer secret-token")
      assert.strictEqual(sent?.headers[DEDUPE_HEADER], "key-1")
      assert.strictEqual(sent?.headers["linkedin-version"], "202411")
      assert.strictEqual(sent?.headers["content-type"], "application/json")
      assert.strictEqual(sent?.body, '{"commentary":"hi"}')
    }))
})

describe("PartnerHttp failures", () => {
  it.effect("classifies an error status through the platform classifier", () =>
    Effect.gen(function* () {
      const fake = fakeFetch([
        { method: "GET", path: "/v2/userinfo", reply: { status: 401, body: { status: 401, serviceErrorCode: 65602, message: "expired" } } }
      ])
      const error = yield* failureOf(http(fake.fetch).call({ platform: "linkedin", method: "GET", url: "https://x.test/v2/userinfo" }))
      assert.strictEqual(error._tag, "AUTH_EXPIRED")
      assert.strictEqual(error.httpStatus, 401)
      assert.strictEqual(error.partnerCode, "65602")
    }))

  it.effect("fails a 2xx whose body carries a failure (TikTok FAILED status)", () =>
    Effect.gen(function* () {
      const fake = fakeFetch([
        {
          method: "POST",
          path: "/v2/post/publish/status/fetch/",
          reply: { body: { data: { status: "FAILED", fail_reason: "video_pull_failed" }, error: { code: "ok", message: "" } } }
        }
      ])
      const error = yield* failureOf(
        http(fake.fetch).call({ platform: "tiktok", method: "POST", url: "https://x.test/v2/post/publish/status/fetch/", body: { json: {} } })
      )
      assert.strictEqual(error._tag, "MEDIA_INVALID")
      assert.strictEqual(error.httpStatus, 200)
    }))

  it.effect("carries Retry-After on a 429 as retryAfterMs", () =>
    Effect.gen(function* () {
      const fake = fakeFetch([{ method: "GET", path: "/3.0/ping", reply: { status: 429, headers: { "retry-after": "7" }, body: { title: "Too Many Requests", status: 429 } } }])
      const error = yield* failureOf(http(fake.fetch).call({ platform: "mailchimp", method: "GET", url: "https://x.test/3.0/ping" }))
      assert.strictEqual(error._tag, "RATE_LIMIT_429")
      assert.strictEqual(error.retryAfterMs, 7_000)
    }))

  it.effect("reads an unfollowed redirect as UNKNOWN, not as success", () =>
    Effect.gen(function* () {
      const fake = fakeFetch([{ method: "GET", path: "/me", reply: { status: 302, headers: { location: "https://elsewhere.test" } } }])
      const error = yield* failureOf(http(fake.fetch).call({ platform: "meta", method: "GET", url: "https://x.test/me" }))
      assert.strictEqual(error._tag, "UNKNOWN")
    }))

  it.effect("classifies a connection reset as NETWORK_ERROR and a timeout signal as TIMEOUT", () =>
    Effect.gen(function* () {
      const reset = Object.assign(new TypeError("fetch failed"), { cause: Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }) })
      const network = yield* failureOf(http(throwing(reset)).call({ platform: "gbp", method: "GET", url: "https://x.test/" }))
      assert.strictEqual(network._tag, "NETWORK_ERROR")
      const timeout = yield* failureOf(
        http(throwing(new DOMException("The operation was aborted due to timeout", "TimeoutError"))).call({
          platform: "gbp",
          method: "GET",
          url: "https://x.test/"
        })
      )
      assert.strictEqual(timeout._tag, "TIMEOUT")
    }))

  it.effect("hands fetch a signal that aborts on its own after the timeout", () =>
    Effect.gen(function* () {
      let signal: AbortSignal | null | undefined
      const fetch: Fetch = async (_input, init) => {
        signal = init.signal
        return new Response("{}", { status: 200 })
      }
      yield* http(fetch).call({ platform: "meta", method: "GET", url: "https://x.test/me" })
      assert.isDefined(signal)
      assert.isFalse(signal?.aborted)
    }))

  it.effect("never puts the token, the request body or the response body into an error", () =>
    Effect.gen(function* () {
      const samples = fc.sample(
        fc.record({
          token: fc.string({ minLength: 12, maxLength: 40 }).filter((s) => s.trim().length >= 12),
          secret: fc.string({ minLength: 12, maxLength: 40 }).filter((s) => s.trim().length >= 12),
          status: fc.constantFrom(400, 401, 403, 404, 409, 422, 429, 500, 503)
        }),
        40
      )
      for (const { token, secret, status } of samples) {
        const fake = fakeFetch([
          {
            method: "POST",
            path: "/v21.0/1/feed",
            reply: { status, body: { error: { message: `bad ${secret}`, code: 100, error_user_msg: secret } } }
          }
        ])
        const error = yield* failureOf(
          http(fake.fetch).call({
            platform: "meta",
            method: "POST",
            url: "https://x.test/v21.0/1/feed",
            token: Redacted.make(token),
            body: { form: { message: secret } }
          })
        )
        const printed = `${JSON.stringify(error)} ${error.message} ${String(error)}`
        assert.notInclude(printed, token)
        assert.notInclude(printed, secret)
      }
    }))
})
