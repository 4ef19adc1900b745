import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutFunctionEventInvokeConfigCommand } from "@aws-sdk/client-lambda";
import pino from "pino";
import { runController } from "../src/controller/run.js";
import { configureMoto, createFunction, sdk, TEST_REGION } from "../test/support/aws.js";
import { createFeed, publishCloudTrailEvent } from "../test/support/cloudtrail.js";
import { REPO_ROOT, startMoto } from "../test/support/moto-server.js";
import { machineInfo } from "./machine.js";
import { median, percentile } from "./stats.js";

/**
 * Drift MTTR (issue 13): the time from a hand change to its revert ("drift
 * repaired" for that resource), with the CloudTrail feed (the change's event
 * published right after it, as AWS would deliver it) and without it (resync
 * only), in one scenario: `--resync-interval` R, N managed async configs, one
 * hand change per second on a different resource, `changes` in all.
 * Usage: node drift-mttr.js [--resources N] [--changes C] [--resync-seconds R] [--out name]
 */
const argv = process.argv.slice(2);
const arg = (flag: string, fallback: number) => {
  const i = argv.indexOf(flag);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const RESOURCES = arg("--resources", 40);
const CHANGES = arg("--changes", 20);
const RESYNC_MS = arg("--resync-seconds", 30) * 1000;
const OUT = argv.includes("--out") ? (argv[argv.indexOf("--out") + 1] as string) : "drift-mttr";
const log = (text: string) => process.stderr.write(`[bench] ${text}\n`);

interface ModeResult {
  feed: boolean;
  /** Hand change → "drift repaired", ms. */
  samples: number[];
  /** With the feed: the event's PutEvents returned → "drift repaired", ms. */
  fromEvent: number[];
  timedOut: number;
  p50: number;
  p95: number;
  median: number;
  eventP50?: number;
  eventP95?: number;
}

const fnName = (i: number) => `mttr-fn-${String(i).padStart(4, "0")}`;

async function measure(dir: string, endpoint: string, queueUrl: string | undefined): Promise<ModeResult> {
  const waiters = new Map<string, (at: number) => void>();
  let ready: () => void = () => undefined;
  const readyPromise = new Promise<void>((r) => {
    ready = r;
  });
  const logger = pino(
    { level: "info" },
    {
      write(line: string) {
        const at = performance.now();
        const entry = JSON.parse(line) as { msg?: string; name?: string };
        if (entry.msg === "revision reconciled") ready();
        if (entry.msg === "drift repaired" && entry.name) waiters.get(entry.name)?.(at);
      },
    },
  );
  const controller = await runController({
    dir,
    region: TEST_REGION,
    endpoint,
    mode: "enforce",
    listen: "127.0.0.1:0",
    concurrency: 8,
    resyncIntervalMs: RESYNC_MS,
    debounceMs: 500,
    logLevel: "info",
    logger,
    ...(queueUrl ? { driftEventsQueue: queueUrl } : {}),
  });
  const samples: number[] = [];
  const fromEvent: number[] = [];
  let timedOut = 0;
  try {
    await readyPromise;
    const pending: Promise<void>[] = [];
    for (let c = 0; c < CHANGES; c++) {
      // Spread over the tree, never the same resource twice in one run.
      const name = fnName((c * 7) % RESOURCES);
      const repaired = new Promise<number | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), RESYNC_MS * 2 + 30_000);
        waiters.set(name, (at) => {
          clearTimeout(timer);
          resolve(at);
        });
      });
      const t0 = performance.now();
      await sdk(endpoint).lambda.send(
        new PutFunctionEventInvokeConfigCommand({ FunctionName: name, MaximumRetryAttempts: 0 }),
      );
      let published: number | undefined;
      if (queueUrl) {
        await publishCloudTrailEvent(
          {
            eventSource: "lambda.amazonaws.com",
            eventName: "PutFunctionEventInvokeConfig20190925",
            requestParameters: { functionName: name, maximumRetryAttempts: 0 },
          },
          endpoint,
        );
        published = performance.now();
      }
      pending.push(
        repaired.then((at) => {
          waiters.delete(name);
          if (at === undefined) timedOut++;
          else {
            samples.push(at - t0);
            if (published !== undefined) fromEvent.push(at - published);
          }
        }),
      );
      await new Promise((r) => setTimeout(r, 1_000));
    }
    await Promise.all(pending);
  } finally {
    await controller.stop();
  }
  return {
    feed: queueUrl !== undefined,
    samples,
    fromEvent,
    timedOut,
    p50: percentile(samples, 50),
    p95: percentile(samples, 95),
    median: median(samples),
    ...(queueUrl ? { eventP50: percentile(fromEvent, 50), eventP95: percentile(fromEvent, 95) } : {}),
  };
}

