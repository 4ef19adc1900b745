import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import pino from "pino";
import { type ChaosReport, chaosRound, type RoundOptions } from "../test/integration/chaos/run-chaos.js";
import {
  CHAOS_SIZES,
  seedWorld,
  type WorldSizes,
  writeWorldManifests,
} from "../test/integration/chaos/world.js";
import { startController, type TestController } from "../test/integration/controller/harness.js";
import { configureMoto, ENDPOINT_ENV, motoEndpoint, resetMoto } from "../test/support/aws.js";
import { RANDOM_FAULT_KINDS, startFaultProxy } from "../test/support/fault-proxy.js";
import { type MotoServer, REPO_ROOT, startMoto } from "../test/support/moto-server.js";

/**
 * The chaos test, long: one controller runs for `--minutes` through rounds of
 * random faults plus hand drift, each followed by a calm spell in which every
 * resource must converge again. It watches what a short test cannot: heap and
 * RSS after each round (a leak grows them round after round), convergence
 * time over many rounds, crashes and error logs. Not part of `npm test`.
 *
 *   npm run soak -- --minutes 10 --scale 2 --out .tmp/soak/result.json
 */

interface SoakArgs {
  minutes: number;
  scale: number;
  chaosSeconds: number;
  probability: number;
  seed: number;
  out: string;
}

