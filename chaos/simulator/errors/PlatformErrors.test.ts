import { describe, expect, it } from "vitest"
import { classifyResponse } from "../../../core/classify/Classifier.ts"
import { type ErrorCode, type Platform, PLATFORMS } from "../../../core/taxonomy/Taxonomy.ts"
import type { OAuthErrorContext, OAuthErrorKind } from "../OAuthFlow.ts"
import type { CallInfo, Denial, PlatformErrors } from "../platforms/PlatformModule.ts"
import type { SimResponse } from "../SimResponse.ts"
import { gbpErrors, gbpTokenError } from "./gbpErrors.ts"
import { duplicatePost, linkedinErrors, linkedinTokenError, nonexistentVersion } from "./linkedinErrors.ts"
import { mailchimpErrors, mailchimpTokenError, problem, wrongDatacenter } from "./mailchimpErrors.ts"
import { metaErrors } from "./metaErrors.ts"
import { META_OAUTH } from "../platforms/meta.ts"
import { invalidPublishId, tiktokErrors, tiktokTokenError } from "./tiktokErrors.ts"

// Every shape the simulator can answer with, and the taxonomy code it is meant to produce. Where the
// classifier reads a shape differently than intended, the row says so and the report names it.

const call = (accountId: string | undefined, template = "/rest/posts"): CallInfo => ({ method: "POST", path: template, template, accountId })

const DENIALS: ReadonlyArray<Denial> = [
  { kind: "missing_token" },
  { kind: "invalid_token" },
  { kind: "expired" },
  { kind: "revoked" },
  { kind: "not_found", accountId: "acct" },
  { kind: "not_authorized_for_account", accountId: "acct" },
  { kind: "scope", missing: ["a_scope"] },
  { kind: "restricted", accountId: "acct", variant: "" }
]

type Intended = { readonly [K in Denial["kind"]]: ErrorCode }

const INTENDED_DENIALS: { readonly [P in Platform]: Intended } = {
  meta: {
    missing_token: "AUTH_INVALID",
    invalid_token: "AUTH_INVALID",
    expired: "AUTH_EXPIRED",
    revoked: "APP_DEAUTHORIZED",
    not_found: "RESOURCE_NOT_FOUND",
    not_authorized_for_account: "PERMISSION_INSUFFICIENT",
    scope: "PERMISSION_INSUFFICIENT",
    restricted: "ACCOUNT_RESTRICTED"
  },
  linkedin: {
    missing_token: "AUTH_INVALID",
    invalid_token: "AUTH_INVALID",
    expired: "AUTH_EXPIRED",
    revoked: "APP_DEAUTHORIZED",
    not_found: "RESOURCE_NOT_FOUND",
    not_authorized_for_account: "PERMISSION_INSUFFICIENT",
    scope: "PERMISSION_INSUFFICIENT",
    restricted: "ACCOUNT_RESTRICTED"
  },
  // One code (access_token_invalid) for every token problem; TikTok's advice is to refresh first.
  tiktok: {
    missing_token: "AUTH_EXPIRED",
    invalid_token: "AUTH_EXPIRED",
    expired: "AUTH_EXPIRED",
    revoked: "AUTH_EXPIRED",
    not_found: "AUTH_EXPIRED",
    not_authorized_for_account: "AUTH_EXPIRED",
    scope: "PERMISSION_INSUFFICIENT",
    restricted: "ACCOUNT_RESTRICTED"
  },
  // Google cannot tell a revoked grant from an invalid token on an API call (it tells on refresh).
  // No Google shape reads as ACCOUNT_RESTRICTED: a suspended location answers PERMISSION_DENIED.
  gbp: {
    missing_token: "AUTH_INVALID",
    invalid_token: "AUTH_INVALID",
    expired: "AUTH_EXPIRED",
    revoked: "AUTH_INVALID",
    not_found: "RESOURCE_NOT_FOUND",
    not_authorized_for_account: "PERMISSION_INSUFFICIENT",
    scope: "PERMISSION_INSUFFICIENT",
    restricted: "PERMISSION_INSUFFICIENT"
  },
  // OAuth tokens never expire and a de-authorized app answers like an invalid key.
  mailchimp: {
    missing_token: "AUTH_INVALID",
    invalid_token: "AUTH_INVALID",
    expired: "AUTH_INVALID",
    revoked: "AUTH_INVALID",
    not_found: "RESOURCE_NOT_FOUND",
    not_authorized_for_account: "PERMISSION_INSUFFICIENT",
    scope: "PERMISSION_INSUFFICIENT",
    restricted: "ACCOUNT_RESTRICTED"
  }
}

