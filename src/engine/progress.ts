import type { ResourceError } from "../aws/errors.js";

/** What a resource is doing while it has no result yet. */
export type Step = "reading" | "queued" | "applying" | "waiting";

/** A resource as progress reports name it. */
export interface ProgressTarget {
  /** The manifest key (unique). */
  key: string;
  /** `Kind/name`, as the plan prints it. */
  label: string;
}

/**
 * Told what each resource is doing, so a one-shot command can say what it waits
 * for (design §13). The engine only reports; what to print and when is the
 * caller's.
 */
export interface EngineProgress {
  step(target: ProgressTarget, step: Exclude<Step, "waiting">): void;
  /** The resource waits out `error` before another attempt, for at most until `deadline` (epoch ms). */
  waiting(target: ProgressTarget, error: ResourceError, deadline: number): void;
  /** The resource has its result. */
  done(target: ProgressTarget): void;
}
