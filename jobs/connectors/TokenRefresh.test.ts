import { assert, describe, it } from "@effect/vitest"
import { Redacted } from "effect"
import { makeTaxonomyError } from "../../core/taxonomy/TaxonomyError.ts"
import { asRefreshFailure, isRejectedGrant, splitScopes, tokenSetOf } from "./TokenRefresh.ts"

const NOW = Date.UTC(2026, 10, 23, 10, 0, 0)

describe("tokenSetOf", () => {
  it("keeps a rotated refresh token and computes the expiry from expires_in", () => {
    const tokens = tokenSetOf({ access_token: "a-1", refresh_token: "r-2", expires_in: 86_400, scope: "user.info.basic,video.publish" }, NOW)
    assert.strictEqual(tokens === undefined ? undefined : Redacted.value(tokens.accessToken), "a-1")
    assert.strictEqual(tokens?.refreshToken === undefined ? undefined : Redacted.value(tokens.refreshToken), "r-2")
    assert.strictEqual(tokens?.expiresAt?.getTime(), NOW + 86_400_000)
    assert.deepStrictEqual(tokens?.scopes, ["user.info.basic", "video.publish"])
  })

  it("leaves the refresh token absent (never empty) when the platform does not rotate it", () => {
    for (const body of [
      { access_token: "a", expires_in: 3599, scope: "https://www.googleapis.com/auth/business.manage", token_type: "Bearer" },
      { access_token: "a", refresh_token: "" },
      { access_token: "a", refresh_token: "   " },
      { access_token: "a", refresh_token: null }
    ]) {
      const tokens = tokenSetOf(body, NOW)
      assert.isDefined(tokens)
      assert.isFalse(tokens !== undefined && "refreshToken" in tokens, "refreshToken must be absent")
    }
  })

  it("has no token set without an access token, and no expiry for expires_in 0 (Mailchimp-style)", () => {
    assert.isUndefined(tokenSetOf({ refresh_token: "r" }, NOW))
    assert.isUndefined(tokenSetOf({ access_token: "" }, NOW))
    assert.isUndefined(tokenSetOf("not json", NOW))
    assert.isUndefined(tokenSetOf({ access_token: "a", expires_in: 0 }, NOW)?.expiresAt)
  })

  it("splits scopes on spaces or commas", () => {
    assert.deepStrictEqual(splitScopes("a b  c"), ["a", "b", "c"])
    assert.deepStrictEqual(splitScopes("w_member_social,openid"), ["w_member_social", "openid"])
    assert.deepStrictEqual(splitScopes(["x", 1, ""]), ["x"])
    assert.isUndefined(splitScopes(null))
  })
})

describe("a rejected grant at the token endpoint", () => {
  const error = (code: Parameters<typeof makeTaxonomyError>[0], httpStatus?: number, partnerCode?: string) =>
    makeTaxonomyError(code, {
      message: "m",
      platform: "gbp",
      ...(httpStatus === undefined ? {} : { httpStatus }),
      ...(partnerCode === undefined ? {} : { partnerCode })
    })

  it("becomes TOKEN_REFRESH_FAILED on invalid_grant or a 400/401, whatever the platform reading was", () => {
    for (const e of [
      error("AUTH_EXPIRED", 401, "UNAUTHENTICATED"),
      error("VALIDATION_ERROR", 400, "invalid_request"),
      error("UNKNOWN", 200, "invalid_grant"),
      error("AUTH_INVALID", 401)
    ]) {
      assert.isTrue(isRejectedGrant(e))
      const mapped = asRefreshFailure(e)
      assert.strictEqual(mapped._tag, "TOKEN_REFRESH_FAILED")
      assert.strictEqual(mapped.httpStatus, e.httpStatus)
      assert.strictEqual(mapped.platform, "gbp")
    }
  })

  it("keeps the classifier's reading for our own client being refused, server errors and network failures", () => {
    for (const e of [error("UNKNOWN", 401, "invalid_client"), error("PARTNER_5XX", 500), error("NETWORK_ERROR"), error("RATE_LIMIT_429", 429)]) {
      assert.strictEqual(asRefreshFailure(e), e)
    }
  })
})
