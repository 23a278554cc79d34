// Mailchimp Marketing API 3.0 on `{dc}.api.mailchimp.com` (ping, audiences, campaigns on an
// audience) and OAuth on login.mailchimp.com with its metadata call. Tokens never expire and there
// are no scopes: removing any scope from a grant stands for a role that may no longer send (403).
import { mailchimpErrors, mailchimpTokenError, problem, resourceNotFound, wrongDatacenter } from "../errors/mailchimpErrors.ts"
import { authorizeEndpoint, type OAuthSpec, tokenEndpoint } from "../OAuthFlow.ts"
import { authorizationToken, dedupeKeyOf, intParam, stringAt, valueAt } from "../SimRequest.ts"
import { emptyResponse, jsonResponse, onlyFields, type SimResponse } from "../SimResponse.ts"
import type { Grant, Post } from "../SimulatorState.ts"
import { checkAccess } from "./AccessCheck.ts"
import { callInfo, exactHost, type Handler, type HostMount, type PlatformModule, type RouteContext, route } from "./PlatformModule.ts"

const API = "{dc}.api.mailchimp.com"
const LOGIN = "login.mailchimp.com"
const API_HOST = /^([a-z]+\d+)\.api\.mailchimp\.com$/

const apiHost: HostMount = { label: API, matches: (host) => API_HOST.test(host) }

const dcOf = (ctx: RouteContext): string => API_HOST.exec(ctx.req.host)?.[1] ?? ""

const listAccount = (ctx: RouteContext, listId: string | undefined): string | undefined =>
  listId === undefined ? undefined : `${dcOf(ctx)}:${listId}`

const bodyListAccount = (ctx: RouteContext): string | undefined => listAccount(ctx, stringAt(ctx.req.body, "recipients", "list_id"))
const queryListAccount = (ctx: RouteContext): string | undefined => listAccount(ctx, ctx.req.query.get("list_id") ?? undefined)
const campaignAccount = (ctx: RouteContext): string | undefined => ctx.state.post("mailchimp", ctx.params["id"] ?? "")?.accountId

const grantDc = (grant: Grant): string | undefined => grant.accountIds[0]?.split(":")[0]

type Checked = { readonly ok: true; readonly grant: Grant } | { readonly ok: false; readonly response: SimResponse }

/** Token, data center, then the list (audience) with the role check for writes. */
const guard = (ctx: RouteContext, template: string, accountId: string | undefined, write: boolean): Checked => {
  const call = callInfo(ctx.req, template, accountId)
  const token = authorizationToken(ctx.req)
  const first = checkAccess(ctx.state, "mailchimp", token)
  if (!first.ok) return { ok: false, response: mailchimpErrors.denied(first.denial, call) }
  const dc = grantDc(first.grant)
  if (dc !== undefined && dc !== dcOf(ctx)) return { ok: false, response: wrongDatacenter(dc) }
  if (accountId === undefined) return { ok: true, grant: first.grant }
  const full = checkAccess(ctx.state, "mailchimp", token, { accountId, write })
  if (!full.ok) return { ok: false, response: mailchimpErrors.denied(full.denial, call) }
  if (write && full.grant.removedScopes.size > 0) {
    return { ok: false, response: mailchimpErrors.denied({ kind: "scope", missing: [...full.grant.removedScopes] }, call) }
  }
  return { ok: true, grant: full.grant }
}

const campaignView = (post: Post): Readonly<Record<string, unknown>> => ({
  id: post.partnerId,
  web_id: Number.parseInt(post.partnerId.slice(0, 6), 16),
  type: "regular",
  create_time: new Date(post.createdAt).toISOString().replace(/\.\d{3}Z$/, "+00:00"),
  status: post.status,
  emails_sent: post.status === "sent" ? 1 : 0,
  recipients: { list_id: post.accountId.split(":")[1] ?? "" },
  settings: { title: post.title ?? "", subject_line: post.title ?? "" }
})

const ping: Handler = (ctx, template) => {
  const checked = guard(ctx, template, undefined, false)
  return checked.ok ? jsonResponse(200, { health_status: "Everything's Chimpy!" }) : checked.response
}

const createCampaign: Handler = (ctx, template) => {
  const account = bodyListAccount(ctx)
  const call = callInfo(ctx.req, template, account)
  if (ctx.req.bodyKind === "invalid") return problem(400, "JSON Parse Error", "We encountered an unspecified JSON parsing error.")
  const early = guard(ctx, template, undefined, false)
  if (!early.ok) return early.response
  if (account === undefined) return mailchimpErrors.invalidRequest("recipients.list_id: This value should not be blank.", call)
  const type = stringAt(ctx.req.body, "type")
  if (type !== "regular" && type !== "plaintext") return mailchimpErrors.invalidRequest("type: Schema describes enum, string found instead", call)
  const checked = guard(ctx, template, account, true)
  if (!checked.ok) return checked.response
  const given = valueAt(ctx.req.body, "settings")
  const settings = typeof given === "object" && given !== null && !Array.isArray(given) ? given : {}
  const title = stringAt(ctx.req.body, "settings", "title") ?? ""
  const dedupeKey = dedupeKeyOf(ctx.req)
  const post = ctx.state.addPost({
    platform: "mailchimp",
    accountId: account,
    partnerId: (0x1a2b3c4d00 + ctx.state.nextNumber("mc-campaign", 1)).toString(16),
    text: "",
    media: [],
    title,
    status: "save",
    ...(dedupeKey === undefined ? {} : { dedupeKey })
  })
  const view = campaignView(post)
  return jsonResponse(200, { ...view, settings: { ...settings, title } })
}

