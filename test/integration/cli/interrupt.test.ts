import { type ChildProcess, spawn } from "node:child_process";
import { GetFunctionConfigurationCommand, UpdateFunctionConfigurationCommand } from "@aws-sdk/client-lambda";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createFunction, createQueue, resetMoto, sdk, TEST_CREDENTIALS } from "../../support/aws.js";
import { manifest, manifestDir, type PlanJson } from "../../support/cli.js";
import { FaultProxy, type RequestRecord } from "../../support/fault-proxy.js";
import { REPO_ROOT } from "../../support/moto-server.js";
import { buildCli } from "../chaos/cli-process.js";
import { maxReceiveCount, setRedrive } from "../controller/aws-state.js";

/**
 * Design §13 for the one-shot commands: the first SIGINT/SIGTERM stops new AWS
 * calls and ends waits, lets calls in flight finish, prints the result with the
 * resources not reached marked `Interrupted`, and exits 128 + n; a second is the
 * same; a third exits at once. Real processes of the built CLI, against moto
 * through the fault proxy, which sees every request the process sends.
 */
interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

let main: string;
let proxy: FaultProxy;
let run: Run | undefined;

beforeAll(async () => {
  [main, proxy] = await Promise.all([buildCli(), FaultProxy.start()]);
});
afterAll(() => proxy.close());
beforeEach(async () => {
  await resetMoto();
  proxy.reset();
});
afterEach(() => {
  run?.child.kill("SIGKILL");
  run = undefined;
});

