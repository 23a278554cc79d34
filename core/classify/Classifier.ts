// The entry points: classify a partner response or a failure without one into the canonical
// taxonomy. Total by construction: whatever the input (garbage bodies, NaN statuses, hostile
// headers, thrown non-errors) the answer is a valid Classification, never an exception.
import { type Classification, classificationOf } from "../taxonomy/Classification.ts"
import { type Platform, TAXONOMY } from "../taxonomy/Taxonomy.ts"
import { field, isRecord } from "./Fields.ts"
import { classifyGbp } from "./GbpClassifier.ts"
import { classifyLinkedIn } from "./LinkedInClassifier.ts"
import { classifyMailchimp } from "./MailchimpClassifier.ts"
import { classifyMeta } from "./MetaClassifier.ts"
import type { PartnerFailure, PartnerResponse, ResponseView } from "./PartnerResponse.ts"
import { header, isSuccessStatus, viewOf } from "./PartnerResponse.ts"
import { longest, rateLimitResetMs, retryAfterHeaderMs } from "./RetryHints.ts"
import { statusFallback } from "./StatusFallback.ts"
import { classifySystemError } from "./SystemErrorClassifier.ts"
import type { Verdict } from "./Verdict.ts"
import { classifyTikTok } from "./TikTokClassifier.ts"

const PLATFORM_CLASSIFIERS: { readonly [P in Platform]: (view: ResponseView) => Verdict | undefined } = {
  meta: classifyMeta,
  linkedin: classifyLinkedIn,
  tiktok: classifyTikTok,
  gbp: classifyGbp,
  mailchimp: classifyMailchimp
}

/** Headers any partner (or a proxy in front of it) may use to state a wait. */
const standardHintMs = (view: ResponseView): number | undefined =>
  longest(
    retryAfterHeaderMs(header(view, "retry-after"), view.nowMs),
    rateLimitResetMs(header(view, "x-ratelimit-reset"), view.nowMs)
  )

const classificationFor = (view: ResponseView, v: Verdict): Classification => {
  // A wait only matters to a code that is retried; on AUTH_INVALID it would only mislead.
  const retryAfterMs = TAXONOMY[v.code].retryable
    ? (longest(v.retryAfterMs, standardHintMs(view)) ?? v.defaultRetryAfterMs)
    : undefined
  return classificationOf(v.code, {
    reason: v.reason,
    platform: view.platform,
    // Schema.Int is a safe integer; a status outside that range is noise, not evidence.
    httpStatus: Number.isSafeInteger(view.status) ? view.status : undefined,
    partnerCode: v.partnerCode,
    requestId: v.requestId ?? header(view, "x-request-id"),
    retryAfterMs
  })
}

const describe = (cause: unknown): string => (cause instanceof Error ? cause.name : typeof cause)

const unreadable = (platform: Platform | undefined, what: string, cause: unknown): Classification =>
  classificationOf("UNKNOWN", { reason: `classifier could not read the ${what} (${describe(cause)})`, platform })

const platformOf = (value: unknown): Platform | undefined => {
  const platform = field(value, "platform")
  return typeof platform === "string" && Object.hasOwn(PLATFORM_CLASSIFIERS, platform) ? (platform as Platform) : undefined
}

/** The failure a response carries, or undefined for a genuine success (2xx without any failure marker). */
export const detectFailure = (response: PartnerResponse): Classification | undefined => {
  try {
    const view = viewOf(response)
    const found = view.platform === undefined ? undefined : PLATFORM_CLASSIFIERS[view.platform](view)
    if (found !== undefined) return classificationFor(view, found)
    if (isSuccessStatus(view.status)) return undefined
    return classificationFor(view, statusFallback(view, view.platform ?? "unknown platform"))
  } catch (cause) {
    return unreadable(platformOf(response), "response", cause)
  }
}

/** Always a classification; a success comes back as UNKNOWN saying the response carries no failure. */
export const classifyResponse = (response: PartnerResponse): Classification => {
  const failure = detectFailure(response)
  if (failure !== undefined) return failure
  const platform = platformOf(response)
  const status = field(response, "status")
  return classificationOf("UNKNOWN", {
    reason: `http ${String(status)} carries no failure marker: not a failure`,
    platform,
    httpStatus: typeof status === "number" && Number.isSafeInteger(status) ? status : undefined
  })
}

/**
 * A thrown value. An HTTP client error that carries the partner's response (axios `error.response`)
 * is classified as that response; anything else as a network, timeout, TLS or unknown failure.
 */
export const classifyFailure = (failure: PartnerFailure): Classification => {
  const platform = platformOf(failure)
  try {
    const error = field(failure, "error")
    const response = field(error, "response")
    const status = field(response, "status")
    if (isRecord(response) && typeof status === "number" && platform !== undefined) {
      return classifyResponse({ platform, status, headers: toHeaders(field(response, "headers")), body: field(response, "data") })
    }
    const v = classifySystemError(error)
    return classificationOf(v.code, { reason: v.reason, platform, partnerCode: v.partnerCode })
  } catch (cause) {
    return unreadable(platform, "thrown value", cause)
  }
}

const toHeaders = (value: unknown): PartnerResponse["headers"] => {
  if (!isRecord(value)) return {}
  const headers: Record<string, string | ReadonlyArray<string>> = {}
  for (const name of Object.keys(value)) {
    const v = value[name]
    if (typeof v === "string") headers[name] = v
    else if (Array.isArray(v)) headers[name] = v.filter((x): x is string => typeof x === "string")
  }
  return headers
}
