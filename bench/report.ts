import type { CommitLatencyResult } from "./commit-latency.js";
import type { BenchConfig } from "./config.js";
import type { FleetResult } from "./fleet.js";
import type { MachineInfo } from "./machine.js";
import type { Repetition } from "./main.js";
import type { CallCounts, ReconcileMeasure } from "./measure.js";
import type { MultiAccountResult } from "./multi-account.js";
import type { Scenario } from "./scenario.js";
import { median } from "./stats.js";

const LAMBDA_QUOTA = 15;
const GET_FUNCTION_QUOTA = 100;
const PAGE = 100;

export interface Floors {
  F: number;
  A: number;
  D: number;
  M: number;
  Q: number;
  R: number;
  rules: number;
  /** Fewest shared-quota Lambda calls a no-op sweep can make: one List per function, ⌈M/100⌉ mapping pages. */
  noopLambdaMin: number;
  /** The same plus one write per drifted Lambda resource. */
  coldLambdaMin: number;
  /** Minimum calls ÷ quota, over the buckets with a published quota (Lambda shared, GetFunction). */
  noopFloorMs: number;
  coldFloorMs: number;
}

export function floorsFor(s: Scenario): Floors {
  const F = s.functions.length;
  const A = s.aliased.length;
  const D = s.withDlq.length;
  const M = s.mappings.length;
  const noopLambdaMin = F + Math.ceil(M / PAGE);
  // Cold: every $LATEST and alias config written, every DLQ and mapping updated.
  const coldLambdaMin = noopLambdaMin + F + A + D + M;
  // GetFunction reads each DLQ function and, in the cold state, each alias without a config.
  const noopFloorMs = 1000 * Math.max(noopLambdaMin / LAMBDA_QUOTA, D / GET_FUNCTION_QUOTA);
  const coldFloorMs = 1000 * Math.max(coldLambdaMin / LAMBDA_QUOTA, (D + A) / GET_FUNCTION_QUOTA);
  return {
    F,
    A,
    D,
    M,
    Q: s.queues.length,
    R: s.targets.length,
    rules: s.rules.length,
    noopLambdaMin,
    coldLambdaMin,
    noopFloorMs,
    coldFloorMs,
  };
}

interface Target {
  target: string;
  measured: string;
  met: boolean;
  note?: string;
}

interface Inputs {
  config: BenchConfig;
  machine: MachineInfo;
  machineAfter?: { loadAverage: number[] };
  scenario?: { resources: number; counts: Record<string, number> };
  floors?: Floors;
  repetitions?: Repetition[];
  commitLatency?: CommitLatencyResult;
  load?: LoadMeasure;
  loadShipped?: LoadMeasure & { shipped: string };
  controllerMemory?: ControllerMemory;
  controllerMemoryShipped?: ControllerMemory & { shipped: string };
  controllerMemoryMissing?: ControllerMemory & { shipped: string };
  multiAccount?: MultiAccountResult;
  fleet?: FleetResult;
}

export interface LoadMeasure {
  manifests: number;
  errors: number;
  firstMs: number;
  warmMedianMs: number;
  rssBeforeKiB: number;
  vmHwmKiB: number;
  processes?: { firstMs: number }[];
}

interface ControllerMemory {
  resources: number;
  loadedMs: number | null;
  peakRssKiB: number;
  vmHwmKiB: number;
  rssEndKiB: number;
  heapUsedKiB: number;
  seconds: number;
}

const MB = 1_000_000 / 1024; // KiB per MB
const s2 = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const x = (v: number) => `${v.toFixed(2)}×`;

function med(reps: readonly Repetition[], pick: (r: Repetition) => number): number {
  return median(reps.map(pick));
}

function callsLine(c: CallCounts, service: string): string {
  return Object.entries(c.byOperation)
    .filter(([op]) => op.startsWith(`${service}.`))
    .map(([op, n]) => `${op.slice(service.length + 1)} ${n}`)
    .join(", ");
}

