// Mailchimp Marketing API 3.0: a post is a regular campaign to the audience in partnerAccountId
// (`{dc}:{listId}`), titled with our dedupe key so an earlier attempt's campaign is found and reused
// (or recognised as sent) instead of a second one being created. Tokens never expire; no refresh.
import { Effect, Result } from "effect"
import { arrayField, recordField, stringField } from "../../core/classify/Fields.ts"
import type { Connector, Credentials, PostContent, PublishedPost, PublishRequest } from "../../core/publish/Connector.ts"
import type { TaxonomyError } from "../../core/taxonomy/TaxonomyError.ts"
import { invalidRequest, unexpectedReply } from "./ConnectorFailure.ts"
import { mailchimpApiUrl, type PartnerEndpoints } from "./PartnerEndpoints.ts"
import type { PartnerHttp } from "./PartnerHttp.ts"

/** Campaigns read when looking for ours; a retry follows its attempt closely, so it is among them. */
export const RECENT_CAMPAIGNS = 100
export const SUBJECT_MAX = 150

export interface MailchimpAudience {
  readonly dc: string
  readonly listId: string
}

// The dc becomes part of a host name: only Mailchimp's own shape (`us1`, `us21` …) is accepted.
const ACCOUNT = /^([a-z]{2,6}\d{1,4}):([A-Za-z0-9]{1,32})$/

export const mailchimpAudienceOf = (partnerAccountId: string): Result.Result<MailchimpAudience, TaxonomyError> => {
  const match = ACCOUNT.exec(partnerAccountId)
  const dc = match?.[1]
  const listId = match?.[2]
  return dc === undefined || listId === undefined
    ? Result.fail(invalidRequest("mailchimp", "partnerAccountId is not {dc}:{listId}"))
    : Result.succeed({ dc, listId })
}

const escapeHtml = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;")

const isWebUrl = (url: string): boolean => /^https?:\/\/\S+$/i.test(url)

/** The e-mail body: the text as paragraphs (line breaks kept), then the images, then the link. */
export const campaignHtml = (content: PostContent): Result.Result<string, TaxonomyError> => {
  const urls = [...content.mediaUrls, ...(content.link === undefined ? [] : [content.link])]
  if (!urls.every(isWebUrl)) return Result.fail(invalidRequest("mailchimp", "media and link URLs must be http(s)"))
  const paragraphs = content.text
    .split(/\r?\n\s*\r?\n/)
    .filter((p) => p.trim() !== "")
    .map((p) => `<p>${escapeHtml(p).replace(/\r?\n/g, "<br>")}</p>`)
  const media = content.mediaUrls.map((url) =>
    content.format === "video"
      ? `<p><a href="${escapeHtml(url)}">${escapeHtml(url)}</a></p>`
      : `<p><img src="${escapeHtml(url)}" alt="" style="max-width:100%"></p>`
  )
  const link = content.link === undefined ? [] : [`<p><a href="${escapeHtml(content.link)}">${escapeHtml(content.link)}</a></p>`]
  return Result.succeed(`<!DOCTYPE html><html><body>${[...paragraphs, ...media, ...link].join("")}</body></html>`)
}

/** The given title, else the first non-empty line of the text, cut to Mailchimp's subject length. */
export const subjectLineFor = (content: PostContent): string => {
  const source = content.title ?? content.text.split(/\r?\n/).find((line) => line.trim() !== "") ?? ""
  return Array.from(source.trim()).slice(0, SUBJECT_MAX).join("")
}

/**
 * from_name and reply_to are left out: the connection knows neither, and Mailchimp takes them from
 * the audience's campaign defaults.
 */
export const campaignBody = (listId: string, dedupeKey: string, content: PostContent) => ({
  type: "regular",
  recipients: { list_id: listId },
  settings: { subject_line: subjectLineFor(content), title: dedupeKey }
})

export interface Campaign {
  readonly id: string
  readonly status: string | undefined
  readonly title: string | undefined
  readonly archiveUrl: string | undefined
}

export const campaignOf = (value: unknown): Campaign | undefined => {
  const id = stringField(value, "id")
  return id === undefined
    ? undefined
    : {
        id,
        status: stringField(value, "status")?.toLowerCase(),
        title: stringField(recordField(value, "settings"), "title"),
        archiveUrl: stringField(value, "archive_url")
      }
}

export const campaignsOf = (body: unknown): ReadonlyArray<Campaign> =>
  (arrayField(body, "campaigns") ?? []).flatMap((c) => {
    const campaign = campaignOf(c)
    return campaign === undefined ? [] : [campaign]
  })

