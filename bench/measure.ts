import pino from "pino";
import { AwsClients } from "../src/aws/clients.js";
import { DEFAULT_RATE_LIMITS, RateLimiter, type RateLimits } from "../src/aws/rate-limiter.js";
import { reconcile } from "../src/engine/reconcile.js";
import type { Manifest } from "../src/manifests/manifest.js";
import type { Guard } from "../src/policy/guard.js";
import type { FaultProxy, RequestRecord } from "../test/support/fault-proxy.js";

const WRITE_RE = /^(Put|Update|Delete|Set|Create|Remove|Tag|Untag|Publish|Add)/;

export function isWrite(operation: string): boolean {
  return WRITE_RE.test(operation);
}

/** AWS calls seen by the proxy during one measured step, by service and operation. */
export interface CallCounts {
  total: number;
  writes: number;
  byService: Record<string, number>;
  byOperation: Record<string, number>;
  /** Lambda calls in the shared 15/s control-plane quota (everything but GetFunction and Invoke). */
  lambdaShared: number;
  /** GetFunction: its own 100/s quota. */
  lambdaGetFunction: number;
  /** Quota throttles the proxy injected (429 TooManyRequestsException). */
  throttlesInjected: number;
  /** Most shared-quota Lambda requests that arrived within any one second. */
  lambdaMaxPerSecond: number;
}

export function countCalls(proxy: FaultProxy): CallCounts {
  const records: readonly RequestRecord[] = proxy.requests();
  const byService: Record<string, number> = {};
  const byOperation: Record<string, number> = {};
  let writes = 0;
  let lambdaShared = 0;
  let lambdaGetFunction = 0;
  for (const r of records) {
    byService[r.service] = (byService[r.service] ?? 0) + 1;
    const key = `${r.service}.${r.operation}`;
    byOperation[key] = (byOperation[key] ?? 0) + 1;
    if (isWrite(r.operation)) writes++;
    if (r.service === "lambda") {
      if (r.operation === "GetFunction") lambdaGetFunction++;
      else if (r.operation !== "Invoke") lambdaShared++;
    }
  }
  const injected = proxy.injected();
  return {
    total: records.length,
    writes,
    byService,
    byOperation: Object.fromEntries(Object.entries(byOperation).sort(([a], [b]) => a.localeCompare(b))),
    lambdaShared,
    lambdaGetFunction,
    throttlesInjected: injected.lambdaQuota + injected.throttle,
    lambdaMaxPerSecond: lambdaSharedMaxInWindow(records),
  };
}

function lambdaSharedMaxInWindow(records: readonly RequestRecord[]): number {
  const times = records
    .filter((r) => r.service === "lambda" && r.operation !== "GetFunction" && r.operation !== "Invoke")
    .map((r) => r.at);
  let best = 0;
  let start = 0;
  for (let end = 0; end < times.length; end++) {
    while ((times[end] as number) - (times[start] as number) >= 1000) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

export interface ReconcileMeasure {
  ms: number;
  calls: CallCounts;
  /** Results per action (create, update, none, error, …). */
  actions: Record<string, number>;
  /** Error codes of resources that did not converge. */
  errors: Record<string, number>;
  /** Throttled answers retryctl's clients saw (SDK retries included). */
  throttledSeen: number;
}

/** Every client rate bucket lifted: what the engine and the emulator cost with no waiting. */
export const UNLIMITED_RATE_LIMITS = Object.fromEntries(
  Object.keys(DEFAULT_RATE_LIMITS).map((bucket) => [bucket, 1e6]),
) as unknown as RateLimits;

/** retryctl's own client set, pointed at the proxy, with the production rate limits unless told otherwise. */
export function retryctlClients(
  endpoint: string,
  limits?: Partial<RateLimits>,
): {
  aws: AwsClients;
  throttled: () => number;
} {
  let throttled = 0;
  const aws = new AwsClients({
    endpoint,
    limiter: new RateLimiter(limits),
    onRequest: (e) => {
      if (e.outcome === "throttled") throttled++;
    },
  });
  return { aws, throttled: () => throttled };
}

const silent = pino({ level: "silent" });

/**
 * One `reconcile()` pass the way `retryctl apply` runs it (concurrency 8, 2-minute
 * wait timeout), timed, with the proxy's counts for exactly this pass.
 */
export async function measureReconcile(
  manifests: readonly Manifest[],
  clients: { aws: AwsClients; throttled: () => number },
  proxy: FaultProxy,
  concurrency = 8,
  guard?: Guard,
): Promise<ReconcileMeasure> {
  const faults = proxy.faults;
  proxy.reset();
  proxy.set(faults);
  const throttledBefore = clients.throttled();
  const started = performance.now();
  const results = await reconcile(manifests, {
    aws: clients.aws,
    log: silent,
    mode: "enforce",
    dryRun: false,
    concurrency,
    waitTimeoutMs: 120_000,
    ...(guard ? { guard } : {}),
  });
  const ms = performance.now() - started;
  return {
    ms,
    calls: countCalls(proxy),
    actions: tally(results.map((r) => r.action)),
    errors: tally(results.filter((r) => r.error).map((r) => r.error?.code ?? "?")),
    throttledSeen: clients.throttled() - throttledBefore,
  };
}

export function tally(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
