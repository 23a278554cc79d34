import { randomBytes } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Layer, Redacted, Result } from "effect"
import fc from "fast-check"
import { openWith, parseKeyring, sealWith, TokenCipher, type Keyring } from "./TokenCipher.ts"

const key = () => randomBytes(32).toString("base64")
const keyring = (text: string): Keyring => {
  const parsed = parseKeyring(text)
  if (Result.isFailure(parsed)) throw new Error(parsed.failure)
  return parsed.success
}
const failureOf = (result: Result.Result<Redacted.Redacted<string>, { readonly reason: string; readonly message: string }>) => {
  assert.isTrue(Result.isFailure(result), "the envelope must not open")
  return Result.isFailure(result) ? result.failure : { reason: "", message: "" }
}

const k1 = keyring(`k1:${key()}`)
const ENVELOPE_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."

describe("TokenCipher envelope", () => {
  it("round-trips any string, unicode included", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 300 }), (plaintext) => {
        const opened = openWith(k1, sealWith(k1, Redacted.make(plaintext)))
        assert.isTrue(Result.isSuccess(opened))
        if (Result.isSuccess(opened)) assert.strictEqual(Redacted.value(opened.success), plaintext)
      })
    )
  })

  it("has the v1.<keyId>.<iv>.<tag>.<ciphertext> shape, never contains the plaintext, and differs per encryption", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 4, maxLength: 200 }), (plaintext) => {
        const a = sealWith(k1, Redacted.make(plaintext))
        const b = sealWith(k1, Redacted.make(plaintext))
        assert.match(a, /^v1\.k1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]*$/)
        assert.notInclude(a, plaintext)
        assert.notInclude(a, Buffer.from(plaintext).toString("base64url"))
        assert.notStrictEqual(a, b)
      })
    )
  })

  it("refuses an envelope with any single character changed, without echoing envelope or plaintext", () => {
    const plaintext = "EAAB-secret-access-token-ü"
    const envelope = sealWith(k1, Redacted.make(plaintext))
    fc.assert(
      fc.property(
        fc.nat({ max: envelope.length - 1 }),
        fc.constantFrom(...ENVELOPE_CHARS),
        (index, replacement) => {
          fc.pre(envelope[index] !== replacement)
          const tampered = envelope.slice(0, index) + replacement + envelope.slice(index + 1)
          const error = failureOf(openWith(k1, tampered))
          assert.notInclude(error.message, plaintext)
          assert.notInclude(error.message, tampered.split(".").slice(2).join("."))
        }
      ),
      { numRuns: 500 }
    )
  })

  it("refuses extended and garbage envelopes as malformed", () => {
    const envelope = sealWith(k1, Redacted.make("token"))
    for (const bad of ["", "v1", `${envelope}.x`, `v2${envelope.slice(2)}`, "v1.k1.a.b.c", `${envelope}=`]) {
      assert.strictEqual(failureOf(openWith(k1, bad)).reason, "malformed", bad)
    }
  })

  it("refuses a truncated envelope, as malformed or tampered depending on where the cut falls", () => {
    // Dropping a base64url character either leaves an undecodable length (malformed) or decodes to a
    // shorter ciphertext that fails authentication (tampered): never a plaintext.
    for (let i = 0; i < 50; i++) {
      const envelope = sealWith(k1, Redacted.make(`token-${i}`))
      for (let cut = 1; cut <= 3; cut++) {
        assert.include(["malformed", "tampered"], failureOf(openWith(k1, envelope.slice(0, -cut))).reason)
      }
    }
  })

  it("refuses an envelope sealed with a key it does not hold, by key id and by key material", () => {
    const other = keyring(`k2:${key()}`)
    const sameIdOtherKey = keyring(`k1:${key()}`)
    const envelope = sealWith(k1, Redacted.make("token"))
    assert.strictEqual(failureOf(openWith(other, envelope)).reason, "unknown_key")
    assert.strictEqual(failureOf(openWith(sameIdOtherKey, envelope)).reason, "tampered")
  })

  it("binds the key id: re-labelling an envelope with another held key id fails", () => {
    const both = keyring(`k1:${key()},k2:${key()}`)
    const envelope = sealWith(both, Redacted.make("token"))
    assert.strictEqual(failureOf(openWith(both, envelope.replace("v1.k1.", "v1.k2."))).reason, "tampered")
  })
})

