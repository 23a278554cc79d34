import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Layer, Result } from "effect"
import { FLAG_DEFAULTS, FLAG_NAMES } from "./FlagName.ts"
import { Flags, parseFlagDefaults, parseTenantOverrides } from "./Flags.ts"

const staticFlags = (env: Record<string, string>) =>
  Flags.layerStatic.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown(env))))

const everyFlag = (tenantId: string) =>
  Effect.gen(function* () {
    const flags = yield* Flags
    return {
      RECOVERY_AUTOPAUSE_ENABLED: yield* flags.recoveryAutopause(tenantId),
      RECONNECT_WIZARD_ENABLED: yield* flags.reconnectWizard(tenantId),
      SYNTHETIC_PINGS_ENABLED: yield* flags.syntheticPings(tenantId),
      CHAOS_TESTS_ENABLED: yield* flags.chaosTests(tenantId),
      WEEKLY_SUMMARY_ENABLED: yield* flags.weeklySummary(tenantId)
    }
  })

const buildError = (env: Record<string, string>) =>
  Effect.gen(function* () {
    const exit = yield* Layer.build(staticFlags(env)).pipe(Effect.scoped, Effect.exit)
    assert.isTrue(Exit.isFailure(exit), "the layer must refuse this configuration")
    return Exit.isFailure(exit) ? String(exit.cause) : ""
  })

describe("Flags.layerStatic", () => {
  it.effect("turns every flag on except chaos tests when nothing is configured", () =>
    Effect.gen(function* () {
      assert.deepStrictEqual(yield* everyFlag("tenant-1"), {
        RECOVERY_AUTOPAUSE_ENABLED: true,
        RECONNECT_WIZARD_ENABLED: true,
        SYNTHETIC_PINGS_ENABLED: true,
        CHAOS_TESTS_ENABLED: false,
        WEEKLY_SUMMARY_ENABLED: true
      })
    }).pipe(Effect.provide(staticFlags({}))))

  it.effect("applies FLAGS_DEFAULTS to every tenant and keeps the built-in default for unnamed flags", () =>
    Effect.gen(function* () {
      const values = yield* everyFlag("any-tenant")
      assert.isFalse(values.RECOVERY_AUTOPAUSE_ENABLED)
      assert.isTrue(values.CHAOS_TESTS_ENABLED)
      assert.isTrue(values.WEEKLY_SUMMARY_ENABLED)
    }).pipe(
      Effect.provide(staticFlags({ FLAGS_DEFAULTS: "RECOVERY_AUTOPAUSE_ENABLED=off, CHAOS_TESTS_ENABLED=on" }))
    ))

  it.effect("lets a tenant override win over the defaults for that tenant only", () =>
    Effect.gen(function* () {
      const flags = yield* Flags
      assert.isTrue(yield* flags.weeklySummary("tenantA"))
      assert.isFalse(yield* flags.weeklySummary("tenantB"))
      assert.isFalse(yield* flags.recoveryAutopause("tenantB"))
      assert.isTrue(yield* flags.recoveryAutopause("tenantA"))
      assert.isTrue(yield* flags.chaosTests("tenantA"))
      assert.isFalse(yield* flags.chaosTests("tenantC"))
    }).pipe(
      Effect.provide(
        staticFlags({
          FLAGS_DEFAULTS: "WEEKLY_SUMMARY_ENABLED=off",
          FLAGS_TENANT_OVERRIDES:
            "tenantA:WEEKLY_SUMMARY_ENABLED=on,CHAOS_TESTS_ENABLED=on;tenantB:RECOVERY_AUTOPAUSE_ENABLED=off"
        })
      )
    ))

  it.effect("answers isEnabled by name the same as the per-flag method", () =>
    Effect.gen(function* () {
      const flags = yield* Flags
      for (const flag of FLAG_NAMES) {
        const byName = yield* flags.isEnabled(flag, "tenantA")
        assert.strictEqual(byName, (yield* everyFlag("tenantA"))[flag], flag)
      }
    }).pipe(Effect.provide(staticFlags({ FLAGS_TENANT_OVERRIDES: "tenantA:CHAOS_TESTS_ENABLED=on" }))))

  it.effect("refuses an unknown flag name in FLAGS_DEFAULTS with a ConfigError naming it", () =>
    Effect.gen(function* () {
      const message = yield* buildError({ FLAGS_DEFAULTS: "RECOVERY_AUTOPAUSE=on" })
      assert.include(message, "FLAGS_DEFAULTS")
      assert.include(message, 'unknown flag "RECOVERY_AUTOPAUSE"')
    }))

  it.effect("refuses a value that is neither on nor off", () =>
    Effect.gen(function* () {
      const message = yield* buildError({ FLAGS_DEFAULTS: "CHAOS_TESTS_ENABLED=maybe" })
      assert.include(message, 'CHAOS_TESTS_ENABLED has value "maybe"')
    }))

  it.effect("refuses a tenant override without a tenant id or a flag", () =>
    Effect.gen(function* () {
      assert.include(yield* buildError({ FLAGS_TENANT_OVERRIDES: "WEEKLY_SUMMARY_ENABLED=on" }), "FLAGS_TENANT_OVERRIDES")
      assert.include(yield* buildError({ FLAGS_TENANT_OVERRIDES: ":WEEKLY_SUMMARY_ENABLED=on" }), "no valid tenant id")
      assert.include(yield* buildError({ FLAGS_TENANT_OVERRIDES: "tenantA:" }), "sets no flag")
    }))
})

