// Properties of the entry points: total over any status, headers and body (garbage, hostile keys,
// random partner envelopes), always a valid Classification whose fields are its taxonomy entry's.
import { Schema } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { classifyFailure, classifyResponse, detectFailure } from "./Classifier.ts"
import type { PartnerResponse } from "./PartnerResponse.ts"
import { Classification } from "../taxonomy/Classification.ts"
import { ERROR_CODES, PLATFORMS, type Platform, TAXONOMY } from "../taxonomy/Taxonomy.ts"

const isValidClassification = Schema.is(Classification)

const assertWellFormed = (c: Classification): void => {
  expect(ERROR_CODES).toContain(c.code)
  const entry = TAXONOMY[c.code]
  expect({
    action: c.action,
    category: c.category,
    retryable: c.retryable,
    maxRetries: c.maxRetries,
    pausesChannel: c.pausesChannel,
    requiresReauth: c.requiresReauth,
    severity: c.severity
  }).toEqual({
    action: entry.action,
    category: entry.category,
    retryable: entry.retryable,
    maxRetries: entry.maxRetries,
    pausesChannel: entry.pausesChannel,
    requiresReauth: entry.requiresReauth,
    severity: entry.severity
  })
  if (c.retryAfterMs !== undefined) {
    expect(Number.isFinite(c.retryAfterMs)).toBe(true)
    expect(c.retryAfterMs).toBeGreaterThanOrEqual(0)
  }
  expect(typeof c.reason).toBe("string")
  expect(c.reason).not.toBe("")
  expect(isValidClassification(c)).toBe(true)
}

const platform = fc.constantFrom<Platform>(...PLATFORMS)

const status = fc.oneof(
  fc.integer({ min: 100, max: 599 }),
  fc.constantFrom(200, 201, 204, 400, 401, 403, 404, 409, 422, 429, 500, 502, 503, 504),
  fc.integer(),
  fc.double(),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -1, 0, 2 ** 53, 1e300)
)

const headerValue = fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 3 }), fc.constant(undefined))
const hintHeaders = fc.record(
  {
    "retry-after": fc.oneof(fc.nat().map(String), fc.string(), fc.date({ noInvalidDate: true }).map((d) => d.toUTCString())),
    "x-ratelimit-reset": fc.oneof(fc.nat().map(String), fc.double().map(String), fc.string()),
    "x-app-usage": fc.oneof(fc.json(), fc.string()),
    "x-business-use-case-usage": fc.oneof(fc.json(), fc.string()),
    "X-Ad-Account-Usage": fc.oneof(fc.json(), fc.string())
  },
  { requiredKeys: [] }
)
const headers = fc.oneof(
  fc.dictionary(fc.string(), headerValue),
  hintHeaders,
  fc.dictionary(fc.constantFrom("__proto__", "constructor", "toString", "Retry-After", "RETRY-AFTER"), headerValue)
)

const anyValue = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.anything())
const codeLike = fc.oneof(fc.integer(), fc.string(), fc.constantFrom(1, 2, 4, 100, 190, 368, 506, 2207051), anyValue)

const metaBody = fc.record(
  {
    error: fc.record(
      {
        code: codeLike,
        error_subcode: codeLike,
        message: fc.oneof(fc.string(), anyValue),
        type: fc.string(),
        is_transient: anyValue,
        error_user_msg: fc.string(),
        fbtrace_id: anyValue
      },
      { requiredKeys: [] }
    )
  },
  { requiredKeys: [] }
)

const linkedinBody = fc.record(
  {
    status: anyValue,
    serviceErrorCode: fc.oneof(fc.constantFrom(100, 101, 65600, 65601, 65602, 65608), anyValue),
    code: fc.oneof(fc.constantFrom("ILLEGAL_ARGUMENT", "TOO_MANY_REQUESTS", "DUPLICATE_POST"), anyValue),
    message: fc.oneof(fc.string(), fc.constantFrom("APPLICATION DAY limit", "Resource x does not exist"), anyValue),
    errorDetails: fc.oneof(fc.record({ inputErrors: fc.array(fc.record({ code: anyValue })) }), anyValue),
    error: fc.oneof(fc.constantFrom("invalid_grant", "invalid_request"), anyValue)
  },
  { requiredKeys: [] }
)