/** The campaign named in the path, after the token and list checks. */
const withCampaign = (ctx: RouteContext, template: string, write: boolean, then: (post: Post) => SimResponse): SimResponse => {
  const early = guard(ctx, template, undefined, false)
  if (!early.ok) return early.response
  const post = ctx.state.post("mailchimp", ctx.params["id"] ?? "")
  if (post === undefined) return resourceNotFound()
  const checked = guard(ctx, template, post.accountId, write)
  return checked.ok ? then(post) : checked.response
}

const putContent: Handler = (ctx, template) =>
  withCampaign(ctx, template, true, (post) => {
    const html = stringAt(ctx.req.body, "html") ?? stringAt(ctx.req.body, "plain_text")
    if (html === undefined) return mailchimpErrors.invalidRequest("html: This value should not be blank.", callInfo(ctx.req, template, post.accountId))
    ctx.state.updatePost("mailchimp", post.partnerId, { text: html })
    return jsonResponse(200, { html, plain_text: html.replace(/<[^>]*>/g, "") })
  })

const send: Handler = (ctx, template) =>
  withCampaign(ctx, template, true, (post) => {
    if (post.status === "sent") return problem(400, "Bad Request", "This campaign has already been sent.")
    if (post.text === "") return problem(400, "Bad Request", "Your Campaign is not ready to send.")
    ctx.state.updatePost("mailchimp", post.partnerId, { status: "sent" })
    return emptyResponse(204)
  })

const getCampaign: Handler = (ctx, template) => withCampaign(ctx, template, false, (post) => jsonResponse(200, campaignView(post)))

const listCampaigns: Handler = (ctx, template) => {
  const account = queryListAccount(ctx)
  const checked = guard(ctx, template, account, false)
  if (!checked.ok) return checked.response
  const count = intParam(ctx.req, "count", 10, 1_000)
  const mine = new Set(account === undefined ? checked.grant.accountIds : [account])
  const campaigns = ctx.state.posts({ platform: "mailchimp" }).filter((p) => mine.has(p.accountId))
  return jsonResponse(200, { campaigns: [...campaigns].reverse().slice(0, count).map(campaignView), total_items: campaigns.length })
}

/** GET /3.0/lists: the grant's audiences in this data center, cut down to `fields` (`lists.id`) when given. */
const listLists: Handler = (ctx, template) => {
  const checked = guard(ctx, template, undefined, false)
  if (!checked.ok) return checked.response
  const dc = dcOf(ctx)
  const lists = ctx.state.liveAccounts("mailchimp", checked.grant.accountIds.filter((id) => id.startsWith(`${dc}:`)))
  const from = intParam(ctx.req, "offset", 0)
  const page = lists.slice(from, from + intParam(ctx.req, "count", 10, 1_000))
  const body = {
    lists: page.map((account) => {
      const id = account.accountId.slice(dc.length + 1)
      return {
        id,
        web_id: Number.parseInt(id.slice(0, 6), 16) || 1,
        name: account.name,
        stats: { member_count: 0, unsubscribe_count: 0 }
      }
    }),
    total_items: lists.length
  }
  return jsonResponse(200, onlyFields(body, ctx.req.query.get("fields")))
}

const metadata: Handler = (ctx) => {
  const checked = checkAccess(ctx.state, "mailchimp", authorizationToken(ctx.req))
  if (!checked.ok) return jsonResponse(401, { error: "invalid_token", error_description: "Invalid or expired token" })
  const dc = grantDc(checked.grant) ?? "us1"
  const login = checked.grant.userId
  const account = ctx.state.account("mailchimp", checked.grant.accountIds[0] ?? "")
  return jsonResponse(200, {
    dc,
    role: "owner",
    accountname: account?.name ?? login,
    user_id: 1,
    login: { email: `${login}@example.com`, avatar: null, login_id: login, login_name: login, login_email: `${login}@example.com` },
    login_url: "https://login.mailchimp.com",
    api_endpoint: `https://${dc}.api.mailchimp.com`
  })
}

export const MAILCHIMP_OAUTH: OAuthSpec = {
  platform: "mailchimp",
  title: "Mailchimp",
  clientIdParam: "client_id",
  scopeSeparator: ",",
  pkce: false,
  tokenBody: (tokens) => ({ access_token: tokens.accessToken, expires_in: 0, scope: null }),
  tokenError: mailchimpTokenError
}

export const mailchimp: PlatformModule = {
  platform: "mailchimp",
  hosts: [apiHost, exactHost(LOGIN)],
  tokenOf: authorizationToken,
  errors: mailchimpErrors,
  routes: [
    route("GET", LOGIN, "/oauth2/authorize", authorizeEndpoint(MAILCHIMP_OAUTH)),
    route("POST", LOGIN, "/oauth2/token", tokenEndpoint(MAILCHIMP_OAUTH)),
    route("GET", LOGIN, "/oauth2/metadata", metadata),
    route("GET", API, "/3.0/ping", ping),
    route("GET", API, "/3.0/lists", listLists),
    route("POST", API, "/3.0/campaigns", createCampaign, bodyListAccount),
    route("GET", API, "/3.0/campaigns", listCampaigns, queryListAccount),
    route("GET", API, "/3.0/campaigns/{id}", getCampaign, campaignAccount),
    route("PUT", API, "/3.0/campaigns/{id}/content", putContent, campaignAccount),
    route("POST", API, "/3.0/campaigns/{id}/actions/send", send, campaignAccount)
  ]
}
