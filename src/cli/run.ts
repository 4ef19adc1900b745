import type { GlobalOptions } from "./context.js";

export interface RunOptions extends GlobalOptions {
  dir: string;
  resyncInterval: number;
  mode: "enforce" | "observe";
  listen: string;
  concurrency: number;
  debounce: number;
}

/** `retryctl run`: wired to the controller once it lands. */
export async function runCommand(_options: RunOptions): Promise<void> {
  throw new Error("the controller is not built yet");
}