const ERRORS: { readonly [P in Platform]: PlatformErrors } = {
  meta: metaErrors,
  linkedin: linkedinErrors,
  tiktok: tiktokErrors,
  gbp: gbpErrors,
  mailchimp: mailchimpErrors
}

interface Row {
  readonly platform: Platform
  readonly what: string
  readonly response: SimResponse
  readonly intended: ErrorCode | ReadonlyArray<ErrorCode>
}

const codeOf = (platform: Platform, response: SimResponse) =>
  classifyResponse({ platform, status: response.status, headers: response.headers, body: response.body })

const denialRows: ReadonlyArray<Row> = PLATFORMS.flatMap((platform) =>
  DENIALS.map((denial) => ({
    platform,
    what: `denied ${denial.kind}`,
    response: ERRORS[platform].denied(denial, call("acct")),
    intended: INTENDED_DENIALS[platform][denial.kind]
  }))
)

const INTENDED_FAULTS: { readonly [P in Platform]: { readonly unavailable: ErrorCode; readonly quota: ErrorCode; readonly unknownPath: ErrorCode } } = {
  meta: { unavailable: "PARTNER_UNAVAILABLE", quota: "QUOTA_EXCEEDED", unknownPath: "UNKNOWN" },
  linkedin: { unavailable: "PARTNER_UNAVAILABLE", quota: "QUOTA_EXCEEDED", unknownPath: "VALIDATION_ERROR" },
  // TikTok's internal_error decides whatever the status.
  tiktok: { unavailable: "PARTNER_5XX", quota: "QUOTA_EXCEEDED", unknownPath: "VALIDATION_ERROR" },
  gbp: { unavailable: "PARTNER_UNAVAILABLE", quota: "QUOTA_EXCEEDED", unknownPath: "VALIDATION_ERROR" },
  // Mailchimp has no daily cap to show; its unknown path is the same 404 as a missing resource.
  mailchimp: { unavailable: "PARTNER_UNAVAILABLE", quota: "RATE_LIMIT_429", unknownPath: "RESOURCE_NOT_FOUND" }
}

const faultRows: ReadonlyArray<Row> = PLATFORMS.flatMap((platform) => {
  const e = ERRORS[platform]
  const intended = INTENDED_FAULTS[platform]
  return [
    { platform, what: "http 500", response: e.serverError(500, call("acct")), intended: "PARTNER_5XX" },
    { platform, what: "http 502", response: e.serverError(502, call("acct")), intended: "PARTNER_5XX" },
    { platform, what: "http 503", response: e.serverError(503, call("acct")), intended: intended.unavailable },
    { platform, what: "http 504", response: e.serverError(504, call("acct")), intended: ["TIMEOUT", "PARTNER_5XX"] },
    { platform, what: "rate limit", response: e.rateLimit({}, call("acct")), intended: "RATE_LIMIT_429" },
    { platform, what: "rate limit, no account", response: e.rateLimit({ retryAfterSec: 10 }, call(undefined)), intended: "RATE_LIMIT_429" },
    { platform, what: "quota", response: e.quota({}, call("acct")), intended: intended.quota },
    { platform, what: "unknown path", response: e.unknownPath(call(undefined, "/nope")), intended: intended.unknownPath },
    { platform, what: "invalid request", response: e.invalidRequest("bad field", call("acct")), intended: "VALIDATION_ERROR" }
  ]
})