const moto = await startMoto();
process.env.AWS_ACCESS_KEY_ID ??= "testing";
process.env.AWS_SECRET_ACCESS_KEY ??= "testing";
const dir = await mkdtemp(join(tmpdir(), "retryctl-mttr-"));
try {
  await configureMoto(moto.endpoint);
  log(`seeding ${RESOURCES} functions with async configs in sync…`);
  const docs: string[] = [];
  for (let i = 0; i < RESOURCES; i++) {
    const name = fnName(i);
    await createFunction(name, { endpoint: moto.endpoint });
    await sdk(moto.endpoint).lambda.send(
      new PutFunctionEventInvokeConfigCommand({ FunctionName: name, MaximumRetryAttempts: 1 }),
    );
    docs.push(
      JSON.stringify({
        apiVersion: "retryctl.dev/v1alpha1",
        kind: "FunctionEventInvokeConfig",
        metadata: { name },
        spec: { functionName: name, maximumRetryAttempts: 1 },
      }),
    );
  }
  await writeFile(join(dir, "configs.yaml"), docs.join("\n---\n"));
  const feed = await createFeed("retryctl-drift-events", moto.endpoint);

  log(
    `with the feed: ${CHANGES} hand changes, each followed by its CloudTrail event (resync ${RESYNC_MS / 1000} s)…`,
  );
  const withFeed = await measure(dir, moto.endpoint, feed.url);
  log(
    `  p50 ${withFeed.p50.toFixed(0)} ms, p95 ${withFeed.p95.toFixed(0)} ms, timed out ${withFeed.timedOut}`,
  );
  log(`without the feed: the same ${CHANGES} hand changes, found by the resync sweep only…`);
  const withoutFeed = await measure(dir, moto.endpoint, undefined);
  log(
    `  p50 ${withoutFeed.p50.toFixed(0)} ms, p95 ${withoutFeed.p95.toFixed(0)} ms, timed out ${withoutFeed.timedOut}`,
  );

  const result = {
    date: new Date().toISOString(),
    machine: await machineInfo(),
    resources: RESOURCES,
    changes: CHANGES,
    resyncIntervalMs: RESYNC_MS,
    settleMs: 1_000,
    withFeed,
    withoutFeed,
  };
  const results = join(REPO_ROOT, "bench/results");
  await mkdir(results, { recursive: true });
  await writeFile(join(results, `${OUT}.json`), `${JSON.stringify(result, null, 2)}\n`);
  const s = (ms: number | undefined) => (ms === undefined ? "—" : `${(ms / 1000).toFixed(2)} s`);
  const md = [
    `# Drift MTTR (${result.date})`,
    "",
    `${RESOURCES} FunctionEventInvokeConfig resources, ${CHANGES} hand changes (one per second, each on another resource), --resync-interval ${RESYNC_MS / 1000}s, settle delay 1 s, moto on this machine.`,
    "",
    "| | p50 | p95 | median | timed out |",
    "|---|---|---|---|---|",
    `| with the feed: hand change → reverted | ${s(withFeed.p50)} | ${s(withFeed.p95)} | ${s(withFeed.median)} | ${withFeed.timedOut} |`,
    `| with the feed: event published → reverted | ${s(withFeed.eventP50)} | ${s(withFeed.eventP95)} | | |`,
    `| resync only: hand change → reverted | ${s(withoutFeed.p50)} | ${s(withoutFeed.p95)} | ${s(withoutFeed.median)} | ${withoutFeed.timedOut} |`,
    "",
  ].join("\n");
  await writeFile(join(results, `${OUT}.md`), md);
  process.stdout.write(md);
} finally {
  await moto.stop();
  await rm(dir, { recursive: true, force: true });
}
