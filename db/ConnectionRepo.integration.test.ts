import { Effect, Exit, Layer, ManagedRuntime, Redacted } from "effect"
import fc from "fast-check"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ERROR_CODES, type ErrorCode } from "../core/taxonomy/Taxonomy.ts"
import { databaseLayer, insertConnection, insertPost, insertTenant, testCipherLayer } from "../test/db/fixtures.ts"
import { createTestDatabase, type TestDatabase } from "../test/db/testDatabase.ts"
import { ConnectionRepo } from "./ConnectionRepo.ts"

let t: TestDatabase
let rt: ManagedRuntime.ManagedRuntime<ConnectionRepo, never>
beforeAll(async () => {
  t = await createTestDatabase()
  rt = ManagedRuntime.make(ConnectionRepo.layer.pipe(Layer.provide(Layer.mergeAll(databaseLayer(t.url), testCipherLayer()))))
})
afterAll(async () => {
  await rt.dispose()
  await t.drop()
})

type Op<A, E> = (r: ConnectionRepo["Service"]) => Effect.Effect<A, E>
const withRepo = <A, E>(f: Op<A, E>) =>
  Effect.gen(function* () {
    return yield* f(yield* ConnectionRepo)
  })
const repo = <A, E>(f: Op<A, E>) => rt.runPromise(withRepo(f))
const repoExit = <A, E>(f: Op<A, E>) => rt.runPromise(Effect.exit(withRepo(f)))
const failureTag = (exit: Exit.Exit<unknown, { readonly _tag: string }>) =>
  Exit.isFailure(exit) ? exit.cause.reasons.find((r) => r._tag === "Fail")?.error._tag : "success"

let accounts = 0
const newConnection = async (options: { readonly refresh?: string; readonly tenantId?: string } = {}) => {
  const tenantId = options.tenantId ?? (await insertTenant(t.db))
  const connection = await repo((r) =>
    r.create({
      tenantId,
      brandId: "brand-7",
      platform: "linkedin",
      partnerAccountId: `urn:li:organization:${++accounts}`,
      displayName: "Acme Bakery",
      tokens: {
        accessToken: Redacted.make("AQV-access-token-one"),
        ...(options.refresh === undefined ? {} : { refreshToken: Redacted.make(options.refresh) }),
        expiresAt: new Date("2027-01-01T00:00:00Z"),
        scopes: ["w_organization_social", "r_organization_social"]
      }
    })
  )
  return { tenantId, connection }
}

const storedRow = (id: string) => t.db.selectFrom("connections").selectAll().where("id", "=", id).executeTakeFirstOrThrow()

