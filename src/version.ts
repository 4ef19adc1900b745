import { readFileSync } from "node:fs";

/** The package version, from the package.json that ships beside `src/` and `dist/`. */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
).version;

/**
 * What every retryctl SDK client adds to its user agent (clients.ts), so the
 * CloudTrail feed can tell retryctl's own writes from hand changes (design §10).
 */
export const USER_AGENT = `retryctl/${VERSION}`;
