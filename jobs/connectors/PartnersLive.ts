// Everything that talks to the partners, over one PartnerHttp with the configured timeout: the
// Connectors (publishing, health checks) and the OAuth providers (connect, reconnect), pointed at the
// hosts and OAuth clients PartnerEndpoints resolved (real or simulator).
import { type Config, Effect, Layer } from "effect"
import { OAuthProviders } from "../../core/oauth/OAuthProvider.ts"
import { Connectors } from "../../core/publish/Connector.ts"
import { connectorsOver } from "./ConnectorsLive.ts"
import { providersOver } from "./OAuthProvidersLive.ts"
import { type PartnerEndpoints, PartnerEndpointsConfig } from "./PartnerEndpoints.ts"
import { type Fetch, makePartnerHttp } from "./PartnerHttp.ts"

export type Partners = Connectors | OAuthProviders

/** Both services for explicit endpoints (tests, scripts): no environment read. */
export const partnersLayer = (endpoints: PartnerEndpoints, fetch?: Fetch): Layer.Layer<Partners> => {
  const http = makePartnerHttp({ timeoutMs: endpoints.timeoutMs, fetch })
  const connectors = connectorsOver(endpoints, http)
  const providers = providersOver(endpoints, http)
  return Layer.mergeAll(
    Layer.succeed(Connectors, Connectors.of({ forPlatform: (platform) => connectors[platform] })),
    Layer.succeed(OAuthProviders, OAuthProviders.of({ forPlatform: (platform) => providers[platform] }))
  )
}

/** Both services from the environment (PARTNER_SIMULATOR_URL, per-host overrides, timeouts, OAuth clients), read once. */
export const PartnersLive: Layer.Layer<Partners, Config.ConfigError> = Layer.unwrap(
  Effect.map(PartnerEndpointsConfig, (endpoints) => partnersLayer(endpoints))
)
