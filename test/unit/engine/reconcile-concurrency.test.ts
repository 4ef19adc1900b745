import pino from "pino";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { AwsClients } from "../../../src/aws/clients.js";
import { reconcile } from "../../../src/engine/reconcile.js";
import type { Kind } from "../../../src/kinds/kind.js";
import type { Manifest } from "../../../src/manifests/manifest.js";

type Spec = { region?: string; id: string };
type Actual = { value: number };

/** A kind whose applies finish only when `release()` is called, counting how many wait at once. */
function kind(name: string, gate?: Promise<void>) {
  const stats = { waiting: 0, maxWaiting: 0, applied: 0 };
  const k: Kind<Spec, Actual> = {
    kind: name,
    specSchema: z.strictObject({ region: z.string().optional(), id: z.string() }),
    identity: (spec, region) => `${region}/${spec.id}`,
    lint: () => [],
    read: async (_ctx, resources) => new Map(resources.map((r) => [r.identity, { value: 0 }])),
    diff: () => [{ field: "value", actual: 0, desired: 1 }],
    creates: () => false,
    apply: async () => {
      stats.waiting++;
      stats.maxWaiting = Math.max(stats.maxWaiting, stats.waiting);
      await gate;
      stats.waiting--;
      stats.applied++;
    },
  };
  return { k, stats };
}

function manifests(k: Kind<Spec, Actual>, count: number): Manifest[] {
  return Array.from({ length: count }, (_, i) => ({
    kind: k,
    name: `${k.kind.toLowerCase()}-${i}`,
    region: "us-east-1",
    key: `${k.kind}/us-east-1/${i}`,
    spec: { id: String(i) },
    labels: {},
    annotations: {},
    suspended: false,
    source: { file: "f.yaml", line: 1 },
    hash: String(i),
  }));
}

const options = (concurrency: number) => ({
  aws: {} as AwsClients,
  log: pino({ level: "silent" }),
  mode: "enforce" as const,
  dryRun: false,
  concurrency,
  waitTimeoutMs: 0,
});

describe("reconcile concurrency", () => {
  it("applies one kind while every slot of another kind waits (kinds wait on different AWS rate buckets)", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const slow = kind("Slow", gate);
    const fast = kind("Fast");
    const run = reconcile([...manifests(slow.k, 6), ...manifests(fast.k, 5)], options(2));

    await untilTrue(() => fast.stats.applied === 5);
    expect(slow.stats.applied).toBe(0);
    expect(slow.stats.maxWaiting).toBe(2);

    release();
    const results = await run;
    expect(results.map((r) => r.action)).toEqual(Array(11).fill("update"));
    expect(slow.stats.applied).toBe(6);
  });

  it("still bounds the applies of one kind by the concurrency", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const only = kind("Only", gate);
    const run = reconcile(manifests(only.k, 10), options(3));
    await untilTrue(() => only.stats.waiting === 3);
    release();
    await run;
    expect(only.stats.maxWaiting).toBe(3);
    expect(only.stats.applied).toBe(10);
  });
});

/** Polls the event loop (no wall-clock timing) until `check` holds. */
async function untilTrue(check: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !check(); i++) await new Promise((r) => setImmediate(r));
  expect(check()).toBe(true);
}
