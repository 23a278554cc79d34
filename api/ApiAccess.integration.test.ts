// Who may call what, over real HTTP: every procedure refuses a missing, forged or expired token
// (UNAUTHORIZED); a member is FORBIDDEN the admin and operator procedures; another tenant's object is
// NOT_FOUND every time and never changes; and any input a procedure's schema rejects — fast-check's
// arbitrary JSON — is a BAD_REQUEST naming the fields, never a 500, with nothing written.
import { TRPCClientError } from "@trpc/client"
import fc from "fast-check"
import { sql } from "kysely"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { DlqRepo } from "../db/DlqRepo.ts"
import { Backfill } from "../jobs/Backfill.ts"
import { type ApiHarness, startApiHarness } from "../test/api/ApiHarness.ts"
import { TEST_JWT_SECRET, waitFor } from "../test/pipeline/PipelineHarness.ts"
import { appRouter } from "./appRouter.ts"
import { secretsFrom } from "./auth/ApiSecrets.ts"
import { issueJwt } from "./auth/Jwt.ts"
import type { createClient } from "./client.ts"

type Client = ReturnType<typeof createClient>

let h: ApiHarness

interface World {
  readonly tenantId: string
  readonly connectionId: string
  readonly postId: string
  readonly dlqId: string
  readonly backfillJobId: string
}

const worlds: Array<World> = []

const makeWorld = async (): Promise<World> => {
  const { tenantId, connectionId } = await h.connect("linkedin")
  const client = h.client(h.token(tenantId, "member"))
  const post = await client.posts.schedule.mutate({ connectionId, text: `isolation ${crypto.randomUUID()}` })
  await waitFor(() => client.posts.get.query({ postId: post.id }), (p) => p.status === "published")
  const dlq = await h.run(
    DlqRepo.use((r) =>
      r.add({
        jobId: `job-${crypto.randomUUID()}`,
        tenantId,
        connectionId,
        postId: post.id,
        platform: "linkedin",
        action: "publish",
        payload: { tenantId, postId: post.id },
        errorCode: "CONTENT_REJECTED",
        reasonCode: "UNRETRYABLE",
        lastErrorMessage: "policy",
        retryCount: 0,
        firstAttempt: new Date()
      })
    )
  )
  const offer = await h.run(Backfill.use((b) => b.offer(tenantId, connectionId, new Date(0), "member:setup")))
  return { tenantId, connectionId, postId: post.id, dlqId: dlq.id, backfillJobId: offer.id }
}

beforeAll(async () => {
  h = await startApiHarness()
  worlds.push(await makeWorld(), await makeWorld())
})
afterAll(async () => {
  await h?.close()
})

const codeOf = async (call: Promise<unknown>): Promise<string> => {
  try {
    await call
    return "OK"
  } catch (error) {
    if (error instanceof TRPCClientError) return String((error.data as { code?: unknown } | undefined)?.code)
    throw error
  }
}

/** One call of every procedure, with the ids of `w`: the table is checked against the router below. */
const CALLS: { readonly [path: string]: (c: Client, w: World) => Promise<unknown> } = {
  "taxonomy.list": (c) => c.taxonomy.list.query(),
  "connections.list": (c) => c.connections.list.query(),
  "connections.status": (c, w) => c.connections.status.query({ connectionId: w.connectionId }),
  "connections.connectUrl": (c) => c.connections.connectUrl.query({ platform: "linkedin" }),
  "connections.reconnectUrl": (c, w) => c.connections.reconnectUrl.query({ connectionId: w.connectionId }),
  "connections.pause": (c, w) => c.connections.pause.mutate({ connectionId: w.connectionId }),
  "connections.resume": (c, w) => c.connections.resume.mutate({ connectionId: w.connectionId }),
  "connections.paused": (c, w) => c.connections.paused.query({ tenantId: w.tenantId }),
  "posts.schedule": (c, w) => c.posts.schedule.mutate({ connectionId: w.connectionId, text: "not yours" }),
  "posts.list": (c, w) => c.posts.list.query({ connectionId: w.connectionId }),
  "posts.get": (c, w) => c.posts.get.query({ postId: w.postId }),
  "backfill.offer": (c, w) => c.backfill.offer.mutate({ connectionId: w.connectionId, failedAfter: "2026-01-01T00:00:00Z" }),
  "backfill.accept": (c, w) => c.backfill.accept.mutate({ backfillJobId: w.backfillJobId }),
  "backfill.decline": (c, w) => c.backfill.decline.mutate({ backfillJobId: w.backfillJobId }),
  "dlq.list": (c, w) => c.dlq.list.query({ tenantId: w.tenantId }),
  "dlq.get": (c, w) => c.dlq.get.query({ id: w.dlqId }),
  "dlq.replay": (c, w) => c.dlq.replay.mutate({ ids: [w.dlqId] }),
  "dlq.resolve": (c, w) => c.dlq.resolve.mutate({ id: w.dlqId, resolution: "not yours" })
}

