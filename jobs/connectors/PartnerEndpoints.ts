// Where every partner lives, which API versions we speak and the OAuth clients we connect and refresh with:
// the real hosts by default, all of them under the partner simulator when PARTNER_SIMULATOR_URL is
// set (`${simulator}/${hostname}`), and a per-host variable that wins over both.
import { Config, Effect, Option, Redacted, Schema, SchemaIssue } from "effect"
import type { Platform } from "../../core/taxonomy/Taxonomy.ts"

/** One base URL per partner host. Mailchimp's API host depends on the account's data centre. */
export interface PartnerHosts {
  readonly metaGraph: string
  readonly metaLogin: string
  readonly linkedinApi: string
  readonly linkedinOAuth: string
  readonly tiktokApi: string
  readonly tiktokLogin: string
  readonly gbpApi: string
  /** Business Profile account listing (`/v1/accounts`). */
  readonly gbpAccountsApi: string
  /** Business Profile locations (`/v1/accounts/{a}/locations`). */
  readonly gbpInfoApi: string
  readonly googleOAuth: string
  readonly googleAccounts: string
  readonly googleApis: string
  /** Contains `{dc}`, replaced by the connection's data centre. */
  readonly mailchimpApiTemplate: string
  readonly mailchimpLogin: string
}

export type HostKey = keyof PartnerHosts

export const REAL_HOSTS: PartnerHosts = {
  metaGraph: "https://graph.facebook.com",
  metaLogin: "https://www.facebook.com",
  linkedinApi: "https://api.linkedin.com",
  linkedinOAuth: "https://www.linkedin.com",
  tiktokApi: "https://open.tiktokapis.com",
  tiktokLogin: "https://www.tiktok.com",
  gbpApi: "https://mybusiness.googleapis.com",
  gbpAccountsApi: "https://mybusinessaccountmanagement.googleapis.com",
  gbpInfoApi: "https://mybusinessbusinessinformation.googleapis.com",
  googleOAuth: "https://oauth2.googleapis.com",
  googleAccounts: "https://accounts.google.com",
  googleApis: "https://www.googleapis.com",
  mailchimpApiTemplate: "https://{dc}.api.mailchimp.com",
  mailchimpLogin: "https://login.mailchimp.com"
}

/** The environment variable that overrides each host. */
export const HOST_VARIABLES: { readonly [K in HostKey]: string } = {
  metaGraph: "META_GRAPH_URL",
  metaLogin: "META_LOGIN_URL",
  linkedinApi: "LINKEDIN_API_URL",
  linkedinOAuth: "LINKEDIN_OAUTH_URL",
  tiktokApi: "TIKTOK_API_URL",
  tiktokLogin: "TIKTOK_LOGIN_URL",
  gbpApi: "GBP_API_URL",
  gbpAccountsApi: "GBP_ACCOUNT_MANAGEMENT_URL",
  gbpInfoApi: "GBP_BUSINESS_INFORMATION_URL",
  googleOAuth: "GOOGLE_OAUTH_URL",
  googleAccounts: "GOOGLE_ACCOUNTS_URL",
  googleApis: "GOOGLE_APIS_URL",
  mailchimpApiTemplate: "MAILCHIMP_API_URL_TEMPLATE",
  mailchimpLogin: "MAILCHIMP_LOGIN_URL"
}

const HOST_KEYS = Object.keys(REAL_HOSTS) as ReadonlyArray<HostKey>

export interface OAuthClient {
  readonly id: Redacted.Redacted<string>
  readonly secret: Redacted.Redacted<string>
}

/** Every platform has an OAuth client: to connect accounts, and (LinkedIn, TikTok, gbp: Google's) to refresh. */
export type OAuthClientPlatform = Platform

export interface Polling {
  /** Status checks before giving up on an Instagram container or a TikTok publish. */
  readonly attempts: number
  readonly intervalMs: number
}

export interface PartnerEndpoints {
  readonly hosts: PartnerHosts
  readonly metaGraphVersion: string
  /** LinkedIn-Version header, YYYYMM. */
  readonly linkedinVersion: string
  /** Undefined when not configured: a refresh or a connect then fails for an operator to fix, never a user. */
  readonly clients: { readonly [P in OAuthClientPlatform]: OAuthClient | undefined }
  /** Per HTTP call, connect to last body byte. */
  readonly timeoutMs: number
  readonly polling: Polling
}