const tiktokBody = fc.record(
  {
    data: fc.oneof(
      fc.record({ status: fc.oneof(fc.constantFrom("FAILED", "PROCESSING_UPLOAD"), anyValue), fail_reason: anyValue }, { requiredKeys: [] }),
      anyValue
    ),
    error: fc.oneof(
      fc.record({ code: fc.oneof(fc.constantFrom("ok", "rate_limit_exceeded", "spam_risk"), anyValue), log_id: anyValue }, { requiredKeys: [] }),
      anyValue
    ),
    log_id: anyValue
  },
  { requiredKeys: [] }
)

const gbpBody = fc.record(
  {
    error: fc.record(
      {
        code: anyValue,
        status: fc.oneof(fc.constantFrom("NOT_FOUND", "UNAUTHENTICATED", "RESOURCE_EXHAUSTED"), anyValue),
        message: fc.oneof(fc.constant("Method not found."), anyValue),
        errors: fc.array(fc.record({ reason: anyValue })),
        details: fc.array(
          fc.oneof(
            fc.record({
              "@type": fc.constant("type.googleapis.com/google.rpc.ErrorInfo"),
              reason: fc.oneof(fc.constantFrom("RATE_LIMIT_EXCEEDED", "ACCESS_TOKEN_EXPIRED"), anyValue),
              metadata: fc.oneof(fc.record({ quota_limit_value: anyValue }), anyValue)
            }),
            fc.record({
              "@type": fc.constant("type.googleapis.com/google.mybusiness.v4.ValidationError"),
              errorDetails: fc.oneof(fc.array(fc.record({ code: anyValue })), anyValue)
            }),
            anyValue
          ),
          { maxLength: 4 }
        )
      },
      { requiredKeys: [] }
    ),
    state: fc.oneof(fc.constantFrom("REJECTED", "PROCESSING"), anyValue)
  },
  { requiredKeys: [] }
)

const mailchimpBody = fc.record(
  {
    type: anyValue,
    title: fc.oneof(fc.constantFrom("Member Exists", "Invalid Resource", "API Key Invalid"), anyValue),
    status: anyValue,
    detail: fc.oneof(fc.constant("signed up to a lot of lists"), anyValue),
    instance: anyValue
  },
  { requiredKeys: [] }
)

const envelope = fc.oneof(metaBody, linkedinBody, tiktokBody, gbpBody, mailchimpBody)

const body = fc.oneof(
  fc.anything(),
  fc.string(),
  fc.json(),
  envelope,
  envelope.map((b) => JSON.stringify(b)),
  fc.constant(JSON.parse('{"__proto__":{"error":{"code":190}},"constructor":{"prototype":1}}')),
  fc.constant("<!DOCTYPE html><html><title>Error 404 (Not Found)!!1</title></html>"),
  fc.constant(`${"[".repeat(5000)}${"]".repeat(5000)}`)
)

const response = fc.record({
  platform,
  status,
  headers,
  body,
  nowMs: fc.oneof(fc.constant(undefined), fc.integer({ min: 0, max: 4_102_444_800_000 }), fc.double())
})

const asResponse = (r: { readonly platform: Platform; readonly status: number; readonly headers: Record<string, unknown>; readonly body: unknown; readonly nowMs: number | undefined }): PartnerResponse => {
  const { nowMs, ...rest } = r
  // Arbitrary header maps may hold non-string values: exactly the untrusted input under test.
  return { ...(rest as Omit<PartnerResponse, "nowMs">), ...(nowMs === undefined ? {} : { nowMs }) }
}

