// The HTTP front door: /healthz, /readyz, /metrics, tRPC at /trpc, the OAuth connect and reconnect
// routes at /api/oauth/{platform}/{start,callback}, a request id on every request (echoed as
// x-request-id and on every log line), and a shutdown that stops accepting, drains in-flight
// requests within a grace period, then closes what is left.
import { randomUUID } from "node:crypto"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { createHTTPHandler } from "@trpc/server/adapters/standalone"
import { Effect, type ManagedRuntime } from "effect"
import type { Logger } from "pino"
import { PLATFORMS } from "../core/taxonomy/Taxonomy.ts"
import { MetricRecorder } from "../observability/MetricRecorder.ts"
import type { AppServices } from "./AppServices.ts"
import { appRouter } from "./appRouter.ts"
import { ApiSecrets } from "./auth/ApiSecrets.ts"
import { makeOAuthRoutes, OAUTH_ROUTE } from "./oauth/OAuthRoutes.ts"
import { WebhookConfig } from "./webhooks/WebhookConfig.ts"
import { makeWebhookRoutes, WEBHOOK_ROUTE } from "./webhooks/WebhookRoutes.ts"

export interface ReadinessReport {
  readonly ready: boolean
  readonly checks: Readonly<Record<string, "ok" | string>>
}

export interface HttpServerOptions {
  readonly runtime: ManagedRuntime.ManagedRuntime<AppServices, unknown>
  readonly logger: Logger
  readonly readiness: () => Promise<ReadinessReport>
  readonly metrics?: () => Promise<{ readonly contentType: string; readonly body: string }>
  readonly port: number
  readonly host: string
  /** Largest accepted request body, in bytes. */
  readonly maxBodyBytes?: number
  /** Where browsers reach this API (PUBLIC_URL); the server's own URL when absent. */
  readonly publicUrl?: string | undefined
  /** The frontend page the OAuth callback sends the browser back to (OAUTH_RETURN_URL). */
  readonly oauthReturnUrl?: string | undefined
  /** false: only /healthz, /readyz and /metrics — what a worker-only process serves. Default true. */
  readonly serveApi?: boolean
}

export interface RunningHttpServer {
  readonly url: string
  readonly port: number
  /** Stops accepting, waits up to `graceMs` for in-flight requests, then closes every socket. */
  readonly close: (graceMs: number) => Promise<{ readonly drained: boolean; readonly abandoned: number }>
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

const requestIdOf = (req: IncomingMessage): string => {
  const given = req.headers["x-request-id"]
  return typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID()
}

const sendJson = (res: ServerResponse, status: number, body: unknown): void => {
  const payload = JSON.stringify(body)
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(payload) })
  res.end(payload)
}

const PROCEDURES = new Set(Object.keys(appRouter._def.procedures))
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])

// Route labels for logs and metrics come from a closed set (known routes and procedures), so a
// caller cannot mint new metric series with made-up paths.
const routeOf = (path: string): string => {
  if (path.startsWith("/trpc/")) {
    const procedures = path.slice("/trpc/".length).split(",")
    if (!procedures.every((p) => PROCEDURES.has(p))) return "trpc:unknown"
    return procedures.length === 1 ? `trpc:${procedures[0]}` : "trpc:batch"
  }
  const oauth = OAUTH_ROUTE.exec(path)
  if (oauth !== null && (PLATFORMS as ReadonlyArray<string>).includes(oauth[1] ?? "")) return `/api/oauth/${oauth[1]}/${oauth[2]}`
  const webhook = WEBHOOK_ROUTE.exec(path)
  if (webhook !== null && (PLATFORMS as ReadonlyArray<string>).includes(webhook[1] ?? "")) return `/api/webhooks/${webhook[1]}`
  return ["/healthz", "/readyz", "/metrics"].includes(path) ? path : "unmatched"
}

