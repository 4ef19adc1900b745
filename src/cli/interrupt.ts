import { writeSync } from "node:fs";
import { constants } from "node:os";

const SIGNALS = ["SIGINT", "SIGTERM"] as const;
export type InterruptSignal = (typeof SIGNALS)[number];

/**
 * 128 + the signal's number: what a shell shows for a command a signal ended
 * (130 for Ctrl-C, 143 for SIGTERM), so a script or CI step tells an interrupted
 * run from one that converged (0), failed (1) or found drift (2).
 */
export function interruptExitCode(signal: InterruptSignal): number {
  return 128 + constants.signals[signal];
}

export interface InterruptOptions {
  /** Where the first two interrupts are said (stderr). */
  write: (text: string) => void;
  /** Ends the process at the third interrupt. @default process.exit */
  exit?: (code: number) => never;
}

/**
 * Design §13 for the one-shot commands: the first SIGINT/SIGTERM aborts
 * `signal` (no new AWS call starts, waits end, calls in flight finish, the
 * result is still printed), the second says it is still finishing, the third
 * exits at once with 128 + n.
 */
export class Interrupt {
  readonly #abort = new AbortController();
  readonly #write: (text: string) => void;
  readonly #exit: (code: number) => never;
  #received: InterruptSignal | undefined;
  #count = 0;
  #inFlight: () => number = () => 0;
  readonly #handlers = new Map<InterruptSignal, () => void>();

  constructor(options: InterruptOptions) {
    this.#write = options.write;
    this.#exit = options.exit ?? ((code) => process.exit(code));
  }

  /** Aborted at the first interrupt. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** The first signal received, if any. */
  get received(): InterruptSignal | undefined {
    return this.#received;
  }

  /** 128 + n once interrupted, else undefined (the command's own code stands). */
  get exitCode(): number | undefined {
    return this.#received && interruptExitCode(this.#received);
  }

  /** Where the number of AWS calls in flight comes from, for the messages (the command's clients). */
  countInFlight(source: () => number): void {
    this.#inFlight = source;
  }

  /** Installs the SIGINT/SIGTERM handlers (replacing Node's default: exit at once). */
  listen(): this {
    for (const signal of SIGNALS) {
      const handler = () => this.receive(signal);
      this.#handlers.set(signal, handler);
      process.on(signal, handler);
    }
    return this;
  }

  dispose(): void {
    for (const [signal, handler] of this.#handlers) process.off(signal, handler);
    this.#handlers.clear();
  }

  /** What a received signal does (the handlers call it). */
  receive(signal: InterruptSignal): void {
    this.#count += 1;
    const calls = `${this.#inFlight()} in-flight AWS call(s)`;
    if (this.#count === 1) {
      this.#received = signal;
      this.#write(
        `retryctl: interrupt received (${signal}): finishing ${calls}, starting no new ones; ` +
          "interrupt twice more to force exit\n",
      );
      this.#abort.abort();
    } else if (this.#count === 2) {
      this.#write(
        `retryctl: second interrupt (${signal}): still finishing ${calls}; interrupt once more to force exit\n`,
      );
    } else {
      const code = interruptExitCode(signal);
      // Synchronous: nothing queued on a stream survives process.exit.
      writeSync(
        2,
        `retryctl: third interrupt (${signal}): exiting now (${code}) without waiting for ${calls}; ` +
          "they may or may not have taken effect, and no result is printed\n",
      );
      this.#exit(code);
    }
  }
}

/**
 * Runs a one-shot command under the interrupt rules: `run` gets the interrupt
 * (pass it on as `GlobalOptions.interrupt`), and its exit code stands unless a
 * signal came, then 128 + n.
 */
export async function interruptible(
  write: (text: string) => void,
  run: (interrupt: Interrupt) => Promise<number>,
): Promise<number> {
  const interrupt = new Interrupt({ write }).listen();
  try {
    const code = await run(interrupt);
    return interrupt.exitCode ?? code;
  } finally {
    interrupt.dispose();
  }
}
