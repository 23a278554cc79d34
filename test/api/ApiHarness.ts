// The service as the frontend meets it: the pipeline harness (fresh database, in-process partner
// simulator, real pg-boss workers) behind the real HTTP server, with tokens minted for any tenant
// and role, the typed tRPC client, and a browser's walk through an OAuth link.
import pino from "pino"
import { startHttpServer, type RunningHttpServer } from "../../api/httpServer.ts"
import { secretsFrom } from "../../api/auth/ApiSecrets.ts"
import { issueJwt, type Role } from "../../api/auth/Jwt.ts"
import { createClient } from "../../api/client.ts"
import { databaseReadiness } from "../../api/readiness.ts"
import { type Harness, type HarnessOptions, startHarness, TEST_JWT_SECRET } from "../pipeline/PipelineHarness.ts"

const silentLogger = pino({ level: "silent" })

export interface ApiHarness extends Harness {
  readonly server: RunningHttpServer
  readonly token: (tenantId: string, role?: Role, options?: { readonly subject?: string; readonly ttlSeconds?: number }) => string
  readonly client: (token?: string) => ReturnType<typeof createClient>
}

export const startApiHarness = async (options: HarnessOptions = {}): Promise<ApiHarness> => {
  const h = await startHarness(options)
  const server = await startHttpServer({ runtime: h.runtime, logger: silentLogger, port: 0, host: "127.0.0.1", readiness: databaseReadiness(h.runtime) })
  const key = secretsFrom(TEST_JWT_SECRET).jwtKey
  return {
    ...h,
    server,
    token: (tenantId, role = "admin", tokenOptions = {}) =>
      issueJwt(key, { subject: tokenOptions.subject ?? `${role}-user`, tenantId, role }, Math.floor(Date.now() / 1_000), tokenOptions.ttlSeconds ?? 3_600),
    client: (token) => createClient(`${server.url}/trpc`, token),
    close: async () => {
      await server.close(1_000)
      await h.close()
    }
  }
}


/** A browser without JavaScript: follows one redirect at a time and keeps the cookies it is given. */
export interface Browser {
  readonly get: (url: string) => Promise<{ readonly status: number; readonly location: string | null; readonly body: string }>
  readonly cookies: Map<string, string>
}

export const newBrowser = (): Browser => {
  const cookies = new Map<string, string>()
  return {
    cookies,
    get: async (url) => {
      const cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join("; ")
      const res = await fetch(url, { redirect: "manual", headers: cookie === "" ? {} : { cookie } })
      for (const header of res.headers.getSetCookie()) {
        const [pair = ""] = header.split(";")
        const [name = "", ...value] = pair.split("=")
        if (/Max-Age=0/i.test(header)) cookies.delete(name)
        else cookies.set(name, value.join("="))
      }
      return { status: res.status, location: res.headers.get("location"), body: await res.text() }
    }
  }
}

const attribute = (tag: string, name: string): string | undefined => {
  const match = new RegExp(`${name}="([^"]*)"`).exec(tag)
  return match?.[1]?.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&")
}

/**
 * Submits the simulator's consent page as a user would: its form's hidden fields, the chosen
 * account, and the Allow (or Cancel) button. Returns the URL the form submits to.
 */
export const submitConsent = (pageUrl: string, html: string, account: string, decision: "approve" | "deny" = "approve"): string => {
  const form = /<form[^>]*>/.exec(html)?.[0]
  if (form === undefined) throw new Error(`no consent form on ${pageUrl}: ${html.slice(0, 300)}`)
  const options = [...html.matchAll(/<option value="([^"]*)"/g)].map((m) => m[1])
  if (!options.includes(account)) throw new Error(`the consent page offers ${options.join(", ")}, not ${account}`)
  const target = new URL(attribute(form, "action") ?? "", pageUrl)
  for (const input of html.matchAll(/<input type="hidden"[^>]*>/g)) {
    const name = attribute(input[0], "name")
    if (name !== undefined) target.searchParams.set(name, attribute(input[0], "value") ?? "")
  }
  target.searchParams.set("sim_account", account)
  target.searchParams.set("sim_decision", decision)
  return target.toString()
}
