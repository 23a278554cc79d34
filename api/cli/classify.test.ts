// Runs the real `classify` command as a child process and checks what an operator or a script sees:
// stdout, stderr and the exit code, for every mode and for bad input.
import { spawn } from "node:child_process"
import { readFileSync } from "node:fs"
import path from "node:path"
import { describe, expect, it } from "vitest"
import { ACTION_MEANINGS, ERROR_CODES, TAXONOMY } from "../../core/taxonomy/Taxonomy.ts"

const ROOT = path.resolve(import.meta.dirname, "../..")
const NODE = path.join(ROOT, "node_modules/.bin/node")
const SCRIPT = path.join(ROOT, "api/cli/classify.ts")
const CORPUS = readFileSync(path.join(ROOT, "test/fixtures/partner-errors.sample.jsonl"), "utf8")

interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

const classify = (args: ReadonlyArray<string>, stdin = ""): Promise<Run> =>
  new Promise((resolve, reject) => {
    const child = spawn(NODE, [SCRIPT, ...args], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk
    })
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk
    })
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(stdin)
  })

const expectUsageError = (run: Run, message: RegExp): void => {
  expect(run.code).toBe(2)
  expect(run.stdout).toBe("")
  const [first, ...rest] = run.stderr.trim().split("\n")
  expect(first).toMatch(/^classify: /)
  expect(first).toMatch(message)
  expect(rest.join("\n")).toContain("usage:")
}

describe.concurrent("classify one response", () => {
  it("prints the classification of a Meta 190/463 as JSON and exits 0", async () => {
    const run = await classify([
      "--platform",
      "meta",
      "--status",
      "400",
      "--body",
      '{"error":{"code":190,"error_subcode":463,"message":"Session has expired","fbtrace_id":"TRACE1"}}'
    ])
    expect(run.code).toBe(0)
    expect(run.stderr).toBe("")
    expect(JSON.parse(run.stdout)).toMatchObject({
      code: "AUTH_EXPIRED",
      action: "REFRESH_TOKEN",
      platform: "meta",
      httpStatus: 400,
      partnerCode: "190/463",
      requestId: "TRACE1",
      reason: "meta code 190 subcode 463: token expired"
    })
  })

  it("takes repeatable headers and a text body, and honours Retry-After", async () => {
    const run = await classify([
      "--platform",
      "mailchimp",
      "--status=503",
      "--body",
      "<html>Service Unavailable</html>",
      "--header",
      "Retry-After: 30",
      "--header",
      "X-Request-Id: req-42"
    ])
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({ code: "PARTNER_UNAVAILABLE", retryAfterMs: 30_000, requestId: "req-42" })
  })

  it("classifies a response with no body by its status", async () => {
    const run = await classify(["--platform", "gbp", "--status", "504"])
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout).code).toBe("TIMEOUT")
  })

  it("uses --now for the LinkedIn DAY limit deferral to midnight UTC", async () => {
    const body = '{"status":429,"serviceErrorCode":101,"message":"Resource level throttle APPLICATION DAY limit for calls to this resource is reached."}'
    const run = await classify(["--platform", "linkedin", "--status", "429", "--body", body, "--now", "2026-03-10T18:30:00Z"])
    expect(JSON.parse(run.stdout)).toMatchObject({ code: "QUOTA_EXCEEDED", retryAfterMs: 5.5 * 3_600_000 })
  })

  it("classifies a network error from --error-code and --message", async () => {
    const run = await classify(["--platform", "tiktok", "--error-code", "ENOTFOUND", "--message", "getaddrinfo ENOTFOUND open.tiktokapis.com"])
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({ code: "NETWORK_ERROR", platform: "tiktok", partnerCode: "ENOTFOUND" })
  })
})

describe.concurrent("classify --taxonomy", () => {
  it("prints every code's entry and every action's meaning", async () => {
    const run = await classify(["--taxonomy"])
    expect(run.code).toBe(0)
    const printed = JSON.parse(run.stdout)
    expect(Object.keys(printed.codes)).toEqual([...ERROR_CODES])
    expect(printed.codes).toEqual(JSON.parse(JSON.stringify(TAXONOMY)))
    expect(printed.actions).toEqual(ACTION_MEANINGS)
  })
})

