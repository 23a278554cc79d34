// `taxonomy.list`: the contract as the frontend and operators read it, one entry per code.
import { Effect } from "effect"
import { ERROR_CODES, TAXONOMY, type TaxonomyEntry } from "../../core/taxonomy/Taxonomy.ts"
import { input, memberProcedure, router, run } from "../trpc.ts"
import { TaxonomyListInput } from "./inputs.ts"

export const taxonomyRouter = router({
  list: memberProcedure.input(input(TaxonomyListInput)).query(
    ({ ctx, input }): Promise<ReadonlyArray<TaxonomyEntry>> =>
      run(
        ctx,
        Effect.succeed(
          ERROR_CODES.map((code) => TAXONOMY[code]).filter((entry) => input?.category === undefined || entry.category === input.category)
        )
      )
  )
})
