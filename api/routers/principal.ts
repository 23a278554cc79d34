// Who did it, as the audit trail, the DLQ and backfill decisions record it: `role:subject`.
import type { Principal } from "../auth/Jwt.ts"

export const actorOf = (principal: Principal): string => `${principal.role}:${principal.subject}`
