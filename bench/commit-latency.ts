import { mkdir, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import pino from "pino";
import { runController } from "../src/controller/run.js";
import { TEST_REGION } from "../test/support/aws.js";
import type { FaultProxy } from "../test/support/fault-proxy.js";
import { type ManifestFile, toYaml } from "./manifests.js";
import { type CallCounts, countCalls } from "./measure.js";
import { median, percentile } from "./stats.js";

export interface CommitLatencyOptions {
  /** The manifest tree the controller watches (already in sync with AWS). */
  dir: string;
  /** Where edited files are written before being renamed into `dir` (same file system, outside the tree). */
  stagingDir: string;
  files: readonly ManifestFile[];
  proxy: FaultProxy;
  commits: number;
  resyncIntervalMs: number;
  debounceMs: number;
  /** Pause between commits (a commit waits for the previous one to be applied). */
  gapMs: number;
  /** Commits made one after another while the start-up reconcile runs (each waits for the previous). */
  startupCommits: number;
  /** How long after "manifests loaded" the first start-up commit lands, so the start-up is well under way. */
  startupCommitDelayMs: number;
  timeoutMs?: number;
}

export interface CommitSample {
  kind: string;
  name: string;
  ms: number;
}

export interface StartupCommitSample extends CommitSample {
  /** Applied before the start-up reconcile finished ("revision reconciled"). */
  beforeReady: boolean;
}

export interface CommitLatencyResult {
  resources: number;
  resyncIntervalMs: number;
  debounceMs: number;
  /** Controller start → first full reconcile of the (already in sync) tree, start-up commits included. */
  startupReconcileMs: number;
  /** Commits that landed during the start-up reconcile: rename → applied. */
  startupSamples: StartupCommitSample[];
  startupTimedOut: number;
  /** AWS calls during one whole resync interval with no commits: what a sweep round costs the controller. */
  sweepRound: CallCounts;
  samples: CommitSample[];
  timedOut: number;
  p50: number;
  p95: number;
  median: number;
  /** Calls and throttles over the commit phase (sweep traffic included). */
  commitPhase: CallCounts;
}

interface LogLine {
  msg?: string;
  name?: string;
  kind?: string;
}

/** A new value for one managed field of the manifest, so the commit is a real change. */
function edit(file: ManifestFile, round: number): ManifestFile {
  const doc = structuredClone(file.doc) as { spec: Record<string, unknown> };
  const spec = doc.spec;
  const bump = (field: string, base: number) => {
    spec[field] = base + 1 + (round % 2);
  };
  switch (file.kind) {
    case "FunctionEventInvokeConfig":
      spec.maximumEventAgeInSeconds = 900 + 60 * round;
      break;
    case "FunctionDeadLetterConfig":
      spec.targetArn = String(spec.targetArn).replace(/-fn-dlq$/, "-async-failed");
      break;
    case "EventSourceMapping":
      bump("batchSize", Number(spec.batchSize));
      break;
    case "QueueRedrivePolicy":
      bump("maxReceiveCount", Number(spec.maxReceiveCount));
      break;
    case "EventTargetRetryPolicy":
      bump("maximumRetryAttempts", Number(spec.maximumRetryAttempts));
      break;
  }
  return { ...file, doc };
}

/** Picks `count` files cycling over the kinds, each a different resource. */
function pickFiles(files: readonly ManifestFile[], count: number): ManifestFile[] {
  const byKind = new Map<string, ManifestFile[]>();
  for (const f of files) byKind.set(f.kind, [...(byKind.get(f.kind) ?? []), f]);
  const kinds = [...byKind.keys()];
  const picked: ManifestFile[] = [];
  for (let i = 0; picked.length < count; i++) {
    const list = byKind.get(kinds[i % kinds.length] as string) as ManifestFile[];
    const round = Math.floor(i / kinds.length);
    // Spread over the list (the sweep order is by key), never the same resource twice.
    const index = (round * 37 + 11) % list.length;
    const file = list[index];
    if (file && !picked.includes(file)) picked.push(file);
    if (i > count * 10) break;
  }
  return picked;
}

/** The last file of each kind, cycling over the kinds, `count` in all. */
function pickLast(files: readonly ManifestFile[], count: number): ManifestFile[] {
  const byKind = Map.groupBy(files, (f) => f.kind);
  return [...byKind.values()].map((list) => list[list.length - 1] as ManifestFile).slice(0, count);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Part 4: the controller runs on a large, in-sync tree with a short resync
 * interval (so a sweep is always under way); single manifests are changed one
 * at a time the way a git-sync update lands (a rename into the tree), and the
 * time from the rename to the controller's "drift repaired" log line for that
 * resource is recorded.
 */
export async function measureCommitLatency(o: CommitLatencyOptions): Promise<CommitLatencyResult> {
  const waiters = new Map<string, (at: number) => void>();
  let ready: (() => void) | undefined;
  let isReady = false;
  const readyPromise = new Promise<void>((r) => {
    ready = r;
  });
  let loaded: (() => void) | undefined;
  const loadedPromise = new Promise<void>((r) => {
    loaded = r;
  });
  const stream = {
    write(line: string) {
      const at = performance.now();
      const entry = JSON.parse(line) as LogLine;
      if (entry.msg === "manifests loaded") loaded?.();
      if (entry.msg === "revision reconciled") {
        isReady = true;
        ready?.();
      }
      if (entry.msg === "drift repaired" && entry.name) waiters.get(entry.name)?.(at);
    },
  };
  const logger = pino({ level: "info" }, stream);
  process.env.AWS_ACCESS_KEY_ID ??= "testing";
  process.env.AWS_SECRET_ACCESS_KEY ??= "testing";

  /** Writes the edited file beside the tree and renames it in (as git-sync lands a commit); resolves with rename → applied. */
  const commit = async (file: ManifestFile, round: number): Promise<number | undefined> => {
    await mkdir(o.stagingDir, { recursive: true });
    const staged = join(o.stagingDir, `${round}.yaml`);
    await writeFile(staged, toYaml(edit(file, round)));
    const applied = new Promise<number | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), o.timeoutMs ?? 30_000);
      waiters.set(file.name, (at) => {
        clearTimeout(timer);
        resolve(at);
      });
    });
    const target = join(o.dir, file.path);
    await mkdir(dirname(target), { recursive: true });
    const t0 = performance.now();
    await rename(staged, target);
    const at = await applied;
    waiters.delete(file.name);
    return at === undefined ? undefined : at - t0;
  };

  // Start-up commits change the last manifest of different kinds: the end of the start-up's queue.
  const startupTargets = pickLast(o.files, o.startupCommits);
  const started = performance.now();
  const controller = await runController({
    dir: o.dir,
    region: TEST_REGION,
    endpoint: o.proxy.endpoint,
    mode: "enforce",
    listen: "127.0.0.1:0",
    concurrency: 8,
    resyncIntervalMs: o.resyncIntervalMs,
    debounceMs: o.debounceMs,
    logLevel: "info",
    logger,
  });
  try {
    await loadedPromise;
    await sleep(o.startupCommitDelayMs);
    const startupSamples: StartupCommitSample[] = [];
    let startupTimedOut = 0;
    for (const [i, file] of startupTargets.entries()) {
      if (isReady) break;
      const ms = await commit(file, 100 + i);
      if (ms === undefined) startupTimedOut++;
      else startupSamples.push({ kind: file.kind, name: file.name, ms, beforeReady: !isReady });
    }
    await readyPromise;
    const startupReconcileMs = performance.now() - started;

    const faults = o.proxy.faults;
    o.proxy.reset();
    o.proxy.set(faults);
    await sleep(o.resyncIntervalMs);
    const sweepRound = countCalls(o.proxy);

    o.proxy.reset();
    o.proxy.set(faults);
    const samples: CommitSample[] = [];
    let timedOut = 0;
    // Not a start-up commit's file: an edit of the same round could leave it as it already is.
    const rest = o.files.filter((f) => !startupTargets.includes(f));
    const targets = pickFiles(rest, o.commits);
    for (const [i, file] of targets.entries()) {
      const ms = await commit(file, i);
      if (ms === undefined) timedOut++;
      else samples.push({ kind: file.kind, name: file.name, ms });
      await sleep(o.gapMs);
    }
    const ms = samples.map((s) => s.ms);
    return {
      resources: o.files.length,
      resyncIntervalMs: o.resyncIntervalMs,
      debounceMs: o.debounceMs,
      startupReconcileMs,
      startupSamples,
      startupTimedOut,
      sweepRound,
      samples,
      timedOut,
      p50: percentile(ms, 50),
      p95: percentile(ms, 95),
      median: median(ms),
      commitPhase: countCalls(o.proxy),
    };
  } finally {
    await controller.stop();
  }
}
