// How each platform issues tokens: default scopes, lifetimes, whether refresh tokens exist and
// rotate, and what its tokens look like. Lifetimes are the documented ones (partner-error-models.md).
import type { Platform } from "../../core/taxonomy/Taxonomy.ts"

export interface RefreshPolicy {
  readonly ttlSec: number | null
  /** Rotating platforms (LinkedIn, TikTok here) issue a new refresh token and retire the old one. */
  readonly rotates: boolean
}

export interface TokenPolicy {
  readonly defaultScopes: ReadonlyArray<string>
  /** null: the token never expires (Mailchimp). */
  readonly accessTtlSec: number | null
  readonly refresh: RefreshPolicy | null
  readonly accessPrefix: string
  readonly refreshPrefix: string
}

const DAY = 86_400

export const GBP_SCOPE = "https://www.googleapis.com/auth/business.manage"

export const TOKEN_POLICIES: { readonly [P in Platform]: TokenPolicy } = {
  // Long-lived user and page tokens; Meta has no refresh tokens.
  meta: {
    defaultScopes: ["pages_show_list", "pages_read_engagement", "pages_manage_posts", "instagram_basic", "instagram_content_publish"],
    accessTtlSec: 60 * DAY,
    refresh: null,
    accessPrefix: "EAAG",
    refreshPrefix: ""
  },
  linkedin: {
    defaultScopes: ["openid", "profile", "w_member_social", "w_organization_social", "r_organization_social"],
    accessTtlSec: 60 * DAY,
    refresh: { ttlSec: 365 * DAY, rotates: true },
    accessPrefix: "AQV",
    refreshPrefix: "AQX"
  },
  tiktok: {
    defaultScopes: ["user.info.basic", "video.publish", "video.upload"],
    accessTtlSec: DAY,
    refresh: { ttlSec: 365 * DAY, rotates: true },
    accessPrefix: "act.",
    refreshPrefix: "rft."
  },
  // Google keeps the refresh token and answers refreshes without one.
  gbp: {
    defaultScopes: [GBP_SCOPE],
    accessTtlSec: 3_599,
    refresh: { ttlSec: null, rotates: false },
    accessPrefix: "ya29.",
    refreshPrefix: "1//0g"
  },
  mailchimp: {
    defaultScopes: [],
    accessTtlSec: null,
    refresh: null,
    accessPrefix: "",
    refreshPrefix: ""
  }
}
