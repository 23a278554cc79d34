// The services the API's runtime provides to procedures and routes; api/main.ts joins their layers.
import type { Database } from "../db/Database.ts"
import type { Flags } from "../flags/Flags.ts"
import type { MetricRecorder } from "../observability/MetricRecorder.ts"

export type AppServices = Database | Flags | MetricRecorder
