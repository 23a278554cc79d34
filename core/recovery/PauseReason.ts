// Why a channel was paused, in words a customer can act on: what went wrong, what to do about it,
// and whether only a reconnect can fix it. Stored on the connection when it is auto-paused.
import { type Category, type ErrorCode, PLATFORM_NAMES, type Platform, TAXONOMY } from "../taxonomy/Taxonomy.ts"

export type PausedStatus = "attention" | "revoked"

export interface PauseReason {
  readonly code: ErrorCode
  readonly status: PausedStatus
  readonly description: string
  readonly recoveryAction: string
  readonly requiresReauth: boolean
}

interface Wording {
  readonly description: string
  readonly recoveryAction: string
}

// One entry per code whose taxonomy entry pauses the channel. `{platform}` is filled in.
const PAUSING: { readonly [C in ErrorCode]?: Wording } = {
  AUTH_EXPIRED: {
    description: "Your {platform} connection expired and could not be renewed automatically.",
    recoveryAction: "Reconnect {platform} to renew access; scheduled posts resume once it is reconnected."
  },
  AUTH_INVALID: {
    description: "Your {platform} connection is no longer valid, for example after a logout or a password change.",
    recoveryAction: "Reconnect {platform}; scheduled posts are kept and resume once it is reconnected."
  },
  APP_DEAUTHORIZED: {
    description: "POSTD was removed from your {platform} account, so it can no longer publish there.",
    recoveryAction: "Reconnect {platform} and approve POSTD again; scheduled posts are kept until then."
  },
  PERMISSION_INSUFFICIENT: {
    description: "Your {platform} connection is missing a permission POSTD needs to publish.",
    recoveryAction: "Reconnect {platform} and approve every permission POSTD asks for."
  },
  TOKEN_REFRESH_FAILED: {
    description: "{platform} refused to renew your connection, so POSTD can no longer publish there.",
    recoveryAction: "Reconnect {platform} to grant access again; scheduled posts resume once it is reconnected."
  },
  ACCOUNT_RESTRICTED: {
    description: "{platform} has restricted this account, so posting is paused.",
    recoveryAction: "Resolve the restriction on {platform} (check its notifications or support centre), then resume the channel."
  },
  RESOURCE_NOT_FOUND: {
    description: "The {platform} page, location or list this channel posts to no longer exists or is no longer visible to POSTD.",
    recoveryAction: "Check that it still exists and that your account can still manage it, then reconnect or choose another one."
  },
  CIRCUIT_BREAKER_OPEN: {
    description: "Publishing to {platform} is paused after repeated failures on {platform}'s side.",
    recoveryAction: "Nothing to do: POSTD tests {platform} again shortly and resumes on its own once it answers."
  }
}

// Codes that do not pause by themselves still get an answer (an operator may pause manually, or a
// later policy may pause on them); the advice follows the code's category.
const BY_CATEGORY: { readonly [K in Category]: string } = {
  auth: "Reconnect {platform} to restore access.",
  account: "Check the account on {platform}, then resume the channel.",
  throttle: "Nothing to do: POSTD waits for {platform}'s limit to reset; resume the channel if it stays paused.",
  partner: "Nothing to do: POSTD retries once {platform} recovers; resume the channel if it stays paused.",
  system: "Nothing to do on your side: our team has been alerted; resume the channel once it is resolved.",
  request: "Edit the affected post, then resume the channel.",
  content: "Edit the affected post's text or media, then resume the channel.",
  guardrail: "Change the post to a format {platform} supports with this connection, then resume the channel.",
  webhook: "Nothing to do on your side: our team has been alerted.",
  unknown: "Our team has been alerted; resume the channel once they confirm it is resolved."
}

const fill = (text: string, platform: Platform | undefined): string =>
  text.replaceAll("{platform}", platform === undefined ? "the partner" : PLATFORM_NAMES[platform])

/**
 * Whether a reconnect through the platform's OAuth can lift a pause with `code`: every auth pause,
 * and a target gone (the user may grant the page or location again). A restriction, or the breaker,
 * is not fixed by signing in again.
 */
export const offersReconnect = (code: ErrorCode): boolean => buildPauseReason(code).requiresReauth || code === "RESOURCE_NOT_FOUND"

export const buildPauseReason = (code: ErrorCode, platform?: Platform): PauseReason => {
  const entry = TAXONOMY[code]
  const wording = PAUSING[code]
  return {
    code,
    // A deauthorized app is gone for good on the partner's side; every other pause can be lifted.
    status: code === "APP_DEAUTHORIZED" ? "revoked" : "attention",
    description: fill(wording?.description ?? entry.userMessage, platform),
    recoveryAction: fill(wording?.recoveryAction ?? BY_CATEGORY[entry.category], platform),
    // The taxonomy says AUTH_EXPIRED needs no reauth because a refresh usually fixes it; a channel is
    // paused on AUTH_EXPIRED only once refreshing was impossible, so then only a reconnect helps.
    requiresReauth: entry.requiresReauth || code === "AUTH_EXPIRED"
  }
}
