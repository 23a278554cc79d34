// Webhook intake under load and the time from a platform's event to a paused channel: real
// PostgreSQL, the real HTTP server and pg-boss webhook workers, the partner simulator (a child
// process) as the sender that signs each platform's real requests and times our answer as the
// platform would see it. Prints human-readable lines, then one JSON line with the figures.
import { randomUUID } from "node:crypto"
import { setTimeout as sleep } from "node:timers/promises"
import { sql } from "kysely"
import pino from "pino"
import { startHttpServer } from "../../api/httpServer.ts"
import { databaseReadiness } from "../../api/readiness.ts"
import type { WebhookDeliveryRequest } from "../../chaos/simulator/webhooks/WebhookRequest.ts"
import { PostScheduler } from "../../jobs/PostScheduler.ts"
import { startWorkers } from "../../jobs/Workers.ts"
import {
  benchConnect,
  benchEnvironment,
  benchRuntime,
  benchTenant,
  inLanes,
  intFromEnv,
  loadAverage,
  log,
  round,
  runBench,
  show,
  stats,
  waitUntil,
  watchFirstSeen
} from "./benchKit.ts"

const WEBHOOKS = intFromEnv("BENCH_WEBHOOKS", 4_000)
const CONCURRENCY = intFromEnv("BENCH_WEBHOOK_CONCURRENCY", 32)
const PAUSE_CONNECTIONS = intFromEnv("BENCH_PAUSE_CONNECTIONS", 90)
const POSTS_PER_CONNECTION = 2
const WARMUP_WEBHOOKS = 400
const PHASE_TIMEOUT_MS = 90_000
const BUDGET_MS = 290_000
const LOG_FILE = process.env["BENCH_LOG_FILE"] ?? "/dev/null"
const MAILCHIMP_SECRET = "sim-mailchimp-webhook-secret"