const PROCEDURES = Object.keys(appRouter._def.procedures)
const ADMIN_ONLY = ["connections.pause", "connections.resume"]
const OPS_ONLY = ["connections.paused"]
const ADMIN_OR_OPS = ["dlq.list", "dlq.get", "dlq.replay", "dlq.resolve"]
/** Procedures without another tenant's id to pass: they can only ever see the caller's tenant. */
const NO_FOREIGN_ID = ["taxonomy.list", "connections.list", "connections.connectUrl", "connections.paused"]

/** Everything of a tenant the API can touch, to show a refused call changed none of it. */
const tenantState = async (tenantId: string) => {
  const tables = ["connections", "connection_audit", "posts", "publish_attempts", "dlq_entries", "backfill_offers", "oauth_state_uses"]
  const state: Record<string, unknown> = {}
  for (const table of tables) {
    const rows = await sql<{ digest: string | null; n: string }>`
      select md5(string_agg(t::text, '|' order by t::text)) as digest, count(*) as n
        from ${sql.table(table)} t where t.tenant_id = ${tenantId}`.execute(h.t.db)
    state[table] = rows.rows[0]
  }
  return state
}

const allJobs = async () => Number((await sql<{ n: string }>`select count(*) as n from pgboss.job`.execute(h.t.db)).rows[0]?.n)

describe("the procedure table", () => {
  it("covers every procedure of the router", () => {
    expect(Object.keys(CALLS).sort()).toEqual([...PROCEDURES].sort())
  })
})

describe("authentication", () => {
  it("refuses every procedure without a token, with a forged signature, with an expired token or another algorithm", async () => {
    const [a] = worlds
    if (a === undefined) throw new Error("no world")
    const forged = issueJwt(secretsFrom("another-secret-that-is-long-enough-0123456789").jwtKey, { subject: "x", tenantId: a.tenantId, role: "admin" }, Math.floor(Date.now() / 1000), 3_600)
    const expired = issueJwt(secretsFrom(TEST_JWT_SECRET).jwtKey, { subject: "x", tenantId: a.tenantId, role: "admin" }, Math.floor(Date.now() / 1000) - 7_200, 3_600)
    const payload = h.token(a.tenantId, "admin").split(".")[1] ?? ""
    const none = `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${payload}.`
    for (const token of [undefined, forged, expired, none, "not-a-jwt"]) {
      const client = h.client(token)
      for (const path of PROCEDURES) {
        const call = CALLS[path]
        if (call === undefined) throw new Error(`no call for ${path}`)
        expect(`${path}: ${await codeOf(call(client, a))}`).toBe(`${path}: UNAUTHORIZED`)
      }
    }
  })
})

describe("roles", () => {
  it("forbids a member the admin and operator procedures, and an admin the operators' view", async () => {
    const [a] = worlds
    if (a === undefined) throw new Error("no world")
    const before = await tenantState(a.tenantId)
    const member = h.client(h.token(a.tenantId, "member"))
    for (const path of [...ADMIN_ONLY, ...OPS_ONLY, ...ADMIN_OR_OPS]) {
      expect(`${path}: ${await codeOf((CALLS[path] ?? (() => Promise.resolve()))(member, a))}`).toBe(`${path}: FORBIDDEN`)
    }
    const admin = h.client(h.token(a.tenantId, "admin"))
    expect(await codeOf(admin.connections.paused.query())).toBe("FORBIDDEN")
    expect(await tenantState(a.tenantId)).toEqual(before)
  })

  it("lets an operator read the paused channels and the DLQ across tenants", async () => {
    const [a, b] = worlds
    if (a === undefined || b === undefined) throw new Error("no world")
    const ops = h.client(h.token(a.tenantId, "ops"))
    expect((await ops.dlq.get.query({ id: b.dlqId })).tenantId).toBe(b.tenantId)
    const entries = (await ops.dlq.list.query()).entries.map((e) => e.tenantId)
    expect(entries).toEqual(expect.arrayContaining([a.tenantId, b.tenantId]))
    // Another tenant's paused channel is in the operator's view, by its tenant, and in no other tenant's.
    const adminB = h.client(h.token(b.tenantId, "admin"))
    await adminB.connections.pause.mutate({ connectionId: b.connectionId })
    try {
      expect((await ops.connections.paused.query({ tenantId: b.tenantId })).map((c) => c.id)).toEqual([b.connectionId])
      expect((await ops.connections.paused.query()).map((c) => c.id)).toContain(b.connectionId)
      expect((await ops.connections.paused.query({ tenantId: a.tenantId })).map((c) => c.id)).not.toContain(b.connectionId)
    } finally {
      await adminB.connections.resume.mutate({ connectionId: b.connectionId })
    }
    expect(await ops.connections.paused.query({ tenantId: b.tenantId })).toEqual([])
  })
})