export const startHttpServer = async (options: HttpServerOptions): Promise<RunningHttpServer> => {
  const requestIds = new WeakMap<IncomingMessage, string>()
  let draining = false
  let inFlight = 0
  let onIdle: (() => void) | undefined
  let ownUrl = ""
  let browsable = ""
  const publicUrl = (): string => (options.publicUrl ?? browsable).replace(/\/+$/, "")

  const trpcHandler = (jwtKey: Uint8Array) =>
    createHTTPHandler({
      router: appRouter,
      basePath: "/trpc/",
      maxBodySize: options.maxBodyBytes ?? 1_000_000,
      createContext: ({ req }) => ({
        requestId: requestIds.get(req) ?? randomUUID(),
        runtime: options.runtime,
        authorization: typeof req.headers.authorization === "string" ? req.headers.authorization : undefined,
        jwtKey,
        publicUrl: publicUrl()
      }),
      onError: ({ error, path, req }) => {
        if (error.code === "INTERNAL_SERVER_ERROR") {
          options.logger.error({ requestId: requestIds.get(req), procedure: path, err: error.cause ?? error }, "procedure failed")
        }
      }
    })

  // What the API needs from the configuration is read once, here: a setting out of range stops the start.
  const serveApi = options.serveApi !== false
  const oauth = makeOAuthRoutes({ runtime: options.runtime, publicUrl, returnUrl: options.oauthReturnUrl })
  const webhooks = serveApi
    ? makeWebhookRoutes({ runtime: options.runtime, publicUrl, settings: await options.runtime.runPromise(WebhookConfig) })
    : undefined
  const trpc = serveApi ? trpcHandler((await options.runtime.runPromise(ApiSecrets)).jwtKey) : undefined

  const handle = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const path = url.pathname
    if (trpc !== undefined && path.startsWith("/trpc/")) return trpc(req, res)
    const oauthRoute = serveApi ? OAUTH_ROUTE.exec(path) : null
    if (oauthRoute !== null) return oauth(req, res, oauthRoute, url)
    const webhookRoute = WEBHOOK_ROUTE.exec(path)
    if (webhooks !== undefined && webhookRoute !== null) return webhooks(req, res, webhookRoute, url, requestIds.get(req) ?? "")
    if (req.method !== "GET" && req.method !== "HEAD") return sendJson(res, 405, { error: "method not allowed" })
    switch (path) {
      case "/healthz":
        return sendJson(res, 200, { status: "ok" })
      case "/readyz": {
        if (draining) return sendJson(res, 503, { ready: false, checks: { server: "shutting down" } })
        const report = await options.readiness()
        return sendJson(res, report.ready ? 200 : 503, report)
      }
      case "/metrics": {
        if (options.metrics === undefined) return sendJson(res, 404, { error: "metrics are not enabled" })
        const { contentType, body } = await options.metrics()
        res.writeHead(200, { "content-type": contentType })
        res.end(body)
        return
      }
      default:
        return sendJson(res, 404, { error: "not found" })
    }
  }

  const server = createServer((req, res) => {
    const started = performance.now()
    const requestId = requestIdOf(req)
    requestIds.set(req, requestId)
    res.setHeader("x-request-id", requestId)
    if (draining) res.setHeader("connection", "close")
    inFlight += 1
    const url = new URL(req.url ?? "/", "http://localhost")
    const path = url.pathname
    res.on("close", () => {
      inFlight -= 1
      const durationMs = Math.round((performance.now() - started) * 100) / 100
      const labels = {
        method: METHODS.has(req.method ?? "") ? (req.method ?? "") : "OTHER",
        route: routeOf(path),
        status: res.statusCode
      }
      options.logger.info({ requestId, ...labels, durationMs, aborted: !res.writableFinished }, "request")
      void options.runtime.runPromise(
        MetricRecorder.use((m) =>
          Effect.andThen(m.increment("http.server.requests", labels), m.record("http.server.duration_ms", durationMs, labels))
        )
      )
      if (inFlight === 0) onIdle?.()
    })
    handle(req, res, url).catch((err: unknown) => {
      options.logger.error({ requestId, err }, "request handler failed")
      if (!res.headersSent) sendJson(res, 500, { error: "internal error", requestId })
      else res.destroy()
    })
  })
  server.keepAliveTimeout = 5_000
  server.headersTimeout = 10_000
  server.requestTimeout = 30_000

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(options.port, options.host, () => {
      server.off("error", reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  ownUrl = `http://${options.host.includes(":") ? `[${options.host}]` : options.host}:${port}`
  // Links for browsers cannot point at a wildcard address: without PUBLIC_URL they name this machine.
  browsable = ["0.0.0.0", "::"].includes(options.host) ? `http://localhost:${port}` : ownUrl

  return {
    port,
    url: ownUrl,
    close: async (graceMs) => {
      draining = true
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeIdleConnections()
      const drained =
        inFlight === 0 ||
        (await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), graceMs)
          onIdle = () => {
            clearTimeout(timer)
            resolve(true)
          }
        }))
      const abandoned = inFlight
      server.closeAllConnections()
      await closed
      return { drained, abandoned }
    }
  }
}
