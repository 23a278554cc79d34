// The checks every partner API call goes through, in the order partners apply them: a token at all,
// a known token of this platform, not revoked, not expired; then the target account exists, the
// grant covers it, it may post (writes only), and the grant holds the call's scopes.
import type { Platform } from "../../../core/taxonomy/Taxonomy.ts"
import type { Account, Grant, SimulatorState } from "../SimulatorState.ts"
import type { Denial } from "./PlatformModule.ts"

export interface AccessRequirements {
  /** The account the call acts on; omitted for calls about the token's own user (`/me`, userinfo). */
  readonly accountId?: string | undefined
  /** Every one is required. */
  readonly scopes?: ReadonlyArray<string>
  /** Restrictions block publishing; reads keep working. */
  readonly write?: boolean
}

export type AccessResult =
  | { readonly ok: true; readonly grant: Grant; readonly account: Account | undefined }
  | { readonly ok: false; readonly denial: Denial }

export const checkAccess = (
  state: SimulatorState,
  platform: Platform,
  token: string | undefined,
  requirements: AccessRequirements = {}
): AccessResult => {
  if (token === undefined || token === "") return { ok: false, denial: { kind: "missing_token" } }
  const found = state.accessToken(token)
  if (found === undefined || found.grant.platform !== platform) return { ok: false, denial: { kind: "invalid_token" } }
  const { grant } = found
  if (grant.revoked) return { ok: false, denial: { kind: "revoked" } }
  if (found.token.expiresAt !== null && state.now() >= found.token.expiresAt) return { ok: false, denial: { kind: "expired" } }

  const accountId = requirements.accountId
  let account: Account | undefined
  if (accountId !== undefined) {
    account = state.account(platform, accountId)
    if (account === undefined || account.deleted) return { ok: false, denial: { kind: "not_found", accountId } }
    if (!grant.accountIds.includes(accountId)) return { ok: false, denial: { kind: "not_authorized_for_account", accountId } }
    if (requirements.write === true && account.restricted !== null) {
      return { ok: false, denial: { kind: "restricted", accountId, variant: account.restricted } }
    }
  }
  const missing = (requirements.scopes ?? []).filter((scope) => !grant.scopes.has(scope))
  if (missing.length > 0) return { ok: false, denial: { kind: "scope", missing } }
  return { ok: true, grant, account }
}
