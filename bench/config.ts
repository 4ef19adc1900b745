import type { Sizes } from "./scenario.js";

export interface BenchConfig {
  name: string;
  sizes: Sizes;
  /** Repetitions of parts 1–3 and the baselines; medians are reported. */
  repeats: number;
  /** CLI processes run per repetition for baseline (b). */
  cliSample: number;
  /** Part 4. */
  commits: number;
  resyncIntervalMs: number;
  debounceMs: number;
  commitGapMs: number;
  /** Part 4: commits while the start-up reconcile runs, the first this long after the tree is loaded. */
  startupCommits: number;
  startupCommitDelayMs: number;
  /** Part 5. */
  loadManifests: number;
  /** Fresh processes that each load the tree (medians are reported), and loads per process. */
  loadProcesses: number;
  loadRepeats: number;
  controllerSeconds: number;
}

/** 1,000 resources: the size the cold-apply targets name. */
export const FULL: BenchConfig = {
  name: "full",
  sizes: {
    functions: 200,
    aliases: 50,
    dlqs: 100,
    kinesisMappings: 100,
    dynamodbMappings: 100,
    sqsMappings: 100,
    queues: 250,
    targets: 100,
    targetsPerRule: 2,
    consumersPerStream: 3,
  },
  repeats: 3,
  cliSample: 40,
  commits: 20,
  // A sweep round of 1,000 resources every minute keeps the Lambda limiter busy most of the time.
  resyncIntervalMs: 60_000,
  debounceMs: 500,
  commitGapMs: 1_500,
  startupCommits: 3,
  startupCommitDelayMs: 3_000,
  loadManifests: 5_000,
  loadProcesses: 5,
  loadRepeats: 4,
  controllerSeconds: 30,
};

/** The same mix at ~15 %: a few minutes on two shared cores. */
export const QUICK: BenchConfig = {
  name: "quick",
  sizes: {
    functions: 30,
    aliases: 8,
    dlqs: 15,
    kinesisMappings: 15,
    dynamodbMappings: 15,
    sqsMappings: 15,
    queues: 40,
    targets: 16,
    targetsPerRule: 2,
    consumersPerStream: 3,
  },
  repeats: 3,
  cliSample: 15,
  commits: 10,
  resyncIntervalMs: 10_000,
  debounceMs: 500,
  commitGapMs: 1_000,
  startupCommits: 3,
  startupCommitDelayMs: 1_000,
  loadManifests: 5_000,
  loadProcesses: 3,
  loadRepeats: 3,
  controllerSeconds: 15,
};

/** The 5,000-manifest tree of part 5: the full mix scaled by five (nothing of it exists in AWS). */
export const LOAD_SIZES: Sizes = {
  functions: 1000,
  aliases: 250,
  dlqs: 500,
  kinesisMappings: 500,
  dynamodbMappings: 500,
  sqsMappings: 500,
  queues: 1250,
  targets: 500,
  targetsPerRule: 2,
  consumersPerStream: 3,
};
