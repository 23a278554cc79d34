// The one place typed failures become tRPC errors. A taxonomy error keeps its code and user message
// in `data`; each domain failure has its tRPC code and a message safe to show the caller (a missing
// or another tenant's object is the same NOT_FOUND, never naming the tenant); our own
// infrastructure failures are INTERNAL_SERVER_ERROR without internals.
import { TRPCError } from "@trpc/server"
import { Cause, Exit } from "effect"
import { type ErrorCode, type Platform, TAXONOMY, userMessageFor } from "../core/taxonomy/Taxonomy.ts"
import { isTaxonomyError, type TaxonomyError } from "../core/taxonomy/TaxonomyError.ts"
import type { BackfillNotFound } from "../db/BackfillRepo.ts"
import type { ConnectionNotFound } from "../db/ConnectionRepo.ts"
import type { DlqCursorInvalid, DlqEntryNotFound } from "../db/DlqRepo.ts"
import type { DuplicatePost, PostCursorInvalid, PostNotFound } from "../db/PostRepo.ts"
import type { BackfillConflict, BackfillRefused } from "../jobs/Backfill.ts"
import type { ResumeRefused } from "../jobs/ConnectionRecovery.ts"
import type { DlqAlreadyResolved, DlqReplayRefused } from "../jobs/DeadLetters.ts"
import type { PlatformNotConfigured } from "../jobs/OAuthConnect.ts"

type TRPCCode = TRPCError["code"]

const taxonomyHttpCode = (error: TaxonomyError): TRPCCode => {
  const entry = TAXONOMY[error._tag]
  switch (entry.category) {
    case "request":
    case "content":
    case "guardrail":
      return "UNPROCESSABLE_CONTENT"
    case "throttle":
      return "TOO_MANY_REQUESTS"
    case "webhook":
      return error._tag === "WEBHOOK_SIGNATURE_INVALID" ? "UNAUTHORIZED" : "INTERNAL_SERVER_ERROR"
    case "auth":
    case "account":
      return "PRECONDITION_FAILED"
    default:
      return "BAD_GATEWAY"
  }
}

/** Carried on a TRPCError as its cause so the error formatter can put it in `data`. */
export class TaxonomyCause extends Error {
  readonly taxonomyCode: ErrorCode
  readonly userMessage: string
  constructor(code: ErrorCode, message: string, platform: Platform | undefined) {
    super(message)
    this.name = "TaxonomyCause"
    this.taxonomyCode = code
    this.userMessage = userMessageFor(code, platform)
  }
}

type DomainError =
  | ConnectionNotFound
  | PostNotFound
  | DlqEntryNotFound
  | BackfillNotFound
  | PostCursorInvalid
  | DlqCursorInvalid
  | DlqReplayRefused
  | DlqAlreadyResolved
  | BackfillConflict
  | BackfillRefused
  | ResumeRefused
  | PlatformNotConfigured
  | DuplicatePost

const DOMAIN: { readonly [T in DomainError["_tag"]]: (e: Extract<DomainError, { readonly _tag: T }>) => readonly [TRPCCode, string] } = {
  ConnectionNotFound: () => ["NOT_FOUND", "connection not found"],
  PostNotFound: () => ["NOT_FOUND", "post not found"],
  DlqEntryNotFound: () => ["NOT_FOUND", "DLQ entry not found"],
  BackfillNotFound: () => ["NOT_FOUND", "backfill not found"],
  PostCursorInvalid: (e) => ["BAD_REQUEST", e.message],
  DlqCursorInvalid: (e) => ["BAD_REQUEST", e.message],
  DlqReplayRefused: (e) => ["CONFLICT", e.message],
  DlqAlreadyResolved: (e) => ["CONFLICT", e.message],
  BackfillConflict: (e) => ["CONFLICT", e.message],
  BackfillRefused: (e) => ["PRECONDITION_FAILED", e.message],
  ResumeRefused: (e) => ["PRECONDITION_FAILED", e.message],
  DuplicatePost: () => ["CONFLICT", "a post with this dedupeKey was scheduled already"],
  PlatformNotConfigured: (e) => ["PRECONDITION_FAILED", `${e.platform} is not set up on this server (no OAuth client configured)`]
}

const isDomainError = (failure: unknown): failure is DomainError =>
  typeof failure === "object" && failure !== null && "_tag" in failure && typeof failure._tag === "string" && failure._tag in DOMAIN

export const toTRPCError = (failure: unknown): TRPCError => {
  if (failure instanceof TRPCError) return failure
  if (isTaxonomyError(failure)) {
    return new TRPCError({
      code: taxonomyHttpCode(failure),
      message: failure.message,
      cause: new TaxonomyCause(failure._tag, failure.message, failure.platform)
    })
  }
  if (isDomainError(failure)) {
    const [code, message] = (DOMAIN[failure._tag] as (e: DomainError) => readonly [TRPCCode, string])(failure)
    // A refused resume names the taxonomy code that keeps the channel paused, as a failed call would.
    const taxonomy = failure._tag === "ResumeRefused" ? new TaxonomyCause(failure.code, message, failure.platform) : undefined
    return new TRPCError({ code, message, ...(taxonomy === undefined ? {} : { cause: taxonomy }) })
  }
  return new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: "internal error", ...(failure instanceof Error ? { cause: failure } : {}) })
}

export const exitToPromise = <A, E>(exit: Exit.Exit<A, E>): A => {
  if (Exit.isSuccess(exit)) return exit.value
  const failure = Cause.squash(exit.cause)
  throw toTRPCError(failure)
}
