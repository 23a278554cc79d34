// What a synthetic health check found, pure: the scope publishing needs on each platform (a healthy
// answer from a token without it is still a channel that cannot publish), and what a failed check
// means — refresh, pause (the same rules as a failed publish: core/publish/PublishDecision.ts),
// or only record a warning (partner trouble, throttling) or an unknown (we could not reach it).
import { decide } from "../publish/PublishDecision.ts"
import { type ErrorCode, type Platform, TAXONOMY, type TaxonomyEntry } from "../taxonomy/Taxonomy.ts"

export type CheckStatus = "healthy" | "warning" | "critical" | "unknown"

/** The scope a connection must hold to publish to its account. */
export const publishingScope = (platform: Platform, accountId: string): string | undefined => {
  switch (platform) {
    case "meta":
      return accountId.startsWith("ig:") ? "instagram_content_publish" : "pages_manage_posts"
    case "linkedin":
      return accountId.startsWith("urn:li:person:") ? "w_member_social" : "w_organization_social"
    case "tiktok":
      return "video.publish"
    case "gbp":
      return "https://www.googleapis.com/auth/business.manage"
    case "mailchimp":
      return undefined
  }
}

/** The publishing scope missing from what the partner says the token holds (undefined: it did not say). */
export const missingPublishingScope = (
  platform: Platform,
  accountId: string,
  reported: ReadonlyArray<string> | undefined
): string | undefined => {
  const needed = publishingScope(platform, accountId)
  if (needed === undefined || reported === undefined) return undefined
  return reported.includes(needed) ? undefined : needed
}

/** How a failed check reads on the health board. */
export const statusOf = (code: ErrorCode): Exclude<CheckStatus, "healthy"> => {
  const entry: TaxonomyEntry = TAXONOMY[code]
  if (code === "NETWORK_ERROR" || code === "TIMEOUT" || code === "TLS_ERROR") return "unknown"
  if (entry.pausesChannel || entry.category === "auth" || entry.category === "account") return "critical"
  return "warning"
}

export type PingDecision =
  /** AUTH_EXPIRED with a refresh token: refresh, then check again once. */
  | { readonly kind: "refresh" }
  | { readonly kind: "pause"; readonly code: ErrorCode }
  /** Nothing to do on the channel: the check's status is recorded, the next sweep looks again. */
  | { readonly kind: "record"; readonly code: ErrorCode; readonly status: Exclude<CheckStatus, "healthy"> }

/**
 * A check's failure: pause on what would pause a publish (auth, permission, account), refresh an
 * expired token once; never retry here (the next sweep is the retry) and never pause on network,
 * partner or throttling trouble. With auto-pause off the channel is only marked critical.
 */
export const decidePing = (input: {
  readonly code: ErrorCode
  readonly canRefresh: boolean
  readonly refreshed: boolean
  readonly autopause: boolean
}): PingDecision => {
  const decision = decide({ code: input.code, attempts: 1, random: 0, autopause: input.autopause, canRefresh: input.canRefresh, refreshed: input.refreshed })
  switch (decision.kind) {
    case "refresh":
      return { kind: "refresh" }
    case "pause":
      // The breaker pauses on its own count of publishes; one failed ping is no reason to.
      return decision.code === "CIRCUIT_BREAKER_OPEN" ? { kind: "record", code: decision.code, status: "warning" } : { kind: "pause", code: decision.code }
    default:
      return { kind: "record", code: decision.code, status: statusOf(decision.code) }
  }
}
