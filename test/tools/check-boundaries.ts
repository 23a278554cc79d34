// Import-boundary check (part of `npm run lint`): keeps the layering of STYLE.md visible and enforced.
// core imports only `effect` and itself; every other folder may import only the folders listed for
// it; the composition roots (api/main.ts, its local demo api/localDemo.ts, jobs/main.ts), the test
// tree and tests outside core may join anything.
import { readdirSync, readFileSync } from "node:fs"
import path from "node:path"

const ROOT = path.resolve(import.meta.dirname, "../..")
const FOLDERS = ["core", "db", "jobs", "api", "flags", "observability", "chaos", "test"] as const
type Folder = (typeof FOLDERS)[number]

const ALLOWED_FOLDERS: { readonly [F in Folder]: ReadonlyArray<Folder> } = {
  core: [],
  observability: ["core"],
  flags: ["core", "observability"],
  db: ["core", "observability"],
  chaos: ["core", "observability"],
  jobs: ["core", "db", "flags", "observability"],
  api: ["core", "db", "jobs", "flags", "observability"],
  test: ["core", "db", "jobs", "api", "flags", "observability", "chaos"]
}
const COMPOSITION_ROOTS = new Set(["api/main.ts", "api/localDemo.ts", "jobs/main.ts"])
// core is pure: no I/O libraries, no Node built-ins, only effect. Its tests beside the code may
// also use the test tooling (vitest, fast-check) and the shared harness in test/.
const CORE_PACKAGES = /^effect(\/|$)/
const isTestFile = (rel: string): boolean => /\.test\.ts$/.test(rel)
// A test outside core composes layers the way a composition root does, so it may import any folder;
// core's tests stay pure apart from the shared harness in test/.
const testMayImport = (folder: Folder, target: Folder): boolean => folder !== "core" || target === "test"

const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|(?:^|[\s;])import\s*["']([^"']+)["']/gm

const walk = (dir: string): Array<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) return []
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) return walk(full)
    return /\.(ts|mts|js|mjs)$/.test(entry.name) ? [full] : []
  })

const folderOf = (file: string): Folder | undefined => {
  const top = path.relative(ROOT, file).split(path.sep)[0]
  return FOLDERS.find((f) => f === top)
}

const violations: Array<string> = []
for (const folder of FOLDERS) {
  let files: Array<string>
  try {
    files = walk(path.join(ROOT, folder))
  } catch {
    continue
  }
  for (const file of files) {
    const rel = path.relative(ROOT, file)
    if (COMPOSITION_ROOTS.has(rel) || folder === "test") continue
    const source = readFileSync(file, "utf8")
    for (const match of source.matchAll(IMPORT)) {
      const spec = match[1] ?? match[2] ?? match[3]
      if (spec === undefined) continue
      if (spec.startsWith(".")) {
        const target = folderOf(path.resolve(path.dirname(file), spec))
        if (target === undefined) {
          violations.push(`${rel}: imports ${spec}, which is outside the project's folders`)
        } else if (target !== folder && !ALLOWED_FOLDERS[folder].includes(target) && !(isTestFile(rel) && testMayImport(folder, target))) {
          violations.push(`${rel}: ${folder}/ may not import ${target}/ (${spec})`)
        }
      } else if (folder === "core" && !CORE_PACKAGES.test(spec) && !isTestFile(rel)) {
        violations.push(`${rel}: core/ may import only "effect", not "${spec}" (core is pure: no I/O)`)
      }
    }
  }
}

if (violations.length > 0) {
  console.error(`import boundaries: ${violations.length} violation(s)\n${violations.join("\n")}`)
  process.exit(1)
}
console.log("import boundaries: ok")