describe("ConnectionRepo tokens", () => {
  it("stores tokens only as envelopes and hands the connector decrypted, Redacted credentials", async () => {
    const { tenantId, connection } = await newConnection({ refresh: "AQX-refresh-token-one" })
    const row = await storedRow(connection.id)
    expect(row.access_token_enc).toMatch(/^v1\.test\./)
    expect(JSON.stringify(row)).not.toContain("AQV-access-token-one")
    expect(JSON.stringify(row)).not.toContain("AQX-refresh-token-one")
    expect(connection).toMatchObject({ tenantId, status: "active", platform: "linkedin", displayName: "Acme Bakery" })
    expect(Object.keys(connection)).not.toContain("accessToken")
    const credentials = await repo((r) => r.credentials(tenantId, connection.id))
    expect(credentials).toMatchObject({
      connectionId: connection.id,
      platform: "linkedin",
      partnerAccountId: connection.partnerAccountId,
      scopes: ["w_organization_social", "r_organization_social"]
    })
    expect(Redacted.value(credentials.accessToken)).toBe("AQV-access-token-one")
    expect(String(credentials.accessToken)).not.toContain("AQV")
    const refresh = await repo((r) => r.refreshToken(tenantId, connection.id))
    expect(refresh === undefined ? undefined : Redacted.value(refresh)).toBe("AQX-refresh-token-one")
    expect(await repo((r) => r.hasRefreshToken(tenantId, connection.id))).toBe(true)
  })

  it("refuses a second connection of the same account in one tenant as ConnectionExists, writing nothing", async () => {
    const { tenantId, connection } = await newConnection()
    const again = {
      tenantId,
      brandId: "brand-7",
      platform: "linkedin" as const,
      partnerAccountId: connection.partnerAccountId,
      tokens: { accessToken: Redacted.make("AQV-second") }
    }
    expect(failureTag(await repoExit((r) => r.create(again)))).toBe("ConnectionExists")
    const rows = await t.db.selectFrom("connections").select("id").where("tenant_id", "=", tenantId).execute()
    expect(rows.map((r) => r.id)).toEqual([connection.id])
    expect((await repo((r) => r.audit(tenantId, connection.id))).map((a) => a.action)).toEqual(["created"])
    expect(Redacted.value((await repo((r) => r.credentials(tenantId, connection.id))).accessToken)).toBe("AQV-access-token-one")
    // Another tenant may connect the same account.
    const other = await insertTenant(t.db)
    expect((await repo((r) => r.create({ ...again, tenantId: other }))).tenantId).toBe(other)
  })

  it("treats another tenant's connection exactly like a missing one", async () => {
    const { connection } = await newConnection()
    const other = await insertTenant(t.db, "Other")
    const ops: ReadonlyArray<Op<unknown, { readonly _tag: string }>> = [
      (r: ConnectionRepo["Service"]) => r.get(other, connection.id),
      (r: ConnectionRepo["Service"]) => r.credentials(other, connection.id),
      (r: ConnectionRepo["Service"]) => r.refreshToken(other, connection.id),
      (r: ConnectionRepo["Service"]) => r.storeTokens(other, connection.id, { accessToken: Redacted.make("x") }),
      (r: ConnectionRepo["Service"]) => r.autoPause(other, connection.id, "AUTH_INVALID", "system"),
      (r: ConnectionRepo["Service"]) => r.resume(other, connection.id, "ops"),
      (r: ConnectionRepo["Service"]) => r.get(connection.tenantId, crypto.randomUUID())
    ]
    for (const op of ops) expect(failureTag(await repoExit(op))).toBe("ConnectionNotFound")
    expect((await storedRow(connection.id)).status).toBe("active")
  })

  it("never replaces a stored refresh token with an absent or empty one, and replaces it with a rotated one", async () => {
    const { tenantId, connection } = await newConnection({ refresh: "refresh-A" })
    const refreshOf = async () => {
      const token = await repo((r) => r.refreshToken(tenantId, connection.id))
      return token === undefined ? undefined : Redacted.value(token)
    }
    await repo((r) => r.storeTokens(tenantId, connection.id, { accessToken: Redacted.make("access-2") }))
    expect(await refreshOf()).toBe("refresh-A")
    await repo((r) =>
      r.storeTokens(tenantId, connection.id, { accessToken: Redacted.make("access-3"), refreshToken: Redacted.make("  ") })
    )
    expect(await refreshOf()).toBe("refresh-A")
    await repo((r) =>
      r.storeTokens(tenantId, connection.id, { accessToken: Redacted.make("access-4"), refreshToken: Redacted.make("refresh-B") })
    )
    expect(await refreshOf()).toBe("refresh-B")
    const credentials = await repo((r) => r.credentials(tenantId, connection.id))
    expect(Redacted.value(credentials.accessToken)).toBe("access-4")
  })

  it("sets expiry and scopes when given, keeps them when not, and audits each store without token text", async () => {
    const { tenantId, connection } = await newConnection()
    const expiresAt = new Date("2027-06-01T12:00:00Z")
    await repo((r) =>
      r.storeTokens(tenantId, connection.id, { accessToken: Redacted.make("secret-access-9"), expiresAt, scopes: ["a", "b"] }, "worker")
    )
    await repo((r) => r.storeTokens(tenantId, connection.id, { accessToken: Redacted.make("secret-access-10") }))
    const after = await repo((r) => r.get(tenantId, connection.id))
    expect(after.tokenExpiresAt?.toISOString()).toBe(expiresAt.toISOString())
    expect(after.scopes).toEqual(["a", "b"])
    const trail = await repo((r) => r.audit(tenantId, connection.id))
    expect(trail.map((e) => e.action)).toEqual(["created", "tokens_refreshed", "tokens_refreshed"])
    expect(trail[1]).toMatchObject({ actor: "worker", details: { refresh_token_rotated: false, scopes: ["a", "b"] } })
    expect(JSON.stringify(trail)).not.toContain("secret-access")
  })

  it("reports a connection without an access token as ConnectionHasNoToken", async () => {
    const tenantId = await insertTenant(t.db)
    const id = await insertConnection(t.db, tenantId)
    expect(failureTag(await repoExit((r) => r.credentials(tenantId, id)))).toBe("ConnectionHasNoToken")
    expect(await repo((r) => r.hasRefreshToken(tenantId, id))).toBe(false)
  })
})

