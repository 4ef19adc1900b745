import { join } from "node:path";
import { TagResourceCommand } from "@aws-sdk/client-lambda";
import pMap from "p-map";
import pino from "pino";
import { callerAccount } from "../src/aws/caller.js";
import type { AwsClients } from "../src/aws/clients.js";
import { reconcile } from "../src/engine/reconcile.js";
import { Fleet } from "../src/fleet/fleet.js";
import { loadManifests } from "../src/manifests/load.js";
import type { LoadResult } from "../src/manifests/manifest.js";
import { resetMoto, sdk, TEST_REGION } from "../test/support/aws.js";
import type { FaultProxy } from "../test/support/fault-proxy.js";
import type { BenchConfig } from "./config.js";
import { type ManifestFile, writeManifests } from "./manifests.js";
import {
  type CallCounts,
  countCalls,
  type ReconcileMeasure,
  retryctlClients,
  tally,
  UNLIMITED_RATE_LIMITS,
} from "./measure.js";
import { type Floors, floorsFor } from "./report.js";
import { buildScenario, type Scenario, type Sizes } from "./scenario.js";
import { seedScenario } from "./seed.js";

const QUOTA = { lambdaQuota: { rps: 15 } };
const POLICY = "fleet-defaults";
const TAGS = { team: "payments" };

/** Part 7: F functions and their mappings, all tagged, every one matched by the one policy. */
const FLEET_SIZES: Record<
  string,
  Pick<Sizes, "functions" | "kinesisMappings" | "dynamodbMappings" | "sqsMappings">
> = {
  full: { functions: 1000, kinesisMappings: 100, dynamodbMappings: 100, sqsMappings: 100 },
  quick: { functions: 100, kinesisMappings: 10, dynamodbMappings: 10, sqsMappings: 10 },
};

/** What every matched function and mapping is set to, by the policy and by the per-resource manifests alike. */
const ASYNC = { maximumRetryAttempts: 1, maximumEventAgeInSeconds: 3600 };
const STREAM = { maximumRetryAttempts: 3, maximumRecordAgeInSeconds: 3600, bisectBatchOnFunctionError: true };
const QUEUE = { functionResponseTypes: ["ReportBatchItemFailures"] };

export interface SweepMeasure extends ReconcileMeasure {
  /** Discovery and expansion alone (policy sweep only): the time before the first read of a resource. */
  discoveryMs?: number;
  /** Resources the sweep reconciled (the expansion's, for the policy). */
  resources: number;
}

export interface FleetResult {
  functions: number;
  mappings: number;
  tagged: number;
  /** The per-resource floor (F + ⌈M/100⌉ Lambda calls) and the fleet one, which adds ⌈F/50⌉ ListFunctions. */
  floors: Floors;
  fleetNoopLambdaMin: number;
  fleetNoopFloorMs: number;
  /** Discovery's formula: ⌈F/50⌉ ListFunctions + ⌈T/100⌉ GetResources (+ the mapping listing, shared). */
  discoveryFormula: { listFunctions: number; getResources: number };
  cold: SweepMeasure;
  perResourceQuota: SweepMeasure;
  policyQuota: SweepMeasure;
  perResourceUnlimited: SweepMeasure;
  policyUnlimited: SweepMeasure;
  /** policy − per-resource, per `service.operation`, in the no-op sweeps under the quota. */
  addedByPolicy: Record<string, number>;
}

const silent = pino({ level: "silent" });

function fleetScenario(config: BenchConfig, endpoint: string): Scenario {
  const sizes = FLEET_SIZES[config.name] ?? (FLEET_SIZES.quick as (typeof FLEET_SIZES)[string]);
  return buildScenario(
    {
      ...sizes,
      aliases: 0,
      dlqs: 0,
      queues: sizes.sqsMappings,
      targets: 0,
      targetsPerRule: 1,
      consumersPerStream: 3,
    },
    endpoint,
    "f",
  );
}

function doc(kind: string, name: string, spec: Record<string, unknown>, path: string): ManifestFile {
  return {
    path,
    kind: kind as ManifestFile["kind"],
    name,
    doc: { apiVersion: "retryctl.dev/v1alpha1", kind, metadata: { name }, spec },
  };
}

