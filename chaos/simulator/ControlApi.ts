// The simulator's control API under /_control: JSON in and out, for tests and chaos scripts to set
// up accounts, apps and tokens, break them (expire, revoke, remove a scope, restrict, delete),
// inject faults, read back posts, dedupe counts and the call log, and send platform webhooks to the
// service under test (the one asynchronous endpoint).
import { Result, Schema, SchemaIssue } from "effect"
import { Platform } from "../../core/taxonomy/Taxonomy.ts"
import { CALL_OUTCOMES, type CallFilter, type CallLog } from "./CallLog.ts"
import { type FaultBook, FaultSpec } from "./Faults.ts"
import { jsonResponse, type SimResponse } from "./SimResponse.ts"
import type { PostFilter, SimulatorState } from "./SimulatorState.ts"
import { WebhookDeliveryRequest } from "./webhooks/WebhookRequest.ts"
import { DeliveryFailed, deliverWebhook } from "./webhooks/WebhookSender.ts"

export interface ControlContext {
  readonly state: SimulatorState
  readonly faults: FaultBook
  readonly calls: CallLog
  readonly clock: () => number
  /** Aborted when the simulator closes: ends webhook deliveries still waiting for an answer. */
  readonly signal: AbortSignal
}

const Selector = {
  platform: Schema.optionalKey(Platform),
  userId: Schema.optionalKey(Schema.String),
  accountId: Schema.optionalKey(Schema.String),
  token: Schema.optionalKey(Schema.String)
}

export const ResetRequest = Schema.Struct({ seedDefaults: Schema.optionalKey(Schema.Boolean) })
export const AccountRequest = Schema.Struct({
  platform: Platform,
  accountId: Schema.String,
  userId: Schema.optionalKey(Schema.String),
  name: Schema.optionalKey(Schema.String)
})
export const RestrictRequest = Schema.Struct({
  platform: Platform,
  accountId: Schema.String,
  restricted: Schema.optionalKey(Schema.Boolean),
  /** Meta: "checkpoint" answers 190/459 instead of the default 368 block. */
  variant: Schema.optionalKey(Schema.String)
})
export const AccountRef = Schema.Struct({ platform: Platform, accountId: Schema.String })
export const AppRequest = Schema.Struct({
  platform: Platform,
  clientId: Schema.String,
  clientSecret: Schema.String,
  redirectUris: Schema.Array(Schema.String)
})
export const MintRequest = Schema.Struct({
  platform: Platform,
  accountIds: Schema.Array(Schema.String),
  userId: Schema.optionalKey(Schema.String),
  scopes: Schema.optionalKey(Schema.Array(Schema.String)),
  expiresInSec: Schema.optionalKey(Schema.Finite),
  withRefreshToken: Schema.optionalKey(Schema.Boolean),
  clientId: Schema.optionalKey(Schema.String)
})
export const ExpireRequest = Schema.Struct({ token: Schema.String })
export const RevokeRequest = Schema.Struct(Selector)
export const RemoveScopeRequest = Schema.Struct({ ...Selector, scope: Schema.String })

const formatIssue = SchemaIssue.makeFormatterDefault()

class BadRequest {
  readonly message: string
  constructor(message: string) {
    this.message = message
  }
}

const decode = <S extends Schema.Decoder<unknown>>(schema: S, body: unknown): S["Type"] => {
  const result = Schema.decodeUnknownResult(schema)(body)
  if (Result.isFailure(result)) throw new BadRequest(formatIssue(result.failure.issue).split("\n").join("; "))
  return result.success
}

const badRequest = (message: string): SimResponse => jsonResponse(400, { error: message })
const notFound = (what: string): SimResponse => jsonResponse(404, { error: `${what} not found` })

const hasSelector = (s: { readonly userId?: string; readonly accountId?: string; readonly token?: string; readonly platform?: string }): boolean =>
  s.userId !== undefined || s.accountId !== undefined || s.token !== undefined || s.platform !== undefined

const queryPlatform = (query: URLSearchParams): Platform | undefined => {
  const value = query.get("platform")
  if (value === null) return undefined
  return decode(Platform, value)
}

const optional = (query: URLSearchParams, name: string): string | undefined => query.get(name) ?? undefined

const optionalInt = (query: URLSearchParams, name: string): number | undefined => {
  const value = query.get(name)
  if (value === null) return undefined
  const n = Number(value)
  if (!Number.isSafeInteger(n)) throw new BadRequest(`${name} must be an integer`)
  return n
}

const postFilter = (query: URLSearchParams): PostFilter => ({
  platform: queryPlatform(query),
  accountId: optional(query, "accountId"),
  dedupeKey: optional(query, "dedupeKey")
})

const callFilter = (query: URLSearchParams): CallFilter => {
  const outcome = query.get("outcome")
  return {
    platform: queryPlatform(query),
    method: optional(query, "method"),
    path: optional(query, "path"),
    pathContains: optional(query, "pathContains"),
    status: optionalInt(query, "status"),
    outcome: outcome === null ? undefined : decode(Schema.Literals(CALL_OUTCOMES), outcome),
    accountId: optional(query, "accountId"),
    dedupeKey: optional(query, "dedupeKey"),
    sinceSeq: optionalInt(query, "sinceSeq")
  }
}

