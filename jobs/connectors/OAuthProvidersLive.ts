// The OAuthProviders service over real HTTP: one provider per platform, all sharing one PartnerHttp
// with the configured timeout, pointed at the hosts and OAuth clients PartnerEndpoints resolved.
import { type Config, Effect, Layer } from "effect"
import { type OAuthProvider, OAuthProviders } from "../../core/oauth/OAuthProvider.ts"
import type { Platform } from "../../core/taxonomy/Taxonomy.ts"
import { makeGoogleOAuth } from "./oauth/GoogleOAuth.ts"
import { makeLinkedInOAuth } from "./oauth/LinkedInOAuth.ts"
import { makeMailchimpOAuth } from "./oauth/MailchimpOAuth.ts"
import { makeMetaOAuth } from "./oauth/MetaOAuth.ts"
import { makeTikTokOAuth } from "./oauth/TikTokOAuth.ts"
import { type PartnerEndpoints, PartnerEndpointsConfig } from "./PartnerEndpoints.ts"
import { type Fetch, makePartnerHttp } from "./PartnerHttp.ts"

/** All five providers for these endpoints; `fetch` defaults to the global one. */
export const makeOAuthProviders = (endpoints: PartnerEndpoints, fetch?: Fetch): { readonly [P in Platform]: OAuthProvider } => {
  const http = makePartnerHttp({ timeoutMs: endpoints.timeoutMs, fetch })
  return {
    meta: makeMetaOAuth(endpoints, http),
    linkedin: makeLinkedInOAuth(endpoints, http),
    tiktok: makeTikTokOAuth(endpoints, http),
    gbp: makeGoogleOAuth(endpoints, http),
    mailchimp: makeMailchimpOAuth(endpoints, http)
  }
}

const serviceOf = (providers: { readonly [P in Platform]: OAuthProvider }) =>
  OAuthProviders.of({ forPlatform: (platform) => providers[platform] })

/** Providers for explicit endpoints (tests, scripts): no environment read. */
export const oauthProvidersLayer = (endpoints: PartnerEndpoints, fetch?: Fetch): Layer.Layer<OAuthProviders> =>
  Layer.succeed(OAuthProviders, serviceOf(makeOAuthProviders(endpoints, fetch)))

/** Providers from the environment (PARTNER_SIMULATOR_URL, per-host overrides, timeouts, OAuth clients). */
export const OAuthProvidersLive: Layer.Layer<OAuthProviders, Config.ConfigError> = Layer.effect(
  OAuthProviders,
  Effect.gen(function* () {
    return serviceOf(makeOAuthProviders(yield* PartnerEndpointsConfig))
  })
)