describe.concurrent("classify --jsonl", () => {
  it("classifies the whole corpus, reports a bad line in the middle and carries on", async () => {
    const lines = CORPUS.split("\n").filter((line) => line.trim() !== "")
    const middle = Math.floor(lines.length / 2)
    const input = [...lines.slice(0, middle), "{this is not json", "", ...lines.slice(middle)].join("\n")
    const run = await classify(["--jsonl"], `${input}\n`)
    expect(run.code).toBe(0)
    expect(run.stderr).toBe("")
    const out = run.stdout.trim().split("\n").map((line) => JSON.parse(line))
    expect(out).toHaveLength(lines.length + 1)
    expect(out[middle]).toEqual({ id: null, error: "invalid JSON" })
    const results = [...out.slice(0, middle), ...out.slice(middle + 1)]
    lines.forEach((line, i) => {
      const expected = JSON.parse(line)
      const result = results[i]
      expect(result.id).toBe(expected.id)
      expect([expected.expected, ...expected.acceptable]).toContain(result.code)
      expect(result.action).toBe(TAXONOMY[result.code as keyof typeof TAXONOMY].action)
      expect(Object.keys(result).sort()).toEqual(
        ["action", "code", "id", "pausesChannel", "retryable", ...(result.retryAfterMs === undefined ? [] : ["retryAfterMs"])].sort()
      )
    })
  })

  it("names what is wrong with each bad line, keeping its id when it has one", async () => {
    const input = [
      '{"id":"a","platform":"myspace","status":400,"headers":{},"body":null}',
      '{"id":"b","status":400}',
      '{"id":"c","platform":"meta","status":"400"}',
      '{"id":"d","platform":"gbp","error":{"code":42}}',
      "[1,2,3]",
      '{"id":"e","platform":"tiktok","status":429,"headers":{},"body":{"error":{"code":"rate_limit_exceeded"}},"expected":"RATE_LIMIT_429","source":"ignored"}'
    ].join("\r\n")
    const run = await classify(["--jsonl"], input)
    expect(run.code).toBe(0)
    const out = run.stdout.trim().split("\n").map((line) => JSON.parse(line))
    expect(out[0]).toMatchObject({ id: "a", error: expect.stringContaining("platform") })
    expect(out[1]).toMatchObject({ id: "b", error: expect.stringMatching(/missing key.*platform/i) })
    expect(out[2]).toMatchObject({ id: "c", error: expect.stringContaining("status") })
    expect(out[3]).toMatchObject({ id: "d", error: expect.stringContaining("code") })
    expect(out[4]).toMatchObject({ id: null, error: expect.any(String) })
    expect(out[5]).toEqual({ id: "e", code: "RATE_LIMIT_429", action: "RETRY_AFTER_WINDOW", retryable: true, pausesChannel: false, retryAfterMs: 60_000 })
  })

  it("prints nothing for empty input", async () => {
    const run = await classify(["--jsonl"], "\n\n")
    expect(run).toEqual({ code: 0, stdout: "", stderr: "" })
  })
})

describe.concurrent("bad arguments", () => {
  it.each([
    [["--platform", "meta", "--status", "400", "--verbose"], /unknown flag --verbose/],
    [["--status", "400"], /missing --platform/],
    [["--platform", "meta"], /missing --status/],
    [["--platform", "myspace", "--status", "400"], /unknown platform "myspace"/],
    [["--platform", "meta", "--status", "4.5"], /--status must be an integer/],
    [["--platform", "meta", "--status", "abc"], /--status must be an integer/],
    [["--platform", "meta", "--status", "999"], /between 100 and 599/],
    [[], /no mode given/],
    [["--platform", "meta", "--status", "400", "--header", "retry-after 30"], /--header must look like 'name: value'/],
    [["--jsonl", "--taxonomy"], /conflicting modes: --jsonl and --taxonomy/],
    [["--platform", "meta", "--status", "400", "--error-code", "ECONNRESET"], /conflicting modes/],
    [["--taxonomy", "--platform", "meta"], /--platform cannot be used with --taxonomy/],
    [["--platform", "meta", "--error-code", "ECONNRESET", "--body", "{}"], /--body cannot be used with --error-code/],
    [["--platform", "meta", "--status"], /--status needs a value/],
    [["--platform", "meta", "--platform", "gbp", "--status", "400"], /--platform given more than once/],
    [["meta", "400"], /unexpected argument "meta"/]
  ])("rejects %j with exit 2, a one-line reason and the usage", async (args, message) => {
    expectUsageError(await classify(args), message)
  })

  it("prints the usage on --help and exits 0", async () => {
    const run = await classify(["--help"])
    expect(run.code).toBe(0)
    expect(run.stdout).toContain("usage:")
    expect(run.stdout).toContain("--jsonl")
    expect(run.stderr).toBe("")
  })
})
