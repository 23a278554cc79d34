// Reconciliation's matching rule: a partner post is ours when its text is exactly the text we sent
// and it was created at or after the publish intent (less a clock-skew margin), so an older post
// with the same words is never mistaken for this attempt's.
import type { PublishRequest } from "../../core/publish/Connector.ts"

/** Partner clocks and ours disagree by seconds, rarely more; two minutes covers it. */
export const SKEW_MARGIN_MS = 2 * 60 * 1000

export interface PartnerPost {
  readonly id: string
  readonly text: string | undefined
  readonly createdAt: Date | undefined
}

// Meta writes offsets without a colon ("2026-11-23T10:00:00+0000"), which Date.parse may reject.
const COMPACT_OFFSET = /([+-]\d{2})(\d{2})$/

/** ISO-8601 strings (Meta's compact offsets included) and epoch milliseconds (LinkedIn). */
export const parsePartnerTime = (value: unknown): Date | undefined => {
  if (typeof value === "number") return Number.isFinite(value) ? new Date(value) : undefined
  if (typeof value !== "string" || value.trim() === "") return undefined
  const ms = Date.parse(value.trim().replace(COMPACT_OFFSET, "$1:$2"))
  return Number.isNaN(ms) ? undefined : new Date(ms)
}

/**
 * Without an intent time there is no lower bound: the exact text alone decides. With one, a post
 * whose creation time is missing or unreadable is not ours (we cannot show it is recent enough).
 */
export const isOurPost = (post: PartnerPost, wanted: { readonly text: string; readonly intentAt?: Date | undefined }): boolean => {
  if (post.text !== wanted.text) return false
  if (wanted.intentAt === undefined) return true
  return post.createdAt !== undefined && post.createdAt.getTime() >= wanted.intentAt.getTime() - SKEW_MARGIN_MS
}

/** The first of the partner's posts (they list newest first) that matches the request. */
export const findOurPost = <P extends PartnerPost>(
  posts: ReadonlyArray<P>,
  request: Pick<PublishRequest, "content" | "intentAt">,
  textOf: (wanted: string) => ReadonlyArray<string> = (t) => [t]
): P | undefined => {
  const texts = textOf(request.content.text)
  return posts.find((post) => texts.some((text) => isOurPost(post, { text, intentAt: request.intentAt })))
}
