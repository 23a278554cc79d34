// The five OAuth providers over real HTTP (PartnersLive.ts builds the OAuthProviders service from them).
import type { OAuthProvider } from "../../core/oauth/OAuthProvider.ts"
import type { Platform } from "../../core/taxonomy/Taxonomy.ts"
import { makeGoogleOAuth } from "./oauth/GoogleOAuth.ts"
import { makeLinkedInOAuth } from "./oauth/LinkedInOAuth.ts"
import { makeMailchimpOAuth } from "./oauth/MailchimpOAuth.ts"
import { makeMetaOAuth } from "./oauth/MetaOAuth.ts"
import { makeTikTokOAuth } from "./oauth/TikTokOAuth.ts"
import type { PartnerEndpoints } from "./PartnerEndpoints.ts"
import { type Fetch, makePartnerHttp, type PartnerHttp } from "./PartnerHttp.ts"

/** All five providers for these endpoints over `http`. */
export const providersOver = (endpoints: PartnerEndpoints, http: PartnerHttp): { readonly [P in Platform]: OAuthProvider } => ({
  meta: makeMetaOAuth(endpoints, http),
  linkedin: makeLinkedInOAuth(endpoints, http),
  tiktok: makeTikTokOAuth(endpoints, http),
  gbp: makeGoogleOAuth(endpoints, http),
  mailchimp: makeMailchimpOAuth(endpoints, http)
})

/** All five providers with their own PartnerHttp; `fetch` defaults to the global one. */
export const makeOAuthProviders = (endpoints: PartnerEndpoints, fetch?: Fetch): { readonly [P in Platform]: OAuthProvider } =>
  providersOver(endpoints, makePartnerHttp({ timeoutMs: endpoints.timeoutMs, fetch }))