/** Medians, ratios and the target verdicts of one run, as data and as Markdown. */
export function summarise(raw: Record<string, unknown>): { data: Record<string, unknown>; markdown: string } {
  const r = raw as unknown as Inputs;
  const lines: string[] = [];
  const data: Record<string, unknown> = {};
  const targets: Target[] = [];
  const m = r.machine;
  lines.push(`# retryctl benchmark: ${r.config.name}`, "");
  lines.push(
    `Machine: ${m.nproc} cores (${m.cpuModel}), ${Math.round(m.memoryTotalMiB / 1024)} GiB, Node ${m.node}, moto ${m.moto}, ${m.awsCli.split(" ")[0]}; ` +
      `load average ${m.loadAverage.join(" ")} at the start, ${r.machineAfter?.loadAverage.join(" ") ?? "?"} at the end (shared machine). ` +
      `Commit ${m.commit}${m.dirtyFiles > 0 ? ` + ${m.dirtyFiles} uncommitted files` : ""}, ${m.date}.`,
    "",
  );
  const f = r.floors;
  if (r.scenario && f) {
    lines.push(
      `Scenario: N = ${r.scenario.resources} manifests — F = ${f.F} functions with a $LATEST async config, ${f.A} alias configs, ${f.D} function DLQs, ` +
        `M = ${f.M} mappings (Kinesis, DynamoDB, SQS), Q = ${f.Q} queues, R = ${f.R} rule targets on ${f.rules} rules. ` +
        `Repetitions: ${r.config.repeats} (medians).`,
      "",
    );
  }

  const reps = r.repetitions ?? [];
  if (reps.length > 0 && f) {
    const first = reps[0] as Repetition;
    const worst = (pick: (x: Repetition) => number) => Math.max(...reps.map(pick));
    const row = (label: string, pick: (x: Repetition) => ReconcileMeasure, floorMs?: number) => {
      const ms = med(reps, (x) => pick(x).ms);
      const c = pick(first).calls;
      const ratio = floorMs ? x(ms / floorMs) : "";
      const errors = worst((x) => Object.values(pick(x).errors).reduce((a, b) => a + b, 0));
      return `| ${label} | ${s2(ms)} | ${ratio} | ${c.total} | ${c.lambdaShared} | ${c.lambdaGetFunction} | ${c.byService.sqs ?? 0} | ${c.byService.events ?? 0} | ${c.writes} | ${worst((x) => pick(x).calls.throttlesInjected)} | ${errors} |`;
    };
    lines.push("## Parts 1–3: retryctl sweeps (`reconcile()` through the counting proxy)", "");
    lines.push(
      `Floor = minimum calls ÷ quota: no-op ${f.noopLambdaMin} Lambda calls → ${s2(f.noopFloorMs)}; cold ${f.coldLambdaMin} → ${s2(f.coldFloorMs)}.`,
      "",
    );
    lines.push(
      "| step | time (median) | × floor | calls | Lambda (15/s bucket) | GetFunction | SQS | EventBridge | writes | throttles received | errors |",
      "|---|---|---|---|---|---|---|---|---|---|---|",
      row("1 cold apply (production limits)", (x) => x.cold, f.coldFloorMs),
      row("2 no-op sweep (same AwsClients)", (x) => x.noopSweep, f.noopFloorMs),
      row("2 no-op one-shot (fresh AwsClients, like the CLI)", (x) => x.noopOneShot, f.noopFloorMs),
      row("3 cold apply, proxy enforces 15/s", (x) => x.coldQuota, f.coldFloorMs),
      row("3 no-op sweep, proxy enforces 15/s", (x) => x.noopSweepQuota, f.noopFloorMs),
      row("cold apply, client limiter lifted (engine only)", (x) => x.coldUnlimited),
      row("no-op sweep, client limiter lifted (engine only)", (x) => x.noopSweepUnlimited),
      "",
    );
    const noop = first.noopSweep.calls;
    lines.push(
      `No-op sweep calls — Lambda: ${callsLine(noop, "lambda")}; SQS: ${callsLine(noop, "sqs")}; EventBridge: ${callsLine(noop, "events")}.`,
      `One-shot adds: ${callsLine(first.noopOneShot.calls, "sqs")} (SQS).`,
      "",
    );

    const cold = med(reps, (x) => x.cold.ms);
    const coldQuota = med(reps, (x) => x.coldQuota.ms);
    const coldUnlimited = med(reps, (x) => x.coldUnlimited.ms);
    const a = med(reps, (x) => x.baselineSdk.ms);
    const aQuota = med(reps, (x) => x.baselineSdkQuota.ms);
    const b = med(reps, (x) => x.baselineCli.extrapolatedMs);
    const aFailedQuota = worst((x) => x.baselineSdkQuota.failed);
    const cli = first.baselineCli;
    lines.push("## Baselines (cold apply of the same drifted set, same emulator, same run)", "");
    lines.push(
      "| baseline | time (median) | retryctl, same conditions | ratio (baseline ÷ retryctl) |",
      "|---|---|---|---|",
      `| (a) SDK read-then-write loop, emulator without quota | ${s2(a)} | ${s2(cold)} (production limits, 14/s Lambda) | ${x(a / cold)} |`,
      `| (a) same, retryctl's client limiter lifted | ${s2(a)} | ${s2(coldUnlimited)} | ${x(a / coldUnlimited)} |`,
      `| (a) SDK loop, proxy enforces 15/s (failed: ${aFailedQuota}) | ${s2(aQuota)} | ${s2(coldQuota)} | ${x(aQuota / coldQuota)} |`,
      `| (b) one AWS CLI process per resource (${cli.sampled} run, extrapolated to ${cli.resources}) | ${s2(b)} | ${s2(cold)} | ${x(b / cold)} |`,
      `| (b) same, retryctl's client limiter lifted | ${s2(b)} | ${s2(coldUnlimited)} | ${x(b / coldUnlimited)} |`,
      "",
      `CLI process time by kind (ms, first repetition): ${Object.entries(cli.meanMsPerProcess)
        .map(([k, v]) => `${k} ${Math.round(v)}`)
        .join(", ")}.`,
      "",
    );

    const noopMs = med(reps, (x) => x.noopSweepQuota.ms);
    const noopCalls = first.noopSweep.calls;
    const sqs = noopCalls.byService.sqs ?? 0;
    const events = noopCalls.byService.events ?? 0;
    targets.push(
      {
        target: `no-op sweep: Lambda (15/s bucket) ≤ F + ⌈M/100⌉ = ${f.noopLambdaMin}`,
        measured: `${noopCalls.lambdaShared} (+ ${noopCalls.lambdaGetFunction} GetFunction for ${f.D} DLQs)`,
        met: noopCalls.lambdaShared <= f.noopLambdaMin,
      },
      { target: `no-op sweep: SQS ≤ Q = ${f.Q}`, measured: String(sqs), met: sqs <= f.Q },
      { target: `no-op sweep: EventBridge ≤ R = ${f.R}`, measured: String(events), met: events <= f.R },
      {
        target: "no-op sweep: writes = 0",
        measured: String(
          Math.max(...reps.map((x) => x.noopSweep.calls.writes + x.noopSweepQuota.calls.writes)),
        ),
        met: reps.every((x) => x.noopSweep.calls.writes === 0 && x.noopSweepQuota.calls.writes === 0),
      },
      {
        target: "15/s quota: no-op sweep ≤ 1.1 × floor",
        measured: `${s2(noopMs)} = ${x(noopMs / f.noopFloorMs)}`,
        met: noopMs <= 1.1 * f.noopFloorMs,
      },
      {
        target: "15/s quota: 0 throttles received",
        measured: String(
          worst((x) => x.noopSweepQuota.calls.throttlesInjected + x.coldQuota.calls.throttlesInjected),
        ),
        met: reps.every(
          (x) => x.noopSweepQuota.calls.throttlesInjected + x.coldQuota.calls.throttlesInjected === 0,
        ),
      },
      {
        target: "(reported, not a target) 15/s quota: cold apply vs floor",
        measured: `${s2(coldQuota)} = ${x(coldQuota / f.coldFloorMs)}`,
        met: coldQuota <= 1.1 * f.coldFloorMs,
      },
      {
        target: "cold apply ≥ 5× faster than (a), both under the 15/s quota",
        measured: x(aQuota / coldQuota),
        met: aQuota / coldQuota >= 5,
      },
      {
        target: "cold apply ≥ 5× faster than (a), emulator without quota, production limits",
        measured: x(a / cold),
        met: a / cold >= 5,
      },
      {
        target: "cold apply ≥ 5× faster than (a), emulator without quota, limiter lifted",
        measured: x(a / coldUnlimited),
        met: a / coldUnlimited >= 5,
      },
      {
        target: "cold apply ≥ 50× faster than (b), production limits",
        measured: x(b / cold),
        met: b / cold >= 50,
      },
      {
        target: "cold apply ≥ 50× faster than (b), limiter lifted",
        measured: x(b / coldUnlimited),
        met: b / coldUnlimited >= 50,
      },
    );
    data.sweeps = {
      coldMs: cold,
      noopSweepMs: med(reps, (x) => x.noopSweep.ms),
      noopOneShotMs: med(reps, (x) => x.noopOneShot.ms),
      coldQuotaMs: coldQuota,
      noopSweepQuotaMs: noopMs,
      coldUnlimitedMs: coldUnlimited,
      noopSweepUnlimitedMs: med(reps, (x) => x.noopSweepUnlimited.ms),
      noopCalls,
      oneShotCalls: first.noopOneShot.calls,
      coldCalls: first.cold.calls,
      noopOverFloor: noopMs / f.noopFloorMs,
      coldQuotaOverFloor: coldQuota / f.coldFloorMs,
    };
    data.baselines = {
      sdkMs: a,
      sdkQuotaMs: aQuota,
      sdkQuotaFailedMax: aFailedQuota,
      cliExtrapolatedMs: b,
      ratios: {
        sdkOverRetryctl: a / cold,
        sdkOverRetryctlUnlimited: a / coldUnlimited,
        sdkQuotaOverRetryctlQuota: aQuota / coldQuota,
        cliOverRetryctl: b / cold,
        cliOverRetryctlUnlimited: b / coldUnlimited,
      },
    };
  }

  const c = r.commitLatency;
  if (c) {
    const limit = c.debounceMs + 300;
    lines.push("## Part 4: commit → applied while the controller sweeps", "");
    lines.push(
      `Controller on all ${c.resources} manifests, resync every ${s2(c.resyncIntervalMs)}, debounce ${c.debounceMs} ms, proxy enforcing 15/s. ` +
        `Startup reconcile of the in-sync tree: ${s2(c.startupReconcileMs)}. ${c.samples.length} commits (${c.timedOut} timed out).`,
      "",
      `| p50 | p95 | min | max | target p50 |`,
      "|---|---|---|---|---|",
      `| ${Math.round(c.p50)} ms | ${Math.round(c.p95)} ms | ${Math.round(Math.min(...c.samples.map((x) => x.ms)))} ms | ${Math.round(Math.max(...c.samples.map((x) => x.ms)))} ms | ≤ ${limit} ms |`,
      "",
      `By kind (ms): ${Object.entries(groupMs(c.samples))
        .map(([k, v]) => `${k} ${v.map((n) => Math.round(n)).join("/")}`)
        .join("; ")}.`,
      "",
      `Commits during the start-up reconcile (rename → applied): ${
        c.startupSamples
          .map((x) => `${x.kind} ${Math.round(x.ms)} ms${x.beforeReady ? "" : " (after start-up ended)"}`)
          .join("; ") || "none"
      }${c.startupTimedOut > 0 ? `; ${c.startupTimedOut} timed out` : ""}.`,
      "",
      `One resync round of the controller (${s2(c.resyncIntervalMs)}, no commits): ${c.sweepRound.total} calls — Lambda 15/s bucket ${c.sweepRound.lambdaShared}, ` +
        `GetFunction ${c.sweepRound.lambdaGetFunction}, SQS ${c.sweepRound.byService.sqs ?? 0}, EventBridge ${c.sweepRound.byService.events ?? 0}, writes ${c.sweepRound.writes}, ` +
        `throttles ${c.sweepRound.throttlesInjected}; Lambda ${callsLine(c.sweepRound, "lambda")}.`,
      "",
    );
    targets.push({
      target: `commit → applied p50 ≤ debounce + 300 ms = ${limit} ms`,
      measured: `${Math.round(c.p50)} ms (p95 ${Math.round(c.p95)} ms)`,
      met: c.p50 <= limit && c.timedOut === 0,
    });
    data.commitLatency = {
      p50: c.p50,
      p95: c.p95,
      timedOut: c.timedOut,
      sweepRound: c.sweepRound,
      startupMs: c.startupSamples.map((x) => x.ms),
    };
  }

  const load = r.load;
  const ctl = r.controllerMemory;
  const loadShipped = r.loadShipped;
  const ctlShipped = r.controllerMemoryShipped;
  if (load && ctl && loadShipped && ctlShipped) {
    const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
    const firsts = (l: LoadMeasure) => (l.processes ?? []).map((p) => Math.round(p.firstMs)).join(", ");
    lines.push("## Part 5: 5,000 manifests", "");
    lines.push(`As shipped: ${ctlShipped.shipped}.`, "");
    lines.push(
      "| measure | node defaults, no memory limit | as shipped |",
      "|---|---|---|",
      `| load + validate, first load of a fresh process (median of ${load.processes?.length ?? 1}) | ${Math.round(load.firstMs)} ms (${firsts(load)}) | ${Math.round(loadShipped.firstMs)} ms (${firsts(loadShipped)}) |`,
      `| load + validate, further loads (what a commit costs; median) | ${Math.round(load.warmMedianMs)} ms | ${Math.round(loadShipped.warmMedianMs)} ms |`,
      `| loader process peak RSS after the first load (VmHWM) | ${mib(load.vmHwmKiB)} (${mib(load.rssBeforeKiB)} before it) | ${mib(loadShipped.vmHwmKiB)} (${mib(loadShipped.rssBeforeKiB)} before it) |`,
      `| controller holding them (resources exist), peak RSS over ${ctl.seconds} s (VmHWM) | ${mib(ctl.vmHwmKiB)} | ${mib(ctlShipped.vmHwmKiB)} |`,
      `| controller RSS at the end (JS heap in use) | ${mib(ctl.rssEndKiB)} (${mib(ctl.heapUsedKiB)}) | ${mib(ctlShipped.rssEndKiB)} (${mib(ctlShipped.heapUsedKiB)}) |`,
    );
    const missing = r.controllerMemoryMissing;
    if (missing) {
      lines.push(
        `| controller holding them, none of them existing (every one failing and retried), peak RSS | | ${mib(missing.vmHwmKiB)} (end ${mib(missing.rssEndKiB)}, JS heap in use ${mib(missing.heapUsedKiB)}) |`,
      );
    }
    lines.push("");
    targets.push(
      {
        target: `load + validate ${load.manifests} manifests ≤ 1 s`,
        measured: `first load ${Math.round(load.firstMs)} ms (node defaults), ${Math.round(loadShipped.firstMs)} ms (as shipped); further loads ${Math.round(load.warmMedianMs)} / ${Math.round(loadShipped.warmMedianMs)} ms`,
        met: load.firstMs <= 1000 && loadShipped.firstMs <= 1000,
      },
      {
        target: "controller RSS ≤ 150 MB holding them (as shipped)",
        measured: `${(ctlShipped.vmHwmKiB / MB).toFixed(1)} MB peak (${mib(ctlShipped.vmHwmKiB)}); node defaults without a limit ${mib(ctl.vmHwmKiB)}${missing ? `; none existing ${mib(missing.vmHwmKiB)}` : ""}`,
        met: ctlShipped.vmHwmKiB <= 150 * MB,
      },
    );
    data.controllerMemory = ctl;
    data.loadShipped = loadShipped;
    data.controllerMemoryShipped = ctlShipped;
    data.controllerMemoryMissing = r.controllerMemoryMissing;
  }

  const ma = r.multiAccount;
  if (ma) {
    const perAccount = Object.values(ma.noopLambdaPerAccount);
    const formula = ma.floors.noopLambdaMin;
    const ratio = ma.noopSweepQuota.ms / ma.floors.noopFloorMs;
    lines.push(`## Part 6: ${ma.accounts} accounts × ${ma.resourcesPerAccount} manifests, one process`, "");
    lines.push(
      "The hub and four member accounts reached with STS AssumeRole, the quick scenario in each; " +
        "the fault proxy applies Lambda's 15/s quota to each account on its own.",
      "",
      "| step | time | calls | Lambda (15/s bucket) per account | most per second, per account | throttles received | errors |",
      "|---|---|---|---|---|---|---|",
    );
    for (const [label, m] of [
      ["cold apply (no quota)", ma.cold],
      ["no-op sweep, 15/s per account", ma.noopSweepQuota],
      ["no-op sweep, limiter lifted, no quota", ma.noopSweepUnlimited],
    ] as const) {
      const lambda = label === "no-op sweep, 15/s per account" ? perAccount.join(" / ") : "";
      const most =
        label === "no-op sweep, 15/s per account"
          ? Object.values(ma.lambdaMaxPerSecondPerAccount).join(" / ")
          : "";
      lines.push(
        `| ${label} | ${(m.ms / 1000).toFixed(2)} s | ${m.calls.total} | ${lambda} | ${most} | ${m.calls.throttlesInjected} | ${JSON.stringify(m.errors)} |`,
      );
    }
    lines.push("");
    targets.push(
      {
        target: "many accounts: no-op sweep Lambda calls per account = the single-account formula",
        measured: `${perAccount.join(" / ")} per account; formula F + ⌈M/100⌉ = ${formula}`,
        met: perAccount.every((n) => n === formula),
      },
      {
        target: "many accounts: no-op sweep under per-account 15/s quotas ≤ 1.1 × the single-account floor",
        measured: `${(ma.noopSweepQuota.ms / 1000).toFixed(2)} s vs floor ${(ma.floors.noopFloorMs / 1000).toFixed(2)} s (${ratio.toFixed(2)}×)`,
        met: ratio <= 1.1,
      },
    );
    data.multiAccount = { ...ma, noopSweepVsFloor: ratio };
  }

  const fl = r.fleet;
  if (fl) {
    const added = Object.values(fl.addedByPolicy).reduce((a, b) => a + b, 0);
    const { listFunctions, getResources } = fl.discoveryFormula;
    const ratio = fl.policyQuota.ms / fl.fleetNoopFloorMs;
    lines.push(`## Part 7: one RetryPolicy over ${fl.functions} functions and ${fl.mappings} mappings`, "");
    lines.push(
      "The same desired state as one policy (selector by name and tag) and as per-resource manifests; " +
        "a no-op sweep of each, the policy's with discovery and expansion included.",
      "",
      "| sweep | resources | time | of which discovery | calls | Lambda (15/s bucket) | tagging | throttles | errors |",
      "|---|---|---|---|---|---|---|---|---|",
    );
    for (const [label, m] of [
      ["cold apply, policy (no quota)", fl.cold],
      ["no-op, per-resource manifests, 15/s", fl.perResourceQuota],
      ["no-op, one policy, 15/s", fl.policyQuota],
      ["no-op, per-resource, limiter lifted", fl.perResourceUnlimited],
      ["no-op, one policy, limiter lifted", fl.policyUnlimited],
    ] as const) {
      const discovery = m.discoveryMs === undefined ? "" : `${(m.discoveryMs / 1000).toFixed(2)} s`;
      lines.push(
        `| ${label} | ${m.resources} | ${(m.ms / 1000).toFixed(2)} s | ${discovery} | ${m.calls.total} | ${m.calls.lambdaShared} | ${m.calls.byService.tagging ?? 0} | ${m.calls.throttlesInjected} | ${JSON.stringify(m.errors)} |`,
      );
    }
    lines.push("", `Calls the policy adds: ${JSON.stringify(fl.addedByPolicy)}.`, "");
    targets.push(
      {
        target: "fleet: discovery adds at most ⌈F/50⌉ + ⌈F/100⌉ calls to the per-resource no-op sweep",
        measured: `${added} added (${JSON.stringify(fl.addedByPolicy)}); ⌈F/50⌉ + ⌈F/100⌉ = ${listFunctions + getResources}`,
        met: added <= listFunctions + getResources,
      },
      {
        target: "fleet: policy no-op sweep under the 15/s quota ≤ 1.1 × floor",
        measured: `${(fl.policyQuota.ms / 1000).toFixed(2)} s vs floor ${(fl.fleetNoopFloorMs / 1000).toFixed(2)} s (${ratio.toFixed(2)}×; per-resource ${(fl.perResourceQuota.ms / 1000).toFixed(2)} s vs ${(fl.floors.noopFloorMs / 1000).toFixed(2)} s)`,
        met: ratio <= 1.1,
      },
    );
    data.fleet = { ...fl, policyNoopVsFloor: ratio, callsAdded: added };
  }

  lines.push("## Targets", "", "| target | measured | met |", "|---|---|---|");
  for (const t of targets) lines.push(`| ${t.target} | ${t.measured} | ${t.met ? "yes" : "**no**"} |`);
  lines.push("");
  data.targets = targets;
  return { data, markdown: `${lines.join("\n")}\n` };
}

function groupMs(samples: readonly { kind: string; ms: number }[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const s of samples) out[s.kind] = [...(out[s.kind] ?? []), s.ms];
  return out;
}
