// Runs one of our entry points (`npm start`'s api/main.ts, `npm run worker`'s jobs/main.ts) as a real
// child process for tests: its JSON log lines collected, started when it logs its ready line, and
// stopped for sure (SIGTERM, then SIGKILL) so a failing test never leaves a process behind it.
import { type ChildProcess, spawn } from "node:child_process"
import path from "node:path"

export const API_MAIN = path.resolve(import.meta.dirname, "../../api/main.ts")
export const WORKER_MAIN = path.resolve(import.meta.dirname, "../../jobs/main.ts")

export interface ChildService {
  readonly name: string
  readonly child: ChildProcess
  /** Every JSON line the worker wrote to stdout so far. */
  readonly lines: ReadonlyArray<Record<string, unknown>>
  readonly stderr: () => string
  /** The exit, with the code or the signal that ended it. */
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>
  readonly alive: () => boolean
  /** Sends `signal` and waits for the exit. */
  readonly kill: (signal: NodeJS.Signals) => Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  readonly stop: (graceMs?: number) => Promise<void>
}

export interface SpawnOptions {
  readonly main: string
  /** The log line's `msg` that says the process is ready. */
  readonly readyMessage: string
  readonly startTimeoutMs?: number
}

/**
 * Starts `main` with exactly `env` (plus PATH and HOME): nothing of the test process's own
 * environment leaks in, so each test states the configuration it relies on.
 */
export const spawnProcess = async (
  name: string,
  env: Readonly<Record<string, string>>,
  options: SpawnOptions
): Promise<ChildService> => {
  const child = spawn(process.execPath, [options.main], {
    env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  const lines: Array<Record<string, unknown>> = []
  let stderr = ""
  let buffered = ""
  child.stdout?.on("data", (chunk: Buffer) => {
    buffered += chunk.toString("utf8")
    const parts = buffered.split("\n")
    buffered = parts.pop() ?? ""
    for (const part of parts) {
      if (part.trim() === "") continue
      try {
        lines.push(JSON.parse(part) as Record<string, unknown>)
      } catch {
        lines.push({ msg: part })
      }
    }
  })
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8")
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal }))
  )
  const alive = () => child.exitCode === null && child.signalCode === null
  const kill = async (signal: NodeJS.Signals) => {
    if (alive()) child.kill(signal)
    return exited
  }
  const stop = async (graceMs = 5_000) => {
    if (!alive()) return
    child.kill("SIGTERM")
    const timer = setTimeout(() => {
      if (alive()) child.kill("SIGKILL")
    }, graceMs)
    await exited
    clearTimeout(timer)
  }
  const service: ChildService = { name, child, lines, stderr: () => stderr, exited, alive, kill, stop }

  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000)
  while (!lines.some((l) => l["msg"] === options.readyMessage)) {
    if (!alive()) throw new Error(`${name} exited before starting: ${stderr}`)
    if (Date.now() > deadline) {
      await stop(0)
      throw new Error(`${name} did not start in time: ${stderr}`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  return service
}

/** `npm run worker`: ready once it logs "workers started". */
export const spawnWorker = (
  name: string,
  env: Readonly<Record<string, string>>,
  options: { readonly startTimeoutMs?: number } = {}
): Promise<ChildService> => spawnProcess(name, env, { main: WORKER_MAIN, readyMessage: "workers started", ...options })