describe("parseKeyring", () => {
  it("encrypts with the first key and keeps all of them for decryption", () => {
    const ring = keyring(` new:${key()} , old:${key()}`)
    assert.strictEqual(ring.current.id, "new")
    assert.deepStrictEqual([...ring.keys.keys()], ["new", "old"])
  })

  it("refuses wrong lengths, bad base64, duplicate or bad ids and empty lists, naming the id but never the key", () => {
    const short = randomBytes(16).toString("base64")
    const cases: ReadonlyArray<readonly [string, RegExp]> = [
      [`a:${short}`, /"a" is 16 bytes/],
      ["a:not*base64!", /"a" is not valid base64/],
      [`a:${key()},a:${key()}`, /"a" appears twice/],
      [`bad.id:${key()}`, /key id "bad.id"/],
      [key(), /not keyId:base64-key/],
      [" , ", /no key given/]
    ]
    for (const [text, expected] of cases) {
      const parsed = parseKeyring(text)
      assert.isTrue(Result.isFailure(parsed), text)
      if (Result.isFailure(parsed)) {
        assert.match(parsed.failure, expected)
        for (const part of text.split(/[,:]/).filter((p) => p.length > 20)) assert.notInclude(parsed.failure, part)
      }
    }
  })
})

const cipherFrom = (env: Record<string, string>) =>
  TokenCipher.layer.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown(env))))

describe("TokenCipher.layer", () => {
  it.effect("rotates: an envelope from the old key opens after a new key is put first, and new envelopes use the new key", () =>
    Effect.gen(function* () {
      const oldKey = key()
      const before = yield* Effect.gen(function* () {
        return (yield* TokenCipher).encrypt(Redacted.make("old-token"))
      }).pipe(Effect.provide(cipherFrom({ TOKEN_ENCRYPTION_KEYS: `2025:${oldKey}` })))
      const { after, reopened } = yield* Effect.gen(function* () {
        const cipher = yield* TokenCipher
        return { after: cipher.encrypt(Redacted.make("new-token")), reopened: yield* cipher.decrypt(before) }
      }).pipe(Effect.provide(cipherFrom({ TOKEN_ENCRYPTION_KEYS: `2026:${key()},2025:${oldKey}` })))
      assert.strictEqual(Redacted.value(reopened), "old-token")
      assert.isTrue(after.startsWith("v1.2026."))
    }))

  it.effect("fails decrypt with a typed TokenDecryptError", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip((yield* TokenCipher).decrypt("v1.nope.AAAA.AAAA.AAAA"))
      assert.strictEqual(error._tag, "TokenDecryptError")
      assert.strictEqual(error.reason, "malformed")
    }).pipe(Effect.provide(cipherFrom({ TOKEN_ENCRYPTION_KEYS: `k:${key()}` }))))

  it.effect("refuses a malformed TOKEN_ENCRYPTION_KEYS with a configuration error that hides the key", () =>
    Effect.gen(function* () {
      const short = randomBytes(31).toString("base64")
      const exit = yield* Layer.build(cipherFrom({ TOKEN_ENCRYPTION_KEYS: `main:${short}` })).pipe(Effect.scoped, Effect.exit)
      assert.isTrue(Exit.isFailure(exit))
      const text = Exit.isFailure(exit) ? String(exit.cause) : ""
      assert.match(text, /TOKEN_ENCRYPTION_KEYS: key "main" is 31 bytes/)
      assert.notInclude(text, short)
    }))
})