describe("ConnectionRepo pause and resume", () => {
  it("pauses with the code's description, once: a second pause changes nothing and writes no audit row", async () => {
    const { tenantId, connection } = await newConnection()
    expect(await repo((r) => r.autoPause(tenantId, connection.id, "TOKEN_REFRESH_FAILED", "system"))).toBe(true)
    const paused = await repo((r) => r.get(tenantId, connection.id))
    expect(paused).toMatchObject({ status: "attention", pauseReason: "TOKEN_REFRESH_FAILED" })
    expect(paused.pauseDescription).toContain("LinkedIn")
    expect(paused.pausedAt).toBeInstanceOf(Date)
    expect(await repo((r) => r.autoPause(tenantId, connection.id, "AUTH_INVALID", "system"))).toBe(false)
    expect(await repo((r) => r.get(tenantId, connection.id))).toEqual(paused)
    const trail = await repo((r) => r.audit(tenantId, connection.id))
    expect(trail.filter((e) => e.action === "auto_pause")).toHaveLength(1)
    expect(trail[1]?.details).toMatchObject({ reason_code: "TOKEN_REFRESH_FAILED", previous_status: "active", status: "attention" })
  })

  it("revokes on APP_DEAUTHORIZED, also when the connection was already paused for another reason", async () => {
    const { tenantId, connection } = await newConnection()
    await repo((r) => r.autoPause(tenantId, connection.id, "CIRCUIT_BREAKER_OPEN", "system"))
    expect(await repo((r) => r.autoPause(tenantId, connection.id, "APP_DEAUTHORIZED", "webhook"))).toBe(true)
    expect(await repo((r) => r.get(tenantId, connection.id))).toMatchObject({ status: "revoked", pauseReason: "APP_DEAUTHORIZED" })
    expect(await repo((r) => r.autoPause(tenantId, connection.id, "APP_DEAUTHORIZED", "webhook"))).toBe(false)
  })

  it("resumes to active, clears the reason, audits once, and is idempotent", async () => {
    const { tenantId, connection } = await newConnection()
    await repo((r) => r.autoPause(tenantId, connection.id, "ACCOUNT_RESTRICTED", "system"))
    expect(await repo((r) => r.resume(tenantId, connection.id, "user:42"))).toBe(true)
    expect(await repo((r) => r.get(tenantId, connection.id))).toMatchObject({
      status: "active",
      pauseReason: null,
      pauseDescription: null,
      pausedAt: null
    })
    expect(await repo((r) => r.resume(tenantId, connection.id, "user:42"))).toBe(false)
    const trail = await repo((r) => r.audit(tenantId, connection.id))
    expect(trail.map((e) => [e.action, e.actor])).toEqual([
      ["created", "system"],
      ["auto_pause", "system"],
      ["resume", "user:42"]
    ])
  })

  it("matches a model over any sequence of pauses and resumes: status, reason and one audit row per change", async () => {
    const command = fc.oneof(
      fc.record({ kind: fc.constant("pause" as const), code: fc.constantFrom(...ERROR_CODES) }),
      fc.record({ kind: fc.constant("resume" as const) })
    )
    await fc.assert(
      fc.asyncProperty(fc.array(command, { maxLength: 8 }), async (commands) => {
        const { tenantId, connection } = await newConnection()
        let model: { status: string; reason: ErrorCode | null } = { status: "active", reason: null }
        let changes = 0
        for (const c of commands) {
          if (c.kind === "pause") {
            const revoking = c.code === "APP_DEAUTHORIZED"
            const expected = model.status === "active" || (revoking && model.status !== "revoked")
            expect(await repo((r) => r.autoPause(tenantId, connection.id, c.code, "system"))).toBe(expected)
            if (expected) {
              model = { status: revoking ? "revoked" : "attention", reason: c.code }
              changes++
            }
          } else {
            const expected = model.status !== "active"
            expect(await repo((r) => r.resume(tenantId, connection.id, "ops"))).toBe(expected)
            if (expected) {
              model = { status: "active", reason: null }
              changes++
            }
          }
          const current = await repo((r) => r.get(tenantId, connection.id))
          expect({ status: current.status, reason: current.pauseReason }).toEqual(model)
        }
        expect((await repo((r) => r.audit(tenantId, connection.id))).length).toBe(1 + changes)
      }),
      { numRuns: 25 }
    )
  })

  it("lists paused connections for operators with their held post count, optionally for one tenant", async () => {
    const a = await newConnection()
    const b = await newConnection()
    const active = await newConnection({ tenantId: a.tenantId })
    await repo((r) => r.autoPause(a.tenantId, a.connection.id, "PERMISSION_INSUFFICIENT", "system"))
    await repo((r) => r.autoPause(b.tenantId, b.connection.id, "RESOURCE_NOT_FOUND", "system"))
    await insertPost(t.db, a.tenantId, a.connection.id, { status: "held" })
    await insertPost(t.db, a.tenantId, a.connection.id, { status: "held" })
    await insertPost(t.db, a.tenantId, a.connection.id)
    const forA = await repo((r) => r.listPaused({ tenantId: a.tenantId }))
    expect(forA).toEqual([
      {
        id: a.connection.id,
        tenantId: a.tenantId,
        platform: "linkedin",
        status: "attention",
        reason: "PERMISSION_INSUFFICIENT",
        description: expect.stringContaining("permission"),
        pausedAt: expect.any(Date),
        heldPosts: 2
      }
    ])
    const all = await repo((r) => r.listPaused())
    const ids = all.map((p) => p.id)
    expect(ids).toEqual(expect.arrayContaining([a.connection.id, b.connection.id]))
    expect(ids).not.toContain(active.connection.id)
    expect(all.find((p) => p.id === b.connection.id)?.heldPosts).toBe(0)
  })
})

