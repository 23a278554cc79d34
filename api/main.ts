// The server's composition root: reads configuration, builds the one runtime of the process
// (database — embedded when DATABASE_URL is unset — migrations, flags, metrics, logging), serves HTTP,
// and on SIGTERM/SIGINT stops accepting, drains, closes the pool and stops embedded PostgreSQL.
import { Config, Effect, Layer, ManagedRuntime, Schema } from "effect"
import { Database } from "../db/Database.ts"
import { DatabaseUrl } from "../db/DatabaseUrl.ts"
import { startHttpServer } from "./httpServer.ts"

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