/** The desired state written out by hand: one manifest per function and per mapping. */
function perResourceFiles(s: Scenario): ManifestFile[] {
  return [
    ...s.functions.map((f) =>
      doc(
        "FunctionEventInvokeConfig",
        `${f.name}-async`,
        { functionName: f.name, ...ASYNC },
        `async/${f.name}.yaml`,
      ),
    ),
    ...s.mappings.map((m) =>
      doc(
        "EventSourceMapping",
        m.name,
        { functionName: m.fn, eventSourceArn: m.sourceArn, ...(m.source === "sqs" ? QUEUE : STREAM) },
        `mappings/${m.name}.yaml`,
      ),
    ),
  ];
}

/** The same desired state as one RetryPolicy. */
function policyFiles(): ManifestFile[] {
  return [
    doc(
      "RetryPolicy",
      POLICY,
      {
        selector: { functionNames: ["f-fn-*"], tags: TAGS },
        asyncInvoke: ASYNC,
        streamMappings: STREAM,
        queueMappings: QUEUE,
      },
      "fleet.yaml",
    ),
  ];
}

async function load(dir: string, files: ManifestFile[]): Promise<LoadResult> {
  await writeManifests(dir, files);
  const loaded = await loadManifests([dir], { defaultRegion: TEST_REGION });
  if (loaded.errors.length > 0)
    throw new Error(`fleet bench manifests invalid: ${JSON.stringify(loaded.errors.slice(0, 3))}`);
  return loaded;
}

/**
 * One sweep as the CLI runs it: the policies discovered and expanded (one
 * listing per account and region, the mapping listing handed to the mapping
 * read), then one `reconcile()` of what they expand to.
 */
async function sweep(
  loaded: LoadResult,
  aws: AwsClients,
  proxy: FaultProxy,
  caller: () => Promise<string>,
): Promise<SweepMeasure> {
  const faults = proxy.faults;
  proxy.reset();
  proxy.set(faults);
  const started = performance.now();
  // As `retryctl diff`/`apply` do (src/cli/plan.ts): a load without policies passes through without a call.
  const fleet = new Fleet({ aws, callerAccount: caller, defaultRegion: TEST_REGION, log: silent });
  const resolved = await fleet.resolve(loaded);
  if (resolved.failures.length > 0) throw new Error(`discovery failed: ${JSON.stringify(resolved.failures)}`);
  if (resolved.errors.length > 0) throw new Error(`expansion failed: ${JSON.stringify(resolved.errors)}`);
  const { manifests } = resolved;
  const discoveryMs = (loaded.policies ?? []).length > 0 ? performance.now() - started : undefined;
  const results = await reconcile(manifests, {
    aws,
    log: silent,
    mode: "enforce",
    dryRun: false,
    concurrency: 8,
    waitTimeoutMs: 120_000,
    ...(resolved.mappingListings ? { mappingListings: resolved.mappingListings } : {}),
  });
  const ms = performance.now() - started;
  const measure: SweepMeasure = {
    ms,
    calls: countCalls(proxy),
    actions: tally(results.map((r) => r.action)),
    errors: tally(results.filter((r) => r.error).map((r) => r.error?.code ?? "?")),
    throttledSeen: 0,
    resources: manifests.length,
  };
  if (discoveryMs !== undefined) measure.discoveryMs = discoveryMs;
  return measure;
}

function difference(a: CallCounts, b: CallCounts): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of new Set([...Object.keys(a.byOperation), ...Object.keys(b.byOperation)])) {
    const d = (a.byOperation[key] ?? 0) - (b.byOperation[key] ?? 0);
    if (d !== 0) out[key] = d;
  }
  return out;
}

/**
 * Part 7: one RetryPolicy over F functions and their mappings against the same
 * desired state written as F + M per-resource manifests. Seeds and tags the
 * functions, converges them, then times a no-op sweep of each under Lambda's
 * 15/s quota (and once more with the limiter lifted), counting every call.
 */
