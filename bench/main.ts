import { execFile } from "node:child_process";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { loadManifests } from "../src/manifests/load.js";
import type { Manifest } from "../src/manifests/manifest.js";
import { configureMoto } from "../test/support/aws.js";
import { type FaultProxy, startFaultProxy } from "../test/support/fault-proxy.js";
import { REPO_ROOT, startMoto } from "../test/support/moto-server.js";
import { type CliBaselineResult, runBaselineCli } from "./baseline-cli.js";
import { type BaselineResult, runBaselineSdk } from "./baseline-sdk.js";
import { measureCommitLatency } from "./commit-latency.js";
import { type BenchConfig, FULL, LOAD_SIZES, QUICK } from "./config.js";
import { runFleet } from "./fleet.js";
import { machineInfo } from "./machine.js";
import { scenarioManifests, writeManifests } from "./manifests.js";
import {
  measureReconcile,
  type ReconcileMeasure,
  retryctlClients,
  UNLIMITED_RATE_LIMITS,
} from "./measure.js";
import { runMultiAccount } from "./multi-account.js";
import { floorsFor, type LoadMeasure, summarise } from "./report.js";
import { buildScenario, manifestCounts, type Scenario } from "./scenario.js";
import { driftAll, seedScenario } from "./seed.js";
import { type MemoryCgroup, memoryCgroup, type Shipped, shippedConfig } from "./shipped.js";
import { median } from "./stats.js";

/** What one load-child process writes. */
type LoadChildResult = Omit<LoadMeasure, "processes">;

const run = promisify(execFile);
const QUOTA = { lambdaQuota: { rps: 15 } };

export interface Repetition {
  cold: ReconcileMeasure;
  noopSweep: ReconcileMeasure;
  noopOneShot: ReconcileMeasure;
  coldQuota: ReconcileMeasure;
  noopSweepQuota: ReconcileMeasure;
  coldUnlimited: ReconcileMeasure;
  noopSweepUnlimited: ReconcileMeasure;
  baselineSdk: BaselineResult;
  baselineSdkQuota: BaselineResult;
  baselineCli: CliBaselineResult;
}

function parseArgs(argv: string[]): { config: BenchConfig; out: string; parts: Set<string> } {
  const quick = argv.includes("--quick");
  const config = quick ? QUICK : FULL;
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const repeats = value("--repeats");
  if (repeats) config.repeats = Number(repeats);
  const parts = new Set((value("--parts") ?? "1,2,3,4,5,6,7").split(","));
  return { config, out: value("--out") ?? config.name, parts };
}

const log = (text: string) => process.stderr.write(`[bench] ${text}\n`);
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function repetition(
  i: number,
  s: Scenario,
  manifests: readonly Manifest[],
  proxy: FaultProxy,
  motoEndpoint: string,
  uuids: Map<string, string>,
  config: BenchConfig,
): Promise<Repetition> {
  const drift = () => driftAll(s, motoEndpoint, uuids);
  const step = async (label: string, fn: () => Promise<ReconcileMeasure>) => {
    const m = await fn();
    const errors = Object.keys(m.errors).length > 0 ? ` errors ${JSON.stringify(m.errors)}` : "";
    log(
      `  rep ${i + 1}: ${label}: ${secs(m.ms)}, ${m.calls.total} calls (${m.calls.writes} writes)${errors}`,
    );
    return m;
  };

  await drift();
  const production = retryctlClients(proxy.endpoint);
  const cold = await step("1 cold apply", () => measureReconcile(manifests, production, proxy));
  const noopSweep = await step("2 no-op sweep", () => measureReconcile(manifests, production, proxy));
  const noopOneShot = await step("2 no-op one-shot", () =>
    measureReconcile(manifests, retryctlClients(proxy.endpoint), proxy),
  );
  production.aws.destroy();

  await drift();
  proxy.set(QUOTA);
  const quota = retryctlClients(proxy.endpoint);
  const coldQuota = await step("3 cold apply, 15/s quota", () => measureReconcile(manifests, quota, proxy));
  const noopSweepQuota = await step("3 no-op sweep, 15/s quota", () =>
    measureReconcile(manifests, quota, proxy),
  );
  proxy.set({ lambdaQuota: undefined });
  quota.aws.destroy();

  await drift();
  const unlimited = retryctlClients(proxy.endpoint, UNLIMITED_RATE_LIMITS);
  const coldUnlimited = await step("cold apply, limiter lifted", () =>
    measureReconcile(manifests, unlimited, proxy),
  );
  const noopSweepUnlimited = await step("no-op sweep, limiter lifted", () =>
    measureReconcile(manifests, unlimited, proxy),
  );
  unlimited.aws.destroy();

  await drift();
  proxy.reset();
  const baselineSdk = await runBaselineSdk(s, proxy.endpoint);
  log(`  rep ${i + 1}: baseline (a) SDK loop: ${secs(baselineSdk.ms)}, failed ${baselineSdk.failed}`);
  await drift();
  proxy.reset();
  proxy.set(QUOTA);
  const baselineSdkQuota = await runBaselineSdk(s, proxy.endpoint);
  proxy.reset();
  log(
    `  rep ${i + 1}: baseline (a) SDK loop, 15/s quota: ${secs(baselineSdkQuota.ms)}, failed ${baselineSdkQuota.failed}`,
  );
  const baselineCli = await runBaselineCli(s, uuids, proxy.endpoint, config.cliSample);
  log(
    `  rep ${i + 1}: baseline (b) CLI: ${baselineCli.sampled} processes in ${secs(baselineCli.sampleMs)}, extrapolated ${secs(baselineCli.extrapolatedMs)}`,
  );
  return {
    cold,
    noopSweep,
    noopOneShot,
    coldQuota,
    noopSweepQuota,
    coldUnlimited,
    noopSweepUnlimited,
    baselineSdk,
    baselineSdkQuota,
    baselineCli,
  };
}

