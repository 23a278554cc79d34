// The last rule of every classifier: when a body says nothing we recognise, the HTTP status family
// decides. Each mapping is a deliberate choice, explained beside it.
import type { ErrorCode } from "../taxonomy/Taxonomy.ts"
import { isHttpStatus, type ResponseView } from "./PartnerResponse.ts"
import { type Verdict, verdict } from "./Verdict.ts"

export interface FallbackOptions {
  /**
   * What an unexplained 401 means on this platform. AUTH_INVALID (reconnect) by default; TikTok
   * passes AUTH_EXPIRED because its access tokens live about a day and a refresh is cheap.
   */
  readonly unauthorized?: ErrorCode
  /** Evidence the platform classifier already found (request id, partner code, retry hints). */
  readonly evidence?: Omit<Verdict, "code" | "reason">
}

const familyOf = (status: number, unauthorized: ErrorCode): { readonly code: ErrorCode; readonly why: string } => {
  if (!isHttpStatus(status)) return { code: "UNKNOWN", why: "not an HTTP status" }
  switch (status) {
    case 401:
      return { code: unauthorized, why: "unauthorized" }
    // Forbidden is a missing scope or role far more often than a ban; bans have their own codes.
    case 403:
      return { code: "PERMISSION_INSUFFICIENT", why: "forbidden" }
    case 404:
    case 410:
      return { code: "RESOURCE_NOT_FOUND", why: "not found or gone" }
    case 408:
    case 504:
      return { code: "TIMEOUT", why: "timed out" }
    // On the create calls we make, a conflict almost always means the object already exists, and
    // DUPLICATE_CONTENT lets recovery recognise our own earlier attempt as a success.
    case 409:
      return { code: "DUPLICATE_CONTENT", why: "conflict" }
    // The only large payloads we send are media uploads.
    case 413:
      return { code: "MEDIA_INVALID", why: "payload too large" }
    case 429:
      return { code: "RATE_LIMIT_429", why: "too many requests" }
    case 451:
      return { code: "CONTENT_REJECTED", why: "unavailable for legal reasons" }
    case 500:
    case 502:
      return { code: "PARTNER_5XX", why: "server error" }
    case 503:
      return { code: "PARTNER_UNAVAILABLE", why: "service unavailable" }
    // Not implemented / version not supported will not heal by retrying and is not the user's
    // content: an operator has to look.
    case 501:
    case 505:
      return { code: "UNKNOWN", why: "not implemented by the partner" }
  }
  // The rest of 4xx: the partner refused our request as made; retrying the same request cannot help.
  if (status >= 400 && status <= 499) return { code: "VALIDATION_ERROR", why: "client error" }
  // The rest of 5xx (507, gateways' 52x): still the partner's fault and usually transient, so bounded
  // backoff beats sending it straight to the DLQ.
  if (status >= 500) return { code: "PARTNER_5XX", why: "server error" }
  // 1xx, 2xx and 3xx reaching a failure path mean our client misbehaved (unfollowed redirect, interim).
  return { code: "UNKNOWN", why: "not an error status" }
}

export const statusFallback = (view: ResponseView, context: string, options: FallbackOptions = {}): Verdict => {
  const { code, why } = familyOf(view.status, options.unauthorized ?? "AUTH_INVALID")
  return verdict(code, `${context}: http ${String(view.status)} ${why} (status family)`, options.evidence ?? {})
}