runBench(BUDGET_MS, async (run) => {
  const { loadAtStart, database, sim, db } = await benchEnvironment(run, "child")
  const rt = benchRuntime({ databaseUrl: database.url, simulatorUrl: sim.url, logFile: LOG_FILE })
  run.defer("workers and pools", () => rt.dispose())
  await startWorkers(rt)
  const server = await startHttpServer({ runtime: rt, logger: pino({ level: "silent" }), readiness: databaseReadiness(rt), port: 0, host: "127.0.0.1" })
  run.defer("http server", () => server.close(1_000))
  const control = sim.control
  log(`the service at ${server.url} with its webhook workers`)

  const target = (platform: string) => `${server.url}/api/webhooks/${platform}${platform === "mailchimp" ? `?secret=${MAILCHIMP_SECRET}` : ""}`
  let seq = 0
  /**
   * One event of each platform in turn, each new (its own id), none for a connection we hold. `mixed`:
   * three of the five would act (Meta permission revoked, TikTok authorization removed, a GBP location
   * state change); `record`: events we only record (LinkedIn, Mailchimp, TikTok publish notices).
   */
  const event = (mix: "mixed" | "record"): WebhookDeliveryRequest => {
    seq += 1
    const id = `${seq}-${randomUUID().slice(0, 8)}`
    if (mix === "record") {
      switch (seq % 3) {
        case 0:
          return { platform: "linkedin", kind: "event", target: target("linkedin") }
        case 1:
          return { platform: "tiktok", kind: "event", target: target("tiktok"), event: "post.publish.publicly_available", userOpenId: `open-${id}`, content: { publish_id: `p-${id}` } }
        default:
          return { platform: "mailchimp", kind: "event", target: target("mailchimp"), type: "subscribe", data: { email: `${id}@example.com` } }
      }
    }
    switch (seq % 5) {
      case 0:
        return {
          platform: "meta",
          kind: "event",
          target: target("meta"),
          object: "permissions",
          entries: [{ id: `u-${id}`, time: Math.floor(Date.now() / 1000), changes: [{ field: "pages_manage_posts", value: { verb: "revoked" } }] }]
        }
      case 1:
        return { platform: "linkedin", kind: "event", target: target("linkedin") }
      case 2:
        return { platform: "tiktok", kind: "event", target: target("tiktok"), event: "authorization.removed", userOpenId: `open-${id}`, content: { reason: 1 } }
      case 3:
        return {
          platform: "gbp",
          kind: "push",
          target: target("gbp"),
          messageId: `m-${id}`,
          notification: { type: "UPDATED_LOCATION_STATE", locationName: `accounts/1/locations/${seq}` }
        }
      default:
        return { platform: "mailchimp", kind: "event", target: target("mailchimp"), type: "unsubscribe", data: { email: `${id}@example.com` } }
    }
  }

  /** Sends `requests` with `concurrency` in flight; the platform-side answer time of each, and the wall time. */
  const deliverAll = async (requests: ReadonlyArray<WebhookDeliveryRequest>, concurrency: number) => {
    const acks: Array<number> = []
    const refused: Array<string> = []
    const started = performance.now()
    await inLanes(requests, concurrency, async (request) => {
      const answer = await control.deliverWebhook(request)
      if (answer.status === 200) acks.push(answer.elapsedMs)
      else refused.push(`${request.platform} ${answer.status} ${answer.body.slice(0, 80)}`)
    })
    return { acks, refused, wallMs: performance.now() - started }
  }

  const eventCounts = async () => {
    const { rows } = await sql<{ pending: string; total: string; first: Date | null; last: Date | null }>`
      select count(*) filter (where status = 'received') as pending, count(*) as total,
             min(received_at) as first, max(processed_at) as last from webhook_events`.execute(db)
    const row = rows[0]
    return { pending: Number(row?.pending ?? 0), total: Number(row?.total ?? 0), first: row?.first ?? null, last: row?.last ?? null }
  }

  // --- warm-up --------------------------------------------------------------------------------------
  const warm = await deliverAll(Array.from({ length: WARMUP_WEBHOOKS }, () => event("mixed")), CONCURRENCY)
  await waitUntil(async () => (await eventCounts()).pending === 0, PHASE_TIMEOUT_MS, 50)
  log(`warm-up: ${warm.acks.length}/${WARMUP_WEBHOOKS} acknowledged${warm.refused.length > 0 ? `; refused: ${warm.refused[0]}` : ""}`)
  await db.deleteFrom("webhook_events").execute()

  // --- 1. acknowledgement latency under load -------------------------------------------------------
  log(`1. intake: ${WEBHOOKS} signed events (Meta, LinkedIn, TikTok, Google Pub/Sub, Mailchimp in turn), ${CONCURRENCY} in flight`)
  const load = await deliverAll(Array.from({ length: WEBHOOKS }, () => event("mixed")), CONCURRENCY)
  const ack = stats(load.acks)
  const acksPerSec = Math.round(load.acks.length / (load.wallMs / 1000))
  log(`   acknowledged ${load.acks.length}/${WEBHOOKS} in ${Math.round(load.wallMs)} ms = ${acksPerSec} events/s`)
  log(`   acknowledgement latency as the platform sees it (request sent → 200 read): ${show(ack)}`)
  if (load.refused.length > 0) log(`   refused ${load.refused.length}, first: ${load.refused[0]}`)
  const drained = await waitUntil(async () => (await eventCounts()).pending === 0, PHASE_TIMEOUT_MS, 50)
  const counts = await eventCounts()
  const processingMs = counts.first !== null && counts.last !== null ? counts.last.getTime() - counts.first.getTime() : Number.NaN
  const processedPerSec = Math.round(counts.total / (processingMs / 1000))
  log(
    `   processed ${counts.total - counts.pending}/${counts.total} stored events by the webhook workers in ${processingMs} ms from the first receipt ` +
      `= ${processedPerSec} events/s${drained ? "" : " (TIMED OUT)"}`
  )

  // --- 2. event → pause -----------------------------------------------------------------------------
  const targets: Array<{ readonly tenantId: string; readonly connectionId: string; readonly userId: string }> = []
  await control.clearCalls()
  for (let i = 0; i < PAUSE_CONNECTIONS; i++) {
    const tenantId = await benchTenant(db, "webhook")
    const userId = `bench-user-${i}`
    const connection = await benchConnect(rt, control, { tenantId, platform: "meta", accountId: String(6_100_000 + i), userId })
    for (let p = 0; p < POSTS_PER_CONNECTION; p++) {
      await rt.runPromise(
        PostScheduler.use((s) =>
          s.schedule({
            tenantId,
            connectionId: connection.connectionId,
            content: { text: `bench webhook ${i}.${p}`, format: "text", mediaUrls: [] },
            scheduledAt: new Date(Date.now() + 3_600_000)
          })
        )
      )
    }
    targets.push({ tenantId, connectionId: connection.connectionId, userId })
  }

  /** Deauthorizes each target in turn (one at a time, `gapMs` apart); the time until its channel was revoked with every post held. */
  const pauseRun = async (set: ReadonlyArray<(typeof targets)[number]>, gapMs: number) => {
    const phaseStart = new Date()
    const sentAt = new Map<string, number>()
    const sentWall = new Map<string, number>()
    const ids = set.map((t) => t.connectionId)
    const watch = watchFirstSeen(
      ids,
      async () => {
        const { rows } = await sql<{ id: string }>`
          select c.id from connections c
           where c.id = any(${ids}::uuid[]) and c.status = 'revoked'
             and not exists (select 1 from posts p where p.connection_id = c.id and p.status <> 'held')`.execute(db)
        return rows.map((r) => r.id)
      },
      { clock: () => performance.now(), timeoutMs: PHASE_TIMEOUT_MS }
    )
    for (const t of set) {
      sentAt.set(t.connectionId, performance.now())
      sentWall.set(t.connectionId, Date.now())
      const answer = await control.deliverWebhook({ platform: "meta", kind: "deauthorize", target: target("meta"), userId: t.userId })
      if (answer.status !== 200) log(`   deauthorize for ${t.userId}: ${answer.status} ${answer.body.slice(0, 80)}`)
      await sleep(gapMs)
    }
    const seenAt = await watch
    const observed = ids.flatMap((id) => {
      const sent = sentAt.get(id)
      const seen = seenAt.get(id)
      return sent === undefined || seen === undefined ? [] : [seen - sent]
    })
    // The pause as committed, on the database server's clock (same host): callback sent → paused_at.
    const paused = await db.selectFrom("connections").select(["id", "paused_at"]).where("id", "in", ids).execute()
    const written = paused.flatMap((r) => {
      const sent = sentWall.get(r.id)
      return sent === undefined || r.paused_at === null ? [] : [r.paused_at.getTime() - sent]
    })
    // Where the time goes, on the server: the deauthorization stored → its job started → processed.
    const { rows: stages } = await sql<{ queued_ms: number; processed_ms: number; priority: number }>`
      select extract(epoch from (j.started_on - e.received_at)) * 1000 as queued_ms,
             extract(epoch from (e.processed_at - e.received_at)) * 1000 as processed_ms, j.priority
        from webhook_events e join pgboss.job j on j.name = 'webhook' and j.data->>'eventId' = e.id::text
       where e.event_type = 'deauthorize' and e.received_at >= ${phaseStart}`.execute(db)
    const queued = stats(stages.map((r) => Number(r.queued_ms)))
    const processed = stats(stages.map((r) => Number(r.processed_ms)))
    log(`   stored → job started: ${show(queued)}; stored → processed: ${show(processed)} (priorities ${[...new Set(stages.map((r) => r.priority))].join(",")})`)
    return { observed, written, revoked: seenAt.size }
  }

  const third = Math.floor(targets.length / 3)
  const sets = [targets.slice(0, third), targets.slice(third, 2 * third), targets.slice(2 * third)]
  log(`2. event → pause: ${targets.length} Meta connections with ${POSTS_PER_CONNECTION} scheduled posts each, a signed deauthorize callback for each user`)
  /** The pause run over `set`, with nothing else arriving or while a flood of `mix` events arrives at `CONCURRENCY` in flight. */
  const pausePhase = async (set: ReadonlyArray<(typeof targets)[number]>, flood?: { readonly mix: "mixed" | "record"; readonly label: string }) => {
    const background = flood === undefined ? undefined : deliverAll(Array.from({ length: Math.round(WEBHOOKS / 2) }, () => event(flood.mix)), CONCURRENCY)
    const run = await pauseRun(set, 20)
    const seen = stats(run.observed)
    const held = `revoked with posts held ${run.revoked}/${set.length}`
    if (flood === undefined || background === undefined) {
      log(`   one at a time, nothing else arriving: ${held}; callback sent → pause seen (5 ms poll): ${show(seen)}`)
    } else {
      const { acks, wallMs } = await background
      log(
        `   during a flood of ${acks.length} ${flood.label} at ${CONCURRENCY} in flight (${Math.round(acks.length / (wallMs / 1000))}/s): ` +
          `${held}; callback sent → pause seen: ${show(seen)}`
      )
    }
    log(`   callback sent → pause written (paused_at): ${show(stats(run.written))}`)
    await waitUntil(async () => (await eventCounts()).pending === 0, PHASE_TIMEOUT_MS, 50)
    return { seen, allHeld: run.revoked === set.length }
  }
  const idle = await pausePhase(sets[0] ?? [])
  const recordFlood = await pausePhase(sets[1] ?? [], { mix: "record", label: "events we only record" })
  const mixedFlood = await pausePhase(sets[2] ?? [], { mix: "mixed", label: "mixed events, 3 in 5 of which would act" })
  const partnerCalls = (await control.calls({ platform: "meta", method: "POST" })).length
  log(`   posts published to the revoked pages: ${partnerCalls}`)

  const loadAtEnd = loadAverage()
  log(`machine: load average (1 min) ${loadAtEnd.toFixed(2)} at the end of the measurements`)
  const allRevoked = [idle, recordFlood, mixedFlood].every((phase) => phase.allHeld)
  const completed = load.refused.length === 0 && drained && allRevoked && partnerCalls === 0
  return {
    bench: "webhooks",
    webhooks: WEBHOOKS,
    concurrency: CONCURRENCY,
    ackLatencyMsP50: ack.p50,
    ackLatencyMsP99: ack.p99,
    ackLatencyMsMax: ack.max,
    acksPerSec,
    processedPerSec,
    eventToPauseMsP50: idle.seen.p50,
    eventToPauseMsP99: idle.seen.p99,
    eventToPauseDuringRecordFloodMsP50: recordFlood.seen.p50,
    eventToPauseDuringRecordFloodMsP99: recordFlood.seen.p99,
    eventToPauseDuringMixedFloodMsP50: mixedFlood.seen.p50,
    eventToPauseDuringMixedFloodMsP99: mixedFlood.seen.p99,
    pauseConnections: targets.length,
    loadAvg1mStart: round(loadAtStart, 2),
    loadAvg1mEnd: round(loadAtEnd, 2),
    completed
  }
})
