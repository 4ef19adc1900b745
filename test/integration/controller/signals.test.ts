import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createQueue, resetMoto, TEST_CREDENTIALS } from "../../support/aws.js";
import { type FaultProxy, startFaultProxy } from "../../support/fault-proxy.js";
import { REPO_ROOT } from "../../support/moto-server.js";
import { buildCli } from "../chaos/cli-process.js";
import { setRedrive } from "./aws-state.js";
import { doc } from "./harness.js";

/** The built CLI's `run`, as a user starts it: its stdout lines (raw) and stderr kept. */
interface Run {
  child: ChildProcess;
  stdout: string[];
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The parsed stdout lines; throws if one is not JSON. */
  records: () => { msg: string; [field: string]: unknown }[];
}

function start(main: string, dir: string, endpoint: string): Run {
  const child = spawn(
    process.execPath,
    [
      main,
      "run",
      "--dir",
      dir,
      "--listen",
      "127.0.0.1:0",
      "--endpoint-url",
      endpoint,
      "--region",
      "us-east-1",
    ],
    {
      cwd: REPO_ROOT,
      env: {
        ...withoutLogFormat(process.env),
        AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const stdout: string[] = [];
  let stderr = "";
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (l) => void stdout.push(l));
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  const records = () => stdout.map((l) => JSON.parse(l) as { msg: string });
  return { child, stdout, stderr: () => stderr, exited, records };
}

function withoutLogFormat(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { RETRYCTL_LOG_FORMAT: _, ...rest } = env;
  return rest;
}

const said = (run: Run, msg: string) => run.stdout.filter((l) => l.includes(`"msg":"${msg}`)).length;

/**
 * Design §13: SIGINT or SIGTERM, once or twice, shuts the controller down
 * gracefully; a third forces exit. A terminal's Ctrl-C pressed twice, or a
 * launcher forwarding the signal its process group also got, sends two.
 */
describe("retryctl run and repeated signals", () => {
  let main: string;
  let proxy: FaultProxy;
  let dir: string;
  let run: Run | undefined;

  beforeAll(async () => {
    [main, proxy] = await Promise.all([buildCli(), startFaultProxy()]);
  });
  afterAll(async () => {
    await proxy?.close();
  });

  beforeEach(async () => {
    await resetMoto();
    proxy.reset();
    const dlq = await createQueue("signals-dlq");
    dir = await mkdtemp(join(tmpdir(), "retryctl-signals-"));
    for (const name of ["signals-a", "signals-b", "signals-c"]) {
      await createQueue(name);
      await setRedrive(name, dlq.arn, 42);
      await writeFile(
        join(dir, `${name}.yaml`),
        doc("QueueRedrivePolicy", name, { queue: name, deadLetterQueue: dlq.arn, maxReceiveCount: 5 }),
      );
    }
    // Slow answers keep AWS calls in flight while the signals arrive.
    proxy.set({ latencyMs: 1_500 });
  });

  afterEach(async () => {
    run?.child.kill("SIGKILL");
    run = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  /** Starts the controller and resolves once it has AWS calls in flight. */
  async function startBusy(): Promise<Run> {
    const r = start(main, dir, proxy.endpoint);
    run = r;
    await expect.poll(() => said(r, "controller started"), { timeout: 30_000 }).toBe(1);
    await expect.poll(() => proxy.inflight, { timeout: 10_000 }).toBeGreaterThan(0);
    return r;
  }

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`two ${signal}s while AWS calls are in flight: still a graceful shutdown, exit 0`, async () => {
      const r = await startBusy();
      r.child.kill(signal);
      await expect.poll(() => said(r, "signal received")).toBe(1);
      expect(proxy.inflight).toBeGreaterThan(0);
      r.child.kill(signal);
      const { code, signal: killedBy } = await r.exited;
      expect({ code, killedBy }, r.stdout.join("\n") + r.stderr()).toEqual({ code: 0, killedBy: null });
      // Every stdout line parses: `run` logs JSON unless told otherwise.
      const messages = r.records().map((l) => l.msg);
      expect(messages).toContain("shutting down: no new work, finishing in-flight calls");
      expect(messages.at(-1)).toBe("controller stopped");
      expect(r.stdout.join("\n")).toContain("a third forces exit");
      // What was in flight got its answer before the process went away.
      expect(proxy.requests().every((q) => q.status > 0)).toBe(true);
    });
  }

  it("a third signal forces exit: non-zero, said on stderr, without waiting for the calls in flight", async () => {
    const r = await startBusy();
    r.child.kill("SIGINT");
    await expect.poll(() => said(r, "signal received")).toBe(1);
    r.child.kill("SIGINT");
    // Each signal is sent once the previous one was seen: signals sent at once may merge into one.
    await expect.poll(() => r.stdout.join("\n")).toContain("a third forces exit");
    expect(proxy.inflight).toBeGreaterThan(0);
    r.child.kill("SIGINT");
    const { code, signal } = await r.exited;
    expect(signal).toBeNull();
    expect(code).toBe(130);
    expect(r.stderr()).toMatch(
      /^retryctl: third signal \(SIGINT\): exiting now, without finishing the shutdown/m,
    );
    expect(r.records().map((l) => l.msg)).not.toContain("controller stopped");
  });
});
