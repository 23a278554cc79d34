// Failures a connector decides itself, without a partner error to classify: a format the platform
// cannot take, a request we refuse to send, a 2xx reply missing what it must carry, an OAuth client
// not configured. They go through the same classificationOf → toTaxonomyError path as classified
// partner errors.
import { Effect } from "effect"
import { classificationOf, toTaxonomyError } from "../../core/taxonomy/Classification.ts"
import type { Platform } from "../../core/taxonomy/Taxonomy.ts"
import type { TaxonomyError } from "../../core/taxonomy/TaxonomyError.ts"
import { CLIENT_VARIABLES, type OAuthClient, type PartnerEndpoints } from "./PartnerEndpoints.ts"
import type { PartnerReply } from "./PartnerHttp.ts"

/** The platform (or this connector) cannot publish this format. */
export const unsupported = (platform: Platform, reason: string): TaxonomyError =>
  toTaxonomyError(classificationOf("CAPABILITY_UNSUPPORTED", { reason: `${platform}: ${reason}`, platform }))

/** A request we will not send as asked (no media for an image post, a malformed account id …). */
export const invalidRequest = (platform: Platform, reason: string): TaxonomyError =>
  toTaxonomyError(classificationOf("VALIDATION_ERROR", { reason: `${platform}: ${reason}`, platform }))

/** The partner answered 2xx without what the call must return; triage, not a guess. */
export const unexpectedReply = (platform: Platform, what: string, reply: PartnerReply): TaxonomyError =>
  toTaxonomyError(
    classificationOf("UNKNOWN", {
      reason: `${platform} ${what}: http ${reply.status} reply without the expected fields`,
      platform,
      httpStatus: reply.status,
      requestId: reply.headers["x-request-id"] ?? reply.headers["x-li-request-id"] ?? reply.headers["x-fb-trace-id"]
    })
  )

/** The partner kept a post in progress past our polling bound (it may still complete). */
export const stillProcessing = (platform: Platform, reason: string): TaxonomyError =>
  toTaxonomyError(classificationOf("TIMEOUT", { reason: `${platform}: ${reason}`, platform }))

/** Something only an operator can fix (an OAuth client not configured): UNKNOWN goes to triage. */
export const notConfigured = (platform: Platform, reason: string): TaxonomyError =>
  toTaxonomyError(classificationOf("UNKNOWN", { reason: `${platform}: ${reason} (operator)`, platform }))

/** The platform's OAuth client, or UNKNOWN for an operator naming the variables to set. */
export const clientFor = (endpoints: PartnerEndpoints, platform: Platform): Effect.Effect<OAuthClient, TaxonomyError> => {
  const client = endpoints.clients[platform]
  return client === undefined
    ? Effect.fail(notConfigured(platform, `${CLIENT_VARIABLES[platform].join("/")} not set`))
    : Effect.succeed(client)
}