const parseJson = (raw: string): unknown => {
  if (raw.trim() === "") return {}
  try {
    return JSON.parse(raw)
  } catch {
    throw new BadRequest("body must be JSON")
  }
}

const route = (ctx: ControlContext, method: string, path: string, query: URLSearchParams, raw: string): SimResponse | Promise<SimResponse> => {
  const { state, faults, calls, clock } = ctx
  const body = (): unknown => parseJson(raw)
  switch (`${method} ${path}`) {
    case "GET /health":
      return jsonResponse(200, { ok: true })
    case "POST /reset": {
      const input = decode(ResetRequest, body())
      state.reset(input.seedDefaults ?? true)
      faults.clear()
      calls.clear()
      return jsonResponse(200, { ok: true })
    }
    case "GET /accounts":
      return jsonResponse(200, { accounts: state.listAccounts(queryPlatform(query)) })
    case "POST /accounts":
      return jsonResponse(200, state.upsertAccount(decode(AccountRequest, body())))
    case "POST /accounts/restrict": {
      const input = decode(RestrictRequest, body())
      const account = state.restrictAccount(input.platform, input.accountId, input.restricted ?? true, input.variant)
      return account === undefined ? notFound(`${input.platform} account ${input.accountId}`) : jsonResponse(200, account)
    }
    case "POST /accounts/delete": {
      const input = decode(AccountRef, body())
      const account = state.deleteAccount(input.platform, input.accountId)
      return account === undefined ? notFound(`${input.platform} account ${input.accountId}`) : jsonResponse(200, account)
    }
    case "GET /apps":
      return jsonResponse(200, { apps: state.listApps(queryPlatform(query)) })
    case "POST /apps":
      return jsonResponse(200, state.registerApp(decode(AppRequest, body())))
    case "POST /tokens": {
      const input = decode(MintRequest, body())
      if (input.withRefreshToken === true && (input.platform === "meta" || input.platform === "mailchimp")) {
        return badRequest(`${input.platform} has no refresh tokens`)
      }
      if (input.accountIds.length === 0) return badRequest("accountIds must name at least one account")
      const tokens = state.mintToken(input)
      return jsonResponse(200, {
        accessToken: tokens.accessToken,
        ...(tokens.refreshToken === undefined ? {} : { refreshToken: tokens.refreshToken }),
        expiresAt: tokens.expiresAt,
        scopes: tokens.scopes,
        userId: tokens.userId,
        accountIds: tokens.accountIds
      })
    }
    case "POST /tokens/expire": {
      const input = decode(ExpireRequest, body())
      return state.expireToken(input.token) ? jsonResponse(200, { expired: true }) : notFound("token")
    }
    case "POST /revoke": {
      const input = decode(RevokeRequest, body())
      if (!hasSelector(input)) return badRequest("name a platform, userId, accountId or token")
      return jsonResponse(200, { revokedGrants: state.revoke(input) })
    }
    case "POST /scopes/remove": {
      const input = decode(RemoveScopeRequest, body())
      if (!hasSelector(input)) return badRequest("name a platform, userId, accountId or token")
      return jsonResponse(200, { changedGrants: state.removeScope(input, input.scope) })
    }
    case "GET /faults":
      return jsonResponse(200, { faults: faults.list(clock()) })
    case "POST /faults":
      return jsonResponse(200, faults.add(decode(FaultSpec, body()), clock()))
    case "DELETE /faults":
      faults.clear()
      return jsonResponse(200, { ok: true })
    case "GET /posts":
      return jsonResponse(200, { posts: state.posts(postFilter(query)) })
    case "GET /posts/counts":
      return jsonResponse(200, state.postCounts(postFilter(query)))
    case "GET /calls":
      return jsonResponse(200, { calls: calls.list(callFilter(query)), lastSeq: calls.lastSeq })
    case "DELETE /calls":
      calls.clear()
      return jsonResponse(200, { ok: true })
    case "POST /webhooks/deliver":
      return deliver(ctx, decode(WebhookDeliveryRequest, body()))
  }
  const fault = /^\/faults\/([^/]+)$/.exec(path)?.[1]
  if (method === "DELETE" && fault !== undefined) {
    return faults.remove(decodeURIComponent(fault)) ? jsonResponse(200, { ok: true }) : notFound(`fault ${fault}`)
  }
  return jsonResponse(404, { error: `no control endpoint ${method} /_control${path}` })
}

/** A target that never answers is the caller's problem to see: 502 (504 on a timeout) with why. */
const deliver = async (ctx: ControlContext, request: typeof WebhookDeliveryRequest.Type): Promise<SimResponse> => {
  try {
    return jsonResponse(200, await deliverWebhook({ state: ctx.state, clock: ctx.clock, signal: ctx.signal }, request))
  } catch (cause) {
    if (!(cause instanceof DeliveryFailed)) throw cause
    return jsonResponse(cause.timedOut ? 504 : 502, { error: `webhook delivery failed: ${cause.message}` })
  }
}

/** `path` is the part after /_control, e.g. "/faults". */
export const handleControl = async (ctx: ControlContext, method: string, path: string, query: URLSearchParams, raw: string): Promise<SimResponse> => {
  try {
    return await route(ctx, method, path === "" ? "/" : path.replace(/\/$/, "") || "/", query, raw)
  } catch (cause) {
    if (cause instanceof BadRequest) return badRequest(cause.message)
    throw cause
  }
}
