// What procedures return: plain JSON shapes (times as ISO 8601 strings, since that is what crosses
// the wire without a transformer), mapped from the domain types in one place so the typed client's
// types are the truth about the payload.
import { buildPauseReason } from "../../core/recovery/PauseReason.ts"
import { isoDuration } from "../../core/recovery/Backfill.ts"
import { type ErrorCode, type Platform, userMessageFor } from "../../core/taxonomy/Taxonomy.ts"
import type { BackfillOffer } from "../../db/BackfillRepo.ts"
import type { ConnectionSummary, PausedConnection } from "../../db/ConnectionRepo.ts"
import type { BackfillStatus, ConnectionStatus, DlqJobAction, DlqReasonCode, HealthStatus, PostStatus } from "../../db/DatabaseSchema.ts"
import type { DlqEntry } from "../../db/DlqRepo.ts"
import type { Post } from "../../db/PostRepo.ts"
import type { RecordedAttempt } from "../../db/PublishAttemptRepo.ts"
import type { PostFormat } from "../../core/publish/Connector.ts"
import type { ErrorAction } from "../../core/taxonomy/Taxonomy.ts"
import type { PublishOutcome } from "../../db/DatabaseSchema.ts"

const iso = (date: Date | null): string | null => (date === null ? null : date.toISOString())

export interface ConnectionView {
  readonly id: string
  readonly platform: Platform
  readonly brandId: string
  readonly partnerAccountId: string
  readonly displayName: string | null
  readonly status: ConnectionStatus
  readonly healthStatus: HealthStatus
  readonly pauseCode: ErrorCode | null
  readonly pausedAt: string | null
  readonly scopes: ReadonlyArray<string>
  readonly tokenExpiresAt: string | null
  readonly lastHealthCheckAt: string | null
  readonly heldPosts: number
  readonly createdAt: string
  readonly updatedAt: string
}

export const connectionView = (c: ConnectionSummary): ConnectionView => ({
  id: c.id,
  platform: c.platform,
  brandId: c.brandId,
  partnerAccountId: c.partnerAccountId,
  displayName: c.displayName,
  status: c.status,
  healthStatus: c.healthStatus,
  pauseCode: c.pauseReason,
  pausedAt: iso(c.pausedAt),
  scopes: c.scopes,
  tokenExpiresAt: iso(c.tokenExpiresAt),
  lastHealthCheckAt: iso(c.lastHealthCheckAt),
  heldPosts: c.heldPosts,
  createdAt: c.createdAt.toISOString(),
  updatedAt: c.updatedAt.toISOString()
})

/** What a reconnect banner needs. */
export interface ConnectionStatusView {
  readonly connectionId: string
  readonly platform: Platform
  readonly displayName: string | null
  readonly status: ConnectionStatus
  readonly healthStatus: HealthStatus
  readonly pauseCode: ErrorCode | null
  /** The taxonomy's plain-language message for the pause code. */
  readonly userMessage: string | null
  readonly description: string | null
  /** What the user should do, in words. */
  readonly recoveryAction: string | null
  readonly requiresReauth: boolean
  /** The one-click reconnect link, when a reconnect can lift the pause and the wizard is on. */
  readonly reconnectUrl: string | null
  readonly heldPosts: number
  readonly pausedAt: string | null
}

export const connectionStatusView = (c: ConnectionSummary, reconnectUrl: string | null): ConnectionStatusView => {
  const reason = c.pauseReason === null ? undefined : buildPauseReason(c.pauseReason, c.platform)
  const manual = c.status === "paused" && reason === undefined
  return {
    connectionId: c.id,
    platform: c.platform,
    displayName: c.displayName,
    status: c.status,
    healthStatus: c.healthStatus,
    pauseCode: c.pauseReason,
    userMessage: c.pauseReason === null ? null : userMessageFor(c.pauseReason, c.platform),
    description: reason?.description ?? c.pauseDescription,
    recoveryAction:
      reason?.recoveryAction ?? (manual ? "An administrator paused this channel; resume it to publish again." : null),
    requiresReauth: reason?.requiresReauth ?? false,
    reconnectUrl,
    heldPosts: c.heldPosts,
    pausedAt: iso(c.pausedAt)
  }
}

export interface PausedConnectionView {
  readonly id: string
  readonly tenantId: string
  readonly platform: Platform
  readonly status: ConnectionStatus
  readonly pauseCode: ErrorCode | null
  readonly description: string | null
  readonly pausedAt: string | null
  readonly heldPosts: number
}

export const pausedConnectionView = (p: PausedConnection): PausedConnectionView => ({
  id: p.id,
  tenantId: p.tenantId,
  platform: p.platform,
  status: p.status,
  pauseCode: p.reason,
  description: p.description,
  pausedAt: iso(p.pausedAt),
  heldPosts: p.heldPosts
})

