import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createQueue, resetMoto } from "../../support/aws.js";
import { maxReceiveCount, setRedrive } from "./aws-state.js";
import { doc, type LogLine, resource, startController, type TestController } from "./harness.js";

const RESYNC_MS = 1_500;
const QUEUES = ["logs-a", "logs-b", "logs-c", "logs-d", "logs-e"];
const LOUD = new Set(["info", "warn", "error", "fatal"]);

/** Lines about one resource (they carry its name) at info level or above. */
const loudAbout = (lines: readonly LogLine[], name?: string) =>
  lines.filter(
    (l) => LOUD.has(l.level) && typeof l.name === "string" && (name === undefined || l.name === name),
  );

/** The lines after the first reconcile of the revision, up to the end of the second resync sweep. */
function twoSweeps(lines: readonly LogLine[]): LogLine[] {
  const start = lines.findIndex((l) => l.msg === "revision reconciled");
  const ends = lines.flatMap((l, i) => (i > start && l.msg === "resync sweep finished" ? [i] : []));
  return start >= 0 && ends.length >= 2 ? lines.slice(start + 1, (ends[1] as number) + 1) : [];
}

describe("the controller's log volume", () => {
  let dir: string;
  let dlq: { arn: string };
  let controller: TestController | undefined;

  beforeEach(async () => {
    await resetMoto();
    dlq = await createQueue("logs-dlq");
    dir = await mkdtemp(join(tmpdir(), "retryctl-logs-"));
    for (const name of QUEUES) {
      await createQueue(name);
      await setRedrive(name, dlq.arn, 5);
      await writeFile(
        join(dir, `${name}.yaml`),
        doc("QueueRedrivePolicy", name, { queue: name, deadLetterQueue: dlq.arn, maxReceiveCount: 5 }),
      );
    }
  });

  afterEach(async () => {
    await controller?.stop();
    controller = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it("logs no info line for an in-sync resource, at start or on a resync sweep (debug says 'in sync')", async () => {
    const c = await startController({ dir, resyncIntervalMs: RESYNC_MS });
    controller = c;
    await expect.poll(() => twoSweeps(c.logs).length, { timeout: RESYNC_MS * 5 }).toBeGreaterThan(0);
    const startup = c.logs.slice(0, c.logs.findIndex((l) => l.msg === "revision reconciled") + 1);
    const sweeps = twoSweeps(c.logs);

    expect(startup.at(-1)?.msg).toBe("revision reconciled");
    expect(loudAbout(startup)).toEqual([]);
    expect(loudAbout(sweeps)).toEqual([]);
    // The sweeps did read every resource: each got its debug line.
    const inSync = sweeps.filter((l) => l.msg === "in sync");
    expect(new Set(inSync.map((l) => l.name))).toEqual(new Set(QUEUES));
    expect(inSync.every((l) => l.level === "debug")).toBe(true);
  });

  it("logs a repair in exactly one line, with the field changes", async () => {
    const c = await startController({ dir, resyncIntervalMs: RESYNC_MS });
    controller = c;
    await expect.poll(async () => (await resource(c.url, "logs-c"))?.status).toBe("Synced");
    await expect.poll(() => c.logs.some((l) => l.msg === "revision reconciled")).toBe(true);
    const from = c.logs.length;

    await setRedrive("logs-c", dlq.arn, 42);
    await expect.poll(() => maxReceiveCount("logs-c"), { timeout: RESYNC_MS * 3, interval: 50 }).toBe(5);
    // One more full sweep after the repair: the resource back to "in sync" must not add a line either.
    const sweepsAt = (n: number) => c.logs.slice(n).filter((l) => l.msg === "resync sweep finished").length;
    const repairedAt = c.logs.length;
    await expect.poll(() => sweepsAt(repairedAt), { timeout: RESYNC_MS * 4 }).toBeGreaterThanOrEqual(2);

    const lines = loudAbout(c.logs.slice(from), "logs-c");
    expect(lines, JSON.stringify(lines, null, 1)).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: "info",
      msg: "drift repaired",
      kind: "QueueRedrivePolicy",
      changes: [{ field: "maxReceiveCount", actual: 42, desired: 5 }],
    });
  });
});
