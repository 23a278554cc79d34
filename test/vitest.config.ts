// Two projects: `unit` (pure, beside the code) and `db` (real PostgreSQL, real HTTP). The db project
// gets one PostgreSQL server per run from test/db/globalSetup.ts and a fresh database per test file.
import path from "node:path"
import { defineConfig } from "vitest/config"

export default defineConfig({
  root: path.resolve(import.meta.dirname, ".."),
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    projects: [
      {
        test: {
          name: "unit",
          include: ["{core,api,jobs,db,flags,observability,chaos,test}/**/*.test.ts"],
          exclude: ["**/*.integration.test.ts", "**/node_modules/**"]
        }
      },
      {
        test: {
          name: "db",
          include: ["{core,api,jobs,db,flags,observability,chaos,test}/**/*.integration.test.ts"],
          exclude: ["**/node_modules/**"],
          globalSetup: ["test/db/globalSetup.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000
        }
      }
    ]
  }
})
