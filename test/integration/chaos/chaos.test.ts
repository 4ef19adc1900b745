import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { motoEndpoint, resetMoto } from "../../support/aws.js";
import { type FaultProxy, RANDOM_FAULT_KINDS, startFaultProxy } from "../../support/fault-proxy.js";
import { startController, type TestController } from "../controller/harness.js";
import { type ChaosReport, runChaos } from "./run-chaos.js";
import { CHAOS_SIZES, seedWorld, type World, worldSize, writeWorldManifests } from "./world.js";

const SEED = 20260807;
const CHAOS_MS = 16_000;
const CONVERGE_WITHIN_MS = 45_000;
const CLIENT_TIMEOUT_MS = 1_500;

describe("chaos: the controller under random faults and hand drift", () => {
  let proxy: FaultProxy;
  let dir: string;
  let world: World;
  let controller: TestController | undefined;
  const crashes: { event: string; error: unknown }[] = [];
  const onRejection = (error: unknown) => crashes.push({ event: "unhandledRejection", error });
  const onException = (error: unknown) => crashes.push({ event: "uncaughtException", error });

  beforeAll(async () => {
    process.on("unhandledRejection", onRejection);
    process.on("uncaughtException", onException);
    proxy = await startFaultProxy();
    await resetMoto();
    const seedStart = Date.now();
    world = await seedWorld(CHAOS_SIZES, motoEndpoint());
    dir = await mkdtemp(join(tmpdir(), "retryctl-chaos-"));
    await writeWorldManifests(world, dir);
    console.info(`chaos: seeded ${world.resources.length} resources in ${Date.now() - seedStart} ms`);
  });

  afterAll(async () => {
    await controller?.stop();
    await proxy?.close();
    process.off("unhandledRejection", onRejection);
    process.off("uncaughtException", onException);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("converges every resource after the faults stop, drops none, never crashes, and counts every fault", async () => {
    expect(world.resources).toHaveLength(worldSize(CHAOS_SIZES));
    const { controller: c, report } = await runChaos({
      proxy,
      world,
      motoEndpoint: motoEndpoint(),
      start: () =>
        startController({
          dir,
          endpoint: proxy.endpoint,
          logLevel: "info",
          concurrency: 8,
          resyncIntervalMs: 2_000,
          backoff: { baseMs: 200, maxMs: 2_000 },
          awsRequestTimeoutMs: CLIENT_TIMEOUT_MS,
          // moto has no quota to protect; the limiter's shape is tested elsewhere.
          rateLimits: { lambda: 40, sqs: 100, events: 50 },
        }),
      faults: {
        random: {
          probability: 0.15,
          kinds: RANDOM_FAULT_KINDS,
          seed: SEED,
          slowMs: { minMs: 100, maxMs: 600 },
          lateMs: CLIENT_TIMEOUT_MS + 1_000,
        },
        // Resources in motion, as AWS has them after each change.
        esmInUseMs: 3_000,
        functionConflictMs: 3_000,
        // Someone else draws from the account's Lambda quota too: less than retryctl's own limit is left.
        lambdaQuota: { rps: 25 },
        failedEntries: { count: 5 },
      },
      bursts: [
        { at: 4_000, faults: { http5xx: { status: 503, service: "sqs", forMs: 1_500 } } },
        { at: 8_000, faults: { throttle: { service: "events", forMs: 1_500 } } },
        { at: 11_000, faults: { dropConnections: { service: "lambda", forMs: 1_000 } } },
      ],
      chaosMs: CHAOS_MS,
      maxDrifts: 60,
      driftEveryMs: 300,
      convergeWithinMs: CONVERGE_WITHIN_MS,
      seed: SEED,
      onProgress: (line) => console.info(`chaos: ${line}`),
    });
    controller = c;
    const waits = c.logs.filter((l) => l.status === "Pending").map((l) => l.reason);
    console.info(
      `chaos: ${summary(report)}; waited for resources in motion ${waits.length}x (${[...new Set(waits)].join(", ")})`,
    );

    // Every fault kind happened, and hand drift too.
    for (const kind of RANDOM_FAULT_KINDS) expect(report.injectedRandom[kind], kind).toBeGreaterThan(0);
    expect(report.injected.failedEntries).toBe(5);
    expect(report.drifts.length).toBeGreaterThan(20);

    // Converged within the bound, nothing half-applied (AWS read back field by field), nothing dropped.
    expect(report.mismatches).toEqual([]);
    expect(report.convergedAfterMs).toBeDefined();
    const listed = report.status.resources.map((r) => `${r.kind}/${r.name}`).sort();
    expect(listed).toEqual([...world.resources, ...world.refused].map((r) => `${r.kind}/${r.name}`).sort());
    // Only the manifests naming a function by another account's ARN are not Synced: refused, never sent to AWS,
    // and the default account's function of the same name is as seeded (compareWorld).
    expect(
      report.status.resources
        .filter((r) => r.status !== "Synced")
        .map((r) => `${r.kind}/${r.name} ${r.reason}`),
    ).toEqual(world.refused.map((r) => `${r.kind}/${r.name} ${r.code}`).sort());
    expect(world.refused.length).toBeGreaterThan(0);
    const twins = new Set(world.refused.map((r) => `function:${r.fn}`));
    expect(proxy.requests().filter((r) => r.resource !== undefined && twins.has(r.resource))).toEqual([]);
    expect(report.status.manifestErrors).toEqual([]);

    // Never crashed, never logged anything fatal or unexpected.
    expect(crashes).toEqual([]);
    expect(c.logs.filter((l) => l.level === "fatal" || l.level === "error")).toEqual([]);
    const healthz = await fetch(`${c.url}/healthz`);
    expect(healthz.status).toBe(200);

    // The metric counts every attempt (SDK retries included): each throttle that reached the
    // client is one throttled attempt, each 5xx/reset/timeout/in-use one error attempt.
    expect(report.awsRequests.throttled).toBe(report.throttlesDelivered);
    expect(report.throttlesDelivered).toBeGreaterThan(0);
    expect(report.awsRequests.error).toBeGreaterThanOrEqual(report.errorFaults);
    expect(report.awsRequests.error).toBeLessThanOrEqual(report.errorish);
    expect(report.awsRequests.success).toBeLessThanOrEqual(report.answeredOk);
    // Most faults were absorbed by the SDK's own retries: far fewer resource-level failures than faults.
    expect(report.reconciles.error ?? 0).toBeLessThan(report.errorFaults + report.throttlesDelivered);
  }, 100_000);
});

function summary(r: ChaosReport): string {
  return JSON.stringify({
    resources: r.resources,
    injected: r.injected,
    injectedRandom: r.injectedRandom,
    drifts: r.drifts.length,
    proxied: r.proxied,
    convergedAfterMs: r.convergedAfterMs,
    mismatches: r.mismatches,
    awsRequests: r.awsRequests,
    throttlesDelivered: r.throttlesDelivered,
    errorFaults: r.errorFaults,
    errorish: r.errorish,
    reconciles: r.reconciles,
  });
}
