// What the five OAuth providers share (besides clientFor in ConnectorFailure.ts): an authorization URL with every parameter percent-encoded, and the code redeemed at a token
// endpoint, where a reply naming an error is a failure even when it comes as a 2xx (TikTok does that).
import { Clock, Effect, Redacted } from "effect"
import { shortText, stringField } from "../../../core/classify/Fields.ts"
import type { TokenSet } from "../../../core/publish/Connector.ts"
import { classificationOf, toTaxonomyError } from "../../../core/taxonomy/Classification.ts"
import type { Platform } from "../../../core/taxonomy/Taxonomy.ts"
import type { TaxonomyError } from "../../../core/taxonomy/TaxonomyError.ts"
import { unexpectedReply } from "../ConnectorFailure.ts"
import type { FormValue, PartnerHttp, PartnerReply } from "../PartnerHttp.ts"
import { tokenSetOf } from "../TokenRefresh.ts"

/**
 * `base?name=value&…` in the given order, undefined values left out. Spaces become %20, not `+`:
 * LinkedIn and Google document space-separated scopes as %20.
 */
export const authorizationUrl = (base: string, params: Readonly<Record<string, string | undefined>>): string => {
  const query = Object.entries(params)
    .flatMap(([name, value]) => (value === undefined ? [] : [`${encodeURIComponent(name)}=${encodeURIComponent(value)}`]))
    .join("&")
  return query === "" ? base : `${base}?${query}`
}

/** A token endpoint's `{error, error_description}` that reached us as a 2xx and the classifier let through. */
const errorInBody = (platform: Platform, reply: PartnerReply, error: string): TaxonomyError =>
  toTaxonomyError(
    classificationOf("UNKNOWN", {
      reason: `${platform} token endpoint: http ${reply.status} reply carrying error ${shortText(error)}`,
      platform,
      httpStatus: reply.status,
      partnerCode: shortText(error),
      requestId: stringField(reply.body, "log_id") ?? reply.headers["x-tt-logid"] ?? reply.headers["x-request-id"]
    })
  )

export interface CodeRedemption {
  readonly platform: Platform
  readonly url: string
  /** Meta redeems with a GET and the parameters in the query; everyone else POSTs a form. */
  readonly method: "GET" | "POST"
  readonly params: Readonly<Record<string, FormValue>>
}

const queryOf = (params: Readonly<Record<string, FormValue>>): Record<string, string | undefined> =>
  Object.fromEntries(Object.entries(params).map(([name, value]) => [name, Redacted.isRedacted(value) ? Redacted.value(value) : value]))

/**
 * Redeems an authorization code. A refused code fails with the classifier's reading of the partner's
 * answer; a 2xx with an `error` or without an access token is a failure, never a token set.
 */
export const redeemCode = (http: PartnerHttp, redemption: CodeRedemption): Effect.Effect<TokenSet, TaxonomyError> =>
  Effect.gen(function* () {
    const reply = yield* http.call({
      platform: redemption.platform,
      method: redemption.method,
      url: redemption.url,
      ...(redemption.method === "GET" ? { query: queryOf(redemption.params) } : { body: { form: redemption.params } })
    })
    const error = stringField(reply.body, "error")
    if (error !== undefined && error.trim() !== "") return yield* Effect.fail(errorInBody(redemption.platform, reply, error))
    const tokens = tokenSetOf(reply.body, yield* Clock.currentTimeMillis)
    if (tokens === undefined) return yield* Effect.fail(unexpectedReply(redemption.platform, "code exchange", reply))
    return tokens
  })
