// `dlq.*`: the dead-letter queue for a tenant's admins (their tenant's entries) and for operators
// (every tenant's, or one tenant's with `tenantId`): list with filters and a cursor, one entry with
// its runbook, replay (once, never twice), and resolve (who and why).
import { TRPCError } from "@trpc/server"
import { Effect } from "effect"
import { DlqRepo } from "../../db/DlqRepo.ts"
import { type BatchReplayResult, DeadLetters } from "../../jobs/DeadLetters.ts"
import { type AuthedContext, dlqProcedure, input, router, run } from "../trpc.ts"
import { DlqIdInput, DlqListInput, DlqReplayInput, DlqResolveInput } from "./inputs.ts"
import { actorOf } from "./principal.ts"
import { type DlqEntryView, dlqEntryView } from "./views.ts"

/** The tenant the caller's DLQ actions are limited to; undefined is every tenant (operators). */
const scopeOf = (ctx: AuthedContext, requested?: string): string | undefined => {
  if (ctx.principal.role === "ops") return requested
  // An admin naming another tenant learns nothing about it: that tenant is not found.
  if (requested !== undefined && requested !== ctx.principal.tenantId) throw new TRPCError({ code: "NOT_FOUND", message: "tenant not found" })
  return ctx.principal.tenantId
}

export const dlqRouter = router({
  list: dlqProcedure.input(input(DlqListInput)).query(
    ({ ctx, input }): Promise<{ readonly entries: ReadonlyArray<DlqEntryView>; readonly nextCursor: string | null }> => {
      const tenantId = scopeOf(ctx, input?.tenantId)
      return run(
        ctx,
        DlqRepo.use((r) => r.list({ ...input, tenantId })).pipe(
          Effect.map((page) => ({ entries: page.entries.map(dlqEntryView), nextCursor: page.nextCursor ?? null }))
        )
      )
    }
  ),

  get: dlqProcedure.input(input(DlqIdInput)).query(
    ({ ctx, input }): Promise<DlqEntryView & { readonly payload: unknown }> =>
      run(
        ctx,
        DlqRepo.use((r) => r.get(input.id, scopeOf(ctx))).pipe(Effect.map((entry) => ({ ...dlqEntryView(entry), payload: entry.payload })))
      )
  ),

  replay: dlqProcedure.input(input(DlqReplayInput)).mutation(
    ({ ctx, input }): Promise<ReadonlyArray<BatchReplayResult>> =>
      run(ctx, DeadLetters.use((d) => d.replayMany(scopeOf(ctx), input.ids)))
  ),

  resolve: dlqProcedure.input(input(DlqResolveInput)).mutation(
    ({ ctx, input }): Promise<DlqEntryView> =>
      run(
        ctx,
        DeadLetters.use((d) => d.resolve(scopeOf(ctx), input.id, input.resolution, actorOf(ctx.principal))).pipe(Effect.map(dlqEntryView))
      )
  )
})
