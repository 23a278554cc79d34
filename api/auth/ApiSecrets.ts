// The API's own secrets: the HS256 key POSTD's auth issues frontend tokens with (AUTH_JWT_SECRET), and
// the key that signs OAuth states, derived from it (HKDF, its own label) so no second secret has to
// be distributed. Unset, a development secret under DATA_DIR keeps the local run zero-setup.
import { hkdfSync, randomBytes } from "node:crypto"
import { Config, Context, Effect, Layer, Option, Redacted } from "effect"
import { configError } from "../../core/config/ConfigError.ts"
import { developmentSecret } from "../../db/DevelopmentSecret.ts"

const DEV_JWT_SECRET_FILE = "auth-jwt.secret"
/** RFC 7518 §3.2: an HS256 key is at least the hash's size. */
const MIN_SECRET_BYTES = 32

export interface Secrets {
  readonly jwtKey: Uint8Array
  readonly stateKey: Uint8Array
}

export const secretsFrom = (jwtSecret: string): Secrets => {
  const jwtKey = new Uint8Array(Buffer.from(jwtSecret, "utf8"))
  const stateKey = new Uint8Array(hkdfSync("sha256", jwtKey, "postd", "postd/oauth-state/v1", 32))
  return { jwtKey, stateKey }
}

export class ApiSecrets extends Context.Service<ApiSecrets, Secrets & { readonly development: boolean }>()("postd/api/ApiSecrets") {
  static readonly layer = Layer.effect(
    ApiSecrets,
    Effect.gen(function* () {
      const configured = yield* Config.option(Config.Redacted("AUTH_JWT_SECRET"))
      if (Option.isSome(configured) && Redacted.value(configured.value) !== "") {
        const secret = Redacted.value(configured.value)
        if (Buffer.byteLength(secret, "utf8") < MIN_SECRET_BYTES) {
          return yield* Effect.fail(configError(`AUTH_JWT_SECRET: must be at least ${MIN_SECRET_BYTES} bytes for HS256`))
        }
        return ApiSecrets.of({ ...secretsFrom(secret), development: false })
      }
      const dataDir = yield* Config.String("DATA_DIR").pipe(Config.withDefault(".data"))
      const dev = yield* developmentSecret(dataDir, DEV_JWT_SECRET_FILE, () => randomBytes(32).toString("base64url"), "JWT secret")
      if (Buffer.byteLength(dev.value, "utf8") < MIN_SECRET_BYTES) {
        return yield* Effect.fail(configError(`${dev.file}: the development JWT secret is shorter than ${MIN_SECRET_BYTES} bytes`))
      }
      yield* Effect.logWarning(
        "AUTH_JWT_SECRET is not set: API tokens are checked against a development secret stored on this machine; set AUTH_JWT_SECRET in production"
      ).pipe(Effect.annotateLogs({ secretFile: dev.file, created: dev.created }))
      return ApiSecrets.of({ ...secretsFrom(dev.value), development: true })
    })
  )

  static readonly layerTest = (jwtSecret: string): Layer.Layer<ApiSecrets> =>
    Layer.succeed(ApiSecrets, ApiSecrets.of({ ...secretsFrom(jwtSecret), development: false }))
}
