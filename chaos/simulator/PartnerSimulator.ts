// The partner simulator: one node:http server mounting each partner host under a path prefix named
// after it (/graph.facebook.com/v21.0/…), routing to the platform modules through injected faults and
// the call log, with the control API at /_control. close() also ends requests left hanging.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { Socket } from "node:net"
import type { Platform } from "../../core/taxonomy/Taxonomy.ts"
import { CallLog, type CallOutcome, DEFAULT_CALL_LOG_CAPACITY } from "./CallLog.ts"
import { handleControl } from "./ControlApi.ts"
import { FaultBook, type FaultView } from "./Faults.ts"
import { gbp } from "./platforms/gbp.ts"
import { linkedin } from "./platforms/linkedin.ts"
import { mailchimp } from "./platforms/mailchimp.ts"
import { meta } from "./platforms/meta.ts"
import { callInfo, type PlatformModule, type PlatformRoute, type RouteContext } from "./platforms/PlatformModule.ts"
import { tiktok } from "./platforms/tiktok.ts"
import type { Params } from "./Router.ts"
import { SimulatorControl } from "./SimulatorControl.ts"
import { dedupeKeyOf, parseBody, type SimRequest } from "./SimRequest.ts"
import { jsonResponse, type SimResponse } from "./SimResponse.ts"
import { SimulatorState } from "./SimulatorState.ts"

export const PLATFORM_MODULES: ReadonlyArray<PlatformModule> = [meta, linkedin, tiktok, gbp, mailchimp]

export interface PartnerSimulatorOptions {
  /** 0 (the default) picks a free port. */
  readonly port?: number
  readonly host?: string
  /** Epoch ms; drives token expiry, code lifetimes, post times and fault durations. Date.now by default. */
  readonly clock?: () => number
  /** Seeds fraction faults that bring no seed of their own. */
  readonly seed?: number
  readonly callLogCapacity?: number
  readonly maxBodyBytes?: number
}

export interface RunningSimulator {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string
  readonly port: number
  /** The base URL standing in for a real partner origin: `baseUrl("graph.facebook.com")`. */
  readonly baseUrl: (partnerHost: string) => string
  readonly state: SimulatorState
  readonly faults: FaultBook
  readonly calls: CallLog
  /** The typed control-API client, pointed at this simulator. */
  readonly control: SimulatorControl
  /** Hanging requests (timeout faults) still open; they end when the client gives up or on close. */
  readonly hangingRequests: () => number
  /** Requests received whose exchange has not ended yet (being handled, delayed by latency, or hanging). */
  readonly openRequests: () => number
  readonly close: () => Promise<void>
}

const CONTROL_PREFIX = "_control"
const DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024

class BodyTooLarge extends Error {}

const readBody = (req: IncomingMessage, limit: number): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    let size = 0
    req.on("data", (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        reject(new BodyTooLarge())
        req.removeAllListeners("data")
        req.resume()
        return
      }
      chunks.push(chunk)
    })
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
    req.on("error", reject)
  })

const send = (res: ServerResponse, response: SimResponse): void => {
  if (res.headersSent || res.destroyed) return
  res.writeHead(response.status, { ...response.headers, "content-length": Buffer.byteLength(response.body) })
  res.end(response.body)
}

/** A reset the client sees as ECONNRESET, not a clean close. */
const resetSocket = (socket: Socket | null): void => {
  if (socket === null || socket.destroyed) return
  if (typeof socket.resetAndDestroy === "function") socket.resetAndDestroy()
  else socket.destroy()
}

interface Located {
  readonly module: PlatformModule
  readonly mount: string
  readonly route: PlatformRoute | undefined
  readonly params: Params
}

const locate = (host: string, method: string, path: string): Located | undefined => {
  for (const module of PLATFORM_MODULES) {
    const mount = module.hosts.find((h) => h.matches(host))
    if (mount === undefined) continue
    for (const route of module.routes) {
      if (route.host !== mount.label || route.method !== method) continue
      const params = route.path.match(path)
      if (params !== undefined) return { module, mount: mount.label, route, params }
    }
    return { module, mount: mount.label, route: undefined, params: {} }
  }
  return undefined
}

