// The process's layer: database (with migrations), flags, metrics, the pino-backed Effect logger,
// the API's secrets, and the jobs side (repositories, pg-boss, connectors and OAuth providers, the
// publish pipeline, recovery). The API's main, the worker's main and the tests build the same thing;
// only where the database and partners are, and where logs go, differ.
import { ConfigProvider, Layer } from "effect"
import type { Logger as PinoLogger } from "pino"
import type { OAuthProviders } from "../core/oauth/OAuthProvider.ts"
import type { Connectors } from "../core/publish/Connector.ts"
import { Database } from "../db/Database.ts"
import type { DatabaseUrl } from "../db/DatabaseUrl.ts"
import { Flags } from "../flags/Flags.ts"
import { jobsLayer } from "../jobs/jobsLayer.ts"
import { loggerLayer } from "../observability/Logger.ts"
import { MetricRecorder } from "../observability/MetricRecorder.ts"
import { ApiSecrets } from "./auth/ApiSecrets.ts"

export const appLayer = <E1, E2>(options: {
  readonly databaseUrl: Layer.Layer<DatabaseUrl, E1>
  /** The connectors and OAuth providers (jobs/connectors/PartnersLive.ts). */
  readonly partners: Layer.Layer<Connectors | OAuthProviders, E2>
  readonly logger: PinoLogger
  readonly flags?: Layer.Layer<Flags, unknown>
  readonly metrics?: Layer.Layer<MetricRecorder>
  readonly secrets?: Layer.Layer<ApiSecrets, unknown>
  /**
   * Where configuration comes from (the environment when absent). It is part of the runtime, so
   * configuration read while serving (webhook secrets, worker settings) sees the same values as the
   * layers built at start.
   */
  readonly config?: ConfigProvider.ConfigProvider | undefined
}) => {
  const base = Layer.mergeAll(
    Database.layer,
    options.flags ?? Flags.layerStatic,
    options.metrics ?? MetricRecorder.layerPrometheus,
    options.secrets ?? ApiSecrets.layer
  ).pipe(Layer.provideMerge(options.databaseUrl))
  const config = options.config === undefined ? Layer.empty : Layer.succeed(ConfigProvider.ConfigProvider, options.config)
  return jobsLayer(options.partners).pipe(
    Layer.provideMerge(base),
    Layer.provideMerge(loggerLayer(options.logger)),
    Layer.provideMerge(config)
  )
}
