// Everything the workers and the API need above the database: repositories, the token cipher,
// pg-boss, the connectors and OAuth providers, and the pipeline and recovery services. Needs
// Database, DatabaseUrl, Flags and MetricRecorder from the composition root; connectors and OAuth
// providers are passed in (real hosts or the simulator).
import { Layer } from "effect"
import type { OAuthProviders } from "../core/oauth/OAuthProvider.ts"
import type { Connectors } from "../core/publish/Connector.ts"
import { BackfillRepo } from "../db/BackfillRepo.ts"
import { CircuitBreakerStore } from "../db/CircuitBreakerStore.ts"
import { ConnectionRepo } from "../db/ConnectionRepo.ts"
import { DlqRepo } from "../db/DlqRepo.ts"
import { IntegrationHealthRepo } from "../db/IntegrationHealthRepo.ts"
import { OAuthStateRepo } from "../db/OAuthStateRepo.ts"
import { WebhookEventRepo } from "../db/WebhookEventRepo.ts"
import { PostRepo } from "../db/PostRepo.ts"
import { PublishAttemptRepo } from "../db/PublishAttemptRepo.ts"
import { RateLimiter } from "../db/RateLimiter.ts"
import { TokenCipher } from "../db/TokenCipher.ts"
import { Backfill } from "./Backfill.ts"
import { ConnectionRecovery } from "./ConnectionRecovery.ts"
import { DeadLetters } from "./DeadLetters.ts"
import { JobQueue } from "./JobQueue.ts"
import { HealthChecks } from "./HealthChecks.ts"
import { OAuthConnect } from "./OAuthConnect.ts"
import { PostScheduler } from "./PostScheduler.ts"
import { PublishPipeline } from "./PublishPipeline.ts"
import { WebhookInbox } from "./WebhookInbox.ts"
import { WebhookProcessor } from "./WebhookProcessor.ts"

export const jobsLayer = <E>(partners: Layer.Layer<Connectors | OAuthProviders, E>) => {
  const repositories = Layer.mergeAll(
    ConnectionRepo.layer,
    PostRepo.layer,
    PublishAttemptRepo.layer,
    DlqRepo.layer,
    RateLimiter.layer,
    CircuitBreakerStore.layer,
    BackfillRepo.layer,
    OAuthStateRepo.layer,
    WebhookEventRepo.layer,
    IntegrationHealthRepo.layer
  ).pipe(Layer.provideMerge(TokenCipher.layer))
  const infrastructure = Layer.mergeAll(repositories, JobQueue.layer, partners)
  return Layer.mergeAll(
    PublishPipeline.layer,
    PostScheduler.layer,
    DeadLetters.layer,
    OAuthConnect.layer,
    WebhookInbox.layer,
    WebhookProcessor.layer,
    HealthChecks.layer
  ).pipe(
    Layer.provideMerge(Layer.mergeAll(ConnectionRecovery.layer, Backfill.layer)),
    Layer.provideMerge(infrastructure)
  )
}