export const startPartnerSimulator = async (options: PartnerSimulatorOptions = {}): Promise<RunningSimulator> => {
  const clock = options.clock ?? Date.now
  const state = new SimulatorState(clock)
  // Makes Google's signing key (an RSA key pair) at start-up rather than on the first certs or push call.
  state.googleSigningKey()
  const closingSignal = new AbortController()
  const faults = new FaultBook(options.seed ?? 20_261_123)
  const calls = new CallLog(options.callLogCapacity ?? DEFAULT_CALL_LOG_CAPACITY)
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  const hanging = new Set<ServerResponse>()
  const sleepers = new Set<() => void>()
  let open = 0
  let closing = false

  /** Resolves true after `ms`, or false at once when the simulator closes meanwhile. */
  const sleep = (ms: number): Promise<boolean> =>
    new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer)
        sleepers.delete(wake)
        resolve(false)
      }
      const timer = setTimeout(() => {
        sleepers.delete(wake)
        resolve(!closing)
      }, ms)
      sleepers.add(wake)
    })

  const hang = (req: IncomingMessage, res: ServerResponse): void => {
    hanging.add(res)
    req.socket.setTimeout(0)
    res.on("close", () => hanging.delete(res))
  }

  const record = (
    platform: Platform | undefined,
    req: SimRequest,
    mount: string,
    template: string,
    status: number | null,
    outcome: CallOutcome,
    extras: { readonly fault?: FaultView | undefined; readonly accountId?: string | undefined; readonly at: number }
  ): void => {
    const dedupeKey = dedupeKeyOf(req)
    calls.add({
      platform,
      method: req.method,
      host: mount,
      path: template,
      status,
      outcome,
      at: extras.at,
      ...(extras.fault === undefined ? {} : { fault: extras.fault.spec.kind }),
      ...(extras.accountId === undefined ? {} : { accountId: extras.accountId }),
      ...(dedupeKey === undefined ? {} : { dedupeKey })
    })
  }

  const handlePartner = async (req: IncomingMessage, res: ServerResponse, url: URL, host: string, path: string, raw: string): Promise<void> => {
    const at = clock()
    const method = (req.method ?? "GET").toUpperCase()
    const located = locate(host, method, path)
    if (located === undefined) {
      send(res, jsonResponse(404, { error: `no simulated partner is mounted at /${host}` }))
      return
    }
    const { module, mount, route, params } = located
    const simReq: SimRequest = { method, host, path, query: url.searchParams, headers: req.headers, rawBody: raw, ...parseBody(req.headers["content-type"], raw) }
    const ctx: RouteContext = { req: simReq, params, state }
    const accountId = route?.accountOf?.(ctx)
    const template = route?.path.template ?? "unmatched"
    const call = callInfo(simReq, template, accountId)
    const decision = faults.decide({ platform: module.platform, method, path: url.pathname, accountId, token: module.tokenOf(simReq) }, clock())
    const fault = decision.fault
    const log = (status: number | null, outcome: CallOutcome): void =>
      record(module.platform, simReq, mount, template, status, outcome, { fault, accountId, at })

    if (decision.latencyMs > 0 && !(await sleep(decision.latencyMs))) {
      resetSocket(req.socket)
      log(null, "reset")
      return
    }
    const answer = (): SimResponse => (route === undefined ? module.errors.unknownPath(call) : route.handle(ctx))
    const kind = fault?.spec.kind
    let response: SimResponse
    switch (kind) {
      case "http_5xx":
        response = module.errors.serverError(fault?.spec.status ?? 500, call)
        break
      case "rate_limit":
        response = module.errors.rateLimit({ retryAfterSec: fault?.spec.retryAfterSec, variant: fault?.spec.variant }, call)
        break
      case "quota":
        response = module.errors.quota({ retryAfterSec: fault?.spec.retryAfterSec, variant: fault?.spec.variant }, call)
        break
      case "timeout":
        log(null, "timeout")
        hang(req, res)
        return
      case "reset":
        log(null, "reset")
        resetSocket(req.socket)
        return
      case "accept_then_timeout": {
        log(answer().status, "timeout")
        hang(req, res)
        return
      }
      case "accept_then_reset": {
        log(answer().status, "reset")
        resetSocket(req.socket)
        return
      }
      default:
        response = answer()
    }
    log(response.status, "answered")
    send(res, response)
  }

  const onRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    open += 1
    res.once("close", () => {
      open -= 1
    })
    const url = new URL(req.url ?? "/", "http://simulator.invalid")
    const [first = "", ...rest] = url.pathname.slice(1).split("/")
    const host = first.toLowerCase()
    const path = `/${rest.join("/")}`
    let raw: string
    try {
      raw = await readBody(req, maxBodyBytes)
    } catch (cause) {
      send(res, jsonResponse(cause instanceof BodyTooLarge ? 413 : 400, { error: cause instanceof BodyTooLarge ? "request body too large" : "unreadable request body" }))
      return
    }
    if (host === CONTROL_PREFIX) {
      const control = { state, faults, calls, clock, signal: closingSignal.signal }
      send(res, await handleControl(control, (req.method ?? "GET").toUpperCase(), path === "/" ? "" : path, url.searchParams, raw))
      return
    }
    await handlePartner(req, res, url, host, path, raw)
  }

  const server = createServer({ keepAliveTimeout: 5_000 }, (req, res) => {
    onRequest(req, res).catch((cause: unknown) => {
      send(res, jsonResponse(500, { simulator_error: cause instanceof Error ? cause.message : String(cause) }))
    })
  })
  // Hanging requests must outlive Node's default request timeout; the client decides when to give up.
  server.requestTimeout = 0

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject)
      resolve()
    })
  })
  const address = server.address()
  if (address === null || typeof address === "string") throw new Error("the simulator must listen on a TCP port")
  const hostForUrl = address.family === "IPv6" ? `[${address.address}]` : address.address
  const url = `http://${hostForUrl}:${address.port}`

  let closed: Promise<void> | undefined
  const close = (): Promise<void> => {
    closed ??= new Promise<void>((resolve) => {
      closing = true
      closingSignal.abort()
      for (const wake of [...sleepers]) wake()
      for (const res of [...hanging]) res.socket?.destroy()
      hanging.clear()
      server.close(() => resolve())
      server.closeAllConnections()
    })
    return closed
  }

  return {
    url,
    port: address.port,
    baseUrl: (partnerHost) => `${url}/${partnerHost}`,
    state,
    faults,
    calls,
    control: new SimulatorControl(url),
    hangingRequests: () => hanging.size,
    openRequests: () => open,
    close
  }
}
