// Runs the partner simulator on its own (local development, chaos scripts): PORT (default 4010,
// 0 for any free port) and HOST (default 127.0.0.1); prints its URL as one JSON log line and stops
// on SIGTERM/SIGINT.
import { Config, Effect } from "effect"
import { makeLogger } from "../../observability/Logger.ts"
import { startPartnerSimulator } from "./PartnerSimulator.ts"

const SimulatorConfig = Config.all({
  port: Config.Int("PORT").pipe(Config.withDefault(4010)),
  host: Config.String("HOST").pipe(Config.withDefault("127.0.0.1")),
  seed: Config.Int("SIMULATOR_SEED").pipe(Config.withDefault(20_261_123))
})

const main = async (): Promise<void> => {
  const config = await Effect.runPromise(SimulatorConfig)
  const logger = makeLogger({ level: "info", service: "partner-simulator" })
  const simulator = await startPartnerSimulator({ port: config.port, host: config.host, seed: config.seed })
  logger.info({ url: simulator.url, control: `${simulator.url}/_control` }, "partner simulator listening")
  const stop = (signal: NodeJS.Signals): void => {
    logger.info({ signal }, "partner simulator stopping")
    void simulator.close().then(() => {
      logger.flush()
      process.exit(0)
    })
  }
  process.once("SIGTERM", stop)
  process.once("SIGINT", stop)
}

main().catch((cause: unknown) => {
  process.stderr.write(`partner simulator failed to start: ${cause instanceof Error ? cause.message : String(cause)}\n`)
  process.exit(1)
})
