import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { pkceS256, redirectAllowed } from "./OAuthFlow.ts"
import type { App } from "./SimulatorState.ts"

const app = (over: Partial<App> = {}): App => ({
  platform: "gbp",
  clientId: "c",
  clientSecret: "s",
  redirectUris: ["https://app.example/cb"],
  anyLoopbackRedirect: false,
  ...over
})

describe("pkceS256", () => {
  it("matches RFC 7636's worked example", () => {
    expect(pkceS256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).toBe("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
  })

  it("is unpadded base64url of 32 bytes for any verifier", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 43, maxLength: 128 }), (verifier) => {
        expect(pkceS256(verifier)).toMatch(/^[A-Za-z0-9_-]{43}$/)
      })
    )
  })
})

describe("redirectAllowed", () => {
  it("accepts registered redirects exactly, and loopback ones only for apps that allow them", () => {
    expect(redirectAllowed(app(), "https://app.example/cb")).toBe(true)
    expect(redirectAllowed(app(), "https://app.example/cb/other")).toBe(false)
    expect(redirectAllowed(app(), "http://127.0.0.1:8080/cb")).toBe(false)
    const loopback = app({ anyLoopbackRedirect: true })
    for (const uri of ["http://127.0.0.1:8080/cb", "http://localhost/cb", "http://127.0.0.1", "http://localhost:3000?x=1"]) {
      expect(redirectAllowed(loopback, uri)).toBe(true)
    }
    for (const uri of ["https://127.0.0.1/cb", "http://127.0.0.1.evil.example/cb", "http://localhost.evil.example/", "http://10.0.0.1/cb"]) {
      expect(redirectAllowed(loopback, uri)).toBe(false)
    }
  })
})
