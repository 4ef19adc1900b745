import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The package version, from the nearest package.json above this module: one
 * level up from `src/` and `dist/`, further from the demo's and the
 * benchmarks' build folders.
 */
function packageVersion(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const file = join(dir, "package.json");
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
      if (pkg.name === "retryctl" && pkg.version) return pkg.version;
    }
    if (dirname(dir) === dir) throw new Error("retryctl's package.json not found above its modules");
  }
}

export const VERSION: string = packageVersion();

/**
 * What every retryctl SDK client adds to its user agent (clients.ts), so the
 * CloudTrail feed can tell retryctl's own writes from hand changes (design §10).
 */
export const USER_AGENT = `retryctl/${VERSION}`;
