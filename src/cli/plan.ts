import { resolve } from "node:path";
import { reconcile } from "../engine/reconcile.js";
import type { ResourceResult } from "../engine/result.js";
import type { FleetLoad } from "../fleet/fleet.js";
import { revisionOf } from "../source/revision.js";
import type { GlobalOptions } from "./context.js";
import { openOneShot } from "./one-shot.js";
import { formatWarning, type PlanVerb, planJson, planText } from "./output.js";
import type { Io } from "./program.js";

export interface PlanRun {
  /** The manifests with the fleet policies expanded (design §7). */
  load: FleetLoad;
  revision: string;
  results: ResourceResult[];
}

export interface PlanOptions extends GlobalOptions {
  dryRun: boolean;
  waitTimeoutMs: number;
  concurrency: number;
  /** How often what is waited for is said on stderr. @default DEFAULT_PROGRESS_INTERVAL_MS */
  progressIntervalMs?: number;
}

function failed({ load, results }: PlanRun): boolean {
  return load.errors.length > 0 || results.some((r) => r.action === "error");
}

/**
 * The exit code of `diff` and of `apply --dry-run` (design §2, §13): 1 on any
 * error, 2 when changes are pending (observed drift included), else 0.
 */
export function planExitCode(run: PlanRun): number {
  if (failed(run)) return 1;
  const pending = run.results.some(
    (r) => r.action === "create" || r.action === "update" || r.action === "observed",
  );
  return pending ? 2 : 0;
}

/** The exit code of `apply`: 1 when anything failed, else 0. */
export function applyExitCode(run: PlanRun): number {
  return failed(run) ? 1 : 0;
}

/** Shared by `diff` and `apply`: load, read AWS, (apply), print. */
export async function runPlan(
  dir: string,
  io: Io,
  options: PlanOptions,
  command: "plan" | "apply",
): Promise<PlanRun> {
  const verb: PlanVerb = command === "apply" && options.dryRun ? "dry-run" : command;
  const { loaded, log, waits, aws, guard, resolve: expand, close } = await openOneShot(dir, io, options);
  try {
    const revision = await revisionOf(resolve(dir), loaded.contentHash);
    const load = await expand();
    const results = await reconcile(load.manifests, {
      aws,
      progress: waits,
      guard,
      ...(load.mappingListings ? { mappingListings: load.mappingListings } : {}),
      log,
      mode: "enforce",
      dryRun: options.dryRun,
      concurrency: options.concurrency,
      waitTimeoutMs: options.waitTimeoutMs,
      revision,
      resultsPrinted: true,
      ...(options.interrupt ? { signal: options.interrupt.signal } : {}),
    });
    const interrupted = options.interrupt?.received;
    if (options.output === "json") {
      io.stdout(
        `${JSON.stringify(planJson(revision, results, load.errors, load.matches, interrupted), null, 2)}\n`,
      );
    } else {
      for (const w of load.warnings) io.stderr(`${formatWarning(w)}\n`);
      io.stdout(planText(revision, results, load.errors, verb, load.matches, interrupted));
    }
    return { load, revision, results };
  } finally {
    close();
  }
}
