// `npm run worker`: a worker-only process. Several of them, and `npm start` processes, share one
// database safely: pg-boss hands each job to one worker, and the rate limits and breakers live in
// PostgreSQL. It serves /healthz, /readyz and its own /metrics (the pings and webhook processing it
// runs are counted here) on METRICS_PORT; no API.
import { Config, Effect } from "effect"
import { configError } from "../core/config/ConfigError.ts"
import { startHttpServer } from "../api/httpServer.ts"
import { databaseReadiness } from "../api/readiness.ts"
import { runProcess } from "../api/runProcess.ts"
import { MetricRecorder } from "../observability/MetricRecorder.ts"
import { startWorkers } from "./Workers.ts"

const WorkerServerConfig = Config.all({
  /** 0: any free port (its URL is logged). 9464 is the Prometheus exporter's customary port. */
  port: Config.Int("METRICS_PORT").pipe(
    Config.withDefault(9464),
    Config.mapEffect((port) =>
      port >= 0 && port <= 65_535 ? Effect.succeed(port) : Effect.fail(configError("METRICS_PORT: must be 0 to 65535", String(port)))
    )
  ),
  host: Config.String("METRICS_HOST").pipe(Config.withDefault("127.0.0.1"))
})

runProcess("postd-worker", async (runtime, logger) => {
  const config = await runtime.runPromise(WorkerServerConfig)
  await startWorkers(runtime)
  const server = await startHttpServer({
    runtime,
    logger,
    port: config.port,
    host: config.host,
    readiness: databaseReadiness(runtime),
    metrics: () => runtime.runPromise(MetricRecorder.use((m) => m.scrape)),
    serveApi: false
  })
  logger.info({ metrics: `${server.url}/metrics` }, "workers started")
  // pg-boss's graceful stop (when the runtime is disposed) lets in-flight jobs finish or releases them.
  return { stop: (graceMs) => server.close(graceMs).then((r) => ({ ...r })) }
})