describe("tenant isolation", () => {
  it("answers NOT_FOUND for another tenant's ids on every procedure that takes one, changing nothing of that tenant", async () => {
    const [a, b] = worlds
    if (a === undefined || b === undefined) throw new Error("no world")
    const before = await tenantState(b.tenantId)
    const jobs = await allJobs()
    const admin = h.client(h.token(a.tenantId, "admin"))
    for (const path of PROCEDURES.filter((p) => !NO_FOREIGN_ID.includes(p))) {
      const call = CALLS[path]
      if (call === undefined) throw new Error(`no call for ${path}`)
      expect(`${path}: ${await codeOf(call(admin, b))}`).toBe(`${path}: NOT_FOUND`)
    }
    expect(await tenantState(b.tenantId)).toEqual(before)
    expect(await allJobs()).toBe(jobs)
  })

  it("never lists another tenant's connections, posts or DLQ entries", async () => {
    const [a, b] = worlds
    if (a === undefined || b === undefined) throw new Error("no world")
    const admin = h.client(h.token(a.tenantId, "admin"))
    expect((await admin.connections.list.query()).map((c) => c.id)).toEqual([a.connectionId])
    expect((await admin.posts.list.query()).posts.map((p) => p.id)).toEqual([a.postId])
    expect((await admin.dlq.list.query()).entries.map((e) => e.id)).toEqual([a.dlqId])
  })
})

describe("bad input", () => {
  it("answers BAD_REQUEST with the invalid fields for any JSON a procedure's schema rejects, never a 500, and writes nothing", async () => {
    const [a] = worlds
    if (a === undefined) throw new Error("no world")
    const token = h.token(a.tenantId, "admin")
    const opsToken = h.token(a.tenantId, "ops")
    const before = await tenantState(a.tenantId)
    const jobs = await allJobs()
    for (const path of PROCEDURES) {
      // The validator tRPC itself runs for the procedure: what it rejects is what must be a BAD_REQUEST.
      const procedures = appRouter._def.procedures as unknown as Record<string, { readonly _def: { readonly type: "query" | "mutation"; readonly inputs: ReadonlyArray<unknown> } }>
      const def = procedures[path]?._def
      if (def === undefined) throw new Error(`no procedure ${path}`)
      const validator = def.inputs[0] as { readonly "~standard": { readonly validate: (v: unknown) => { readonly issues?: unknown } } }
      const rejects = (value: unknown): boolean => validator["~standard"].validate(value).issues !== undefined
      const bearer = OPS_ONLY.includes(path) ? opsToken : token
      await fc.assert(
        fc.asyncProperty(fc.jsonValue().filter(rejects), async (value) => {
          const json = JSON.stringify(value)
          const res =
            def.type === "query"
              ? await fetch(`${h.server.url}/trpc/${path}?input=${encodeURIComponent(json)}`, { headers: { authorization: `Bearer ${bearer}` } })
              : await fetch(`${h.server.url}/trpc/${path}`, {
                  method: "POST",
                  headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" },
                  body: json
                })
          const body = (await res.json()) as { error?: { data?: { code?: string; issues?: ReadonlyArray<{ path: string; message: string }> } } }
          expect(`${path} ${json}: ${res.status} ${body.error?.data?.code}`).toBe(`${path} ${json}: 400 BAD_REQUEST`)
          expect(body.error?.data?.issues?.length ?? 0).toBeGreaterThan(0)
        }),
        { numRuns: 40 }
      )
    }
    expect(await tenantState(a.tenantId)).toEqual(before)
    expect(await allJobs()).toBe(jobs)
  })

  it("names every invalid field of one input at once", async () => {
    const [a] = worlds
    if (a === undefined) throw new Error("no world")
    const res = await fetch(`${h.server.url}/trpc/posts.schedule`, {
      method: "POST",
      headers: { authorization: `Bearer ${h.token(a.tenantId, "member")}`, "content-type": "application/json" },
      body: JSON.stringify({ connectionId: "nope", text: "", scheduledAt: "tomorrow", extra: 1 })
    })
    const body = (await res.json()) as { error: { data: { issues: ReadonlyArray<{ path: string }> } } }
    expect(res.status).toBe(400)
    expect([...new Set(body.error.data.issues.map((i) => i.path))].sort()).toEqual(["connectionId", "extra", "scheduledAt", "text"])
  })
})
