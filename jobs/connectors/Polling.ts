// Bounded status polling (Instagram containers, TikTok publishes): a fixed number of checks spaced
// by Effect.sleep, so TestClock drives it in tests and no loop can run forever.
import { Effect } from "effect"
import type { Polling } from "./PartnerEndpoints.ts"

/** The first result for which `done` holds, or the last one seen when the checks ran out. */
export const pollUntil = <A, E, R>(
  check: Effect.Effect<A, E, R>,
  done: (a: A) => boolean,
  polling: Polling
): Effect.Effect<{ readonly value: A; readonly done: boolean; readonly checks: number }, E, R> =>
  Effect.gen(function* () {
    const attempts = Math.max(1, polling.attempts)
    let checks = 0
    for (;;) {
      const value = yield* check
      checks++
      if (done(value)) return { value, done: true, checks }
      if (checks >= attempts) return { value, done: false, checks }
      yield* Effect.sleep(polling.intervalMs)
    }
  })
