// Everything the workers and the scheduling API need above the database: repositories, the token
// cipher, pg-boss, the connectors, and the pipeline services. Needs Database, DatabaseUrl, Flags and
// MetricRecorder from the composition root; connectors are passed in (real hosts or the simulator).
import { Layer } from "effect"
import type { Connectors } from "../core/publish/Connector.ts"
import { CircuitBreakerStore } from "../db/CircuitBreakerStore.ts"
import { ConnectionRepo } from "../db/ConnectionRepo.ts"
import { DlqRepo } from "../db/DlqRepo.ts"
import { PostRepo } from "../db/PostRepo.ts"
import { PublishAttemptRepo } from "../db/PublishAttemptRepo.ts"
import { RateLimiter } from "../db/RateLimiter.ts"
import { TokenCipher } from "../db/TokenCipher.ts"
import { ConnectionRecovery } from "./ConnectionRecovery.ts"
import { DeadLetters } from "./DeadLetters.ts"
import { JobQueue } from "./JobQueue.ts"
import { PostScheduler } from "./PostScheduler.ts"
import { PublishPipeline } from "./PublishPipeline.ts"

export const jobsLayer = <E>(connectors: Layer.Layer<Connectors, E>) => {
  const repositories = Layer.mergeAll(
    ConnectionRepo.layer,
    PostRepo.layer,
    PublishAttemptRepo.layer,
    DlqRepo.layer,
    RateLimiter.layer,
    CircuitBreakerStore.layer
  ).pipe(Layer.provideMerge(TokenCipher.layer))
  const infrastructure = Layer.mergeAll(repositories, JobQueue.layer, connectors)
  return Layer.mergeAll(PublishPipeline.layer, PostScheduler.layer, DeadLetters.layer).pipe(
    Layer.provideMerge(ConnectionRecovery.layer),
    Layer.provideMerge(infrastructure)
  )
}

