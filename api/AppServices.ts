// The services the API's runtime provides to procedures: the union joined in api/main.ts.
import type { Database } from "../db/Database.ts"

export type AppServices = Database
