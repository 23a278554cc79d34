// `taxonomy.list`: the contract as the frontend and operators read it, one entry per code.
import { Effect } from "effect"
import { ERROR_CODES, TAXONOMY, type TaxonomyEntry } from "../../core/taxonomy/Taxonomy.ts"
import { publicProcedure, router, run } from "../trpc.ts"

export const taxonomyRouter = router({
  list: publicProcedure.query(({ ctx }): Promise<ReadonlyArray<TaxonomyEntry>> =>
    run(ctx, Effect.succeed(ERROR_CODES.map((code) => TAXONOMY[code])))
  )
})
