// What a platform classifier decides before it becomes a Classification: the code, the rule that
// matched, and the evidence. Classifier.ts turns every verdict into a Classification through
// `classificationOf`, so taxonomy fields always come from the entry.
import type { ErrorCode } from "../taxonomy/Taxonomy.ts"

export interface Verdict {
  readonly code: ErrorCode
  /** One line naming the rule that matched; never partner free text (it may hold e-mail addresses). */
  readonly reason: string
  readonly partnerCode?: string | undefined
  readonly requestId?: string | undefined
  /** A wait the partner stated (headers, documented reset times); merged with Retry-After by taking the longest. */
  readonly retryAfterMs?: number | undefined
  /** A documented default window, used only when the partner stated no wait at all. */
  readonly defaultRetryAfterMs?: number | undefined
}

export const verdict = (code: ErrorCode, reason: string, evidence: Omit<Verdict, "code" | "reason"> = {}): Verdict => ({
  code,
  reason,
  ...evidence
})
