// Typed per-tenant flag facade: callers ask `flags.recoveryAutopause(tenantId)` and never learn which
// provider answered. A provider is only an evaluator `(flag, tenantId) => Effect<boolean>`, so the
// Unleash layer (a later issue) swaps in through `Flags.fromEvaluator` without touching callers.
import { Config, Context, Effect, Layer, Result, Schema, SchemaIssue } from "effect"
import { FLAG_DEFAULTS, FLAG_NAMES, type FlagName, isFlagName } from "./FlagName.ts"

/** A provider's answer for one flag and tenant. Never fails: an unreachable provider answers a default. */
export type FlagEvaluator = (flag: FlagName, tenantId: string) => Effect.Effect<boolean>

export type FlagValues = { readonly [F in FlagName]?: boolean }

/** Everything the static provider knows: a value per flag, and per-tenant overrides of some flags. */
export interface StaticFlagSettings {
  readonly defaults: { readonly [F in FlagName]: boolean }
  readonly tenants: ReadonlyMap<string, FlagValues>
}

const ON = new Set(["on", "true", "1"])
const OFF = new Set(["off", "false", "0"])

/** Parses "FLAG=on,FLAG=off" (on|off|true|false|1|0, case-insensitive values); no flag twice. */
const parseAssignments = (text: string): Result.Result<FlagValues, string> => {
  const values: { [F in FlagName]?: boolean } = {}
  for (const raw of text.split(",")) {
    const item = raw.trim()
    if (item === "") continue
    const [name, value, ...rest] = item.split("=").map((part) => part.trim())
    if (value === undefined || rest.length > 0) return Result.fail(`"${item}" is not FLAG=on|off`)
    if (!isFlagName(name)) return Result.fail(`unknown flag "${name}" (known: ${FLAG_NAMES.join(", ")})`)
    if (values[name] !== undefined) return Result.fail(`flag ${name} is set twice`)
    const lower = value.toLowerCase()
    if (ON.has(lower)) values[name] = true
    else if (OFF.has(lower)) values[name] = false
    else return Result.fail(`flag ${name} has value "${value}"; expected on or off`)
  }
  return Result.succeed(values)
}

export const parseFlagDefaults = (text: string): Result.Result<StaticFlagSettings["defaults"], string> =>
  Result.map(parseAssignments(text), (values) => ({ ...FLAG_DEFAULTS, ...values }))

export const parseTenantOverrides = (text: string): Result.Result<ReadonlyMap<string, FlagValues>, string> => {
  const tenants = new Map<string, FlagValues>()
  for (const raw of text.split(";")) {
    const group = raw.trim()
    if (group === "") continue
    const colon = group.indexOf(":")
    if (colon === -1) return Result.fail(`"${group}" is not tenantId:FLAG=on|off`)
    const tenantId = group.slice(0, colon).trim()
    if (tenantId === "" || /[=,]/.test(tenantId)) return Result.fail(`"${group}" has no valid tenant id before ":"`)
    const assignments = parseAssignments(group.slice(colon + 1))
    if (Result.isFailure(assignments)) return Result.fail(`tenant ${tenantId}: ${assignments.failure}`)
    const previous = tenants.get(tenantId) ?? {}
    const clash = Object.keys(assignments.success).find((flag) => flag in previous)
    if (clash !== undefined) return Result.fail(`tenant ${tenantId}: flag ${clash} is set twice`)
    if (Object.keys(assignments.success).length === 0) return Result.fail(`tenant ${tenantId} sets no flag`)
    tenants.set(tenantId, { ...previous, ...assignments.success })
  }
  return Result.succeed(tenants)
}

// Unset means "no overrides"; set but malformed is a ConfigError, surfaced when the layer is built.
const flagConfig = <A>(name: string, parse: (text: string) => Result.Result<A, string>): Config.Config<A> =>
  Config.String(name).pipe(
    Config.withDefault(""),
    Config.mapEffect((text) => {
      const parsed = parse(text)
      return Result.isSuccess(parsed)
        ? Effect.succeed(parsed.success)
        : Effect.fail(
            new Config.ConfigError(
              new Schema.SchemaError(new SchemaIssue.InvalidValue({ message: `${name}: ${parsed.failure}` }, text))
            )
          )
    })
  )

export class Flags extends Context.Service<
  Flags,
  {
    readonly isEnabled: (flag: FlagName, tenantId: string) => Effect.Effect<boolean>
    readonly recoveryAutopause: (tenantId: string) => Effect.Effect<boolean>
    readonly reconnectWizard: (tenantId: string) => Effect.Effect<boolean>
    readonly syntheticPings: (tenantId: string) => Effect.Effect<boolean>
    readonly chaosTests: (tenantId: string) => Effect.Effect<boolean>
    readonly weeklySummary: (tenantId: string) => Effect.Effect<boolean>
  }
>()("postd/flags/Flags") {
  /** The whole facade over one evaluator; the only thing a new provider has to write is the evaluator. */
  static readonly fromEvaluator = (evaluate: FlagEvaluator): Flags["Service"] => {
    const isEnabled = Effect.fn("Flags.isEnabled")(function* (flag: FlagName, tenantId: string) {
      yield* Effect.annotateCurrentSpan({ flag, tenantId })
      return yield* evaluate(flag, tenantId)
    })
    return Flags.of({
      isEnabled,
      recoveryAutopause: (tenantId) => isEnabled("RECOVERY_AUTOPAUSE_ENABLED", tenantId),
      reconnectWizard: (tenantId) => isEnabled("RECONNECT_WIZARD_ENABLED", tenantId),
      syntheticPings: (tenantId) => isEnabled("SYNTHETIC_PINGS_ENABLED", tenantId),
      chaosTests: (tenantId) => isEnabled("CHAOS_TESTS_ENABLED", tenantId),
      weeklySummary: (tenantId) => isEnabled("WEEKLY_SUMMARY_ENABLED", tenantId)
    })
  }

  static readonly fromSettings = (settings: StaticFlagSettings): Flags["Service"] =>
    Flags.fromEvaluator((flag, tenantId) =>
      Effect.succeed(settings.tenants.get(tenantId)?.[flag] ?? settings.defaults[flag])
    )

  /**
   * The static provider, configured by `FLAGS_DEFAULTS` ("FLAG=on,FLAG=off") over `FLAG_DEFAULTS`
   * and `FLAGS_TENANT_OVERRIDES` ("tenantA:FLAG=on,FLAG=off;tenantB:FLAG=off"). Malformed text
   * fails the layer with a ConfigError naming the variable and the entry, never silently ignored.
   */
  static readonly layerStatic: Layer.Layer<Flags, Config.ConfigError> = Layer.effect(
    Flags,
    Effect.gen(function* () {
      const defaults = yield* flagConfig("FLAGS_DEFAULTS", parseFlagDefaults)
      const tenants = yield* flagConfig("FLAGS_TENANT_OVERRIDES", parseTenantOverrides)
      return Flags.fromSettings({ defaults, tenants })
    })
  )

  /** For tests: flag values straight from a plain object, over the same defaults as production. */
  static readonly layerTest = (values: {
    readonly defaults?: FlagValues
    readonly tenants?: { readonly [tenantId: string]: FlagValues }
  }): Layer.Layer<Flags> =>
    Layer.succeed(
      Flags,
      Flags.fromSettings({
        defaults: { ...FLAG_DEFAULTS, ...values.defaults },
        tenants: new Map(Object.entries(values.tenants ?? {}))
      })
    )
}
