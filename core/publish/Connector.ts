// The port every partner connector implements (jobs/connectors/*), and the service that hands out
// the connector for a platform. Every failure is a typed taxonomy error, classified by core/classify.
import { Context, type Effect, type Redacted, Schema } from "effect"
import type { Platform } from "../taxonomy/Taxonomy.ts"
import type { TaxonomyError } from "../taxonomy/TaxonomyError.ts"

export const POST_FORMATS = ["text", "image", "video", "carousel"] as const
export const PostFormat = Schema.Literals(POST_FORMATS)
export type PostFormat = typeof PostFormat.Type

/** What the connector needs to act for one connection. Tokens stay Redacted until the wire. */
export interface Credentials {
  readonly connectionId: string
  readonly platform: Platform
  /** Page id, organization URN, TikTok open_id, GBP `accounts/{a}/locations/{l}`, Mailchimp `{dc}:{listId}`. */
  readonly partnerAccountId: string
  readonly partnerUserId: string | null
  readonly accessToken: Redacted.Redacted<string>
  readonly scopes: ReadonlyArray<string>
}

export interface PostContent {
  readonly text: string
  readonly format: PostFormat
  /** Public URLs the partner fetches (PULL_FROM_URL style); empty for text posts. */
  readonly mediaUrls: ReadonlyArray<string>
  /** Subject line (Mailchimp) or title where the platform has one. */
  readonly title?: string | undefined
  readonly link?: string | undefined
}

export interface PublishRequest {
  readonly credentials: Credentials
  readonly content: PostContent
  /**
   * Our idempotency key for this post. Sent where the platform keeps it (Mailchimp campaign title,
   * TikTok/Meta/LinkedIn: inside what we can look up later) and as the `x-postd-dedupe-key` header,
   * which real partners ignore and the simulator counts.
   */
  readonly dedupeKey: string
  /** The partner's handle from an earlier attempt that got that far (TikTok publish_id, IG container id). */
  readonly partnerRef?: string | undefined
  /**
   * Called as soon as the partner issues its handle, before the connector waits on it, so a retry
   * after a timeout or a dead worker continues that post instead of creating a second one.
   */
  readonly onPartnerRef?: ((partnerRef: string) => Effect.Effect<void>) | undefined
  /**
   * When the publish intent was first recorded. Reconciliation only matches partner posts created at
   * or after it (less a small clock-skew margin), so an older post with the same text is not mistaken
   * for ours.
   */
  readonly intentAt?: Date | undefined
}

export interface PublishedPost {
  readonly partnerPostId: string
  readonly url?: string | undefined
}

export interface TokenSet {
  readonly accessToken: Redacted.Redacted<string>
  /** Absent when the platform did not rotate it: keep the stored one, never overwrite with empty. */
  readonly refreshToken?: Redacted.Redacted<string> | undefined
  readonly expiresAt?: Date | undefined
  readonly scopes?: ReadonlyArray<string> | undefined
}

export interface HealthReport {
  /** Scopes the partner says the token has, when it says (used to spot a removed scope). */
  readonly scopes?: ReadonlyArray<string> | undefined
}

/**
 * What the target account's own state says: "gone" (deleted, unknown to the platform), "restricted"
 * (suspended, lost verification, may not post), or "ok".
 */
export type AccountStatus = "ok" | "gone" | "restricted"

export interface Connector {
  readonly platform: Platform
  readonly publish: (request: PublishRequest) => Effect.Effect<PublishedPost, TaxonomyError>
  /**
   * Reconciliation before any retry of a publish whose outcome is unknown (worker died, timeout):
   * finds the post an earlier attempt may have created, by dedupe key or partnerRef; undefined when
   * the partner has no such post. Must not create anything.
   */
  readonly findPublished: (request: PublishRequest) => Effect.Effect<PublishedPost | undefined, TaxonomyError>
  /** The cheapest authenticated call (`/me`, `userinfo`, `/ping` …). */
  readonly healthCheck: (credentials: Credentials) => Effect.Effect<HealthReport, TaxonomyError>
  /** Present where the platform has refresh tokens. A rejected grant is TOKEN_REFRESH_FAILED. */
  readonly refreshToken?: (refreshToken: Redacted.Redacted<string>) => Effect.Effect<TokenSet, TaxonomyError>
  /**
   * Present where the platform lets us read the target account's own state: used when a platform
   * notifies a change without saying what it was (Google's UPDATED_LOCATION_STATE). Failures other
   * than the account being gone are the call's classified error.
   */
  readonly accountStatus?: (credentials: Credentials) => Effect.Effect<AccountStatus, TaxonomyError>
}

export class Connectors extends Context.Service<
  Connectors,
  { readonly forPlatform: (platform: Platform) => Connector }
>()("postd/core/publish/Connectors") {}
