// The Connectors service over real HTTP: one connector per platform, all sharing one PartnerHttp
// with the configured timeout, pointed at the hosts PartnerEndpoints resolved (real or simulator).
import { type Config, Effect, Layer } from "effect"
import { type Connector, Connectors } from "../../core/publish/Connector.ts"
import type { Platform } from "../../core/taxonomy/Taxonomy.ts"
import { makeGbpConnector } from "./GbpConnector.ts"
import { makeLinkedInConnector } from "./LinkedInConnector.ts"
import { makeMailchimpConnector } from "./MailchimpConnector.ts"
import { makeMetaConnector } from "./MetaConnector.ts"
import { type PartnerEndpoints, PartnerEndpointsConfig } from "./PartnerEndpoints.ts"
import { type Fetch, makePartnerHttp } from "./PartnerHttp.ts"
import { makeTikTokConnector } from "./TikTokConnector.ts"

/** All five connectors for these endpoints; `fetch` defaults to the global one. */
export const makeConnectors = (endpoints: PartnerEndpoints, fetch?: Fetch): { readonly [P in Platform]: Connector } => {
  const http = makePartnerHttp({ timeoutMs: endpoints.timeoutMs, fetch })
  return {
    meta: makeMetaConnector(endpoints, http),
    linkedin: makeLinkedInConnector(endpoints, http),
    tiktok: makeTikTokConnector(endpoints, http),
    gbp: makeGbpConnector(endpoints, http),
    mailchimp: makeMailchimpConnector(endpoints, http)
  }
}

/** Connectors for explicit endpoints (tests, scripts): no environment read. */
export const connectorsLayer = (endpoints: PartnerEndpoints): Layer.Layer<Connectors> => {
  const connectors = makeConnectors(endpoints)
  return Layer.succeed(Connectors, Connectors.of({ forPlatform: (platform) => connectors[platform] }))
}

/** Connectors from the environment (PARTNER_SIMULATOR_URL, per-host overrides, timeouts, clients). */
export const ConnectorsLive: Layer.Layer<Connectors, Config.ConfigError> = Layer.effect(
  Connectors,
  Effect.gen(function* () {
    const connectors = makeConnectors(yield* PartnerEndpointsConfig)
    return Connectors.of({ forPlatform: (platform) => connectors[platform] })
  })
)
