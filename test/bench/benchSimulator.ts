// The partner simulator for a benchmark, either in the benchmark's own process or as a child process
// (chaos/simulator/main.ts), so its HTTP work can be kept off the event loop that runs the workers.
import { type ChildProcess, spawn } from "node:child_process"
import { once } from "node:events"
import path from "node:path"
import { createInterface } from "node:readline"
import { startPartnerSimulator } from "../../chaos/simulator/PartnerSimulator.ts"
import { SimulatorControl } from "../../chaos/simulator/SimulatorControl.ts"

export type SimulatorMode = "in-process" | "child"

export interface BenchSimulator {
  readonly mode: SimulatorMode
  readonly url: string
  readonly control: SimulatorControl
  readonly close: () => Promise<void>
}

const START_TIMEOUT_MS = 15_000

const parseJson = (line: string): unknown => {
  try {
    return JSON.parse(line)
  } catch {
    return undefined
  }
}

const urlFromLogs = (child: ChildProcess): Promise<string> =>
  new Promise((resolve, reject) => {
    const stdout = child.stdout
    if (stdout === null) {
      reject(new Error("the simulator's stdout is not piped"))
      return
    }
    const timer = setTimeout(() => reject(new Error("the simulator did not print its URL in time")), START_TIMEOUT_MS)
    child.once("exit", (code) => reject(new Error(`the simulator exited with ${code} before listening`)))
    // Later lines are read and dropped, so a full pipe can never block the child.
    createInterface({ input: stdout }).on("line", (line) => {
      const parsed = parseJson(line)
      if (typeof parsed === "object" && parsed !== null && "url" in parsed && typeof parsed.url === "string") {
        clearTimeout(timer)
        resolve(parsed.url)
      }
    })
  })

export const startBenchSimulator = async (mode: SimulatorMode): Promise<BenchSimulator> => {
  if (mode === "in-process") {
    const sim = await startPartnerSimulator()
    return { mode, url: sim.url, control: sim.control, close: () => sim.close() }
  }
  const main = path.resolve(import.meta.dirname, "../../chaos/simulator/main.ts")
  const child = spawn(process.execPath, [main], { env: { ...process.env, PORT: "0" }, stdio: ["ignore", "pipe", "inherit"] })
  const url = await urlFromLogs(child).catch((e: unknown) => {
    child.kill("SIGKILL")
    throw e
  })
  return {
    mode,
    url,
    control: new SimulatorControl(url),
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = once(child, "exit")
      child.kill("SIGTERM")
      await exited
    }
  }
}
