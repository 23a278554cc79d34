// A typed client for the simulator's control API, for tests and chaos scripts in this or another
// process: `new SimulatorControl(sim.url).mintToken({ platform: "linkedin", accountIds: [...] })`.
import type { Platform } from "../../core/taxonomy/Taxonomy.ts"
import type { CallFilter, CallRecord } from "./CallLog.ts"
import type { AccountRequest, AppRequest, MintRequest, RemoveScopeRequest, RestrictRequest, RevokeRequest } from "./ControlApi.ts"
import type { FaultSpec, FaultView } from "./Faults.ts"
import type { Account, App, Post, PostFilter } from "./SimulatorState.ts"
import type { WebhookDeliveryRequest, WebhookDeliveryResult } from "./webhooks/WebhookRequest.ts"

export interface MintedToken {
  readonly accessToken: string
  readonly refreshToken?: string
  /** Epoch ms on the simulator clock; null for tokens that never expire (Mailchimp). */
  readonly expiresAt: number | null
  readonly scopes: ReadonlyArray<string>
  readonly userId: string
  readonly accountIds: ReadonlyArray<string>
}

type Query = Readonly<Record<string, string | number | undefined>>

const queryString = (query: Query): string => {
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, String(value))
  const text = params.toString()
  return text === "" ? "" : `?${text}`
}

export class SimulatorControl {
  readonly url: string

  /** `url` is the simulator's base URL (RunningSimulator.url), without /_control. */
  constructor(url: string) {
    this.url = url.replace(/\/+$/, "")
  }

  // The control API is ours: its JSON is trusted to have the documented shapes.
  private async call<T>(method: string, path: string, body?: unknown, query: Query = {}): Promise<T> {
    const response = await fetch(`${this.url}/_control${path}${queryString(query)}`, {
      method,
      ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
    })
    const text = await response.text()
    const parsed: unknown = text === "" ? undefined : JSON.parse(text)
    if (!response.ok) {
      const message = typeof parsed === "object" && parsed !== null && "error" in parsed ? String(parsed.error) : text
      throw new Error(`simulator control ${method} ${path} answered ${response.status}: ${message}`)
    }
    return parsed as T
  }

  /** Drops all state, faults and the call log; re-seeds the default accounts unless told not to. */
  async reset(options: { readonly seedDefaults?: boolean } = {}): Promise<void> {
    await this.call("POST", "/reset", options)
  }

  /** Creates the account or makes an existing one healthy again. */
  createAccount(input: typeof AccountRequest.Type): Promise<Account> {
    return this.call("POST", "/accounts", input)
  }

  async accounts(platform?: Platform): Promise<ReadonlyArray<Account>> {
    return (await this.call<{ readonly accounts: ReadonlyArray<Account> }>("GET", "/accounts", undefined, { platform })).accounts
  }

  restrictAccount(input: typeof RestrictRequest.Type): Promise<Account> {
    return this.call("POST", "/accounts/restrict", input)
  }

  deleteAccount(platform: Platform, accountId: string): Promise<Account> {
    return this.call("POST", "/accounts/delete", { platform, accountId })
  }

  registerApp(input: typeof AppRequest.Type): Promise<App> {
    return this.call("POST", "/apps", input)
  }

  mintToken(input: typeof MintRequest.Type): Promise<MintedToken> {
    return this.call("POST", "/tokens", input)
  }

  async expireToken(token: string): Promise<void> {
    await this.call("POST", "/tokens/expire", { token })
  }

  /** The user removes the app; answers how many grants it ended. */
  async revoke(selector: typeof RevokeRequest.Type): Promise<number> {
    return (await this.call<{ readonly revokedGrants: number }>("POST", "/revoke", selector)).revokedGrants
  }

  async removeScope(input: typeof RemoveScopeRequest.Type): Promise<number> {
    return (await this.call<{ readonly changedGrants: number }>("POST", "/scopes/remove", input)).changedGrants
  }

  addFault(spec: FaultSpec): Promise<FaultView> {
    return this.call("POST", "/faults", spec)
  }

  async faults(): Promise<ReadonlyArray<FaultView>> {
    return (await this.call<{ readonly faults: ReadonlyArray<FaultView> }>("GET", "/faults")).faults
  }

  async removeFault(id: string): Promise<void> {
    await this.call("DELETE", `/faults/${encodeURIComponent(id)}`)
  }

  async clearFaults(): Promise<void> {
    await this.call("DELETE", "/faults")
  }

  async posts(filter: PostFilter = {}): Promise<ReadonlyArray<Post>> {
    return (await this.call<{ readonly posts: ReadonlyArray<Post> }>("GET", "/posts", undefined, { ...filter })).posts
  }

  /** Accepted posts per dedupe key. */
  postCounts(filter: PostFilter = {}): Promise<Readonly<Record<string, number>>> {
    return this.call("GET", "/posts/counts", undefined, { ...filter })
  }

  async calls(filter: CallFilter = {}): Promise<ReadonlyArray<CallRecord>> {
    return (await this.call<{ readonly calls: ReadonlyArray<CallRecord> }>("GET", "/calls", undefined, { ...filter })).calls
  }

  async clearCalls(): Promise<void> {
    await this.call("DELETE", "/calls")
  }

  /**
   * The simulator sends a platform's webhook to `request.target` (our service), signed as the
   * platform signs it, and answers what the service answered. Throws when the target gave no answer.
   */
  deliverWebhook(request: WebhookDeliveryRequest): Promise<WebhookDeliveryResult> {
    return this.call("POST", "/webhooks/deliver", request)
  }
}