export interface PostView {
  readonly id: string
  readonly connectionId: string
  readonly brandId: string
  readonly text: string
  readonly format: PostFormat
  readonly mediaUrls: ReadonlyArray<string>
  readonly title: string | null
  readonly link: string | null
  readonly scheduledAt: string
  readonly status: PostStatus
  readonly dedupeKey: string
  readonly attempts: number
  readonly lastErrorCode: ErrorCode | null
  /** The last error in the user's words. */
  readonly lastErrorMessage: string | null
  readonly partnerPostId: string | null
  readonly publishedAt: string | null
  readonly reconciled: boolean
  readonly skippedReason: string | null
  /** When its channel's pause held it (the backfill window is about this). */
  readonly heldAt: string | null
  readonly createdAt: string
  readonly updatedAt: string
}

export const postView = (p: Post, platform?: Platform): PostView => ({
  id: p.id,
  connectionId: p.connectionId,
  brandId: p.brandId,
  text: p.text,
  format: p.format,
  mediaUrls: p.mediaUrls,
  title: p.title,
  link: p.link,
  scheduledAt: p.scheduledAt.toISOString(),
  status: p.status,
  dedupeKey: p.dedupeKey,
  attempts: p.attempts,
  lastErrorCode: p.lastErrorCode,
  lastErrorMessage: p.lastErrorCode === null ? null : userMessageFor(p.lastErrorCode, platform),
  partnerPostId: p.partnerPostId,
  publishedAt: iso(p.publishedAt),
  reconciled: p.reconciled,
  skippedReason: p.skippedReason,
  heldAt: iso(p.heldAt),
  createdAt: p.createdAt.toISOString(),
  updatedAt: p.updatedAt.toISOString()
})

export interface AttemptView {
  readonly attempt: number
  readonly outcome: PublishOutcome
  readonly errorCode: ErrorCode | null
  readonly latencyMs: number | null
  readonly at: string
}

export const attemptView = (a: RecordedAttempt): AttemptView => ({
  attempt: a.attempt,
  outcome: a.outcome,
  errorCode: a.errorCode,
  latencyMs: a.latencyMs,
  at: a.at.toISOString()
})

export interface BackfillView {
  readonly backfillJobId: string
  readonly connectionId: string
  readonly status: BackfillStatus
  readonly failedAfter: string
  readonly missedJobCount: number
  /** ISO 8601 duration, from the tenant's rate budget for the platform. */
  readonly estimatedDuration: string
  readonly estimatedDurationMs: number
  readonly maxLatenessMs: number
  readonly decidedBy: string | null
  readonly decidedAt: string | null
  readonly releasedCount: number
  readonly skippedCount: number
  readonly completedAt: string | null
}

export const backfillView = (o: BackfillOffer): BackfillView => ({
  backfillJobId: o.id,
  connectionId: o.connectionId,
  status: o.status,
  failedAfter: o.failedAfter.toISOString(),
  missedJobCount: o.missedCount,
  estimatedDuration: isoDuration(o.estimatedDurationMs),
  estimatedDurationMs: o.estimatedDurationMs,
  maxLatenessMs: o.maxLatenessMs,
  decidedBy: o.decidedBy,
  decidedAt: iso(o.decidedAt),
  releasedCount: o.releasedCount,
  skippedCount: o.skippedCount,
  completedAt: iso(o.completedAt)
})

export interface DlqEntryView {
  readonly id: string
  readonly jobId: string
  /** Null for a webhook event that failed before any tenant's connection was matched (operators only). */
  readonly tenantId: string | null
  readonly connectionId: string | null
  readonly postId: string | null
  readonly platform: Platform | null
  readonly action: DlqJobAction
  readonly errorCode: ErrorCode
  readonly taxonomyAction: ErrorAction
  readonly reasonCode: DlqReasonCode
  readonly userMessage: string
  readonly lastErrorMessage: string
  readonly retryCount: number
  readonly firstAttempt: string
  readonly lastAttempt: string
  readonly createdAt: string
  readonly resolvedAt: string | null
  readonly resolution: string | null
  readonly resolvedBy: string | null
  readonly runbook: string
  readonly replayedAt: string | null
  readonly replayCount: number
}

export const dlqEntryView = (e: DlqEntry): DlqEntryView => ({
  id: e.id,
  jobId: e.jobId,
  tenantId: e.tenantId,
  connectionId: e.connectionId,
  postId: e.postId,
  platform: e.platform,
  action: e.action,
  errorCode: e.errorCode,
  taxonomyAction: e.taxonomyAction,
  reasonCode: e.reasonCode,
  userMessage: userMessageFor(e.errorCode, e.platform ?? undefined),
  lastErrorMessage: e.lastErrorMessage,
  retryCount: e.retryCount,
  firstAttempt: e.firstAttempt.toISOString(),
  lastAttempt: e.lastAttempt.toISOString(),
  createdAt: e.createdAt.toISOString(),
  resolvedAt: iso(e.resolvedAt),
  resolution: e.resolution,
  resolvedBy: e.resolvedBy,
  runbook: e.runbook,
  replayedAt: iso(e.replayedAt),
  replayCount: e.replayCount
})
