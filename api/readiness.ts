// Readiness: the service is ready when its database answers a ping within the ping's timeout.
import type { ManagedRuntime } from "effect"
import { Database } from "../db/Database.ts"
import type { ReadinessReport } from "./httpServer.ts"

export const databaseReadiness =
  (runtime: ManagedRuntime.ManagedRuntime<Database, unknown>) => async (): Promise<ReadinessReport> => {
    const exit = await runtime.runPromiseExit(Database.use((d) => d.ping))
    return exit._tag === "Success"
      ? { ready: true, checks: { database: "ok" } }
      : { ready: false, checks: { database: "unreachable" } }
  }
