import { resolve } from "node:path";
import { reconcile } from "../engine/reconcile.js";
import type { ResourceResult } from "../engine/result.js";
import { loadManifests } from "../manifests/load.js";
import type { LoadResult } from "../manifests/manifest.js";
import { revisionOf } from "../source/revision.js";
import {
  createAws,
  createGuard,
  type GlobalOptions,
  oneShotLogger,
  readPolicy,
  resolveRegion,
} from "./context.js";
import { formatWarning, planJson, planText } from "./output.js";
import type { Io } from "./program.js";

export interface PlanRun {
  load: LoadResult;
  revision: string;
  results: ResourceResult[];
}

export interface PlanOptions extends GlobalOptions {
  dryRun: boolean;
  waitTimeoutMs: number;
  concurrency: number;
}

/** Shared by `diff` and `apply`: load, read AWS, (apply), print. */
export async function runPlan(
  dir: string,
  io: Io,
  options: PlanOptions,
  verb: "plan" | "apply",
): Promise<PlanRun> {
  const log = oneShotLogger(options, io.stderr);
  const policy = await readPolicy(options);
  const region = resolveRegion(options);
  const load = await loadManifests([dir], { defaultRegion: region });
  const revision = await revisionOf(resolve(dir), load.contentHash);
  const aws = createAws(options);
  try {
    const results = await reconcile(load.manifests, {
      aws,
      guard: createGuard(policy, aws, region),
      log,
      mode: "enforce",
      dryRun: options.dryRun,
      concurrency: options.concurrency,
      waitTimeoutMs: options.waitTimeoutMs,
      revision,
      resultsPrinted: true,
    });
    if (options.output === "json") {
      io.stdout(`${JSON.stringify(planJson(revision, results, load.errors), null, 2)}\n`);
    } else {
      for (const w of load.warnings) io.stderr(`${formatWarning(w)}\n`);
      io.stdout(planText(revision, results, load.errors, verb));
    }
    return { load, revision, results };
  } finally {
    aws.destroy();
  }
}
