// `npm start`: the HTTP API and, unless WORKERS_ENABLED=false, the job workers in one process; with
// nothing configured, also the local demo (api/localDemo.ts): the partner simulator and a demo tenant.
import { Config, Effect, Option } from "effect"
import { startWorkers } from "../jobs/Workers.ts"
import { MetricRecorder } from "../observability/MetricRecorder.ts"
import { startHttpServer } from "./httpServer.ts"
import { prepareDemo, seedDemo } from "./localDemo.ts"
import { databaseReadiness } from "./readiness.ts"
import { runProcess } from "./runProcess.ts"

const ServerConfig = Config.all({
  port: Config.Port("PORT").pipe(Config.withDefault(3000)),
  host: Config.String("HOST").pipe(Config.withDefault("127.0.0.1")),
  workers: Config.Boolean("WORKERS_ENABLED").pipe(Config.withDefault(true)),
  publicUrl: Config.option(Config.URL("PUBLIC_URL")),
  oauthReturnUrl: Config.option(Config.URL("OAUTH_RETURN_URL"))
})

runProcess("postd", async (runtime, logger, demo) => {
  const config = await Effect.runPromise(ServerConfig)
  if (config.workers) await startWorkers(runtime)
  const server = await startHttpServer({
    runtime,
    logger,
    port: config.port,
    host: config.host,
    readiness: databaseReadiness(runtime),
    metrics: () => runtime.runPromise(MetricRecorder.use((m) => m.scrape)),
    publicUrl: Option.getOrUndefined(config.publicUrl)?.toString(),
    oauthReturnUrl: Option.getOrUndefined(config.oauthReturnUrl)?.toString()
  })
  logger.info({ url: server.url, trpc: `${server.url}/trpc`, workers: config.workers }, "listening")
  await seedDemo(runtime, logger, Option.getOrUndefined(config.publicUrl)?.toString().replace(/\/+$/, "") ?? server.url, demo)
  // Workers stop with the runtime (pg-boss's graceful stop), after the server has drained.
  return { stop: (graceMs) => server.close(graceMs).then((r) => ({ ...r })) }
}, prepareDemo)
