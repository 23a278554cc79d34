// The services the process's runtime provides to procedures, routes and workers (api/appLayer.ts).
import type { Layer } from "effect"
import type { appLayer } from "./appLayer.ts"

export type AppServices = Layer.Success<ReturnType<typeof appLayer<never, never>>>