/** Runs a bench script in a child process (as shipped: the image's node flags and env, in its memory cgroup). */
async function child(
  script: string,
  args: string[],
  out: string,
  shipped?: { config: Shipped; cgroup: MemoryCgroup | undefined },
): Promise<unknown> {
  let command = process.execPath;
  let argv = [...(shipped?.config.nodeFlags ?? []), join(import.meta.dirname, script), ...args, out];
  if (shipped?.cgroup) ({ command, args: argv } = shipped.cgroup.wrap(command, argv));
  await run(command, argv, {
    maxBuffer: 16 * 1024 * 1024,
    env: { ...process.env, ...shipped?.config.env },
  });
  return JSON.parse(await readFile(out, "utf8"));
}

function describeShipped({ config, cgroup }: { config: Shipped; cgroup: MemoryCgroup | undefined }): string {
  const limit = `${config.memoryLimitBytes / 2 ** 20}Mi`;
  const flags = config.nodeFlags.length > 0 ? config.nodeFlags.join(" ") : "no node flags";
  const env = Object.entries(config.env)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
  const where = cgroup
    ? `in a cgroup ${cgroup.version} with memory limit ${limit}`
    : `WITHOUT the ${limit} memory limit (no memory cgroup could be made here)`;
  return `node ${flags}, ${env || "no env"}, ${where}`;
}

