// The server's composition root: reads configuration, builds the one runtime of the process
// (database — embedded when DATABASE_URL is unset — migrations, flags, metrics, logging), serves HTTP,
// and on SIGTERM/SIGINT stops accepting, drains, closes the pool and stops embedded PostgreSQL.
import { Config, Effect, ManagedRuntime } from "effect"
import { DatabaseUrl } from "../db/DatabaseUrl.ts"
import { makeLogger } from "../observability/Logger.ts"
import { MetricRecorder } from "../observability/MetricRecorder.ts"
import { appLayer } from "./appLayer.ts"
import { type RunningHttpServer, startHttpServer } from "./httpServer.ts"
import { databaseReadiness } from "./readiness.ts"

const NODE_MAJOR = Number.parseInt(process.versions.node.split(".")[0] ?? "0", 10)
if (NODE_MAJOR < 24) {
  process.stderr.write(`postd needs Node 24 or newer, this is ${process.version}; run it with "npm start".\n`)
  process.exit(1)
}

const ServerConfig = Config.all({
  port: Config.Port("PORT").pipe(Config.withDefault(3000)),
  host: Config.String("HOST").pipe(Config.withDefault("127.0.0.1")),
  shutdownGraceMs: Config.Int("SHUTDOWN_GRACE_MS").pipe(Config.withDefault(10_000)),
  logLevel: Config.Literals(["trace", "debug", "info", "warn", "error", "fatal"], "LOG_LEVEL").pipe(
    Config.withDefault("info" as const)
  )
})

const main = async (): Promise<void> => {
  const config = await Effect.runPromise(ServerConfig)
  const logger = makeLogger({ level: config.logLevel })
  const runtime = ManagedRuntime.make(appLayer({ databaseUrl: DatabaseUrl.layer, logger }))
  let server: RunningHttpServer | undefined

  // Signals are handled from the first instant, so a stop during start-up still closes the pool and
  // stops embedded PostgreSQL. Order: stop accepting, drain, close the pool, stop PostgreSQL.
  let stopping = false
  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) return
    stopping = true
    logger.info({ signal, graceMs: config.shutdownGraceMs }, "shutting down")
    const { drained, abandoned } = (await server?.close(config.shutdownGraceMs)) ?? { drained: true, abandoned: 0 }
    await runtime.dispose()
    logger.info({ drained, abandoned }, "shutdown complete")
    logger.flush()
    process.exit(server === undefined ? 1 : 0)
  }
  for (const signal of ["SIGTERM", "SIGINT"] as const) process.on(signal, () => void shutdown(signal))

  // Building the runtime starts embedded PostgreSQL when needed and migrates; fail fast if it cannot.
  await runtime.runPromise(Effect.void)
  if (stopping) return
  server = await startHttpServer({
    runtime,
    logger,
    port: config.port,
    host: config.host,
    readiness: databaseReadiness(runtime),
    metrics: () => runtime.runPromise(MetricRecorder.use((m) => m.scrape))
  })
  logger.info({ url: server.url, trpc: `${server.url}/trpc` }, "listening")
}

main().catch((error: unknown) => {
  process.stderr.write(`postd failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  process.exit(1)
})
