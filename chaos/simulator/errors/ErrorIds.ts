// Request and trace ids in the formats partners use, so logs from a simulated run look like real ones.
import { randomBytes, randomUUID } from "node:crypto"

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

/** Meta's fbtrace_id: 11 or more alphanumerics. */
export const fbtraceId = (): string => Array.from(randomBytes(23), (b) => ALNUM[b % ALNUM.length]).join("")

/** TikTok's log_id: a timestamp then hex, 34 characters. */
export const tiktokLogId = (now: Date = new Date()): string =>
  `${now.toISOString().replace(/\D/g, "").slice(0, 14)}${randomBytes(10).toString("hex").toUpperCase()}`

export const requestId = (): string => randomUUID()