export const DEFAULTS = {
  metaGraphVersion: "v21.0",
  linkedinVersion: "202411",
  timeoutMs: 15_000,
  // ~30 s: TikTok's status fetch allows 30 calls a minute per token, and Instagram images are
  // usually FINISHED within seconds.
  polling: { attempts: 15, intervalMs: 2_000 }
} as const

const trimSlashes = (url: string): string => url.replace(/\/+$/, "")

/** `https://graph.facebook.com` → `${simulator}/graph.facebook.com` (the simulator's URL scheme). */
export const viaSimulator = (simulatorUrl: string, realUrl: string): string =>
  `${trimSlashes(simulatorUrl)}/${realUrl.replace(/^https?:\/\//, "")}`

/** The hosts for a configuration: real hosts, or all under the simulator, then the overrides. */
export const resolveHosts = (
  simulatorUrl: string | undefined,
  overrides: { readonly [K in HostKey]?: string | undefined } = {}
): PartnerHosts => {
  const hosts = {} as Record<HostKey, string>
  for (const key of HOST_KEYS) {
    const override = overrides[key]
    hosts[key] =
      override !== undefined
        ? trimSlashes(override)
        : simulatorUrl === undefined
          ? REAL_HOSTS[key]
          : viaSimulator(simulatorUrl, REAL_HOSTS[key])
  }
  return hosts
}

const clientsBy = (client: (platform: OAuthClientPlatform) => OAuthClient | undefined): PartnerEndpoints["clients"] => ({
  meta: client("meta"),
  linkedin: client("linkedin"),
  tiktok: client("tiktok"),
  gbp: client("gbp"),
  mailchimp: client("mailchimp")
})

const simulatorClient = (platform: OAuthClientPlatform): OAuthClient => ({
  id: Redacted.make(`sim-${platform}-client`),
  secret: Redacted.make(`sim-${platform}-secret`)
})

export interface EndpointOptions {
  readonly overrides?: { readonly [K in HostKey]?: string | undefined }
  readonly metaGraphVersion?: string
  readonly linkedinVersion?: string
  readonly clients?: { readonly [P in OAuthClientPlatform]?: OAuthClient | undefined }
  readonly timeoutMs?: number
  readonly polling?: Polling
}

/**
 * Endpoints without the environment (tests, scripts): under the simulator when `simulatorUrl` is
 * given, with its default OAuth clients; otherwise the real hosts, with clients only as given.
 */
export const partnerEndpointsFor = (simulatorUrl?: string, options: EndpointOptions = {}): PartnerEndpoints => {
  const client = (platform: OAuthClientPlatform): OAuthClient | undefined =>
    options.clients?.[platform] ?? (simulatorUrl === undefined ? undefined : simulatorClient(platform))
  return {
    hosts: resolveHosts(simulatorUrl, options.overrides),
    metaGraphVersion: options.metaGraphVersion ?? DEFAULTS.metaGraphVersion,
    linkedinVersion: options.linkedinVersion ?? DEFAULTS.linkedinVersion,
    clients: clientsBy(client),
    timeoutMs: options.timeoutMs ?? DEFAULTS.timeoutMs,
    polling: options.polling ?? DEFAULTS.polling
  }
}

const invalid = (name: string, value: string, why: string): Config.ConfigError =>
  new Config.ConfigError(new Schema.SchemaError(new SchemaIssue.InvalidValue({ message: `${name}: ${why}` }, value)))