export async function runFleet(
  config: BenchConfig,
  motoEndpoint: string,
  proxy: FaultProxy,
  trees: string,
  log: (text: string) => void,
): Promise<FleetResult> {
  // ListFunctions and the mapping listing page through everything in the region, not only what a
  // policy matches: an emulator holding only this part's objects makes F and M exactly the scenario's.
  await resetMoto(motoEndpoint);
  const s = fleetScenario(config, motoEndpoint);
  await seedScenario(s, motoEndpoint);
  const { lambda } = sdk(motoEndpoint);
  await pMap(s.functions, (f) => lambda.send(new TagResourceCommand({ Resource: f.arn, Tags: TAGS })), {
    concurrency: 8,
  });
  log(`7 seeded ${s.functions.length} tagged functions and ${s.mappings.length} mappings`);
  const perResource = await load(join(trees, "fleet-per-resource"), perResourceFiles(s));
  const policy = await load(join(trees, "fleet-policy"), policyFiles());

  const measureWith = async (
    limits: typeof UNLIMITED_RATE_LIMITS | undefined,
    fn: (aws: AwsClients, caller: () => Promise<string>) => Promise<SweepMeasure>,
  ) => {
    const clients = retryctlClients(proxy.endpoint, limits);
    try {
      const caller = callerAccount(clients.aws, TEST_REGION);
      await caller(); // learnt once per process, like the guard's: not a sweep's call
      return await fn(clients.aws, caller);
    } finally {
      clients.aws.destroy();
    }
  };

  const cold = await measureWith(UNLIMITED_RATE_LIMITS, (aws, caller) => sweep(policy, aws, proxy, caller));
  log(`7 cold apply (policy, no quota): ${(cold.ms / 1000).toFixed(2)} s, ${cold.calls.total} calls`);
  const settle = await measureWith(UNLIMITED_RATE_LIMITS, (aws, caller) =>
    sweep(perResource, aws, proxy, caller),
  );
  if ((settle.actions.none ?? 0) !== settle.resources)
    throw new Error(`fleet state not in sync after the cold apply: ${JSON.stringify(settle.actions)}`);

  proxy.set(QUOTA);
  const perResourceQuota = await measureWith(undefined, (aws, caller) =>
    sweep(perResource, aws, proxy, caller),
  );
  log(
    `7 no-op sweep, per-resource manifests, 15/s quota: ${(perResourceQuota.ms / 1000).toFixed(2)} s, ${perResourceQuota.calls.total} calls`,
  );
  const policyQuota = await measureWith(undefined, (aws, caller) => sweep(policy, aws, proxy, caller));
  log(
    `7 no-op sweep, one policy, 15/s quota: ${(policyQuota.ms / 1000).toFixed(2)} s, ${policyQuota.calls.total} calls`,
  );
  proxy.set({ lambdaQuota: undefined });
  const perResourceUnlimited = await measureWith(UNLIMITED_RATE_LIMITS, (aws, caller) =>
    sweep(perResource, aws, proxy, caller),
  );
  const policyUnlimited = await measureWith(UNLIMITED_RATE_LIMITS, (aws, caller) =>
    sweep(policy, aws, proxy, caller),
  );
  log(
    `7 no-op sweeps, limiter lifted: per-resource ${(perResourceUnlimited.ms / 1000).toFixed(2)} s, policy ${(policyUnlimited.ms / 1000).toFixed(2)} s`,
  );
  for (const [label, m] of [
    ["per-resource", perResourceQuota],
    ["policy", policyQuota],
  ] as const) {
    if ((m.actions.none ?? 0) !== m.resources)
      throw new Error(`fleet ${label} no-op sweep was not a no-op: ${JSON.stringify(m.actions)}`);
  }

  const floors = floorsFor(s);
  const F = s.functions.length;
  const listFunctions = Math.max(1, Math.ceil(F / 50));
  const fleetNoopLambdaMin = floors.noopLambdaMin + listFunctions;
  return {
    functions: F,
    mappings: s.mappings.length,
    tagged: F,
    floors,
    fleetNoopLambdaMin,
    fleetNoopFloorMs: (1000 * fleetNoopLambdaMin) / 15,
    discoveryFormula: { listFunctions, getResources: Math.max(1, Math.ceil(F / 100)) },
    cold,
    perResourceQuota,
    policyQuota,
    perResourceUnlimited,
    policyUnlimited,
    addedByPolicy: difference(policyQuota.calls, perResourceQuota.calls),
  };
}
