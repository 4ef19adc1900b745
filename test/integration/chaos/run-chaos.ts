import type { StatusDocument } from "../../../src/controller/controller.js";
import type { FaultKind, FaultProxy, FaultSettings, RandomFaultKind } from "../../support/fault-proxy.js";
import type { TestController } from "../controller/harness.js";
import { compareWorld, driftOne, type Mismatch, rng, type World } from "./world.js";

/**
 * One chaos run, shared by the chaos test and the soak (bench/soak.ts): faults
 * on, the controller started through the proxy, hand drift in moto while the
 * faults last, faults off, then wait until AWS matches every manifest again.
 * Returns what happened; the caller decides what must hold.
 */

export interface RoundOptions {
  proxy: FaultProxy;
  world: World;
  /** moto itself: hand drift and the read-back bypass the proxy. */
  motoEndpoint: string;
  /** Faults for the chaos phase (switched off together at its end). */
  faults: FaultSettings;
  /** Extra fault bursts during the phase: `at` ms after the start, each set once. */
  bursts?: { at: number; faults: FaultSettings }[];
  chaosMs: number;
  /** Hand drift: at most this many, one every `driftEveryMs` (± half) while the faults last. */
  maxDrifts: number;
  driftEveryMs: number;
  /** How long after the faults stop every resource must have converged. */
  convergeWithinMs: number;
  seed: number;
  onProgress?: (line: string) => void;
}

export interface ChaosOptions extends RoundOptions {
  /** Starts the controller (through `proxy.endpoint`); called after the faults are on. */
  start: () => Promise<TestController>;
}

export interface AwsRequestCounts {
  success: number;
  throttled: number;
  error: number;
}

export interface ChaosReport {
  resources: number;
  injected: Record<FaultKind, number>;
  injectedRandom: Record<RandomFaultKind, number>;
  /** Requests the proxy saw during the whole run. */
  proxied: number;
  /** Injected throttles whose answer reached the client. */
  throttlesDelivered: number;
  /** Injected faults that make an attempt fail but are not throttles (5xx, resets, timeouts, in-use, conflict). */
  errorFaults: number;
  /** Requests that failed or got no answer, throttles excluded: the most the error metric can be. */
  errorish: number;
  /** Requests answered 2xx: the most the success metric can be. */
  answeredOk: number;
  drifts: string[];
  /** ms from the faults stopping until AWS matched every manifest and /status said Synced for all. */
  convergedAfterMs: number | undefined;
  /** What still differed at the deadline (empty once converged). */
  mismatches: Mismatch[];
  status: StatusDocument;
  /** retryctl_aws_requests_total summed by outcome. */
  awsRequests: AwsRequestCounts;
  /** retryctl_reconcile_total summed by result. */
  reconciles: Record<string, number>;
}

const ERROR_FAULTS: readonly FaultKind[] = [
  "http5xx",
  "dropConnections",
  "timeout",
  "esmInUse",
  "functionConflict",
];

/** Faults on from the very start (the first reconcile too), then one chaos round. */
export async function runChaos(
  o: ChaosOptions,
): Promise<{ controller: TestController; report: ChaosReport }> {
  o.proxy.set(o.faults);
  const controller = await o.start();
  try {
    return { controller, report: await chaosRound(o, controller) };
  } catch (err) {
    await controller.stop();
    throw err;
  }
}

/**
 * One round against a running controller: faults and hand drift for
 * `chaosMs`, then faults off and wait for convergence. Counts are the proxy's
 * since its last reset; metrics are the controller's totals.
 */
export async function chaosRound(o: RoundOptions, controller: TestController): Promise<ChaosReport> {
  const { proxy, world } = o;
  proxy.set(o.faults);
  const say = o.onProgress ?? (() => undefined);
  const startedAt = Date.now();
  const random = rng(o.seed);

  const timers = (o.bursts ?? []).map((b) => setTimeout(() => proxy.set(b.faults), b.at));
  const drifts: string[] = [];
  const endAt = startedAt + o.chaosMs;
  try {
    while (Date.now() < endAt) {
      const wait = o.driftEveryMs * (0.5 + random());
      await sleep(Math.min(wait, Math.max(0, endAt - Date.now())));
      if (Date.now() >= endAt || drifts.length >= o.maxDrifts) continue;
      drifts.push(await driftOne(world, random, o.motoEndpoint));
    }
  } finally {
    for (const t of timers) clearTimeout(t);
    proxy.set(allOff(o.faults, o.bursts));
  }
  const faultsOffAt = Date.now();
  say(
    `faults off after ${faultsOffAt - startedAt} ms: ${JSON.stringify(proxy.injected())}; ${drifts.length} hand drifts`,
  );

  let convergedAfterMs: number | undefined;
  let mismatches: Mismatch[] = [];
  let status = await statusOf(controller.url);
  while (Date.now() - faultsOffAt < o.convergeWithinMs) {
    status = await statusOf(controller.url);
    const synced = status.resources.filter((r) => r.status === "Synced").length;
    if (synced === world.resources.length) {
      mismatches = await compareWorld(world, o.motoEndpoint);
      if (mismatches.length === 0) {
        convergedAfterMs = Date.now() - faultsOffAt;
        break;
      }
    }
    say(`waiting: ${synced}/${world.resources.length} Synced, ${mismatches.length} fields off in AWS`);
    await sleep(1_000);
  }
  if (convergedAfterMs === undefined) mismatches = await compareWorld(world, o.motoEndpoint);

  const metrics = await (await fetch(`${controller.url}/metrics`)).text();
  const records = proxy.requests();
  const throttle = (f: FaultKind | undefined) => f === "throttle" || f === "lambdaQuota";
  return {
    resources: world.resources.length,
    injected: proxy.injected(),
    injectedRandom: proxy.injectedRandom(),
    proxied: records.length,
    throttlesDelivered: records.filter((r) => throttle(r.fault) && r.status > 0).length,
    errorFaults: proxy.injections().filter((i) => ERROR_FAULTS.includes(i.fault)).length,
    errorish: records.filter(
      (r) => !(throttle(r.fault) && r.status > 0) && (r.status === 0 || r.status >= 400),
    ).length,
    answeredOk: records.filter((r) => r.status >= 200 && r.status < 300).length,
    drifts,
    convergedAfterMs,
    mismatches,
    status,
    awsRequests: {
      success: 0,
      throttled: 0,
      error: 0,
      ...sumBy(metrics, "retryctl_aws_requests_total", "outcome"),
    },
    reconciles: sumBy(metrics, "retryctl_reconcile_total", "result"),
  };
}

/** The same keys switched off (`undefined`), so `proxy.set` turns every chaos fault off at once. */
function allOff(faults: FaultSettings, bursts: RoundOptions["bursts"] = []): FaultSettings {
  const off: Record<string, undefined> = {};
  for (const f of [faults, ...bursts.map((b) => b.faults)])
    for (const key of Object.keys(f)) off[key] = undefined;
  return off as FaultSettings;
}

async function statusOf(base: string): Promise<StatusDocument> {
  return (await (await fetch(`${base}/status`)).json()) as StatusDocument;
}

/** Sums a Prometheus counter over every series, grouped by one label. */
export function sumBy(text: string, metric: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  const re = new RegExp(`^${metric}\\{([^}]*)\\} (\\S+)$`, "gm");
  for (const m of text.matchAll(re)) {
    const value = new RegExp(`${label}="([^"]*)"`).exec(m[1] ?? "")?.[1];
    if (value !== undefined) out[value] = (out[value] ?? 0) + Number(m[2]);
  }
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
