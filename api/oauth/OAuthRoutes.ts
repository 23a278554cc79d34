// GET /api/oauth/{platform}/start and /callback: the browser's half of connect and reconnect.
// start: verifies the signed state and that the link's parameters are the ones it was signed with,
// binds the flow to this browser (an HttpOnly cookie holding the state id), and redirects to the
// platform's real authorization URL (PKCE where the platform has it).
// callback: verifies the state again, the browser binding, then uses the state once; a denial, an
// expired, replayed or foreign state, or a grant for the wrong account is answered in plain words
// and changes nothing. Otherwise OAuthConnect stores the tokens, resumes and may start the backfill.
// The answer is a small HTML page, or a redirect to OAUTH_RETURN_URL with the outcome when set.
import type { IncomingMessage, ServerResponse } from "node:http"
import { Cause, Clock, Effect, Exit, type ManagedRuntime } from "effect"
import { isPlatform, PLATFORM_NAMES, type Platform } from "../../core/taxonomy/Taxonomy.ts"
import { isTaxonomyError } from "../../core/taxonomy/TaxonomyError.ts"
import { ConnectionNotFound } from "../../db/ConnectionRepo.ts"
import { OAuthStateRepo } from "../../db/OAuthStateRepo.ts"
import {
  type ConnectOutcome,
  NoAccountGranted,
  OAuthConnect,
  PlatformNotConfigured,
  WrongAccount,
  wrongAccountMessage
} from "../../jobs/OAuthConnect.ts"
import { MetricRecorder } from "../../observability/MetricRecorder.ts"
import { ApiSecrets } from "../auth/ApiSecrets.ts"
import type { AppServices } from "../AppServices.ts"
import { type OAuthStateClaims, pkceFor, type StateRefusal, startParamsMatch, verifyState } from "./OAuthState.ts"

export const OAUTH_ROUTE = /^\/api\/oauth\/([^/]+)\/(start|callback)$/

const COOKIE = "postd_oauth_state"
const MAX_PARAM = 4_096

export interface OAuthRouteOptions {
  readonly runtime: ManagedRuntime.ManagedRuntime<AppServices, unknown>
  /** Where the browser reaches this API; the callback URL registered with each platform is under it. */
  readonly publicUrl: () => string
  /** The frontend page to send the browser back to with the outcome; a small HTML page when unset. */
  readonly returnUrl?: string | undefined
}

/** How a request ended: what the user reads, and what the frontend and the metrics are told. */
interface Answer {
  readonly status: number
  /** Machine-readable: started, reconnected, connected, denied, expired, invalid_state, replayed, wrong_account … */
  readonly outcome: string
  readonly title: string
  readonly message: string
  readonly platform?: Platform | undefined
  readonly connectionId?: string | undefined
  readonly location?: string | undefined
  readonly cookie?: string | undefined
}

export const callbackUrl = (publicUrl: string, platform: Platform): string => `${publicUrl}/api/oauth/${platform}/callback`

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c)

/** A state already used: refused at start, and at the callback after the first use. */
const replayed = (platform: Platform): Answer => ({
  status: 409,
  outcome: "replayed",
  title: "This link was already used",
  message: "Nothing was changed. Go back to POSTD and start the connection again to get a fresh link.",
  platform
})

const refused = (refusal: StateRefusal, platform: Platform | undefined): Answer =>
  refusal === "expired"
    ? {
        status: 400,
        outcome: "expired",
        title: "This link has expired",
        message: "Nothing was changed. Go back to POSTD and start the connection again to get a fresh link.",
        platform
      }
    : {
        status: 400,
        outcome: "invalid_state",
        title: "This link is not valid",
        message: "Nothing was changed. It may have been altered or cut short; go back to POSTD and start the connection again.",
        platform
      }

const cookieOf = (req: IncomingMessage, name: string): string | undefined => {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const [key, ...value] = part.trim().split("=")
    if (key === name) return value.join("=")
  }
  return undefined
}

const bindingCookie = (publicUrl: string, value: string, maxAgeSeconds: number): string =>
  [
    `${COOKIE}=${value}`,
    "Path=/api/oauth",
    "HttpOnly",
    "SameSite=Lax",
    `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`,
    ...(publicUrl.startsWith("https://") ? ["Secure"] : [])
  ].join("; ")

