// `backfill.*`: what a paused channel missed, offered with its count and the time it takes within the
// tenant's rate budget; accepted (publish late what is still on time) or declined (skip it all).
import { Effect } from "effect"
import { Backfill } from "../../jobs/Backfill.ts"
import { input, memberProcedure, router, run } from "../trpc.ts"
import { BackfillIdInput, BackfillOfferInput } from "./inputs.ts"
import { actorOf } from "./principal.ts"
import { type BackfillView, backfillView } from "./views.ts"

export const backfillRouter = router({
  offer: memberProcedure.input(input(BackfillOfferInput)).mutation(
    ({ ctx, input }): Promise<BackfillView> =>
      run(
        ctx,
        Backfill.use((b) =>
          b.offer(ctx.principal.tenantId, input.connectionId, new Date(input.failedAfter), actorOf(ctx.principal))
        ).pipe(Effect.map(backfillView))
      )
  ),

  accept: memberProcedure.input(input(BackfillIdInput)).mutation(
    ({ ctx, input }): Promise<BackfillView> =>
      run(ctx, Backfill.use((b) => b.accept(ctx.principal.tenantId, input.backfillJobId, actorOf(ctx.principal))).pipe(Effect.map(backfillView)))
  ),

  decline: memberProcedure.input(input(BackfillIdInput)).mutation(
    ({ ctx, input }): Promise<BackfillView & { readonly skippedNow: number }> =>
      run(
        ctx,
        Backfill.use((b) => b.decline(ctx.principal.tenantId, input.backfillJobId, actorOf(ctx.principal))).pipe(
          Effect.map(({ offer, skipped }) => ({ ...backfillView(offer), skippedNow: skipped }))
        )
      )
  )
})