function parseArgs(argv: string[]): SoakArgs {
  const value = (flag: string, fallback: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 && argv[i + 1] !== undefined ? (argv[i + 1] as string) : fallback;
  };
  const num = (flag: string, fallback: number) => {
    const n = Number(value(flag, String(fallback)));
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} must be a positive number`);
    return n;
  };
  return {
    minutes: num("--minutes", 10),
    scale: num("--scale", 2),
    chaosSeconds: num("--chaos-seconds", 45),
    probability: num("--probability", 0.15),
    seed: num("--seed", 20260807),
    out: value("--out", join(REPO_ROOT, ".tmp", "soak", "result.json")),
  };
}

function scaled(s: WorldSizes, k: number): WorldSizes {
  return Object.fromEntries(
    Object.entries(s).map(([key, v]) => [key, key === "targetsPerRule" ? v : Math.round(v * k)]),
  ) as unknown as WorldSizes;
}

interface RoundSummary {
  round: number;
  injected: ChaosReport["injected"];
  drifts: number;
  convergedAfterMs: number | null;
  mismatches: number;
  notSynced: number;
  /** This round's throttled attempts (metric delta) and the injected throttles that reached the client. */
  throttledMetric: number;
  throttlesDelivered: number;
  errorMetric: number;
  errorFaults: number;
  heapUsedMb: number;
  rssMb: number;
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  let moto: MotoServer | undefined;
  if (!process.env[ENDPOINT_ENV]) {
    moto = await startMoto();
    process.env[ENDPOINT_ENV] = moto.endpoint;
  }
  const endpoint = motoEndpoint();
  await configureMoto(endpoint);
  // Only a moto this run started is ours to empty.
  if (moto) await resetMoto(endpoint);
  process.env.AWS_REGION ??= "us-east-1";

  const crashes: string[] = [];
  process.on("unhandledRejection", (e) => crashes.push(`unhandledRejection: ${String(e)}`));
  process.on("uncaughtException", (e) => crashes.push(`uncaughtException: ${String(e)}`));
  const levels: Record<string, number> = {};
  const badLines: string[] = [];
  // Counted, not kept: a soak's logs would otherwise be the biggest thing in the heap it measures.
  const logger = pino(
    { level: "info", formatters: { level: (label) => ({ level: label }) } },
    {
      write: (line: string) => {
        const level = (JSON.parse(line) as { level: string }).level;
        levels[level] = (levels[level] ?? 0) + 1;
        if ((level === "error" || level === "fatal") && badLines.length < 20) badLines.push(line);
      },
    },
  );

  const proxy = await startFaultProxy(endpoint);
  const sizes = scaled(CHAOS_SIZES, args.scale);
  const world = await seedWorld(sizes, endpoint, "soak");
  const dir = await mkdtemp(join(tmpdir(), "retryctl-soak-"));
  await writeWorldManifests(world, dir);
  console.log(
    `soak: ${world.resources.length} resources, ${args.minutes} min, rounds of ${args.chaosSeconds} s faults`,
  );

  const timeoutMs = 1_500;
  let controller: TestController | undefined;
  const rounds: RoundSummary[] = [];
  const started = Date.now();
  try {
    controller = await startController({
      dir,
      endpoint: proxy.endpoint,
      logger,
      logLevel: "info",
      concurrency: 8,
      resyncIntervalMs: 5_000,
      backoff: { baseMs: 200, maxMs: 5_000 },
      awsRequestTimeoutMs: timeoutMs,
      rateLimits: { lambda: 40, sqs: 100, events: 50 },
    });
    let previous = { throttled: 0, error: 0 };
    for (let round = 1; Date.now() - started < args.minutes * 60_000; round++) {
      const options: RoundOptions = {
        proxy,
        world,
        motoEndpoint: endpoint,
        faults: {
          random: {
            probability: args.probability,
            kinds: RANDOM_FAULT_KINDS,
            seed: args.seed + round,
            slowMs: { minMs: 100, maxMs: 600 },
            lateMs: timeoutMs + 1_000,
          },
          esmInUseMs: 3_000,
          functionConflictMs: 3_000,
          lambdaQuota: { rps: 25 },
          failedEntries: { count: 5 },
        },
        bursts: [{ at: args.chaosSeconds * 500, faults: { http5xx: { status: 503, forMs: 2_000 } } }],
        chaosMs: args.chaosSeconds * 1_000,
        maxDrifts: args.chaosSeconds * 4,
        driftEveryMs: 250,
        convergeWithinMs: 180_000,
        seed: args.seed + round,
      };
      const report = await chaosRound(options, controller);
      (globalThis as { gc?: () => void }).gc?.();
      const memory = process.memoryUsage();
      const summary: RoundSummary = {
        round,
        injected: report.injected,
        drifts: report.drifts.length,
        convergedAfterMs: report.convergedAfterMs ?? null,
        mismatches: report.mismatches.length,
        // The world's refused manifests (another account's ARN) are never Synced, by design.
        notSynced: report.status.resources.filter((r) => r.status !== "Synced").length - world.refused.length,
        throttledMetric: report.awsRequests.throttled - previous.throttled,
        throttlesDelivered: report.throttlesDelivered,
        errorMetric: report.awsRequests.error - previous.error,
        errorFaults: report.errorFaults,
        heapUsedMb: mb(memory.heapUsed),
        rssMb: mb(memory.rss),
      };
      previous = { throttled: report.awsRequests.throttled, error: report.awsRequests.error };
      rounds.push(summary);
      console.log(`soak: round ${JSON.stringify(summary)}`);
      // Counts per round: the proxy forgets this round's requests (the controller keeps running).
      proxy.reset();
      if (summary.convergedAfterMs === null) break;
    }
  } finally {
    await controller?.stop();
    await proxy.close();
    await rm(dir, { recursive: true, force: true });
    await moto?.stop();
  }

  const failed =
    crashes.length > 0 ||
    badLines.length > 0 ||
    rounds.length === 0 ||
    rounds.some(
      (r) => r.convergedAfterMs === null || r.mismatches > 0 || r.throttledMetric !== r.throttlesDelivered,
    );
  const result = {
    args,
    resources: world.resources.length,
    durationS: Math.round((Date.now() - started) / 1000),
    rounds,
    crashes,
    logLevels: levels,
    errorLines: badLines,
    heapGrowthMb: rounds.length > 1 ? (rounds.at(-1)?.heapUsedMb ?? 0) - (rounds[0]?.heapUsedMb ?? 0) : 0,
    passed: !failed,
  };
  await mkdir(dirname(args.out), { recursive: true });
  await writeFile(args.out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(
    `soak: ${rounds.length} rounds, ${result.durationS} s; converged every round: ${rounds.every((r) => r.convergedAfterMs !== null)}; ` +
      `crashes ${crashes.length}; error/fatal log lines ${badLines.length}; heap ${rounds[0]?.heapUsedMb} → ${rounds.at(-1)?.heapUsedMb} MB; ` +
      `written to ${args.out}`,
  );
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
