// `npm run worker`: a worker-only process. Several of them, and `npm start` processes, share one
// database safely: pg-boss hands each job to one worker, and the rate limits and breakers live in
// PostgreSQL.
import { runProcess } from "../api/runProcess.ts"
import { startWorkers } from "./Workers.ts"

runProcess("postd-worker", async (runtime, logger) => {
  await startWorkers(runtime)
  logger.info({}, "workers started")
  // pg-boss's graceful stop (when the runtime is disposed) lets in-flight jobs finish or releases them.
  return { stop: async () => ({}) }
})
