// Every case of the shared partner-error corpus must classify to its expected code or one of its
// acceptable alternatives.
import { readFileSync } from "node:fs"
import path from "node:path"
import { describe, expect, it } from "vitest"
import { classifyFailure, classifyResponse } from "./Classifier.ts"
import type { Classification } from "../taxonomy/Classification.ts"
import { isErrorCode, PLATFORMS, type Platform } from "../taxonomy/Taxonomy.ts"

interface CorpusCase {
  readonly id: string
  readonly platform: Platform
  readonly status: number | null
  readonly headers: Readonly<Record<string, string>>
  readonly body: unknown
  readonly error?: { readonly code: string; readonly message: string }
  readonly expected: string
  readonly acceptable: ReadonlyArray<string>
}

const FIXTURE = path.resolve(import.meta.dirname, "../../test/fixtures/partner-errors.sample.jsonl")

const cases: ReadonlyArray<CorpusCase> = readFileSync(FIXTURE, "utf8")
  .split("\n")
  .filter((line) => line.trim() !== "")
  .map((line) => JSON.parse(line) as CorpusCase)

const classify = (c: CorpusCase): Classification =>
  c.error !== undefined
    ? classifyFailure({ platform: c.platform, error: c.error })
    : classifyResponse({ platform: c.platform, status: c.status ?? Number.NaN, headers: c.headers, body: c.body })

describe("the partner-error corpus", () => {
  it("holds well-formed cases for every platform", () => {
    expect(cases.length).toBeGreaterThanOrEqual(27)
    for (const c of cases) {
      expect(PLATFORMS).toContain(c.platform)
      expect(isErrorCode(c.expected)).toBe(true)
      for (const code of c.acceptable) expect(isErrorCode(code)).toBe(true)
    }
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length)
  })

  it.each(cases.map((c) => [c.id, c] as const))("%s", (_id, c) => {
    const result = classify(c)
    expect([c.expected, ...c.acceptable]).toContain(result.code)
    expect(result.platform).toBe(c.platform)
    expect(result.reason).not.toBe("")
  })

  it("lands on the expected code itself for every case (no case relies on an alternative)", () => {
    const off = cases.filter((c) => classify(c).code !== c.expected).map((c) => c.id)
    expect(off).toEqual([])
  })
})