/** The failure of an OAuthConnect call, as the user reads it. */
const failureAnswer = (cause: Cause.Cause<unknown>, claims: OAuthStateClaims): Answer => {
  const failure = Cause.squash(cause)
  const platform = claims.platform
  const name = PLATFORM_NAMES[platform]
  if (failure instanceof WrongAccount) {
    return {
      status: 409,
      outcome: "wrong_account",
      title: "That is a different account",
      message: wrongAccountMessage(failure),
      platform,
      connectionId: claims.connectionId
    }
  }
  if (failure instanceof ConnectionNotFound) {
    return { status: 404, outcome: "not_found", title: "This channel no longer exists", message: "Nothing was changed.", platform }
  }
  if (failure instanceof NoAccountGranted) {
    return {
      status: 409,
      outcome: "no_account",
      title: `No ${name} account to connect`,
      message: `The ${name} sign-in granted access to nothing POSTD can publish to. Nothing was changed; sign in again and select the account to connect.`,
      platform
    }
  }
  if (failure instanceof PlatformNotConfigured) {
    return { status: 503, outcome: "not_configured", title: `${name} is not set up`, message: `${name} is not set up on this server. Nothing was changed.`, platform }
  }
  if (isTaxonomyError(failure)) {
    return {
      status: 502,
      outcome: "exchange_failed",
      title: `${name} did not complete the sign-in`,
      message: `${name} refused to complete the sign-in (${failure._tag}). Nothing was changed; start the connection again from POSTD.`,
      platform,
      connectionId: claims.connectionId
    }
  }
  return { status: 500, outcome: "error", title: "Something went wrong on our side", message: "Nothing was changed. Please try again in a moment.", platform }
}

const successAnswer = (outcome: ConnectOutcome, platform: Platform): Answer => {
  const name = PLATFORM_NAMES[platform]
  if (outcome.kind === "reconnected") {
    const held =
      outcome.heldPosts === 0
        ? ""
        : outcome.backfill === undefined
          ? ` ${outcome.heldPosts} post(s) missed while it was paused wait for your decision: publish them late or skip them.`
          : ` ${outcome.backfill.missedCount} missed post(s) are being published late.`
    return {
      status: 200,
      outcome: "reconnected",
      title: `${name} is reconnected`,
      message: `${outcome.displayName ?? name} is connected again and publishing resumes.${held}`,
      platform,
      connectionId: outcome.connectionId
    }
  }
  const names = outcome.accounts.map((a) => a.displayName ?? a.accountId).join(", ")
  return {
    status: 200,
    outcome: "connected",
    title: `${name} is connected`,
    message: `POSTD can now publish to ${names}.`,
    platform,
    connectionId: outcome.accounts[0]?.connectionId
  }
}

