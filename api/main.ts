// `npm start`: the HTTP API and, unless WORKERS_ENABLED=false, the job workers in one process.
import { Config, Effect } from "effect"
import { startWorkers } from "../jobs/Workers.ts"
import { MetricRecorder } from "../observability/MetricRecorder.ts"
import { startHttpServer } from "./httpServer.ts"
import { databaseReadiness } from "./readiness.ts"
import { runProcess } from "./runProcess.ts"

const ServerConfig = Config.all({
  port: Config.Port("PORT").pipe(Config.withDefault(3000)),
  host: Config.String("HOST").pipe(Config.withDefault("127.0.0.1")),
  workers: Config.Boolean("WORKERS_ENABLED").pipe(Config.withDefault(true))
})

runProcess("postd", async (runtime, logger) => {
  const config = await Effect.runPromise(ServerConfig)
  if (config.workers) await startWorkers(runtime)
  const server = await startHttpServer({
    runtime,
    logger,
    port: config.port,
    host: config.host,
    readiness: databaseReadiness(runtime),
    metrics: () => runtime.runPromise(MetricRecorder.use((m) => m.scrape))
  })
  logger.info({ url: server.url, trpc: `${server.url}/trpc`, workers: config.workers }, "listening")
  // Workers stop with the runtime (pg-boss's graceful stop), after the server has drained.
  return { stop: (graceMs) => server.close(graceMs).then((r) => ({ ...r })) }
})