const HTTP_URL = /^https?:\/\/[^\s/?#]+(?:\/[^\s?#]*)?$/

const urlConfig = (name: string, mustContain?: string): Config.Config<Option.Option<string>> =>
  Config.option(Config.String(name)).pipe(
    Config.mapEffect((value) => {
      if (Option.isNone(value)) return Effect.succeed(value)
      const url = value.value.trim()
      if (!HTTP_URL.test(url.replaceAll("{dc}", "dc"))) {
        return Effect.fail(invalid(name, url, "expected an http(s) URL without query or fragment"))
      }
      if (mustContain !== undefined && !url.includes(mustContain)) {
        return Effect.fail(invalid(name, url, `must contain ${mustContain}`))
      }
      return Effect.succeed(Option.some(url))
    })
  )

const positiveInt = (name: string, fallback: number): Config.Config<number> =>
  Config.Int(name).pipe(
    Config.withDefault(fallback),
    Config.mapEffect((n) => (n > 0 ? Effect.succeed(n) : Effect.fail(invalid(name, String(n), "must be positive"))))
  )

const VERSION_PATTERNS = { META_GRAPH_VERSION: /^v\d+\.\d+$/, LINKEDIN_VERSION: /^\d{6}(?:\.\d{2})?$/ } as const

const versionConfig = (name: keyof typeof VERSION_PATTERNS, fallback: string): Config.Config<string> =>
  Config.String(name).pipe(
    Config.withDefault(fallback),
    Config.mapEffect((v) =>
      VERSION_PATTERNS[name].test(v) ? Effect.succeed(v) : Effect.fail(invalid(name, v, `unexpected version format`))
    )
  )

export const CLIENT_VARIABLES: { readonly [P in OAuthClientPlatform]: readonly [id: string, secret: string] } = {
  meta: ["META_APP_ID", "META_APP_SECRET"],
  linkedin: ["LINKEDIN_CLIENT_ID", "LINKEDIN_CLIENT_SECRET"],
  tiktok: ["TIKTOK_CLIENT_KEY", "TIKTOK_CLIENT_SECRET"],
  gbp: ["GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET"],
  mailchimp: ["MAILCHIMP_CLIENT_ID", "MAILCHIMP_CLIENT_SECRET"]
}

const clientConfig = (platform: OAuthClientPlatform) =>
  Config.all({
    id: Config.option(Config.Redacted(CLIENT_VARIABLES[platform][0])),
    secret: Config.option(Config.Redacted(CLIENT_VARIABLES[platform][1]))
  })

const clientsConfig = Config.all({
  meta: clientConfig("meta"),
  linkedin: clientConfig("linkedin"),
  tiktok: clientConfig("tiktok"),
  gbp: clientConfig("gbp"),
  mailchimp: clientConfig("mailchimp")
})

const hostOverrides = Config.all(
  Object.fromEntries(HOST_KEYS.map((key) => [key, urlConfig(HOST_VARIABLES[key], key === "mailchimpApiTemplate" ? "{dc}" : undefined)])) as {
    readonly [K in HostKey]: Config.Config<Option.Option<string>>
  }
)

/** The endpoints from the environment (see the variable names above and DEFAULTS). */
export const PartnerEndpointsConfig: Config.Config<PartnerEndpoints> = Config.all({
  simulatorUrl: urlConfig("PARTNER_SIMULATOR_URL"),
  overrides: hostOverrides,
  metaGraphVersion: versionConfig("META_GRAPH_VERSION", DEFAULTS.metaGraphVersion),
  linkedinVersion: versionConfig("LINKEDIN_VERSION", DEFAULTS.linkedinVersion),
  clients: clientsConfig,
  timeoutMs: positiveInt("PARTNER_TIMEOUT_MS", DEFAULTS.timeoutMs),
  pollAttempts: positiveInt("PARTNER_POLL_ATTEMPTS", DEFAULTS.polling.attempts),
  pollIntervalMs: positiveInt("PARTNER_POLL_INTERVAL_MS", DEFAULTS.polling.intervalMs)
}).pipe(
  Config.map((c) => {
    const simulatorUrl = Option.getOrUndefined(c.simulatorUrl)
    // A client needs both halves; only under the simulator does a missing half take its default.
    const client = (platform: OAuthClientPlatform): OAuthClient | undefined => {
      const set = c.clients[platform]
      const fallback = simulatorUrl === undefined ? undefined : simulatorClient(platform)
      const id = Option.getOrUndefined(set.id) ?? fallback?.id
      const secret = Option.getOrUndefined(set.secret) ?? fallback?.secret
      return id === undefined || secret === undefined ? undefined : { id, secret }
    }
    const overrides: { [K in HostKey]?: string } = {}
    for (const key of HOST_KEYS) {
      const value = Option.getOrUndefined(c.overrides[key])
      if (value !== undefined) overrides[key] = value
    }
    return partnerEndpointsFor(simulatorUrl, {
      overrides,
      metaGraphVersion: c.metaGraphVersion,
      linkedinVersion: c.linkedinVersion,
      clients: clientsBy(client),
      timeoutMs: c.timeoutMs,
      polling: { attempts: c.pollAttempts, intervalMs: c.pollIntervalMs }
    })
  })
)

/** The Mailchimp API base for a data centre (`us1` …), `/3.0` not included. */
export const mailchimpApiUrl = (endpoints: PartnerEndpoints, dc: string): string =>
  endpoints.hosts.mailchimpApiTemplate.replaceAll("{dc}", dc)
