// Encrypts partner tokens at rest: AES-256-GCM, a fresh 96-bit IV per encryption, and a key id in
// every envelope so keys can rotate (the first configured key encrypts, every configured key decrypts).
// Envelope: `v1.<keyId>.<iv>.<tag>.<ciphertext>`, each binary part base64url; `v1.<keyId>` is bound as AAD.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto"
import { Config, Context, Effect, Layer, Option, Redacted, Result, Schema } from "effect"
import { configError } from "../core/config/ConfigError.ts"
import { developmentSecret } from "./DevelopmentSecret.ts"

const VERSION = "v1"
const KEY_BYTES = 32
const IV_BYTES = 12
const TAG_BYTES = 16
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
const BASE64URL = /^[A-Za-z0-9_-]*$/
export const DEV_KEY_FILE = "token-encryption.key"

/** Why a stored envelope could not be opened. Never carries the envelope or the plaintext. */
export class TokenDecryptError extends Schema.TaggedError<TokenDecryptError>()("TokenDecryptError", {
  reason: Schema.Literals(["malformed", "unknown_key", "tampered"]),
  message: Schema.String
}) {}

export interface Keyring {
  /** The key new envelopes are sealed with; also in `keys`. */
  readonly current: { readonly id: string; readonly key: Uint8Array }
  readonly keys: ReadonlyMap<string, Uint8Array>
}

/** Parses `keyId:base64-32-bytes[,keyId:…]`; messages name the key id, never the key material. */
export const parseKeyring = (text: string): Result.Result<Keyring, string> => {
  const keys = new Map<string, Uint8Array>()
  let current: Keyring["current"] | undefined
  for (const raw of text.split(",")) {
    const item = raw.trim()
    if (item === "") continue
    const colon = item.indexOf(":")
    if (colon === -1) return Result.fail(`entry ${keys.size + 1} is not keyId:base64-key`)
    const id = item.slice(0, colon).trim()
    const material = item.slice(colon + 1).trim()
    if (!KEY_ID.test(id)) return Result.fail(`key id "${id.slice(0, 32)}" must be 1-32 of A-Z a-z 0-9 _ -`)
    if (keys.has(id)) return Result.fail(`key id "${id}" appears twice`)
    if (!BASE64.test(material)) return Result.fail(`key "${id}" is not valid base64`)
    const bytes = Buffer.from(material, "base64")
    if (bytes.length !== KEY_BYTES) return Result.fail(`key "${id}" is ${bytes.length} bytes; AES-256 needs ${KEY_BYTES}`)
    keys.set(id, bytes)
    current ??= { id, key: bytes }
  }
  return current === undefined ? Result.fail("no key given") : Result.succeed({ current, keys })
}

const b64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64url")

// Strict: a non-canonical segment (e.g. altered padding bits) is refused, so any change to the
// envelope's text is detected, not only changes that alter decoded bytes.
const fromB64url = (text: string): Uint8Array | undefined => {
  if (!BASE64URL.test(text)) return undefined
  const bytes = Buffer.from(text, "base64url")
  return bytes.toString("base64url") === text ? bytes : undefined
}

const malformed = () => new TokenDecryptError({ reason: "malformed", message: "token envelope is malformed" })

export const sealWith = (keyring: Keyring, plaintext: Redacted.Redacted<string>): string => {
  const { id, key } = keyring.current
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv("aes-256-gcm", key, iv)
  cipher.setAAD(Buffer.from(`${VERSION}.${id}`))
  const ciphertext = Buffer.concat([cipher.update(Redacted.value(plaintext), "utf8"), cipher.final()])
  return [VERSION, id, b64url(iv), b64url(cipher.getAuthTag()), b64url(ciphertext)].join(".")
}

export const openWith = (keyring: Keyring, envelope: string): Result.Result<Redacted.Redacted<string>, TokenDecryptError> => {
  const parts = envelope.split(".")
  if (parts.length !== 5) return Result.fail(malformed())
  const [version, keyId = "", ivText = "", tagText = "", ctText = ""] = parts
  if (version !== VERSION || !KEY_ID.test(keyId)) return Result.fail(malformed())
  const iv = fromB64url(ivText)
  const tag = fromB64url(tagText)
  const ciphertext = fromB64url(ctText)
  if (iv?.length !== IV_BYTES || tag?.length !== TAG_BYTES || ciphertext === undefined) return Result.fail(malformed())
  const key = keyring.keys.get(keyId)
  if (key === undefined) {
    return Result.fail(new TokenDecryptError({ reason: "unknown_key", message: `token was sealed with key "${keyId}", which is not configured` }))
  }
  const decipher = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES })
  decipher.setAAD(Buffer.from(`${VERSION}.${keyId}`))
  decipher.setAuthTag(tag)
  // GCM authenticated the bytes we sealed, and we only seal UTF-8 strings, so the decode is exact.
  return Result.try({
    try: () => Redacted.make(Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString("utf8")),
    catch: () => new TokenDecryptError({ reason: "tampered", message: `token sealed with key "${keyId}" failed authentication` })
  })
}

/** The development key under DATA_DIR, made on the first start and reused (see DevelopmentSecret.ts). */
const developmentKeyring = Effect.fn("TokenCipher.developmentKeyring")(function* (dataDir: string) {
  const secret = yield* developmentSecret(dataDir, DEV_KEY_FILE, () => `dev:${randomBytes(KEY_BYTES).toString("base64")}`, "token key")
  const parsed = parseKeyring(secret.value)
  if (Result.isFailure(parsed)) return yield* Effect.fail(configError(`${secret.file}: ${parsed.failure}`))
  yield* Effect.logWarning(
    "TOKEN_ENCRYPTION_KEYS is not set: partner tokens are encrypted with a development key stored on this machine; set TOKEN_ENCRYPTION_KEYS in production"
  ).pipe(Effect.annotateLogs({ keyFile: secret.file, created: secret.created }))
  return parsed.success
})

export class TokenCipher extends Context.Service<
  TokenCipher,
  {
    readonly encrypt: (plaintext: Redacted.Redacted<string>) => string
    readonly decrypt: (envelope: string) => Effect.Effect<Redacted.Redacted<string>, TokenDecryptError>
  }
>()("postd/db/TokenCipher") {
  static readonly fromKeyring = (keyring: Keyring): TokenCipher["Service"] =>
    TokenCipher.of({
      encrypt: (plaintext) => sealWith(keyring, plaintext),
      decrypt: Effect.fn("TokenCipher.decrypt")(function* (envelope: string) {
        return yield* Effect.fromResult(openWith(keyring, envelope))
      })
    })

  /** `TOKEN_ENCRYPTION_KEYS`, else a development key under `DATA_DIR` (default `.data`). */
  static readonly layer = Layer.effect(
    TokenCipher,
    Effect.gen(function* () {
      const configured = yield* Config.option(Config.Redacted("TOKEN_ENCRYPTION_KEYS"))
      if (Option.isSome(configured) && Redacted.value(configured.value).trim() !== "") {
        const parsed = parseKeyring(Redacted.value(configured.value))
        if (Result.isFailure(parsed)) return yield* Effect.fail(configError(`TOKEN_ENCRYPTION_KEYS: ${parsed.failure}`))
        return TokenCipher.fromKeyring(parsed.success)
      }
      const dataDir = yield* Config.String("DATA_DIR").pipe(Config.withDefault(".data"))
      return TokenCipher.fromKeyring(yield* developmentKeyring(dataDir))
    })
  )
}
