// The shape of one simulated platform: the hosts it is mounted under, its routes, where its calls
// carry the token, and the builders for its real error envelopes. The server and the fault layer
// only talk to platforms through this.
import type { Platform } from "../../../core/taxonomy/Taxonomy.ts"
import { type PathTemplate, type Params, pathTemplate } from "../Router.ts"
import type { SimRequest } from "../SimRequest.ts"
import type { SimResponse } from "../SimResponse.ts"
import type { SimulatorState } from "../SimulatorState.ts"

export interface RouteContext {
  readonly req: SimRequest
  readonly params: Params
  readonly state: SimulatorState
}

export interface PlatformRoute {
  readonly method: string
  /** The host label it is mounted under, e.g. "graph.facebook.com", "{dc}.api.mailchimp.com". */
  readonly host: string
  readonly path: PathTemplate
  /** The partner account the call acts on, for fault scoping and the call log. */
  readonly accountOf?: (ctx: RouteContext) => string | undefined
  readonly handle: (ctx: RouteContext) => SimResponse
}

export interface HostMount {
  readonly label: string
  readonly matches: (host: string) => boolean
}

/** Why an API call is refused before it does anything. */
export type Denial =
  | { readonly kind: "missing_token" }
  | { readonly kind: "invalid_token" }
  | { readonly kind: "expired" }
  | { readonly kind: "revoked" }
  /** The target account (page, organization, location, list …) does not exist or was deleted. */
  | { readonly kind: "not_found"; readonly accountId: string }
  /** The token is valid but was not granted for this account (not an admin of the page, …). */
  | { readonly kind: "not_authorized_for_account"; readonly accountId: string }
  | { readonly kind: "scope"; readonly missing: ReadonlyArray<string> }
  | { readonly kind: "restricted"; readonly accountId: string; readonly variant: string }

/** The call an error answers, for messages that name it ("Not enough permissions to access: POST /rest/posts"). */
export interface CallInfo {
  readonly method: string
  /** The partner path as requested. */
  readonly path: string
  readonly template: string
  readonly accountId: string | undefined
}

export interface RateLimitOptions {
  readonly retryAfterSec?: number | undefined
  readonly variant?: string | undefined
}

export interface PlatformErrors {
  readonly denied: (denial: Denial, call: CallInfo) => SimResponse
  /** 500 is the platform's server error; 503 its "unavailable"; other 5xx keep the server-error body. */
  readonly serverError: (status: number, call: CallInfo) => SimResponse
  readonly rateLimit: (options: RateLimitOptions, call: CallInfo) => SimResponse
  /** The platform's daily-cap shape (or its nearest documented one). */
  readonly quota: (options: RateLimitOptions, call: CallInfo) => SimResponse
  /** A path the platform does not serve. */
  readonly unknownPath: (call: CallInfo) => SimResponse
  /** A body the platform cannot read (malformed JSON, missing required fields). */
  readonly invalidRequest: (message: string, call: CallInfo) => SimResponse
}

export interface PlatformModule {
  readonly platform: Platform
  readonly hosts: ReadonlyArray<HostMount>
  readonly routes: ReadonlyArray<PlatformRoute>
  /** Where this platform's calls carry the access token. */
  readonly tokenOf: (req: SimRequest) => string | undefined
  readonly errors: PlatformErrors
}

export const exactHost = (label: string): HostMount => ({ label, matches: (host) => host === label })

export const callInfo = (req: SimRequest, template: string, accountId: string | undefined): CallInfo => ({
  method: req.method,
  path: req.path,
  template,
  accountId
})

/** A route handler that also gets the route's display template (for error messages and CallInfo). */
export type Handler = (ctx: RouteContext, template: string) => SimResponse

export const route = (
  method: string,
  host: string,
  template: string,
  handle: Handler,
  accountOf?: (ctx: RouteContext) => string | undefined
): PlatformRoute => {
  const path = pathTemplate(template)
  return { method, host, path, handle: (ctx) => handle(ctx, path.template), ...(accountOf === undefined ? {} : { accountOf }) }
}
