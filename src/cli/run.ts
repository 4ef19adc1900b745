import { runControllerUntilSignal } from "../controller/run.js";
import { type GlobalOptions, readPolicy, requireRegion } from "./context.js";

export interface RunOptions extends GlobalOptions {
  dir: string;
  resyncInterval: number;
  mode: "enforce" | "observe";
  listen: string;
  concurrency: number;
  debounce: number;
  driftEventsQueue?: string;
}

/** `retryctl run`: the controller until SIGTERM/SIGINT (then exit 0). */
export async function runCommand(options: RunOptions): Promise<void> {
  const policy = await readPolicy(options);
  const region = await requireRegion(options);
  await runControllerUntilSignal({
    ...(policy ? { policy } : {}),
    dir: options.dir,
    region,
    ...(options.endpointUrl ? { endpoint: options.endpointUrl } : {}),
    mode: options.mode,
    listen: options.listen,
    concurrency: options.concurrency,
    resyncIntervalMs: options.resyncInterval,
    debounceMs: options.debounce,
    ...(options.driftEventsQueue ? { driftEventsQueue: options.driftEventsQueue } : {}),
    logLevel: options.logLevel ?? "info",
    logFormat: options.logFormat ?? "json",
  });
}
