// The five connectors over real HTTP (PartnersLive.ts builds the Connectors service from them).
import type { Connector } from "../../core/publish/Connector.ts"
import type { Platform } from "../../core/taxonomy/Taxonomy.ts"
import { makeGbpConnector } from "./GbpConnector.ts"
import { makeLinkedInConnector } from "./LinkedInConnector.ts"
import { makeMailchimpConnector } from "./MailchimpConnector.ts"
import { makeMetaConnector } from "./MetaConnector.ts"
import type { PartnerEndpoints } from "./PartnerEndpoints.ts"
import { type Fetch, makePartnerHttp, type PartnerHttp } from "./PartnerHttp.ts"
import { makeTikTokConnector } from "./TikTokConnector.ts"

/** All five connectors for these endpoints over `http`. */
export const connectorsOver = (endpoints: PartnerEndpoints, http: PartnerHttp): { readonly [P in Platform]: Connector } => ({
  meta: makeMetaConnector(endpoints, http),
  linkedin: makeLinkedInConnector(endpoints, http),
  tiktok: makeTikTokConnector(endpoints, http),
  gbp: makeGbpConnector(endpoints, http),
  mailchimp: makeMailchimpConnector(endpoints, http)
})

/** All five connectors with their own PartnerHttp; `fetch` defaults to the global one. */
export const makeConnectors = (endpoints: PartnerEndpoints, fetch?: Fetch): { readonly [P in Platform]: Connector } =>
  connectorsOver(endpoints, makePartnerHttp({ timeoutMs: endpoints.timeoutMs, fetch }))
