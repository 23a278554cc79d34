// The one place typed failures become tRPC errors. A taxonomy error keeps its code and user message
// in `data`; our own infrastructure failures are INTERNAL_SERVER_ERROR without internals.
import { TRPCError } from "@trpc/server"
import { Cause, Exit } from "effect"
import { TAXONOMY, userMessageFor } from "../core/taxonomy/Taxonomy.ts"
import { isTaxonomyError, type TaxonomyError } from "../core/taxonomy/TaxonomyError.ts"

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
  readonly taxonomyCode: TaxonomyError["_tag"]
  readonly userMessage: string
  constructor(error: TaxonomyError) {
    super(error.message)
    this.name = "TaxonomyCause"
    this.taxonomyCode = error._tag
    this.userMessage = userMessageFor(error._tag, error.platform)
  }
}

export const toTRPCError = (failure: unknown): TRPCError => {
  if (failure instanceof TRPCError) return failure
  if (isTaxonomyError(failure)) {
    return new TRPCError({ code: taxonomyHttpCode(failure), message: failure.message, cause: new TaxonomyCause(failure) })
  }
  return new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: "internal error" })
}

export const exitToPromise = <A, E>(exit: Exit.Exit<A, E>): A => {
  if (Exit.isSuccess(exit)) return exit.value
  const failure = Cause.squash(exit.cause)
  throw toTRPCError(failure)
}
