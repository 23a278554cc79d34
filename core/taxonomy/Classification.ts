// What a classifier returns (taxonomy.md, "What a classification returns"), plus the evidence an
// operator needs to trust it: which partner fields decided, and the partner's request id.
import { Schema } from "effect"
import { Category, ErrorAction, ErrorCode, Platform, Severity, TAXONOMY, userMessageFor } from "./Taxonomy.ts"
import { makeTaxonomyError, type TaxonomyError } from "./TaxonomyError.ts"

export const Classification = Schema.Struct({
  code: ErrorCode,
  action: ErrorAction,
  category: Category,
  retryable: Schema.Boolean,
  maxRetries: Schema.Int,
  pausesChannel: Schema.Boolean,
  requiresReauth: Schema.Boolean,
  severity: Severity,
  userMessage: Schema.String,
  retryAfterMs: Schema.optionalKey(Schema.Number),
  platform: Schema.optionalKey(Platform),
  httpStatus: Schema.optionalKey(Schema.Int),
  /** The partner's own error identifier, e.g. "190/463", "65602", "access_token_invalid". */
  partnerCode: Schema.optionalKey(Schema.String),
  requestId: Schema.optionalKey(Schema.String),
  /** Why this code was chosen, in one line (the rule that matched). */
  reason: Schema.String
})
export type Classification = typeof Classification.Type

export interface Evidence {
  readonly reason: string
  readonly platform?: Platform | undefined
  readonly httpStatus?: number | undefined
  readonly partnerCode?: string | undefined
  readonly requestId?: string | undefined
  readonly retryAfterMs?: number | undefined
}

/** Builds a classification from a code and the evidence; every field but the evidence comes from the entry. */
export const classificationOf = (code: ErrorCode, evidence: Evidence): Classification => {
  const entry = TAXONOMY[code]
  return {
    code,
    action: entry.action,
    category: entry.category,
    retryable: entry.retryable,
    maxRetries: entry.maxRetries,
    pausesChannel: entry.pausesChannel,
    requiresReauth: entry.requiresReauth,
    severity: entry.severity,
    userMessage: userMessageFor(code, evidence.platform),
    ...(evidence.retryAfterMs !== undefined && Number.isFinite(evidence.retryAfterMs) && evidence.retryAfterMs >= 0
      ? { retryAfterMs: Math.ceil(evidence.retryAfterMs) }
      : {}),
    ...(evidence.platform !== undefined ? { platform: evidence.platform } : {}),
    ...(evidence.httpStatus !== undefined && Number.isSafeInteger(evidence.httpStatus) ? { httpStatus: evidence.httpStatus } : {}),
    ...(evidence.partnerCode !== undefined ? { partnerCode: evidence.partnerCode } : {}),
    ...(evidence.requestId !== undefined ? { requestId: evidence.requestId } : {}),
    reason: evidence.reason
  }
}

/** The typed error a classification stands for, ready for the error channel. */
export const toTaxonomyError = (c: Classification): TaxonomyError =>
  makeTaxonomyError(c.code, {
    message: c.reason,
    ...(c.platform !== undefined ? { platform: c.platform } : {}),
    ...(c.httpStatus !== undefined ? { httpStatus: c.httpStatus } : {}),
    ...(c.partnerCode !== undefined ? { partnerCode: c.partnerCode } : {}),
    ...(c.requestId !== undefined ? { requestId: c.requestId } : {}),
    ...(c.retryAfterMs !== undefined ? { retryAfterMs: c.retryAfterMs } : {})
  })
