// The API process's layer: database (with migrations), flags, metrics, and the pino-backed Effect
// logger provided to all of them. main.ts and the tests build the same thing; only where the
// database is and where logs go differ.
import { Layer } from "effect"
import type { Logger as PinoLogger } from "pino"
import { Database } from "../db/Database.ts"
import type { DatabaseUrl } from "../db/DatabaseUrl.ts"
import { Flags } from "../flags/Flags.ts"
import { loggerLayer } from "../observability/Logger.ts"
import { MetricRecorder } from "../observability/MetricRecorder.ts"

export const appLayer = <E>(options: {
  readonly databaseUrl: Layer.Layer<DatabaseUrl, E>
  readonly logger: PinoLogger
  readonly flags?: Layer.Layer<Flags, unknown>
}) =>
  Layer.mergeAll(
    Database.layer.pipe(Layer.provide(options.databaseUrl)),
    options.flags ?? Flags.layerStatic,
    MetricRecorder.layerPrometheus
  ).pipe(Layer.provideMerge(loggerLayer(options.logger)))
