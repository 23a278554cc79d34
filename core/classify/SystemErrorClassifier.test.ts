// Failures without a response: Node system errors, undici's `fetch failed` cause chains, axios codes,
// and the DOMExceptions of AbortSignal.
import { describe, expect, it } from "vitest"
import { classifyFailure } from "./Classifier.ts"

const withCode = (code: string, message = `${code} happened`) => Object.assign(new Error(message), { code })

describe("system error codes", () => {
  it.each([
    ["ECONNRESET", "NETWORK_ERROR"],
    ["ECONNREFUSED", "NETWORK_ERROR"],
    ["EPIPE", "NETWORK_ERROR"],
    ["EHOSTUNREACH", "NETWORK_ERROR"],
    ["ENETUNREACH", "NETWORK_ERROR"],
    ["ENOTFOUND", "NETWORK_ERROR"],
    ["EAI_AGAIN", "NETWORK_ERROR"],
    ["UND_ERR_SOCKET", "NETWORK_ERROR"],
    ["ETIMEDOUT", "TIMEOUT"],
    ["ECONNABORTED", "TIMEOUT"],
    ["UND_ERR_CONNECT_TIMEOUT", "TIMEOUT"],
    ["UND_ERR_HEADERS_TIMEOUT", "TIMEOUT"],
    ["UND_ERR_BODY_TIMEOUT", "TIMEOUT"],
    ["CERT_HAS_EXPIRED", "TLS_ERROR"],
    ["UNABLE_TO_VERIFY_LEAF_SIGNATURE", "TLS_ERROR"],
    ["ERR_TLS_CERT_ALTNAME_INVALID", "TLS_ERROR"],
    ["SELF_SIGNED_CERT_IN_CHAIN", "TLS_ERROR"]
  ] as const)("reads err.code %s as %s", (code, expected) => {
    const c = classifyFailure({ platform: "meta", error: withCode(code) })
    expect(c.code).toBe(expected)
    expect(c.partnerCode).toBe(code)
    expect(c.platform).toBe("meta")
  })

  it("reads a plain {code, message} object as thrown by the corpus", () => {
    expect(classifyFailure({ error: { code: "ECONNRESET", message: "socket hang up" } }).code).toBe("NETWORK_ERROR")
  })
})

describe("undici / fetch cause chains", () => {
  it("reads `TypeError: fetch failed` by its cause's code", () => {
    const error = new TypeError("fetch failed", { cause: withCode("UND_ERR_CONNECT_TIMEOUT", "Connect Timeout Error") })
    expect(classifyFailure({ platform: "linkedin", error }).code).toBe("TIMEOUT")
  })

  it("follows causes a few levels down and into AggregateError (one error per address tried)", () => {
    const aggregate = new AggregateError([withCode("ECONNREFUSED"), withCode("ECONNREFUSED")], "connect failed")
    const error = new TypeError("fetch failed", { cause: new Error("wrapper", { cause: aggregate }) })
    expect(classifyFailure({ platform: "tiktok", error }).code).toBe("NETWORK_ERROR")
  })

  it("survives a cause cycle", () => {
    const a: { code?: string; cause?: unknown; message: string } = { message: "a" }
    const b = { message: "b", cause: a }
    a.cause = b
    expect(classifyFailure({ error: a }).code).toBe("UNKNOWN")
  })
})

describe("AbortSignal timeouts versus our own cancellation", () => {
  it("reads the DOMException TimeoutError from AbortSignal.timeout() as TIMEOUT", () => {
    const error = new DOMException("The operation was aborted due to timeout", "TimeoutError")
    expect(classifyFailure({ platform: "gbp", error }).code).toBe("TIMEOUT")
  })

  it("keeps a bare AbortError (our cancellation) out of TIMEOUT", () => {
    const error = new DOMException("This operation was aborted", "AbortError")
    const c = classifyFailure({ platform: "gbp", error })
    expect(c.code).toBe("UNKNOWN")
    expect(c.reason).toContain("cancelled by us")
  })

  it("reads an AbortError caused by a timeout signal as TIMEOUT", () => {
    const error = Object.assign(new Error("aborted"), {
      name: "AbortError",
      code: "ABORT_ERR",
      cause: new DOMException("signal timed out", "TimeoutError")
    })
    expect(classifyFailure({ error }).code).toBe("TIMEOUT")
  })

  it("keeps axios's ERR_CANCELED out of TIMEOUT", () => {
    const error = Object.assign(new Error("canceled"), { name: "CanceledError", code: "ERR_CANCELED" })
    expect(classifyFailure({ error }).code).toBe("UNKNOWN")
  })
})

describe("axios errors", () => {
  it("reads axios's ECONNABORTED timeout as TIMEOUT", () => {
    expect(classifyFailure({ error: withCode("ECONNABORTED", "timeout of 10000ms exceeded") }).code).toBe("TIMEOUT")
  })

  it("classifies an axios error that carries the partner's response as that response", () => {
    const error = Object.assign(new Error("Request failed with status code 401"), {
      code: "ERR_BAD_REQUEST",
      response: {
        status: 401,
        headers: { "x-li-request-id": "li-7" },
        data: { status: 401, serviceErrorCode: 65602, message: "The token used in the request has expired" }
      }
    })
    const c = classifyFailure({ platform: "linkedin", error })
    expect(c).toMatchObject({ code: "AUTH_EXPIRED", httpStatus: 401, requestId: "li-7", partnerCode: "65602" })
  })
})

describe("message patterns, only as a last resort", () => {
  it.each([
    ["socket hang up", "NETWORK_ERROR"],
    ["other side closed", "NETWORK_ERROR"],
    ["read ECONNRESET", "NETWORK_ERROR"],
    ["connect ETIMEDOUT 157.240.1.35:443", "TIMEOUT"],
    ["timeout of 5000ms exceeded", "TIMEOUT"],
    ["unable to verify the first certificate", "TLS_ERROR"]
  ] as const)("reads a code-less error saying %j as %s", (message, expected) => {
    expect(classifyFailure({ error: new Error(message) }).code).toBe(expected)
  })

  it("prefers the code over a misleading message", () => {
    expect(classifyFailure({ error: withCode("CERT_HAS_EXPIRED", "socket hang up") }).code).toBe("TLS_ERROR")
  })

  it("reads anything else as UNKNOWN, thrown strings and nulls included", () => {
    expect(classifyFailure({ error: new Error("boom") }).code).toBe("UNKNOWN")
    expect(classifyFailure({ error: null }).code).toBe("UNKNOWN")
    expect(classifyFailure({ error: "ECONNREFUSED" }).code).toBe("NETWORK_ERROR")
    expect(classifyFailure({ error: 42 }).code).toBe("UNKNOWN")
  })

  it("survives an error whose properties throw when read", () => {
    const hostile = new Proxy(
      {},
      {
        get: () => {
          throw new Error("no")
        },
        has: () => {
          throw new Error("no")
        }
      }
    )
    expect(classifyFailure({ platform: "meta", error: hostile })).toMatchObject({ code: "UNKNOWN", platform: "meta" })
  })
})
