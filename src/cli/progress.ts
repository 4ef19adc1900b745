import type { RequestEvent } from "../aws/clients.js";
import type { ResourceError } from "../aws/errors.js";
import type { EngineProgress, ProgressTarget, Step } from "../engine/progress.js";
import { scrubSecrets } from "../log/secrets.js";
import { formatDuration } from "./duration.js";

/** Design §13: a one-shot command that waits says so at least this often. */
export const DEFAULT_PROGRESS_INTERVAL_MS = 10_000;

/** Names listed per line at most, so that a throttled run over many resources stays readable. */
const MAX_NAMES = 5;

/** Short words for the waits users meet; other codes show the error message. */
const REASONS: Record<string, string> = {
  UpdateInProgress: "function update in progress",
  ResourceInUse: "event source mapping is changing state",
  Throttled: "throttled by AWS",
  ConcurrentModification: "changed concurrently in AWS",
  PreconditionFailed: "changed in AWS since it was read",
  NetworkError: "no answer from AWS",
  ServiceError: "AWS answered with a server error",
};

interface Pending {
  label: string;
  step: Step;
  since: number;
  /** The last wait, kept while the resource is read again between waits. */
  wait?: { code: string; message: string; deadline: number };
}

interface FailedAttempts {
  count: number;
  last: RequestEvent;
}

export interface WaitReporterOptions {
  write: (text: string) => void;
  /** @default DEFAULT_PROGRESS_INTERVAL_MS */
  intervalMs?: number;
  now?: () => number;
}

/**
 * Says on stderr what a one-shot command is waiting for: every interval, each
 * resource without a result yet — waits with their reason and the time left,
 * and resources inside AWS calls (a hung endpoint, the SDK's own retries) with
 * the attempts that failed since the last report. Silent when nothing waits.
 */
export class WaitReporter implements EngineProgress {
  readonly #pending = new Map<string, Pending>();
  readonly #write: (text: string) => void;
  readonly #intervalMs: number;
  readonly #now: () => number;
  #failed: FailedAttempts | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: WaitReporterOptions) {
    this.#write = options.write;
    this.#intervalMs = options.intervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS;
    this.#now = options.now ?? Date.now;
  }

  start(): void {
    this.#timer ??= setInterval(() => this.report(), this.#intervalMs);
    // Never the reason the process stays alive.
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  step(target: ProgressTarget, step: Exclude<Step, "waiting">): void {
    const known = this.#pending.get(target.key);
    const entry: Pending = { label: target.label, step, since: this.#now() };
    // A read between two attempts is still part of the wait; once it applies, the wait is over.
    if (known?.wait && step === "reading") entry.wait = known.wait;
    this.#pending.set(target.key, entry);
  }

  waiting(target: ProgressTarget, error: ResourceError, deadline: number): void {
    this.#pending.set(target.key, {
      label: target.label,
      step: "waiting",
      since: this.#now(),
      wait: { code: error.code, message: error.message, deadline },
    });
  }

  done(target: ProgressTarget): void {
    this.#pending.delete(target.key);
  }

  /** Every AWS attempt (the SDK's retries included), from the clients' `onRequest`. */
  readonly request = (event: RequestEvent): void => {
    if (event.outcome === "success") return;
    this.#failed = { count: (this.#failed?.count ?? 0) + 1, last: event };
  };

  /** Writes the lines for what is pending now (the ticker calls it every interval). */
  report(): void {
    const now = this.#now();
    const waits: Pending[] = [];
    const inCalls: Pending[] = [];
    for (const p of this.#pending.values()) (p.wait ? waits : inCalls).push(p);
    const lines: string[] = [];
    for (const p of waits.slice(0, MAX_NAMES)) {
      const wait = p.wait as NonNullable<Pending["wait"]>;
      const left = formatDuration(wait.deadline - now);
      lines.push(`waiting: ${p.label}: ${wait.code} (${reason(wait)}), retrying for up to ${left} more`);
    }
    if (waits.length > MAX_NAMES) lines.push(`waiting: … and ${waits.length - MAX_NAMES} more resource(s)`);
    if (inCalls.length > 0) lines.push(this.#stillWaiting(inCalls, now));
    this.#failed = undefined;
    if (lines.length > 0) this.#write(`${lines.join("\n")}\n`);
  }

  #stillWaiting(inCalls: Pending[], now: number): string {
    const names = inCalls.slice(0, MAX_NAMES).map((p) => `${p.step} ${p.label}`);
    if (inCalls.length > MAX_NAMES) names.push(`… and ${inCalls.length - MAX_NAMES} more`);
    const longest = Math.max(...inCalls.map((p) => now - p.since));
    let line = `still waiting for ${inCalls.length} resource(s): ${names.join(", ")} (for up to ${formatDuration(longest)})`;
    const failed = this.#failed;
    if (failed) {
      const { service, operation, errorName } = failed.last;
      line += `; ${failed.count} AWS attempt(s) failed since the last report, the last ${service} ${operation}: ${errorName ?? "no answer"}`;
    }
    return line;
  }
}

function reason(wait: { code: string; message: string }): string {
  const words = REASONS[wait.code];
  if (words) return words;
  // AWS messages may quote the signed request.
  const message = scrubSecrets(wait.message);
  return message.length > 120 ? `${message.slice(0, 117)}...` : message;
}