describe("classifyResponse", () => {
  it("is total: any platform, status, headers and body give a valid classification matching its entry", () => {
    fc.assert(
      fc.property(response, (r) => {
        assertWellFormed(classifyResponse(asResponse(r)))
      }),
      { numRuns: 2_000 }
    )
  })

  it("is total for values that are not responses at all, unknown platforms included", () => {
    fc.assert(
      fc.property(fc.anything(), fc.oneof(platform, fc.string()), (raw, p) => {
        assertWellFormed(classifyResponse(raw as PartnerResponse))
        assertWellFormed(classifyResponse({ platform: p as Platform, status: 500, headers: {}, body: raw }))
      })
    )
  })

  it("is deterministic: the same response classifies the same way", () => {
    fc.assert(
      fc.property(response, (r) => {
        expect(classifyResponse(asResponse(r))).toEqual(classifyResponse(asResponse(r)))
      }),
      { numRuns: 300 }
    )
  })

  it("never reports a wait on a code that is not retried", () => {
    fc.assert(
      fc.property(response, (r) => {
        const c = classifyResponse(asResponse(r))
        if (!TAXONOMY[c.code].retryable) expect(c.retryAfterMs).toBeUndefined()
      }),
      { numRuns: 500 }
    )
  })

  it("classifies any error status as a failure, never as the no-failure UNKNOWN", () => {
    fc.assert(
      fc.property(platform, fc.integer({ min: 400, max: 599 }), headers, body, (p, s, h, b) => {
        const c = classifyResponse({ platform: p, status: s, headers: h as PartnerResponse["headers"], body: b })
        expect(c.reason).not.toContain("no failure marker")
        expect(c.httpStatus).toBe(s)
      }),
      { numRuns: 500 }
    )
  })

  it("tolerates prototype-pollution keys without polluting anything", () => {
    const body = JSON.parse('{"__proto__":{"polluted":true},"error":{"code":190,"error_subcode":463,"__proto__":{"code":4}}}')
    const c = classifyResponse({ platform: "meta", status: 400, headers: JSON.parse('{"__proto__":{"retry-after":"5"}}'), body })
    expect(c.code).toBe("AUTH_EXPIRED")
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined()
  })
})

describe("detectFailure", () => {
  it("never throws and agrees with classifyResponse whenever it finds a failure", () => {
    fc.assert(
      fc.property(response, (r) => {
        const failure = detectFailure(asResponse(r))
        if (failure !== undefined) {
          assertWellFormed(failure)
          expect(classifyResponse(asResponse(r))).toEqual(failure)
        }
      }),
      { numRuns: 1_000 }
    )
  })

  it("reports success only for a 2xx status", () => {
    fc.assert(
      fc.property(response, (r) => {
        if (detectFailure(asResponse(r)) === undefined) {
          expect(Number.isInteger(r.status) && r.status >= 200 && r.status <= 299).toBe(true)
        }
      }),
      { numRuns: 1_000 }
    )
  })
})

describe("classifyFailure", () => {
  it("is total over any thrown value", () => {
    fc.assert(
      fc.property(fc.option(platform, { nil: undefined }), fc.anything({ withBoxedValues: true, withMap: true, withSet: true }), (p, error) => {
        const c = classifyFailure(p === undefined ? { error } : { platform: p, error })
        assertWellFormed(c)
        if (p !== undefined) expect(c.platform).toBe(p)
      }),
      { numRuns: 1_000 }
    )
  })

  it("is total over error-like objects with random codes, names, causes and responses", () => {
    const errorLike = fc.letrec((tie) => ({
      error: fc.record(
        {
          code: fc.oneof(fc.constantFrom("ECONNRESET", "ETIMEDOUT", "CERT_HAS_EXPIRED", "ERR_CANCELED"), anyValue),
          name: fc.oneof(fc.constantFrom("TimeoutError", "AbortError", "TypeError"), anyValue),
          message: anyValue,
          cause: fc.oneof({ depthSize: "small" }, anyValue, tie("error")),
          errors: fc.array(tie("error"), { maxLength: 2 }),
          response: fc.record({ status: status, headers: anyValue, data: body }, { requiredKeys: [] })
        },
        { requiredKeys: [] }
      )
    })).error
    fc.assert(
      fc.property(platform, errorLike, (p, error) => {
        assertWellFormed(classifyFailure({ platform: p, error }))
      }),
      { numRuns: 1_000 }
    )
  })
})
