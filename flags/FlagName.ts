// The rollout flags of phase 3 (spec §11): every phase-3 behaviour is gated per tenant by one of
// these. Whatever provider evaluates them (static config now, Unleash later), the names are these.
import { Schema } from "effect"

export const FLAG_NAMES = [
  "RECOVERY_AUTOPAUSE_ENABLED",
  "RECONNECT_WIZARD_ENABLED",
  "SYNTHETIC_PINGS_ENABLED",
  "CHAOS_TESTS_ENABLED",
  "WEEKLY_SUMMARY_ENABLED"
] as const
export const FlagName = Schema.Literals(FLAG_NAMES)
export type FlagName = typeof FlagName.Type

/** What each flag turns on, for operators reading a flag list. */
export const FLAG_MEANINGS: { readonly [F in FlagName]: string } = {
  RECOVERY_AUTOPAUSE_ENABLED: "pause a channel automatically on auth and account errors",
  RECONNECT_WIZARD_ENABLED: "show the reconnect banner and wizard",
  SYNTHETIC_PINGS_ENABLED: "run synthetic health checks against connected channels",
  CHAOS_TESTS_ENABLED: "expose the chaos endpoints",
  WEEKLY_SUMMARY_ENABLED: "generate the weekly integration summary"
}

/**
 * The value of a flag when nothing overrides it. Chaos stays off: it injects failures and must be
 * opted into per environment or tenant.
 */
export const FLAG_DEFAULTS: { readonly [F in FlagName]: boolean } = {
  RECOVERY_AUTOPAUSE_ENABLED: true,
  RECONNECT_WIZARD_ENABLED: true,
  SYNTHETIC_PINGS_ENABLED: true,
  CHAOS_TESTS_ENABLED: false,
  WEEKLY_SUMMARY_ENABLED: true
}

export const isFlagName = (value: unknown): value is FlagName =>
  typeof value === "string" && (FLAG_NAMES as ReadonlyArray<string>).includes(value)