describe("Flags.layerTest", () => {
  it.effect("evaluates a plain object over the production defaults", () =>
    Effect.gen(function* () {
      const flags = yield* Flags
      assert.isTrue(yield* flags.chaosTests("t1"))
      assert.isFalse(yield* flags.syntheticPings("t1"))
      assert.isTrue(yield* flags.syntheticPings("t2"))
      assert.isFalse(yield* flags.chaosTests("t2"))
      assert.isTrue(yield* flags.reconnectWizard("t3"))
    }).pipe(
      Effect.provide(
        Flags.layerTest({
          defaults: { SYNTHETIC_PINGS_ENABLED: false },
          tenants: { t1: { CHAOS_TESTS_ENABLED: true }, t2: { SYNTHETIC_PINGS_ENABLED: true } }
        })
      )
    ))
})

describe("Flags.fromEvaluator", () => {
  it.effect("routes every per-flag method through the one evaluator a provider supplies", () =>
    Effect.gen(function* () {
      const asked: Array<string> = []
      const flags = Flags.fromEvaluator((flag, tenantId) =>
        Effect.sync(() => {
          asked.push(`${tenantId}/${flag}`)
          return flag === "WEEKLY_SUMMARY_ENABLED"
        })
      )
      assert.isTrue(yield* flags.weeklySummary("t"))
      assert.isFalse(yield* flags.recoveryAutopause("t"))
      assert.deepStrictEqual(asked, ["t/WEEKLY_SUMMARY_ENABLED", "t/RECOVERY_AUTOPAUSE_ENABLED"])
    }))
})

describe("flag config parsing", () => {
  it("accepts on/off, true/false and 1/0 in any case, ignoring blanks", () => {
    const parsed = parseFlagDefaults(" CHAOS_TESTS_ENABLED=ON ,, WEEKLY_SUMMARY_ENABLED=false,SYNTHETIC_PINGS_ENABLED=0 ")
    assert.deepStrictEqual(parsed, Result.succeed({
      ...FLAG_DEFAULTS,
      CHAOS_TESTS_ENABLED: true,
      WEEKLY_SUMMARY_ENABLED: false,
      SYNTHETIC_PINGS_ENABLED: false
    }))
  })

  it("refuses a flag set twice, in the defaults and within one tenant", () => {
    assert.isTrue(Result.isFailure(parseFlagDefaults("CHAOS_TESTS_ENABLED=on,CHAOS_TESTS_ENABLED=off")))
    assert.isTrue(
      Result.isFailure(parseTenantOverrides("a:CHAOS_TESTS_ENABLED=on;a:CHAOS_TESTS_ENABLED=off"))
    )
  })

  it("merges two groups for the same tenant when they set different flags", () => {
    const parsed = parseTenantOverrides("a:CHAOS_TESTS_ENABLED=on; a:WEEKLY_SUMMARY_ENABLED=off")
    assert.isTrue(Result.isSuccess(parsed))
    if (Result.isSuccess(parsed)) {
      assert.deepStrictEqual(parsed.success.get("a"), { CHAOS_TESTS_ENABLED: true, WEEKLY_SUMMARY_ENABLED: false })
    }
  })

  it("refuses an entry that is not FLAG=value", () => {
    assert.isTrue(Result.isFailure(parseFlagDefaults("CHAOS_TESTS_ENABLED")))
    assert.isTrue(Result.isFailure(parseFlagDefaults("CHAOS_TESTS_ENABLED=on=off")))
  })
})