const specialRows: ReadonlyArray<Row> = [
  { platform: "meta", what: "checkpoint", response: metaErrors.denied({ kind: "restricted", accountId: "1", variant: "checkpoint" }, call("1")), intended: "ACCOUNT_RESTRICTED" },
  ...["app", "page", "buc"].map((variant) => ({ platform: "meta" as const, what: `rate limit ${variant}`, response: metaErrors.rateLimit({ variant }, call("1")), intended: "RATE_LIMIT_429" as const })),
  { platform: "meta", what: "instagram rate limit", response: metaErrors.rateLimit({}, call("ig:1")), intended: "RATE_LIMIT_429" },
  { platform: "linkedin", what: "426 version", response: nonexistentVersion("202001"), intended: "VALIDATION_ERROR" },
  { platform: "linkedin", what: "422 duplicate", response: duplicatePost("urn:li:share:1"), intended: "DUPLICATE_CONTENT" },
  { platform: "tiktok", what: "invalid_publish_id", response: invalidPublishId(), intended: "RESOURCE_NOT_FOUND" },
  { platform: "tiktok", what: "deleted creator at status fetch", response: tiktokErrors.denied({ kind: "not_found", accountId: "o" }, call("o", "/v2/post/publish/status/fetch/")), intended: "RESOURCE_NOT_FOUND" },
  { platform: "mailchimp", what: "wrong datacenter", response: wrongDatacenter("us1"), intended: "VALIDATION_ERROR" },
  { platform: "mailchimp", what: "campaign not ready", response: problem(400, "Bad Request", "Your Campaign is not ready to send."), intended: "VALIDATION_ERROR" },
  { platform: "mailchimp", what: "JSON parse error", response: problem(400, "JSON Parse Error", "We encountered an unspecified JSON parsing error."), intended: "VALIDATION_ERROR" }
]

const TOKEN_ERRORS: ReadonlyArray<readonly [Platform, (kind: OAuthErrorKind, context: OAuthErrorContext) => SimResponse]> = [
  ["linkedin", linkedinTokenError],
  ["tiktok", tiktokTokenError],
  ["gbp", gbpTokenError],
  ["mailchimp", mailchimpTokenError]
]

const tokenRows: ReadonlyArray<Row> = [
  ...TOKEN_ERRORS.flatMap(([platform, build]) => [
    { platform, what: "token invalid_grant (refresh)", response: build("invalid_grant", "refresh"), intended: "TOKEN_REFRESH_FAILED" as const },
    { platform, what: "token invalid_grant (code)", response: build("invalid_grant", "code"), intended: "TOKEN_REFRESH_FAILED" as const },
    { platform, what: "token invalid_request", response: build("invalid_request", "request"), intended: "TOKEN_REFRESH_FAILED" as const },
    { platform, what: "token invalid_client", response: build("invalid_client", "client"), intended: "UNKNOWN" as const },
    { platform, what: "token unsupported_grant_type", response: build("unsupported_grant_type", "request"), intended: "VALIDATION_ERROR" as const }
  ]),
  // Meta's token endpoint answers in the Graph envelope; code 100 is a parameter error.
  { platform: "meta", what: "token reused code (100/36009)", response: META_OAUTH.tokenError("invalid_grant", "code"), intended: "VALIDATION_ERROR" },
  { platform: "meta", what: "token missing code", response: META_OAUTH.tokenError("invalid_request", "request"), intended: "VALIDATION_ERROR" },
  // Reported: Meta's "Error validating client secret." is code 1 without is_transient, which the
  // classifier reads as a transient server error although our own credentials are wrong.
  { platform: "meta", what: "token bad client secret (code 1)", response: META_OAUTH.tokenError("invalid_client", "client"), intended: "PARTNER_5XX" }
]

const ROWS: ReadonlyArray<Row> = [...denialRows, ...faultRows, ...specialRows, ...tokenRows]

describe("every error shape the simulator emits", () => {
  it.each(ROWS.map((r) => [r.platform, r.what, r] as const))("%s %s classifies as intended", (_platform, _what, row) => {
    const classification = codeOf(row.platform, row.response)
    const intended = typeof row.intended === "string" ? [row.intended] : row.intended
    expect(intended).toContain(classification.code)
    expect(row.response.status).toBeGreaterThanOrEqual(400)
    const type = row.response.headers["content-type"] ?? ""
    if (type.includes("html")) expect(row.response.body).toMatch(/^<!DOCTYPE html>/i)
    else {
      expect(type).toMatch(/json/)
      expect(() => JSON.parse(row.response.body)).not.toThrow()
    }
  })

  it("keeps rate-limit waits the headers state: Retry-After on every platform, Meta's regain estimate in minutes", () => {
    for (const platform of PLATFORMS) {
      const response = ERRORS[platform].rateLimit({ retryAfterSec: 42 }, call("acct"))
      expect(response.headers["retry-after"]).toBe("42")
      expect(codeOf(platform, response).retryAfterMs).toBeGreaterThanOrEqual(42_000)
    }
    expect(codeOf("meta", metaErrors.rateLimit({ retryAfterSec: 600 }, call("1"))).retryAfterMs).toBe(600_000)
  })
})
