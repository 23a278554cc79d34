// The lifecycle shared by `npm start` (API and workers) and `npm run worker` (workers only): read
// configuration, build the one runtime of the process, start what the process serves, and on
// SIGTERM/SIGINT stop accepting, drain, stop the workers (in-flight jobs finish or are released),
// close the pool and stop embedded PostgreSQL. Signals are handled from the first instant.
import { Config, ConfigProvider, Effect, ManagedRuntime } from "effect"
import type { Logger } from "pino"
import { DatabaseUrl } from "../db/DatabaseUrl.ts"
import { PartnersLive } from "../jobs/connectors/PartnersLive.ts"
import { makeLogger } from "../observability/Logger.ts"
import { appLayer } from "./appLayer.ts"
import type { AppServices } from "./AppServices.ts"

const NODE_MAJOR = Number.parseInt(process.versions.node.split(".")[0] ?? "0", 10)

export const ProcessConfig = Config.all({
  shutdownGraceMs: Config.Int("SHUTDOWN_GRACE_MS").pipe(Config.withDefault(10_000)),
  logLevel: Config.Literals(["trace", "debug", "info", "warn", "error", "fatal"], "LOG_LEVEL").pipe(
    Config.withDefault("info" as const)
  )
})

export interface Started {
  /** Stops what `start` started, within the grace period; its report goes into the last log line. */
  readonly stop: (graceMs: number) => Promise<Record<string, unknown>>
}

/** What runs before the runtime: settings it adds over the environment, and how to stop it afterwards. */
export interface Prepared {
  readonly settings: Readonly<Record<string, string>>
  readonly stop: () => Promise<void>
}

const environment = (): Record<string, string> =>
  Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined))

/** `prepare`'s answer is handed to `start` as well (undefined when nothing was prepared). */
export const runProcess = <P extends Prepared = Prepared>(
  name: string,
  start: (runtime: ManagedRuntime.ManagedRuntime<AppServices, unknown>, logger: Logger, prepared: P | undefined) => Promise<Started>,
  prepare?: (logger: Logger) => Promise<P | undefined>
): void => {
  if (NODE_MAJOR < 24) {
    process.stderr.write(`postd needs Node 24 or newer, this is ${process.version}; run it through npm.\n`)
    process.exit(1)
  }
  const main = async (): Promise<void> => {
    const config = await Effect.runPromise(ProcessConfig)
    const logger = makeLogger({ level: config.logLevel, service: name })
    const prepared = await prepare?.(logger)
    const settings = prepared?.settings ?? {}
    const runtime = ManagedRuntime.make(
      appLayer({
        databaseUrl: DatabaseUrl.layer,
        partners: PartnersLive,
        logger,
        config: Object.keys(settings).length === 0 ? undefined : ConfigProvider.fromEnvRecord({ ...environment(), ...settings })
      })
    )
    let starting: Promise<Started> | undefined
    let stopping = false
    // A signal is a request to stop cleanly, whenever it comes: if `start` is still running, wait for
    // it, then stop what it started. Exit 0: a graceful stop is not a failure.
    const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
      if (stopping) return
      stopping = true
      logger.info({ signal, graceMs: config.shutdownGraceMs }, "shutting down")
      const started = await starting?.catch(() => undefined)
      const report = (await started?.stop(config.shutdownGraceMs)) ?? {}
      await runtime.dispose()
      await prepared?.stop()
      logger.info(report, "shutdown complete")
      logger.flush()
      process.exit(0)
    }
    for (const signal of ["SIGTERM", "SIGINT"] as const) process.on(signal, () => void shutdown(signal))

    // Building the runtime starts embedded PostgreSQL when needed, migrates and starts pg-boss.
    await runtime.runPromise(Effect.void)
    if (stopping) return
    starting = start(runtime, logger, prepared)
    await starting
  }
  main().catch((error: unknown) => {
    process.stderr.write(`${name} failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    process.exit(1)
  })
}