function start(...args: string[]): Run {
  const child = spawn(
    process.execPath,
    [main, ...args, "--endpoint-url", proxy.endpoint, "--region", "us-east-1"],
    {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  run = { child, stdout: () => stdout, stderr: () => stderr, exited };
  return run;
}

const WRITES = /^(Set|Put|Update|Delete|Create|Tag|Untag|Add|Remove)/;
const writes = (records: readonly RequestRecord[]) => records.filter((r) => WRITES.test(r.operation));

/**
 * Sends `signal` once `ready` holds, at a moment when the process has no
 * request in flight and has just had an answer, so that what it does next
 * (a backoff, a retry delay) is still ahead of it: then "no request after the
 * signal" is exact, with nothing in transit. Resolves to the requests seen so far.
 */
async function signalBetweenCalls(r: Run, signal: NodeJS.Signals, ready: () => boolean): Promise<number> {
  const deadline = Date.now() + 60_000;
  let seen = proxy.requests().length;
  let busy = false;
  for (;;) {
    const now = proxy.requests().length;
    const answered = proxy.inflight === 0 && (now !== seen || busy);
    if (answered && ready()) {
      r.child.kill(signal);
      return now;
    }
    busy = proxy.inflight > 0;
    seen = now;
    if (Date.now() > deadline || r.child.exitCode !== null) {
      throw new Error(`never ready to signal:\n${r.stdout()}\n${r.stderr()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/**
 * Three manifests: a queue redrive policy applied at once; a function DLQ on a
 * function whose update stays InProgress (apply waits it out); and, behind it
 * with --concurrency 1, a function DLQ that is read but never reached.
 */
async function applyScene() {
  const dlq = await createQueue("int-dlq");
  await createQueue("int-queue");
  await setRedrive("int-queue", dlq.arn, 42);
  await createFunction("int-busy");
  await createFunction("int-idle");
  proxy.set({ functionConflictMs: 120_000 });
  await sdk(proxy.endpoint).lambda.send(
    new UpdateFunctionConfigurationCommand({ FunctionName: "int-busy", Timeout: 30 }),
  );
  const dir = await manifestDir({
    "a-busy.yaml": manifest("FunctionDeadLetterConfig", "a-busy", {
      functionName: "int-busy",
      targetArn: dlq.arn,
    }),
    "b-idle.yaml": manifest("FunctionDeadLetterConfig", "b-idle", {
      functionName: "int-idle",
      targetArn: dlq.arn,
    }),
    "c-queue.yaml": manifest("QueueRedrivePolicy", "c-queue", {
      queue: "int-queue",
      deadLetterQueue: dlq.arn,
      maxReceiveCount: 5,
    }),
  });
  proxy.reset();
  proxy.set({ functionConflictMs: 120_000 });
  return { dir, dlq };
}

/** The scene is where it should be: the queue applied, the busy function waited on (re-read at least twice). */
function waitingOnBusy(r: Run): boolean {
  const requests = proxy.requests();
  const queueWritten = requests.some((q) => q.operation === "SetQueueAttributes" && q.status === 200);
  const reads = requests.filter((q) => q.operation === "GetFunction").length;
  return queueWritten && reads >= 4 && r.stderr().includes("waiting: FunctionDeadLetterConfig/a-busy");
}

async function functionDlq(name: string): Promise<string | undefined> {
  const out = await sdk().lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
  return out.DeadLetterConfig?.TargetArn;
}

const FIRST = (signal: string) =>
  new RegExp(
    `^retryctl: interrupt received \\(${signal}\\): finishing \\d+ in-flight AWS call\\(s\\), starting no new ones; interrupt twice more to force exit$`,
    "m",
  );

describe("apply interrupted while it waits", () => {
  it("SIGINT: exit 130; what was applied is reported applied and is in AWS, the rest is reported interrupted and untouched", async () => {
    const { dir } = await applyScene();
    const r = start("apply", dir, "--concurrency", "1", "--progress-interval", "1s");
    const before = await signalBetweenCalls(r, "SIGINT", () => waitingOnBusy(r));
    const { code, signal } = await r.exited;
    expect({ code, signal }, r.stdout() + r.stderr()).toEqual({ code: 130, signal: null });
    expect(r.stderr()).toMatch(FIRST("SIGINT"));

    // Nothing was sent after the signal: no read, no write.
    expect(proxy.requests().slice(before)).toEqual([]);
    // The only write of the run is the queue's, before the signal.
    expect(writes(proxy.requests()).map((q) => q.operation)).toEqual(["SetQueueAttributes"]);

    const out = r.stdout();
    expect(out).toMatch(/^~ QueueRedrivePolicy\/c-queue \(us-east-1, .*c-queue\.yaml:1\) updated$/m);
    expect(out).toMatch(/^! FunctionDeadLetterConfig\/a-busy \(.*\) interrupted$/m);
    expect(out).toMatch(/^ {4}error Interrupted: interrupted while waiting \(UpdateInProgress: /m);
    expect(out).toMatch(/^! FunctionDeadLetterConfig\/b-idle \(.*\) interrupted$/m);
    expect(out).toContain(
      "    error Interrupted: interrupted before it was applied; not applied, AWS unchanged",
    );
    expect(out).toContain(
      "Apply, interrupted (SIGINT): 0 created, 1 updated, 0 in sync, 2 interrupted, 0 errors.",
    );

    // Read back from AWS: applied where reported applied, untouched elsewhere.
    expect(await maxReceiveCount("int-queue")).toBe(5);
    expect(await functionDlq("int-busy")).toBeUndefined();
    expect(await functionDlq("int-idle")).toBeUndefined();
  });

  it("SIGTERM with --output json: exit 143; the document says interrupted, per resource and in the summary", async () => {
    const { dir, dlq } = await applyScene();
    const r = start("apply", dir, "--concurrency", "1", "--progress-interval", "1s", "--output", "json");
    const before = await signalBetweenCalls(r, "SIGTERM", () => waitingOnBusy(r));
    const { code } = await r.exited;
    expect(code, r.stdout() + r.stderr()).toBe(143);
    expect(r.stderr()).toMatch(FIRST("SIGTERM"));
    expect(proxy.requests().slice(before)).toEqual([]);

    const doc = JSON.parse(r.stdout()) as PlanJson & { interrupted?: string };
    expect(doc.interrupted).toBe("SIGTERM");
    const byName = new Map(doc.resources.map((x) => [x.name, x]));
    expect(byName.get("c-queue")).toMatchObject({ action: "update", applied: true });
    expect(byName.get("c-queue")?.error).toBeUndefined();
    expect(byName.get("a-busy")).toMatchObject({
      action: "error",
      applied: false,
      error: { code: "Interrupted" },
    });
    expect(byName.get("b-idle")).toMatchObject({
      action: "error",
      applied: false,
      changes: [{ field: "targetArn", actual: null, desired: dlq.arn }],
      error: {
        code: "Interrupted",
        message: "interrupted before it was applied; not applied, AWS unchanged",
      },
    });
    expect(doc.summary).toMatchObject({ update: 1, error: 2, interrupted: 2 });

    expect(await maxReceiveCount("int-queue")).toBe(5);
    expect(await functionDlq("int-busy")).toBeUndefined();
    expect(await functionDlq("int-idle")).toBeUndefined();
  });
});

describe("repeated interrupts", () => {
  it("a second interrupt is still graceful; a third exits at once with 128 + n, without waiting for the call in flight", async () => {
    const dlq = await createQueue("slow-dlq");
    await createQueue("slow-queue");
    const dir = await manifestDir({
      "q.yaml": manifest("QueueRedrivePolicy", "slow-queue", {
        queue: "slow-queue",
        deadLetterQueue: dlq.arn,
        maxReceiveCount: 5,
      }),
    });
    proxy.reset();
    // Every SQS answer takes 20 s (below the SDK's 30 s request timeout): a call is in flight throughout.
    proxy.set({ slow: [{ service: "sqs", minMs: 20_000, maxMs: 20_000 }] });
    const r = start("apply", dir);
    await expect.poll(() => proxy.inflight, { timeout: 20_000 }).toBe(1);
    r.child.kill("SIGINT");
    await expect.poll(() => r.stderr(), { timeout: 5_000 }).toMatch(FIRST("SIGINT"));
    // Each signal once the previous one was seen: signals sent at once may merge into one.
    r.child.kill("SIGINT");
    await expect
      .poll(() => r.stderr(), { timeout: 5_000 })
      .toMatch(
        /^retryctl: second interrupt \(SIGINT\): still finishing 1 in-flight AWS call\(s\); interrupt once more to force exit$/m,
      );
    r.child.kill("SIGTERM");
    const { code, signal } = await r.exited;
    expect({ code, signal }).toEqual({ code: 143, signal: null });
    expect(r.stderr()).toMatch(
      /^retryctl: third interrupt \(SIGTERM\): exiting now \(143\) without waiting for 1 in-flight AWS call\(s\)/m,
    );
    // It did not wait: the call is still at the proxy, and no result was printed.
    expect(proxy.inflight).toBe(1);
    expect(r.stdout()).toBe("");
  });
});

describe("diff interrupted", () => {
  it("exit 130: what was read is planned, the throttled read is interrupted at once, and nothing is ever written", async () => {
    const dlq = await createQueue("diff-dlq");
    await createQueue("diff-queue");
    await setRedrive("diff-queue", dlq.arn, 42);
    await createFunction("diff-fn");
    const dir = await manifestDir({
      "f.yaml": manifest("FunctionEventInvokeConfig", "diff-fn", {
        functionName: "diff-fn",
        maximumRetryAttempts: 1,
      }),
      "q.yaml": manifest("QueueRedrivePolicy", "diff-queue", {
        queue: "diff-queue",
        deadLetterQueue: dlq.arn,
        maxReceiveCount: 5,
      }),
    });
    proxy.reset();
    proxy.set({
      throttle: { service: "lambda", operation: "ListFunctionEventInvokeConfigs", forMs: 120_000 },
    });
    const r = start("diff", dir);
    const throttled = () => proxy.count({ operation: "ListFunctionEventInvokeConfigs" });
    const queueRead = () => proxy.requests().some((q) => q.service === "sqs" && q.status === 200);
    const before = await signalBetweenCalls(r, "SIGINT", () => throttled() >= 2 && queueRead());
    const { code } = await r.exited;
    expect(code, r.stdout() + r.stderr()).toBe(130);
    expect(r.stderr()).toMatch(FIRST("SIGINT"));
    // The SDK's retry delay and the engine's backoff both ended at the signal: no attempt after it.
    expect(proxy.requests().slice(before)).toEqual([]);
    expect(writes(proxy.requests())).toEqual([]);

    const out = r.stdout();
    expect(out).toMatch(/^~ QueueRedrivePolicy\/diff-queue \(.*\) will be updated$/m);
    expect(out).toContain("    maxReceiveCount: 42 -> 5");
    expect(out).toMatch(/^! FunctionEventInvokeConfig\/diff-fn \(.*\) interrupted$/m);
    expect(out).toMatch(/^ {4}error Interrupted: interrupted /m);
    expect(out).toContain(
      "Plan, interrupted (SIGINT): 0 to create, 1 to update, 0 in sync, 1 interrupted, 0 errors.",
    );
    expect(await maxReceiveCount("diff-queue")).toBe(42);
  });
});
