// The secrets each webhook route checks with, from configuration only: Meta's app secret and verify
// token, LinkedIn's and TikTok's client secrets (the same apps as their OAuth clients), the Pub/Sub
// push audience, JWKS URL and service account for Google Business Profile, Mailchimp's URL secret.
// Under the partner simulator each one missing takes the simulator's value; elsewhere a platform
// without its secret has no webhook route (404), never an unchecked one.
import { Config, Effect, Option, Redacted } from "effect"
import { configError } from "../../core/config/ConfigError.ts"
import { PartnerEndpointsConfig, viaSimulator } from "../../jobs/connectors/PartnerEndpoints.ts"

export const GOOGLE_JWKS_URL = "https://www.googleapis.com/oauth2/v3/certs"
export const SIMULATOR_PUSH_ACCOUNT = "postd-push@sim-project.iam.gserviceaccount.com"

export interface GbpPushSettings {
  /** Undefined: the push endpoint's own URL, Pub/Sub's default audience. */
  readonly audience: string | undefined
  readonly jwksUrl: string
  readonly serviceAccount: string
}

export interface WebhookSettings {
  /** Without a verify token the subscription handshake (GET) is refused; events still verify with the secret. */
  readonly meta?: { readonly appSecret: Redacted.Redacted<string>; readonly verifyToken: Redacted.Redacted<string> | undefined } | undefined
  readonly linkedin?: { readonly clientSecret: Redacted.Redacted<string> } | undefined
  readonly tiktok?: { readonly clientSecret: Redacted.Redacted<string> } | undefined
  readonly gbp?: GbpPushSettings | undefined
  readonly mailchimp?: { readonly secret: Redacted.Redacted<string> } | undefined
  /** Where the platform signs a timestamp, how far it may be from our clock. */
  readonly toleranceSeconds: number
  /** Largest accepted webhook body. */
  readonly maxBodyBytes: number
}

const secret = (name: string) => Config.option(Config.Redacted(name))

export const WebhookConfig: Config.Config<WebhookSettings> = Config.all({
  endpoints: PartnerEndpointsConfig,
  simulatorUrl: Config.option(Config.String("PARTNER_SIMULATOR_URL")),
  metaVerifyToken: secret("META_VERIFY_TOKEN"),
  mailchimpSecret: secret("MAILCHIMP_WEBHOOK_SECRET"),
  gbpAudience: Config.option(Config.String("GBP_PUSH_AUDIENCE")),
  gbpJwksUrl: Config.option(Config.String("GBP_PUSH_JWKS_URL")),
  gbpServiceAccount: Config.option(Config.String("GBP_PUSH_SERVICE_ACCOUNT")),
  toleranceSeconds: Config.Int("WEBHOOK_TOLERANCE_SECONDS").pipe(Config.withDefault(300)),
  maxBodyBytes: Config.Int("WEBHOOK_MAX_BODY_BYTES").pipe(Config.withDefault(1_048_576))
}).pipe(
  Config.mapEffect((c) => {
    if (c.toleranceSeconds < 1 || c.toleranceSeconds > 3_600) {
      return Effect.fail(configError("WEBHOOK_TOLERANCE_SECONDS: must be 1 to 3600", String(c.toleranceSeconds)))
    }
    const sim = Option.getOrUndefined(c.simulatorUrl)
    const orSim = (value: Option.Option<Redacted.Redacted<string>>, simValue: string) =>
      Option.getOrUndefined(value) ?? (sim === undefined ? undefined : Redacted.make(simValue))
    const verifyToken = orSim(c.metaVerifyToken, "sim-meta-verify-token")
    const mailchimp = orSim(c.mailchimpSecret, "sim-mailchimp-webhook-secret")
    const serviceAccount = Option.getOrUndefined(c.gbpServiceAccount) ?? (sim === undefined ? undefined : SIMULATOR_PUSH_ACCOUNT)
    const jwksUrl = Option.getOrUndefined(c.gbpJwksUrl) ?? (sim === undefined ? GOOGLE_JWKS_URL : viaSimulator(sim, GOOGLE_JWKS_URL))
    const clients = c.endpoints.clients
    return Effect.succeed<WebhookSettings>({
      meta: clients.meta === undefined ? undefined : { appSecret: clients.meta.secret, verifyToken },
      linkedin: clients.linkedin === undefined ? undefined : { clientSecret: clients.linkedin.secret },
      tiktok: clients.tiktok === undefined ? undefined : { clientSecret: clients.tiktok.secret },
      gbp: serviceAccount === undefined ? undefined : { audience: Option.getOrUndefined(c.gbpAudience), jwksUrl, serviceAccount },
      mailchimp: mailchimp === undefined ? undefined : { secret: mailchimp },
      toleranceSeconds: c.toleranceSeconds,
      maxBodyBytes: c.maxBodyBytes
    })
  })
)