/** On its way or gone out: never send again. */
export const SENT_STATUSES = new Set(["sent", "sending"])
/** Created by an earlier attempt and not sent: content is put again and it is sent. */
export const REUSABLE_STATUSES = new Set(["save", "paused"])
/** Scheduled campaigns go out by themselves; we never schedule, but one that is must not be sent twice. */
const IN_FLIGHT_STATUSES = new Set(["schedule"])

export type CampaignPlan =
  | { readonly kind: "done"; readonly campaign: Campaign }
  | { readonly kind: "reuse"; readonly campaign: Campaign }
  | { readonly kind: "create" }

export const planFor = (campaigns: ReadonlyArray<Campaign>, dedupeKey: string): CampaignPlan => {
  const ours = campaigns.filter((c) => c.title === dedupeKey)
  const done = ours.find((c) => c.status !== undefined && (SENT_STATUSES.has(c.status) || IN_FLIGHT_STATUSES.has(c.status)))
  if (done !== undefined) return { kind: "done", campaign: done }
  const reusable = ours.find((c) => c.status !== undefined && REUSABLE_STATUSES.has(c.status))
  return reusable === undefined ? { kind: "create" } : { kind: "reuse", campaign: reusable }
}

const publishedOf = (campaign: Campaign): PublishedPost => ({
  partnerPostId: campaign.id,
  ...(campaign.archiveUrl === undefined ? {} : { url: campaign.archiveUrl })
})

export const makeMailchimpConnector = (endpoints: PartnerEndpoints, http: PartnerHttp): Connector => {
  const api = (audience: MailchimpAudience): string => `${mailchimpApiUrl(endpoints, audience.dc)}/3.0`

  const listCampaigns = (credentials: Credentials, audience: MailchimpAudience, dedupeKey?: string) =>
    http
      .call({
        platform: "mailchimp",
        method: "GET",
        url: `${api(audience)}/campaigns`,
        query: { list_id: audience.listId, count: RECENT_CAMPAIGNS, sort_field: "create_time", sort_dir: "DESC" },
        token: credentials.accessToken,
        dedupeKey
      })
      .pipe(Effect.map((reply) => campaignsOf(reply.body)))

  const publish = Effect.fn("MailchimpConnector.publish")(function* (request: PublishRequest) {
    const audience = yield* Effect.fromResult(mailchimpAudienceOf(request.credentials.partnerAccountId))
    const html = yield* Effect.fromResult(campaignHtml(request.content))
    const call = { platform: "mailchimp", token: request.credentials.accessToken, dedupeKey: request.dedupeKey } as const
    const plan = planFor(yield* listCampaigns(request.credentials, audience, request.dedupeKey), request.dedupeKey)
    if (plan.kind === "done") return publishedOf(plan.campaign)
    let campaign: Campaign
    if (plan.kind === "reuse") {
      campaign = plan.campaign
    } else {
      const created = yield* http.call({
        ...call,
        method: "POST",
        url: `${api(audience)}/campaigns`,
        body: { json: campaignBody(audience.listId, request.dedupeKey, request.content) }
      })
      const parsed = campaignOf(created.body)
      if (parsed === undefined) return yield* Effect.fail(unexpectedReply("mailchimp", "campaign create", created))
      campaign = parsed
    }
    const id = encodeURIComponent(campaign.id)
    yield* http.call({ ...call, method: "PUT", url: `${api(audience)}/campaigns/${id}/content`, body: { json: { html } } })
    yield* http.call({ ...call, method: "POST", url: `${api(audience)}/campaigns/${id}/actions/send` })
    return publishedOf(campaign)
  })

  const findPublished = Effect.fn("MailchimpConnector.findPublished")(function* (request: PublishRequest) {
    const audience = yield* Effect.fromResult(mailchimpAudienceOf(request.credentials.partnerAccountId))
    const campaigns = yield* listCampaigns(request.credentials, audience)
    const sent = campaigns.find((c) => c.title === request.dedupeKey && c.status !== undefined && SENT_STATUSES.has(c.status))
    return sent === undefined ? undefined : publishedOf(sent)
  })

  const healthCheck = Effect.fn("MailchimpConnector.healthCheck")(function* (credentials: Credentials) {
    const audience = yield* Effect.fromResult(mailchimpAudienceOf(credentials.partnerAccountId))
    yield* http.call({ platform: "mailchimp", method: "GET", url: `${api(audience)}/ping`, token: credentials.accessToken })
    return {}
  })

  return { platform: "mailchimp", publish, findPublished, healthCheck }
}
