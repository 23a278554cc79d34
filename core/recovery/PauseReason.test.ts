import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { ERROR_CODES, PLATFORMS, TAXONOMY } from "../taxonomy/Taxonomy.ts"
import { buildPauseReason } from "./PauseReason.ts"

const pausing = ERROR_CODES.filter((code) => TAXONOMY[code].pausesChannel)

describe("buildPauseReason", () => {
  it("revokes on APP_DEAUTHORIZED and asks for attention on every other pausing code", () => {
    expect(buildPauseReason("APP_DEAUTHORIZED", "meta").status).toBe("revoked")
    for (const code of pausing.filter((c) => c !== "APP_DEAUTHORIZED")) {
      expect(buildPauseReason(code, "meta").status, code).toBe("attention")
    }
  })

  it("gives every pausing code its own description and recovery action", () => {
    const descriptions = new Set(pausing.map((code) => buildPauseReason(code, "linkedin").description))
    const actions = new Set(pausing.map((code) => buildPauseReason(code, "linkedin").recoveryAction))
    expect(descriptions.size).toBe(pausing.length)
    expect(actions.size).toBe(pausing.length)
  })

  it("asks for a reconnect on auth codes, including an expiry that could not be refreshed, and not on a breaker", () => {
    for (const code of ["AUTH_EXPIRED", "AUTH_INVALID", "APP_DEAUTHORIZED", "PERMISSION_INSUFFICIENT", "TOKEN_REFRESH_FAILED"] as const) {
      expect(buildPauseReason(code, "tiktok").requiresReauth, code).toBe(true)
    }
    for (const code of ["ACCOUNT_RESTRICTED", "RESOURCE_NOT_FOUND", "CIRCUIT_BREAKER_OPEN"] as const) {
      expect(buildPauseReason(code, "tiktok").requiresReauth, code).toBe(false)
    }
  })

  it("names the platform, or 'the partner' when none is given", () => {
    expect(buildPauseReason("TOKEN_REFRESH_FAILED", "gbp").description).toContain("Google Business Profile")
    expect(buildPauseReason("TOKEN_REFRESH_FAILED").description).toContain("the partner")
  })

  it("answers every code on every platform with filled-in, non-empty wording", () => {
    fc.assert(
      fc.property(fc.constantFrom(...ERROR_CODES), fc.option(fc.constantFrom(...PLATFORMS), { nil: undefined }), (code, platform) => {
        const reason = buildPauseReason(code, platform)
        expect(reason.code).toBe(code)
        expect(reason.description.length).toBeGreaterThan(10)
        expect(reason.recoveryAction.length).toBeGreaterThan(10)
        expect(`${reason.description} ${reason.recoveryAction}`).not.toContain("{platform}")
        expect(reason.requiresReauth).toBe(TAXONOMY[code].requiresReauth || code === "AUTH_EXPIRED")
      })
    )
  })
})