export const makeOAuthRoutes = (options: OAuthRouteOptions) => {
  const { runtime } = options

  const send = (res: ServerResponse, answer: Answer): void => {
    const headers: Record<string, string> = {
      "cache-control": "no-store",
      "referrer-policy": "no-referrer",
      "x-content-type-options": "nosniff"
    }
    if (answer.cookie !== undefined) headers["set-cookie"] = answer.cookie
    const location =
      answer.location ??
      (options.returnUrl === undefined || answer.outcome === "started"
        ? undefined
        : (() => {
            const url = new URL(options.returnUrl)
            url.searchParams.set("outcome", answer.outcome)
            if (answer.platform !== undefined) url.searchParams.set("platform", answer.platform)
            if (answer.connectionId !== undefined) url.searchParams.set("connectionId", answer.connectionId)
            url.searchParams.set("message", answer.message)
            return url.toString()
          })())
    if (location !== undefined) {
      res.writeHead(302, { ...headers, location })
      res.end()
      return
    }
    const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>POSTD: ${escapeHtml(answer.title)}</title></head>
<body><main data-outcome="${escapeHtml(answer.outcome)}"><h1>${escapeHtml(answer.title)}</h1><p>${escapeHtml(answer.message)}</p></main></body></html>`
    res.writeHead(answer.status, {
      ...headers,
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": "default-src 'none'",
      "content-length": Buffer.byteLength(html)
    })
    res.end(html)
  }

  const record = (answer: Answer) =>
    answer.platform === undefined
      ? Effect.void
      : MetricRecorder.use((m) => m.increment("recovery.reconnect", { platform: answer.platform as Platform, outcome: answer.outcome }))

  /** The verified claims of the request's state, or the answer that refuses it. */
  const verified = (query: URLSearchParams, platform: Platform) =>
    Effect.gen(function* () {
      const state = query.get("state")
      if (state === null || state === "" || state.length > MAX_PARAM) return { refusal: refused("malformed", platform) } as const
      const { stateKey } = yield* ApiSecrets
      const now = (yield* Clock.currentTimeMillis) / 1_000
      const result = verifyState(stateKey, state, now)
      if (result._tag === "Failure") return { refusal: refused(result.failure, platform) } as const
      if (result.success.platform !== platform) return { refusal: refused("signature", platform) } as const
      return { claims: result.success, state, stateKey, now } as const
    })

  const start = (query: URLSearchParams, platform: Platform) =>
    Effect.gen(function* () {
      const checked = yield* verified(query, platform)
      if ("refusal" in checked) return checked.refusal
      const { claims, state, stateKey, now } = checked
      if (!startParamsMatch(claims, query)) return refused("signature", platform)
      if (yield* (yield* OAuthStateRepo).isUsed(claims.id)) return replayed(platform)
      const publicUrl = options.publicUrl()
      const authorize = yield* Effect.exit(
        (yield* OAuthConnect).authorizeUrl(claims, {
          state,
          redirectUri: callbackUrl(publicUrl, platform),
          codeChallenge: pkceFor(stateKey, claims.id).challenge
        })
      )
      if (Exit.isFailure(authorize)) return failureAnswer(authorize.cause, claims)
      return {
        status: 302,
        outcome: "started",
        title: "Redirecting",
        message: "",
        platform,
        location: authorize.value,
        cookie: bindingCookie(publicUrl, claims.id, claims.expiresAt - now)
      } satisfies Answer
    })

  /** The callback's answer once its state is used: a denial, a malformed code, or what the code exchange brought. */
  const exchange = (query: URLSearchParams, claims: OAuthStateClaims, stateKey: Uint8Array, publicUrl: string) =>
    Effect.gen(function* () {
      const platform = claims.platform
      const name = PLATFORM_NAMES[platform]
      const error = query.get("error")
      if (error !== null) {
        return {
          status: 400,
          outcome: "denied",
          title: `${name} access was not granted`,
          message:
            error === "access_denied"
              ? `You cancelled the ${name} sign-in. Nothing was changed; reconnect from POSTD when you are ready.`
              : `${name} did not grant access (${error.slice(0, 100)}). Nothing was changed.`,
          platform,
          connectionId: claims.connectionId
        } satisfies Answer
      }
      const code = query.get("code")
      if (code === null || code === "" || code.length > MAX_PARAM) return refused("malformed", platform)
      const completed = yield* Effect.exit(
        (yield* OAuthConnect).complete(claims, {
          code,
          redirectUri: callbackUrl(publicUrl, platform),
          codeVerifier: pkceFor(stateKey, claims.id).verifier
        })
      )
      if (Exit.isSuccess(completed)) return successAnswer(completed.value, platform)
      const answer = failureAnswer(completed.cause, claims)
      if (answer.status >= 500) {
        yield* Effect.logError("OAuth callback failed").pipe(Effect.annotateLogs({ platform, cause: Cause.pretty(completed.cause) }))
      }
      return answer
    })

  const callback = (req: IncomingMessage, query: URLSearchParams, platform: Platform) =>
    Effect.gen(function* () {
      const checked = yield* verified(query, platform)
      if ("refusal" in checked) return checked.refusal
      const { claims, stateKey } = checked
      const publicUrl = options.publicUrl()
      const clear = bindingCookie(publicUrl, "", 0)
      if (cookieOf(req, COOKIE) !== claims.id) {
        return {
          status: 400,
          outcome: "browser_mismatch",
          title: "This sign-in was started elsewhere",
          message: "Nothing was changed. Start the connection again from POSTD in this browser.",
          platform
        } satisfies Answer
      }
      const states = yield* OAuthStateRepo
      const first = yield* states.consume({
        stateId: claims.id,
        tenantId: claims.tenantId,
        platform,
        purpose: claims.purpose,
        connectionId: claims.connectionId ?? null,
        actor: claims.actor,
        expiresAt: new Date(claims.expiresAt * 1_000)
      })
      if (!first) return { ...replayed(platform), cookie: clear }
      const answer = { ...(yield* exchange(query, claims, stateKey, publicUrl)), cookie: clear }
      yield* states.recordOutcome(claims.id, answer.outcome)
      yield* Effect.logInfo("OAuth callback").pipe(
        Effect.annotateLogs({ tenantId: claims.tenantId, platform, purpose: claims.purpose, connectionId: claims.connectionId, outcome: answer.outcome })
      )
      return answer
    })

  /** Handles a path that matched OAUTH_ROUTE. */
  return async (req: IncomingMessage, res: ServerResponse, match: RegExpExecArray, url: URL): Promise<void> => {
    const [, platformText = "", step] = match
    if (!isPlatform(platformText)) {
      send(res, { status: 404, outcome: "unknown_platform", title: "Unknown platform", message: "There is no such platform." })
      return
    }
    if (req.method !== "GET") {
      res.writeHead(405, { allow: "GET", "content-type": "application/json" })
      res.end(JSON.stringify({ error: "method not allowed" }))
      return
    }
    const effect = step === "start" ? start(url.searchParams, platformText) : callback(req, url.searchParams, platformText)
    const exit = await runtime.runPromiseExit(effect.pipe(Effect.tap(record)))
    if (Exit.isSuccess(exit)) {
      send(res, exit.value)
      return
    }
    await runtime.runPromise(Effect.logError("OAuth route failed").pipe(Effect.annotateLogs({ platform: platformText, step, cause: Cause.pretty(exit.cause) })))
    send(res, { status: 500, outcome: "error", title: "Something went wrong on our side", message: "Please try again in a moment.", platform: platformText })
  }
}
