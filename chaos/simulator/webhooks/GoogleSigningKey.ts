// The simulated Google's OIDC signing key: one RSA key pair per simulator, made at start and kept
// across resets (as Google's keys outlive any one subscription), published as Google publishes its
// certs (JWKS), and used to sign the Pub/Sub push tokens. `impostor` signs with another key under the
// same kid, which only a signature check tells apart.
import { createPublicKey, generateKeyPairSync, type KeyObject, randomBytes, sign } from "node:crypto"

interface Jwk {
  readonly kty: string
  readonly n: string
  readonly e: string
  readonly alg: "RS256"
  readonly use: "sig"
  readonly kid: string
}

/** How long clients may cache Google's certs (6 hours): the cert endpoint's max-age and Expires. */
export const GOOGLE_CERTS_MAX_AGE_SEC = 21_600

/** What Google's cert endpoint sends with its keys (they rotate; clients cache per max-age). */
export const GOOGLE_CERTS_CACHE_CONTROL = `public, max-age=${GOOGLE_CERTS_MAX_AGE_SEC}, must-revalidate, no-transform`

const newKey = (): KeyObject => generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey

const base64url = (value: string | Buffer): string => Buffer.from(value).toString("base64url")

export class GoogleSigningKey {
  /** 40 hex characters, the form of Google's key ids. */
  readonly kid: string
  private readonly key: KeyObject
  private impostorKey: KeyObject | undefined

  constructor() {
    this.kid = randomBytes(20).toString("hex")
    this.key = newKey()
  }

  private impostor(): KeyObject {
    this.impostorKey ??= newKey()
    return this.impostorKey
  }

  /** The JWKS document of GET /www.googleapis.com/oauth2/v3/certs. */
  jwks(): { readonly keys: ReadonlyArray<Jwk> } {
    const jwk = createPublicKey(this.key).export({ format: "jwk" })
    return { keys: [{ kty: jwk.kty ?? "RSA", n: jwk.n ?? "", e: jwk.e ?? "", alg: "RS256", use: "sig", kid: this.kid }] }
  }

  /** A compact RS256 JWT with this key's kid; `impostor` signs it with another key under that kid. */
  signJwt(claims: Readonly<Record<string, unknown>>, options: { readonly impostor?: boolean } = {}): string {
    const header = base64url(JSON.stringify({ alg: "RS256", kid: this.kid, typ: "JWT" }))
    const payload = base64url(JSON.stringify(claims))
    const signingInput = `${header}.${payload}`
    const key = options.impostor === true ? this.impostor() : this.key
    return `${signingInput}.${sign("sha256", Buffer.from(signingInput), key).toString("base64url")}`
  }
}
