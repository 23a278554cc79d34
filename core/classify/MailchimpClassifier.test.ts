// Mailchimp shapes beyond the corpus: every row of the status + title table and the two documented
// detail sub-cases.
import { describe, expect, it } from "vitest"
import { classifyResponse } from "./Classifier.ts"
import type { Classification } from "../taxonomy/Classification.ts"

const mailchimp = (status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): Classification =>
  classifyResponse({ platform: "mailchimp", status, headers, body })

const problem = (status: number, title: string, detail = "detail", type = "https://mailchimp.com/developer/marketing/docs/errors/") => ({
  type,
  title,
  status,
  detail,
  instance: "0c3a1b2c-3d4e-5f60-7182-93a4b5c6d7e8"
})

describe("Mailchimp status + title", () => {
  it.each([
    [401, "API Key Missing", "AUTH_INVALID"],
    [401, "API Key Invalid", "AUTH_INVALID"],
    [403, "User Disabled", "ACCOUNT_RESTRICTED"],
    [403, "Forbidden", "PERMISSION_INSUFFICIENT"],
    [403, "User action not permitted", "PERMISSION_INSUFFICIENT"],
    [403, "Wrong Datacenter", "VALIDATION_ERROR"],
    [404, "Resource Not Found", "RESOURCE_NOT_FOUND"],
    [400, "Member Exists", "DUPLICATE_CONTENT"],
    [400, "Member In Compliance State", "CONTENT_REJECTED"],
    [400, "Forgotten Email Not Subscribed", "CONTENT_REJECTED"],
    [400, "Invalid Resource", "VALIDATION_ERROR"],
    [400, "Bad Request", "VALIDATION_ERROR"],
    [400, "JSON Parse Error", "VALIDATION_ERROR"],
    [405, "Method Not Allowed", "VALIDATION_ERROR"],
    [429, "Too Many Requests", "RATE_LIMIT_429"],
    [500, "Internal Server Error", "PARTNER_5XX"]
  ] as const)("reads %i %s as %s", (status, title, expected) => {
    const c = mailchimp(status, problem(status, title))
    expect(c.code).toBe(expected)
    expect(c.partnerCode).toBe(title)
  })

  it("reads the glossary's run-together titles the same (APIKeyInvalid)", () => {
    expect(mailchimp(401, problem(401, "APIKeyInvalid")).code).toBe("AUTH_INVALID")
  })

  it("reads a body without `type` (Forgotten Email Not Subscribed) and the about:blank 500", () => {
    expect(mailchimp(400, { title: "Forgotten Email Not Subscribed", status: 400, detail: "x was permanently deleted" }).code).toBe(
      "CONTENT_REJECTED"
    )
    expect(mailchimp(500, problem(500, "Internal Server Error", "An unexpected error occurred", "about:blank")).code).toBe("PARTNER_5XX")
  })

  it("pauses on the 503 compliance-disabled method instead of retrying it", () => {
    expect(mailchimp(503, problem(503, "ComplianceRelated", "This method has been disabled.")).code).toBe("ACCOUNT_RESTRICTED")
  })

  it("keeps X-Request-Id, else the problem's instance, as the request id", () => {
    expect(mailchimp(405, problem(405, "Method Not Allowed"), { "X-Request-Id": "req-9" }).requestId).toBe("req-9")
    expect(mailchimp(405, problem(405, "Method Not Allowed")).requestId).toBe("0c3a1b2c-3d4e-5f60-7182-93a4b5c6d7e8")
  })
})

describe("Mailchimp detail sub-cases", () => {
  it("reads Invalid Resource 'signed up to a lot of lists' as CONTENT_REJECTED", () => {
    const detail = "jane.doe@example.com has signed up to a lot of lists very recently; we're not allowing more signups for now"
    expect(mailchimp(400, problem(400, "Invalid Resource", detail)).code).toBe("CONTENT_REJECTED")
  })

  it("reads Invalid Resource 'looks fake or invalid' as CONTENT_REJECTED", () => {
    const detail = "test@test.com looks fake or invalid, please enter a real email address."
    expect(mailchimp(400, problem(400, "Invalid Resource", detail)).code).toBe("CONTENT_REJECTED")
  })

  it("does not let a detail override a specific title", () => {
    expect(mailchimp(400, problem(400, "Member Exists", "x looks fake or invalid")).code).toBe("DUPLICATE_CONTENT")
  })

  it("never puts the e-mail address from the detail into the reason", () => {
    const c = mailchimp(400, problem(400, "Invalid Resource", "jane.doe@example.com has signed up to a lot of lists very recently"))
    expect(c.reason).not.toContain("@")
  })
})

describe("Mailchimp without a problem body", () => {
  it("falls back to the status family", () => {
    expect(mailchimp(429, "").code).toBe("RATE_LIMIT_429")
    expect(mailchimp(503, "<html>Service Unavailable</html>").code).toBe("PARTNER_UNAVAILABLE")
    expect(mailchimp(401, null).code).toBe("AUTH_INVALID")
    expect(mailchimp(422, problem(422, "Some Future Title")).code).toBe("VALIDATION_ERROR")
  })
})