async function main(): Promise<void> {
  const { config, out, parts } = parseArgs(process.argv.slice(2));
  process.env.AWS_ACCESS_KEY_ID = "testing";
  process.env.AWS_SECRET_ACCESS_KEY = "testing";
  process.env.AWS_REGION = "us-east-1";
  process.env.AWS_EC2_METADATA_DISABLED = "true";
  const work = join(REPO_ROOT, "bench/results/tmp", out);
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });

  const machineBefore = await machineInfo();
  log(
    `${config.name}: ${machineBefore.nproc} cores, load ${machineBefore.loadAverage.join(" ")}, node ${machineBefore.node}, moto ${machineBefore.moto}`,
  );
  const moto = await startMoto({ logFile: join(work, "moto.log") });
  const proxy = await startFaultProxy(moto.endpoint);
  const result: Record<string, unknown> = { config, machine: machineBefore };
  try {
    await configureMoto(moto.endpoint);
    const s = buildScenario(config.sizes, moto.endpoint);
    const counts = manifestCounts(s);
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    log(`seeding ${total} resources (${JSON.stringify(counts)})…`);
    let t = performance.now();
    const uuids = await seedScenario(s, moto.endpoint);
    log(`seeded in ${secs(performance.now() - t)}`);
    // Outside the repository: a tree inside a git checkout would take the checkout's commit as its revision.
    const trees = join(tmpdir(), `retryctl-bench-${out}`);
    await rm(trees, { recursive: true, force: true });
    const dir = join(trees, "manifests");
    const files = scenarioManifests(s);
    await writeManifests(dir, files);
    const load = await loadManifests([dir], { defaultRegion: "us-east-1" });
    if (load.errors.length > 0)
      throw new Error(`bench manifests invalid: ${JSON.stringify(load.errors.slice(0, 3))}`);
    result.scenario = {
      resources: total,
      counts,
      functions: s.functions.length,
      aliases: s.aliased.length,
      dlqs: s.withDlq.length,
      mappings: s.mappings.length,
      queues: s.queues.length,
      targets: s.targets.length,
      rules: s.rules.length,
    };
    result.floors = floorsFor(s);

    if (parts.has("1") || parts.has("2") || parts.has("3")) {
      const reps: Repetition[] = [];
      for (let i = 0; i < config.repeats; i++) {
        reps.push(await repetition(i, s, load.manifests, proxy, moto.endpoint, uuids, config));
      }
      result.repetitions = reps;
    }

    if (parts.has("4")) {
      // Bring everything in sync (the baselines leave the CLI sample's resources as they wrote them).
      await driftAll(s, moto.endpoint, uuids);
      const clients = retryctlClients(proxy.endpoint, UNLIMITED_RATE_LIMITS);
      await measureReconcile(load.manifests, clients, proxy);
      const check = await measureReconcile(load.manifests, clients, proxy);
      clients.aws.destroy();
      if ((check.actions.none ?? 0) !== load.manifests.length)
        throw new Error("state not in sync before part 4");
      log(`4 commit → applied: ${config.commits} commits, resync every ${secs(config.resyncIntervalMs)}…`);
      proxy.reset();
      proxy.set(QUOTA);
      t = performance.now();
      result.commitLatency = await measureCommitLatency({
        dir,
        stagingDir: join(trees, "staging"),
        files,
        proxy,
        commits: config.commits,
        resyncIntervalMs: config.resyncIntervalMs,
        debounceMs: config.debounceMs,
        gapMs: config.commitGapMs,
        startupCommits: config.startupCommits,
        startupCommitDelayMs: config.startupCommitDelayMs,
      });
      proxy.reset();
      log(`4 done in ${secs(performance.now() - t)}`);
    }

    if (parts.has("5")) {
      const big = buildScenario(LOAD_SIZES, moto.endpoint, "l");
      const bigDir = join(trees, "manifests-5000");
      await writeManifests(bigDir, scenarioManifests(big));
      const image = await shippedConfig();
      const cgroup = await memoryCgroup(image.memoryLimitBytes);
      const shipped = { config: image, cgroup };
      try {
        // A fresh process per run: the first load (JIT warm-up included) is what a starting controller pays.
        const loads = async (as?: typeof shipped) => {
          const runs: LoadChildResult[] = [];
          for (let i = 0; i < config.loadProcesses; i++) {
            const out = join(work, `load-${as ? "shipped-" : ""}${i}.json`);
            runs.push(
              (await child(
                "load-child.js",
                [bigDir, String(config.loadRepeats)],
                out,
                as,
              )) as LoadChildResult,
            );
          }
          return {
            manifests: runs[0]?.manifests,
            errors: runs[0]?.errors,
            firstMs: median(runs.map((l) => l.firstMs)),
            warmMedianMs: median(runs.map((l) => l.warmMedianMs)),
            rssBeforeKiB: median(runs.map((l) => l.rssBeforeKiB)),
            vmHwmKiB: median(runs.map((l) => l.vmHwmKiB)),
            processes: runs,
          };
        };
        log(
          `5 load + validate ${config.loadManifests} manifests (${config.loadProcesses} child processes, node defaults)…`,
        );
        result.load = await loads();
        log(`5 the same as shipped (${describeShipped(shipped)})…`);
        result.loadShipped = { ...(await loads(shipped)), shipped: describeShipped(shipped) };
        // The controller's steady state: the resources exist (observe mode: it reads them and reports drift).
        log(`5 seeding the ${config.loadManifests} resources…`);
        await seedScenario(big, moto.endpoint);
        const ctl = (dir: string, name: string, as?: typeof shipped) =>
          child(
            "controller-child.js",
            [dir, moto.endpoint, String(config.controllerSeconds)],
            join(work, `${name}.json`),
            as,
          );
        log(`5 controller holding them for ${config.controllerSeconds} s, node defaults (child process)…`);
        result.controllerMemory = await ctl(bigDir, "controller");
        log("5 the same as shipped…");
        result.controllerMemoryShipped = {
          ...((await ctl(bigDir, "controller-shipped", shipped)) as object),
          shipped: describeShipped(shipped),
        };
        // The worst case: nothing exists, so every resource fails and is retried with backoff.
        const missingDir = join(trees, "manifests-5000-missing");
        await writeManifests(missingDir, scenarioManifests(buildScenario(LOAD_SIZES, moto.endpoint, "m")));
        log("5 as shipped, none of the resources existing…");
        result.controllerMemoryMissing = {
          ...((await ctl(missingDir, "controller-missing", shipped)) as object),
          shipped: describeShipped(shipped),
        };
      } finally {
        await cgroup?.remove();
      }
    }
    if (parts.has("6")) {
      log("6 many accounts: one process, member roles, 15/s Lambda quota per account…");
      proxy.reset();
      result.multiAccount = await runMultiAccount(config, moto.endpoint, proxy, trees, log);
      proxy.reset();
    }
    if (parts.has("7")) {
      log("7 fleet: one RetryPolicy vs the same state as per-resource manifests, 15/s Lambda quota…");
      proxy.reset();
      result.fleet = await runFleet(config, moto.endpoint, proxy, trees, log);
      proxy.reset();
    }
    await rm(trees, { recursive: true, force: true });
  } finally {
    await proxy.close();
    await moto.stop();
  }
  result.machineAfter = { loadAverage: (await machineInfo()).loadAverage };
  const summary = summarise(result);
  result.summary = summary.data;
  const resultsDir = join(REPO_ROOT, "bench/results");
  await writeFile(join(resultsDir, `${out}.json`), `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(join(resultsDir, `${out}.md`), summary.markdown);
  process.stdout.write(summary.markdown);
  log(`results: bench/results/${out}.json, bench/results/${out}.md`);
}

await main();