describe("ConnectionRepo reconnect and manual pause", () => {
  const refreshOf = async (tenantId: string, id: string) => {
    const token = await repo((r) => r.refreshToken(tenantId, id))
    return token === undefined ? undefined : Redacted.value(token)
  }

  it("stores the new grant and resumes in one step, keeping the refresh token when the platform sends none or an empty one", async () => {
    const { tenantId, connection } = await newConnection({ refresh: "AQX-kept" })
    await repo((r) => r.autoPause(tenantId, connection.id, "TOKEN_REFRESH_FAILED", "system"))
    for (const refreshToken of [undefined, Redacted.make(""), Redacted.make("   ")]) {
      const result = await repo((r) =>
        r.reconnect(tenantId, connection.id, { tokens: { accessToken: Redacted.make("AQV-new"), ...(refreshToken === undefined ? {} : { refreshToken }) }, partnerUserId: "member-9" }, "member:alice")
      )
      expect(result.refreshTokenRotated).toBe(false)
      expect(await refreshOf(tenantId, connection.id)).toBe("AQX-kept")
    }
    expect(Redacted.value((await repo((r) => r.credentials(tenantId, connection.id))).accessToken)).toBe("AQV-new")
    const after = await repo((r) => r.get(tenantId, connection.id))
    expect(after).toMatchObject({ status: "active", pauseReason: null, pausedAt: null, partnerUserId: "member-9", healthStatus: "healthy" })
    const audit = await repo((r) => r.audit(tenantId, connection.id))
    expect(audit.filter((a) => a.action === "reconnected")).toHaveLength(3)
    expect(audit.find((a) => a.action === "reconnected")).toMatchObject({
      actor: "member:alice",
      details: expect.objectContaining({ previous_status: "attention", previous_reason_code: "TOKEN_REFRESH_FAILED", refresh_token_rotated: false })
    })
    expect(JSON.stringify(audit)).not.toMatch(/AQV-new|AQX-kept/)
  })

  it("replaces the refresh token with a rotated one", async () => {
    const { tenantId, connection } = await newConnection({ refresh: "AQX-old" })
    const result = await repo((r) => r.reconnect(tenantId, connection.id, { tokens: { accessToken: Redacted.make("AQV-2"), refreshToken: Redacted.make("AQX-new") } }, "member:alice"))
    expect(result).toMatchObject({ previousStatus: "active", refreshTokenRotated: true })
    expect(await refreshOf(tenantId, connection.id)).toBe("AQX-new")
  })

  it("treats another tenant's connection as missing and changes nothing", async () => {
    const { tenantId, connection } = await newConnection({ refresh: "AQX-mine" })
    const before = await storedRow(connection.id)
    const exit = await repoExit((r) => r.reconnect(crypto.randomUUID(), connection.id, { tokens: { accessToken: Redacted.make("AQV-evil") } }, "member:eve"))
    expect(failureTag(exit)).toBe("ConnectionNotFound")
    expect(await storedRow(connection.id)).toEqual(before)
    // Its own tenant still reads the token it stored.
    expect(Redacted.value((await repo((r) => r.credentials(tenantId, connection.id))).accessToken)).not.toBe("AQV-evil")
  })

  it("pauses manually without a taxonomy code, once, and lists the held posts with the connection", async () => {
    const { tenantId, connection } = await newConnection()
    expect(await repo((r) => r.pauseManually(tenantId, connection.id, "admin:bob", "brand review"))).toBe(true)
    expect(await repo((r) => r.pauseManually(tenantId, connection.id, "admin:bob"))).toBe(false)
    await insertPost(t.db, tenantId, connection.id, { status: "held" })
    const summary = await repo((r) => r.summary(tenantId, connection.id))
    expect(summary).toMatchObject({ status: "paused", pauseReason: null, pauseDescription: "brand review", heldPosts: 1 })
    expect((await repo((r) => r.list(tenantId, { status: "paused" }))).map((c) => c.id)).toEqual([connection.id])
    expect(await repo((r) => r.list(tenantId, { status: "active" }))).toEqual([])
    expect(await repo((r) => r.findByAccount(tenantId, "linkedin", connection.partnerAccountId))).toMatchObject({ id: connection.id })
    expect(await repo((r) => r.findByAccount(crypto.randomUUID(), "linkedin", connection.partnerAccountId))).toBeUndefined()
  })
})
