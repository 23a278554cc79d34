// The taxonomy in code is checked against the contract's own text (shared/spec/taxonomy.md), so a
// drift between the two fails the build rather than a partner call in production.
import { readFileSync } from "node:fs"
import path from "node:path"
import { Schema } from "effect"
import { describe, expect, it } from "vitest"
import { classificationOf, toTaxonomyError } from "./Classification.ts"
import { ACTION_MEANINGS, ERROR_ACTIONS, ERROR_CODES, type ErrorCode, TAXONOMY, type TaxonomyEntry } from "./Taxonomy.ts"
import {
  AuthExpired,
  ERROR_CLASSES,
  type ErrorClassRegistry,
  isTaxonomyError,
  RateLimited,
  TaxonomyError
} from "./TaxonomyError.ts"

const CONTRACT = readFileSync(path.resolve(import.meta.dirname, "../../../shared/spec/taxonomy.md"), "utf8")

const tableRows = (heading: string): Array<Array<string>> => {
  const section = CONTRACT.split(/^## /m).find((s) => s.startsWith(heading))
  if (section === undefined) throw new Error(`no section ${heading} in taxonomy.md`)
  return section
    .split("\n")
    .filter((line) => line.startsWith("| `"))
    .map((line) =>
      line
        .split("|")
        .slice(1, -1)
        .map((cell) => cell.trim().replaceAll("`", ""))
    )
}

const codeRows = tableRows("Codes")
const actionRows = tableRows("Actions")

describe("the taxonomy matches the contract in taxonomy.md", () => {
  it("has exactly the contract's 23 codes and 8 actions, in its order", () => {
    expect(codeRows.map((r) => r[0])).toEqual([...ERROR_CODES])
    expect(ERROR_CODES).toHaveLength(23)
    expect(actionRows.map((r) => r[0])).toEqual([...ERROR_ACTIONS])
    expect(ERROR_ACTIONS).toHaveLength(8)
    expect(Object.keys(ACTION_MEANINGS).sort()).toEqual([...ERROR_ACTIONS].sort())
  })

  it.each(codeRows)("%s has the contract's category, action, retryability, pause and severity", (code, category, action, retryable, pauses, severity) => {
    const entry: TaxonomyEntry = TAXONOMY[code as ErrorCode]
    expect(entry.code).toBe(code)
    expect(entry.category).toBe(category)
    expect(entry.action).toBe(action)
    expect(entry.severity).toBe(severity)
    expect(entry.pausesChannel).toBe(pauses?.startsWith("yes"))
    // "after refresh only" (AUTH_EXPIRED) is not a blind retry: the schedule never retries it.
    expect(entry.retryable).toBe(retryable?.startsWith("yes"))
    const defaultRetries = retryable?.match(/default (\d+)/)?.[1]
    if (defaultRetries !== undefined) expect(entry.maxRetries).toBe(Number(defaultRetries))
  })

  it("takes RATE_LIMIT_429's documented backoff: base 1000 ms, multiplier 2", () => {
    expect(TAXONOMY.RATE_LIMIT_429).toMatchObject({ backoffBaseMs: 1000, backoffMultiplier: 2 })
  })

  it("gives every code a plain-language user message and sane retry numbers", () => {
    for (const code of ERROR_CODES) {
      const e = TAXONOMY[code]
      expect(e.userMessage.length).toBeGreaterThan(20)
      expect(e.maxRetries).toBeGreaterThanOrEqual(0)
      expect(e.backoffCapMs).toBeGreaterThanOrEqual(e.backoffBaseMs)
      if (!e.retryable && code !== "AUTH_EXPIRED") expect(e.maxRetries).toBe(0)
      if (e.requiresReauth) expect(e.action).toBe("TRIGGER_RECONNECT")
    }
  })
})

describe("one tagged error class per code", () => {
  it("registers a class for every code whose tag is the code", () => {
    expect(Object.keys(ERROR_CLASSES).sort()).toEqual([...ERROR_CODES].sort())
    for (const code of ERROR_CODES) {
      const error = new ERROR_CLASSES[code]({ message: "m" })
      expect(error._tag).toBe(code)
      expect(error).toBeInstanceOf(Error)
      expect(isTaxonomyError(error)).toBe(true)
    }
    expect(new Set(Object.values(ERROR_CLASSES)).size).toBe(23)
  })

  it("makes a missing code, an extra key or a class under the wrong code a type error", () => {
    // @ts-expect-error: a registry without every code does not typecheck
    const missing: ErrorClassRegistry = { AUTH_EXPIRED: AuthExpired }
    // @ts-expect-error: a class filed under another code does not typecheck
    const misfiled: ErrorClassRegistry = { ...ERROR_CLASSES, AUTH_EXPIRED: RateLimited }
    // @ts-expect-error: a key that is not a code does not typecheck
    const extra: ErrorClassRegistry = { ...ERROR_CLASSES, TOKEN_GONE: AuthExpired }
    expect([missing, misfiled, extra]).toHaveLength(3)
  })

  it("round-trips every error through its Schema, as a job payload or DLQ row would carry it", () => {
    const encode = Schema.encodeUnknownSync(TaxonomyError)
    const decode = Schema.decodeUnknownSync(TaxonomyError)
    for (const code of ERROR_CODES) {
      const error = new ERROR_CLASSES[code]({ message: "boom", platform: "tiktok", httpStatus: 503, retryAfterMs: 5 })
      const back = decode(JSON.parse(JSON.stringify(encode(error))))
      expect(back._tag).toBe(code)
      expect(back).toMatchObject({ message: "boom", platform: "tiktok", httpStatus: 503, retryAfterMs: 5 })
    }
  })

  it("refuses a negative or non-finite retry hint on an error", () => {
    expect(() => new RateLimited({ message: "m", retryAfterMs: -1 })).toThrow()
    expect(() => new RateLimited({ message: "m", retryAfterMs: Number.POSITIVE_INFINITY })).toThrow()
  })
})

describe("classifications", () => {
  it("fill every field from the entry and the platform into the user message", () => {
    const c = classificationOf("AUTH_INVALID", { reason: "linkedin 65600", platform: "linkedin", httpStatus: 401 })
    expect(c).toMatchObject({
      code: "AUTH_INVALID",
      action: "TRIGGER_RECONNECT",
      pausesChannel: true,
      requiresReauth: true,
      httpStatus: 401
    })
    expect(c.userMessage).toContain("LinkedIn")
    expect(c.userMessage).not.toContain("{platform}")
    expect(c).not.toHaveProperty("retryAfterMs")
  })

  it("become the typed error of their code, keeping the operator's evidence", () => {
    const error = toTaxonomyError(
      classificationOf("AUTH_EXPIRED", { reason: "meta 190/463", platform: "meta", partnerCode: "190/463", retryAfterMs: 0 })
    )
    expect(error).toBeInstanceOf(AuthExpired)
    expect(error).toMatchObject({ message: "meta 190/463", partnerCode: "190/463", platform: "meta", retryAfterMs: 0 })
  })
})
