import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { REPO_ROOT } from "../../support/moto-server.js";

const run = promisify(execFile);
const BUILD = join(REPO_ROOT, ".tmp", "demo-test-build");
/** The CLI compiled with the launcher; the test's stand-in for `npx retryctl` (dist/ belongs to `npm run build`). */
const CLI = join(BUILD, "src/cli/main.js");

/** The environment of a fresh terminal: no AWS or retryctl settings, an empty home (no ~/.aws). */
const freshTerminal = (home: string): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: home });

/**
 * `npm start`'s launcher, run as a terminal runs it: the leader of its own
 * process group, so a Ctrl-C can be sent to the group as a terminal sends it.
 */
class Demo {
  readonly stdout: string[] = [];
  stderr = "";
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(home: string, env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, [join(BUILD, "scripts/demo/start.js")], {
      cwd: REPO_ROOT,
      detached: true,
      // Free ports: other test runs may share the machine.
      env: { ...freshTerminal(home), RETRYCTL_DEMO_MOTO_PORT: "0", RETRYCTL_LISTEN: "127.0.0.1:0", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    createInterface({ input: this.child.stdout as NodeJS.ReadableStream }).on(
      "line",
      (l) => void this.stdout.push(l),
    );
    this.child.stderr?.on("data", (d: Buffer) => {
      this.stderr += d.toString();
    });
    this.exited = new Promise((resolve) =>
      this.child.on("exit", (code, signal) => resolve({ code, signal })),
    );
  }

  get pid(): number {
    return this.child.pid as number;
  }

  get log(): string {
    return this.stdout.join("\n");
  }

  /** Resolves once the controller finished its first reconcile (the launcher then prints its block). */
  async up(): Promise<void> {
    await vi.waitFor(
      () => {
        if (!this.log.includes("revision reconciled")) throw new Error(`demo not up yet:\n${this.stderr}`);
      },
      { timeout: 100_000, interval: 200 },
    );
  }

  /** The pid of the launcher's child whose command line matches: the controller (`run --dir`) or the emulator. */
  async childPid(command: RegExp): Promise<number> {
    const { stdout } = await run("ps", ["-o", "pid=,args=", "--ppid", String(this.pid)]);
    const line = stdout.split("\n").find((l) => command.test(l));
    if (!line) throw new Error(`no ${command} among the launcher's children:\n${stdout}`);
    return Number(line.trim().split(" ")[0]);
  }

  /** The emulator's URL, as the launcher announced it. */
  endpoint(): string {
    const url = /emulator at (http:\/\/\S+);/.exec(this.stderr)?.[1];
    if (!url) throw new Error(`no emulator URL in:\n${this.stderr}`);
    return url;
  }

  /** Ends the launcher normally; the controller stopped gracefully after exactly one signal, and the emulator too. */
  async expectGracefulStop(): Promise<void> {
    const endpoint = this.endpoint();
    const { code, signal } = await this.exited;
    expect({ code, signal }, `${this.log}\n${this.stderr}`).toEqual({ code: 0, signal: null });
    expect(this.log.match(/signal received/g)).toHaveLength(1);
    expect(this.log).not.toContain("second signal");
    expect(this.log).toContain("shutting down");
    expect(this.stdout.at(-1)).toContain("controller stopped");
    await expect(fetch(`${endpoint}/moto-api/data.json`)).rejects.toThrow();
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) process.kill(-this.pid, "SIGKILL");
  }
}

describe("the demo launcher (npm start)", () => {
  let home: string;
  let demo: Demo | undefined;

  beforeAll(async () => {
    await run(join(REPO_ROOT, "node_modules/.bin/tsc"), ["-p", "tsconfig.demo.json", "--outDir", BUILD], {
      cwd: REPO_ROOT,
    });
    home = await mkdtemp(join(tmpdir(), "retryctl-demo-home-"));
  }, 120_000);

  afterEach(() => {
    demo?.kill();
    demo = undefined;
  });

  afterAll(async () => {
    if (home) await rm(home, { recursive: true, force: true });
  });

  async function startDemo(env?: NodeJS.ProcessEnv): Promise<Demo> {
    demo = new Demo(home, env);
    await demo.up();
    return demo;
  }

  it("prints an export block that, pasted into a fresh shell, lets `npx retryctl diff manifests/` read the demo; Ctrl-C stops it gracefully", async () => {
    const d = await startDemo();
    // The fleet policy of manifests/payments/ is expanded and its drifted function repaired.
    expect(d.log).toContain("INFO payments-defaults: 2 functions in 1 account, 1 region");
    await expect
      .poll(() => d.log)
      .toMatch(
        /drift repaired FunctionEventInvokeConfig\/payments-defaults\/payments-refunds maximumRetryAttempts: 0 -> 1/,
      );
    const marker = "paste this into another terminal, in this folder:\n\n";
    await expect.poll(() => d.stderr).toContain(marker);
    const block = d.stderr.slice(d.stderr.indexOf(marker) + marker.length).split("\n\n")[0] ?? "";
    expect(block).toMatch(/^export AWS_ENDPOINT_URL=http:\/\/127\.0\.0\.1:\d+$/m);
    expect(block).toMatch(/^npx retryctl diff manifests\/$/m);

    // The block as pasted, with `npx retryctl` standing for the CLI built from these sources.
    const npx = `npx() { if [ "$1" = retryctl ]; then shift; node "${CLI}" "$@"; else return 127; fi; }`;
    const shell = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn("bash", ["-c", `${npx}\n${block}`], {
        cwd: REPO_ROOT,
        env: freshTerminal(home),
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      const add = (chunk: Buffer) => {
        out += chunk.toString();
      };
      child.stdout.on("data", add);
      child.stderr.on("data", add);
      child.on("exit", (code) => resolve({ code, out }));
    });
    // In sync (the controller repaired the seeded drift) or drifted: either way, it read AWS.
    expect([0, 2], shell.out).toContain(shell.code);
    expect(shell.out).toMatch(/^Plan: .* 0 errors\.$/m);

    // Ctrl-C: a terminal sends SIGINT to its foreground process group, the launcher and the controller both.
    process.kill(-d.pid, "SIGINT");
    await d.expectGracefulStop();
  });

  it("does not pass on a Ctrl-C the controller already got, while the controller waits for AWS calls in flight", async () => {
    // A resync every second keeps AWS calls coming; a frozen emulator keeps them in flight.
    const d = await startDemo({ RETRYCTL_RESYNC_INTERVAL: "1s" });
    const controller = await d.childPid(/ run --dir /);
    const emulator = await d.childPid(/moto_launcher\.py/);
    process.kill(emulator, "SIGSTOP");
    try {
      await new Promise((r) => setTimeout(r, 2_500));
      // The group's SIGINT, as it reaches the two processes at different moments: the controller first…
      process.kill(controller, "SIGINT");
      await expect.poll(() => d.log).toContain("waiting for in-flight reconciles");
      // …then the launcher, which must not pass it on while the shutdown is still under way.
      process.kill(d.pid, "SIGINT");
      await new Promise((r) => setTimeout(r, 2_000));
      expect(d.log).not.toContain("second signal");
    } finally {
      process.kill(emulator, "SIGCONT");
    }
    await d.expectGracefulStop();
  });

  it("passes on, once, a signal sent to the launcher alone (kill <pid>)", async () => {
    const d = await startDemo();
    process.kill(d.pid, "SIGTERM");
    await d.expectGracefulStop();
    expect(d.stdout.find((l) => l.includes("signal received"))).toContain("SIGTERM");
  });
});
