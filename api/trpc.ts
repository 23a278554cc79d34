// The single initTRPC of the service: context (request id, the process's runtime), the error
// formatter (taxonomy code, user message, every invalid input field), and `run` for procedures.
import { initTRPC, StandardSchemaV1Error } from "@trpc/server"
import { Effect, type ManagedRuntime } from "effect"
import { exitToPromise, TaxonomyCause } from "./errors.ts"
import type { AppServices } from "./AppServices.ts"

export interface TrpcContext {
  readonly requestId: string
  readonly runtime: ManagedRuntime.ManagedRuntime<AppServices, unknown>
}

const t = initTRPC.context<TrpcContext>().create({
  errorFormatter: ({ shape, error }) => {
    const cause = error.cause
    return {
      ...shape,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        path: shape.data.path,
        taxonomyCode: cause instanceof TaxonomyCause ? cause.taxonomyCode : null,
        userMessage: cause instanceof TaxonomyCause ? cause.userMessage : null,
        issues:
          cause instanceof StandardSchemaV1Error
            ? cause.issues.map((issue) => ({
                path: (issue.path ?? []).map((p) => (typeof p === "object" ? String(p.key) : String(p))).join("."),
                message: issue.message
              }))
            : null
      }
    }
  }
})

export const router = t.router
export const publicProcedure = t.procedure

/** Runs one core effect for a procedure, annotated with the request id; failures map in errors.ts. */
export const run = <A, E>(ctx: TrpcContext, effect: Effect.Effect<A, E, AppServices>): Promise<A> =>
  ctx.runtime.runPromiseExit(effect.pipe(Effect.annotateLogs("requestId", ctx.requestId))).then(exitToPromise)
