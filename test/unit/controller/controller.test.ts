import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { AwsClients } from "../../../src/aws/clients.js";
import { Controller, type ControllerOptions, kindOfKey } from "../../../src/controller/controller.js";
import type { EngineOptions } from "../../../src/engine/reconcile.js";
import type { ResourceResult } from "../../../src/engine/result.js";
import type { AnyKind } from "../../../src/kinds/kind.js";
import type { LoadResult, Manifest } from "../../../src/manifests/manifest.js";
import { createMetrics, type Metrics } from "../../../src/metrics/metrics.js";
import { loaded, manifest, otherKind, result } from "./fixtures.js";

/** Generous: these machines are shared, and a slow tick must not fail a test. */
const WAIT = { timeout: 5000 };

type Outcome = (m: Manifest) => Partial<ResourceResult>;

/** An engine stand-in: records each call's manifests and options, answers per manifest. */
class FakeEngine {
  calls: { keys: string[]; options: EngineOptions }[] = [];
  outcome: Outcome = () => ({});
  gate: Promise<void> | undefined;

  reconcile = async (manifests: readonly Manifest[], options: EngineOptions): Promise<ResourceResult[]> => {
    this.calls.push({ keys: manifests.map((m) => m.key), options });
    await this.gate;
    return manifests.map((m) => result(m, this.outcome(m)));
  };

  reconciled(): string[] {
    return this.calls.flatMap((c) => c.keys);
  }
}

describe("Controller", () => {
  let dir: string;
  let engine: FakeEngine;
  let tree: LoadResult;
  let metrics: Metrics;
  let controller: Controller;

  function start(over: Partial<ControllerOptions> = {}): Controller {
    metrics = createMetrics();
    controller = new Controller({
      dir,
      mode: "enforce",
      aws: {} as AwsClients,
      log: pino({ level: "silent" }),
      metrics,
      kinds: ["Widget", "Gadget"],
      concurrency: 4,
      resyncIntervalMs: 60_000,
      load: async () => tree,
      reconcile: engine.reconcile,
      backoffBaseMs: 20,
      backoffMaxMs: 40,
      ...over,
    });
    return controller;
  }

  async function gauge(
    name: string,
  ): Promise<{ labels: Partial<Record<string, string | number>>; value: number }[]> {
    const metric = await metrics.registry.getSingleMetric(name)?.get();
    return (metric?.values ?? []).map((v) => ({ labels: v.labels, value: v.value }));
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "retryctl-controller-"));
    engine = new FakeEngine();
  });
  afterEach(async () => {
    await controller?.stop(1000);
    rmSync(dir, { recursive: true, force: true });
  });

  it("reconciles everything once, then is ready, with the revision in status and metrics", async () => {
    const a = manifest("a");
    const b = manifest("b");
    tree = loaded([a, b]);
    const c = start();
    expect(c.readiness().ready).toBe(false);
    await c.sync();
    await vi.waitFor(() => expect(c.ready).toBe(true), WAIT);

    // Keys without a shared read go one by one.
    expect(engine.calls.map((call) => call.keys)).toEqual([[a.key], [b.key]]);
    expect(engine.calls[0]?.options).toMatchObject({ waitTimeoutMs: 0, dryRun: false, mode: "enforce" });
    const status = c.status();
    expect(status.revision).toBe(tree.contentHash);
    expect(status.lastSyncTime).not.toBeNull();
    expect(status.resources.map((r) => [r.name, r.status, r.observedRevision])).toEqual([
      ["a", "Synced", tree.contentHash],
      ["b", "Synced", tree.contentHash],
    ]);
    expect(await gauge("retryctl_revision_info")).toEqual([
      { labels: { revision: tree.contentHash }, value: 1 },
    ]);
    const synced = (await gauge("retryctl_resources")).filter((v) => v.value > 0);
    expect(synced).toEqual([{ labels: { kind: "Widget", account: "", status: "Synced" }, value: 2 }]);
  });

  it("reconciles only what changed in a new revision, and resets the revision gauge", async () => {
    const a = manifest("a");
    const b = manifest("b");
    tree = loaded([a, b]);
    const c = start();
    await c.sync();
    await vi.waitFor(() => expect(c.ready).toBe(true), WAIT);
    const first = tree.contentHash;

    const b2 = { ...b, hash: "h-b-2" };
    const n = manifest("n", { kind: otherKind, key: "Gadget/us-east-1/n" });
    tree = loaded([a, b2, n]);
    await c.sync();
    expect(c.ready).toBe(false);
    await vi.waitFor(() => expect(c.ready).toBe(true), WAIT);
    expect(engine.reconciled().slice(2).sort()).toEqual([b.key, n.key].sort());
    const info = await gauge("retryctl_revision_info");
    expect(info).toEqual([{ labels: { revision: tree.contentHash }, value: 1 }]);
    expect(info.some((v) => v.labels.revision === first)).toBe(false);
  });

  it("waits for a directory that does not exist yet (git-sync has not published)", async () => {
    tree = loaded([manifest("a")]);
    const later = join(dir, "current");
    const c = start({ dir: later, reloadRetryMs: 30 });
    await c.sync();
    expect(c.readiness()).toEqual({ ready: false, detail: "manifests not loaded yet" });
    mkdirSync(later);
    await vi.waitFor(() => expect(c.ready).toBe(true), WAIT);
    expect(engine.reconciled()).toEqual([manifest("a").key]);
  });

  it("survives a load that throws, keeping its state, and tries again", async () => {
    tree = loaded([manifest("a")]);
    let fail = false;
    const c = start({
      reloadRetryMs: 30,
      load: async () => {
        if (fail) throw new Error("disk on fire");
        return tree;
      },
    });
    await c.sync();
    await vi.waitFor(() => expect(c.ready).toBe(true), WAIT);
    fail = true;
    tree = loaded([manifest("a", { hash: "h2" })]);
    await c.sync();
    expect(c.status().resources).toHaveLength(1);
    fail = false;
    await vi.waitFor(() => expect(engine.calls).toHaveLength(2), WAIT);
  });

  it("does nothing for a reload that changed nothing", async () => {
    tree = loaded([manifest("a")]);
    const c = start();
    await c.sync();
    await vi.waitFor(() => expect(c.ready).toBe(true), WAIT);
    await c.sync();
    await new Promise((r) => setTimeout(r, 50));
    expect(engine.calls).toHaveLength(1);
  });

  it("keeps retrying a failing resource with backoff until it converges, showing why meanwhile", async () => {
    const a = manifest("a");
    tree = loaded([a]);
    let failures = 3;
    engine.outcome = () =>
      failures-- > 0
        ? {
            action: "error",
            error: { code: "UpdateInProgress", message: "function update in progress", retry: "waiting" },
          }
        : {};
    const c = start();
    await c.sync();
    await vi.waitFor(() => expect(c.status().resources[0]?.reason).toBe("UpdateInProgress"), WAIT);
    expect(c.status().resources[0]).toMatchObject({ status: "Pending" });
    expect(c.status().resources[0]?.message).toMatch(/waiting for it to settle; retrying in/);
    // Readiness counts the first attempt of each resource, whatever its outcome.
    expect(c.ready).toBe(true);
    await vi.waitFor(() => expect(c.status().resources[0]?.status).toBe("Synced"), WAIT);
    expect(engine.calls).toHaveLength(4);
  });

  it("starts a fixed manifest's backoff afresh, also when it changed while the broken one was in flight", async () => {
    const a = manifest("a");
    const fixed = { ...a, hash: "h-a-fixed" };
    tree = loaded([a]);
    const transient: Partial<ResourceResult> = {
      action: "error",
      error: { code: "Throttled", message: "rate exceeded", retry: "transient" },
    };
    let brokenCalls = 0;
    let fixedCalls = 0;
    let releaseBroken: (() => void) | undefined;
    let releaseFixed: () => void = () => undefined;
    const reconcile: ControllerOptions["reconcile"] = async (ms) => {
      const m = ms[0] as Manifest;
      if (m.hash === a.hash) {
        // The broken manifest's sixth attempt is still running when the fix lands.
        if (++brokenCalls === 6) await new Promise<void>((r) => (releaseBroken = r));
      } else if (++fixedCalls === 2) {
        // Parked: the status keeps the fixed manifest's first failure and its retry delay.
        await new Promise<void>((r) => (releaseFixed = r));
      }
      return ms.map((x) => result(x, transient));
    };
    const c = start({ reconcile, backoffBaseMs: 20, backoffMaxMs: 300_000 });
    await c.sync();
    await vi.waitFor(() => expect(releaseBroken).toBeDefined(), WAIT);
    tree = loaded([fixed]);
    await c.sync();
    releaseBroken?.();
    await vi.waitFor(() => expect(fixedCalls).toBe(2), WAIT);
    const message = c.status().resources[0]?.message ?? "";
    // Five failures of the broken manifest would have made this 20 ms × 2⁶ (or more).
    const delay = /retrying in (\d+)ms/.exec(message)?.[1];
    expect(message, "the fixed manifest's first retry").toMatch(/retrying in \d+ms/);
    expect(Number(delay)).toBeLessThanOrEqual(20);
    releaseFixed();
  });

  it("shows observe-mode drift as Drifted and passes the mode to the engine", async () => {
    const a = manifest("a");
    tree = loaded([a]);
    engine.outcome = () => ({
      action: "observed",
      changes: [{ field: "maximumRetryAttempts", actual: 0, desired: 2 }],
    });
    const c = start({ mode: "observe" });
    await c.sync();
    await vi.waitFor(() => expect(c.status().resources[0]?.status).toBe("Drifted"), WAIT);
    expect(engine.calls[0]?.options.mode).toBe("observe");
    expect(c.status().mode).toBe("observe");
  });

  const brokenB = {
    file: "b.yaml",
    line: 5,
    path: "spec.maximumRetryAttempts",
    message: "must be at most 2",
    kind: "Widget",
    name: "b",
  };

  it("keeps the last valid manifest of a resource whose file broke, and shows the error", async () => {
    const a = manifest("a");
    const b = manifest("b");
    tree = loaded([a, b]);
    const c = start();
    await c.sync();
    await vi.waitFor(() => expect(c.ready).toBe(true), WAIT);

    const a2 = { ...a, hash: "h-a-2" };
    tree = loaded([a2], [brokenB]);
    await c.sync();
    await vi.waitFor(() => expect(c.ready).toBe(true), WAIT);
    const status = c.status();
    expect(status.manifestErrors).toEqual([brokenB]);
    expect(status.resources.find((r) => r.name === "b")).toMatchObject({
      status: "Error",
      reason: "InvalidManifest",
    });
    expect(status.resources.find((r) => r.name === "a")?.status).toBe("Synced");
    expect(await gauge("retryctl_manifest_errors")).toEqual([{ labels: {}, value: 1 }]);
    expect(engine.reconciled()).toEqual([a.key, b.key, a.key]);

    tree = loaded([a2, b]);
    await c.sync();
    expect(c.status().resources.find((r) => r.name === "b")?.status).toBe("Synced");
    expect(c.status().manifestErrors).toEqual([]);
  });

  it("keeps reconciling the last valid manifest of a broken file on the sweep", async () => {
    const b = manifest("b");
    tree = loaded([b]);
    const c = start({ resyncIntervalMs: 30 });
    await c.sync();
    tree = loaded([], [brokenB]);
    await c.sync();
    c.start();
    await vi.waitFor(
      () => expect(engine.reconciled().filter((k) => k === b.key).length).toBeGreaterThan(2),
      WAIT,
    );
    expect(c.status().resources.map((r) => [r.name, r.reason])).toEqual([["b", "InvalidManifest"]]);
  });

  it("stops managing a removed manifest", async () => {
    const a = manifest("a");
    const b = manifest("b");
    tree = loaded([a, b]);
    const c = start();
    await c.sync();
    await vi.waitFor(() => expect(c.ready).toBe(true), WAIT);
    tree = loaded([a]);
    await c.sync();
    expect(c.status().resources.map((r) => r.name)).toEqual(["a"]);
    const counts = (await gauge("retryctl_resources")).filter((v) => v.value > 0);
    expect(counts).toEqual([{ labels: { kind: "Widget", account: "", status: "Synced" }, value: 1 }]);
  });

  it("sends ready keys of one read group to the engine together, up to maxBatch, writes within half the slots", async () => {
    const grouped = { kind: "Widget", readGroup: () => "region" } as unknown as AnyKind;
    const ms = ["a", "b", "c", "d", "e"].map((n) => manifest(n, { kind: grouped }));
    const g = manifest("g", { kind: otherKind, key: "Gadget/us-east-1/g" });
    const h = manifest("h", { kind: otherKind, key: "Gadget/us-east-1/h" });
    tree = loaded([...ms, g, h]);
    const c = start({ concurrency: 3, maxBatch: 4 });
    await c.sync();
    await vi.waitFor(() => expect(c.ready).toBe(true), WAIT);
    for (const call of engine.calls) {
      expect(new Set(call.keys.map(kindOfKey)).size).toBe(1);
      expect(call.keys.length).toBeLessThanOrEqual(4);
      // A batch holds at most half the slots (rounded up), so others run beside it.
      expect(call.options.concurrency).toBe(Math.min(call.keys.length, 2));
    }
    // One batch beyond its slots: a planned read serves more keys than there are slots.
    expect(engine.calls[0]?.keys).toEqual(ms.slice(0, 4).map((m) => m.key));
    // Keys without a read group share nothing: one by one.
    expect(engine.calls.filter((call) => call.keys.some((k) => kindOfKey(k) === "Gadget"))).toHaveLength(2);
    expect(engine.reconciled().sort()).toEqual([...ms, g, h].map((m) => m.key).sort());
  });

  it("runs another kind, and a commit's change, beside a large batch of one read group", async () => {
    const grouped = { kind: "Widget", readGroup: () => "region" } as unknown as AnyKind;
    const big = Array.from({ length: 50 }, (_, i) => manifest(`w${i}`, { kind: grouped }));
    const g = manifest("g", { kind: otherKind, key: "Gadget/us-east-1/g" });
    tree = loaded([...big, g]);
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const seen: { key: string; hash: string }[] = [];
    const reconcile: ControllerOptions["reconcile"] = async (ms) => {
      seen.push(...ms.map((m) => ({ key: m.key, hash: m.hash })));
      // The large batch runs until the test lets it finish (a 1,000-key start-up at 14/s: 70 s).
      if (ms.some((m) => m.kind === grouped)) await held;
      return ms.map((m) => result(m));
    };
    const c = start({ reconcile, concurrency: 4 });
    await c.sync();
    await vi.waitFor(() => expect(seen.map((x) => x.key)).toContain(g.key), { timeout: 2000 });
    expect(seen.filter((x) => x.key.startsWith("Widget/"))).toHaveLength(50);

    // A commit while the batch still runs: its changed key is applied before the batch ends.
    const g2 = { ...g, hash: "h-g-2" };
    tree = loaded([...big, g2]);
    await c.sync();
    await vi.waitFor(() => expect(seen).toContainEqual({ key: g.key, hash: "h-g-2" }), { timeout: 2000 });
    expect(c.ready).toBe(false);

    release();
    await vi.waitFor(() => expect(c.ready).toBe(true), WAIT);
    // The batch's keys did not change with the commit: each was reconciled once.
    const perKey = Map.groupBy(seen, (x) => x.key);
    for (const m of big) expect(perKey.get(m.key), m.name).toHaveLength(1);
  });

  it("reconciles no key twice when a revision with the same manifests lands during the first pass", async () => {
    const ms = ["a", "b", "c", "d", "e", "f"].map((n) => manifest(n));
    tree = loaded(ms);
    let release: () => void = () => undefined;
    engine.gate = new Promise((r) => {
      release = r;
    });
    const c = start({ concurrency: 2 });
    await c.sync();
    // Some keys in flight (held at the gate), the others waiting for a slot.
    await vi.waitFor(() => expect(engine.calls.length).toBeGreaterThan(0), WAIT);
    // A commit that only adds a manifest: a new revision, every other manifest as it was.
    const n = manifest("n");
    tree = loaded([...ms, n]);
    await c.sync();
    expect(c.revision).toBe(tree.contentHash);
    release();
    await vi.waitFor(() => expect(c.ready).toBe(true), WAIT);
    const counts = new Map<string, number>();
    for (const key of engine.reconciled()) counts.set(key, (counts.get(key) ?? 0) + 1);
    expect(Object.fromEntries(counts)).toEqual(Object.fromEntries([...ms, n].map((m) => [m.key, 1])));
    expect(c.status().resources.every((r) => r.status === "Synced")).toBe(true);
  });

  it("re-reads every resource on the resync sweep", async () => {
    tree = loaded([manifest("a"), manifest("b")]);
    const c = start({ resyncIntervalMs: 40 });
    await c.sync();
    c.start();
    await vi.waitFor(() => expect(engine.reconciled().length).toBeGreaterThanOrEqual(6), WAIT);
  });

  it("sweeps the keys of one read group together, in one engine call", async () => {
    const grouped = {
      kind: "Widget",
      readGroup: (spec: { functionName: string }) => spec.functionName.slice(0, 1),
    } as unknown as AnyKind;
    const ms = ["x1", "x2", "x3", "y1"].map((n) => manifest(n, { kind: grouped }));
    tree = loaded(ms);
    // One slot: without units, the sweep would hand the keys out one by one.
    const c = start({ resyncIntervalMs: 1000, concurrency: 1 });
    await c.sync();
    await vi.waitFor(() => expect(c.ready).toBe(true), WAIT);
    const before = engine.calls.length;
    c.start();
    // The two units sit in the two halves of the 1 s round: wait past its end.
    await vi.waitFor(() => expect(engine.calls.length).toBeGreaterThanOrEqual(before + 2), { timeout: 5000 });
    await c.stop(1000);
    const sweep = engine.calls.slice(before, before + 2).map((call) => call.keys);
    expect(sweep).toEqual([ms.slice(0, 3).map((m) => m.key), [ms[3]?.key]]);
  });

  it("waits for in-flight reconciles on stop, and takes no new work", async () => {
    tree = loaded([manifest("a")]);
    let release: () => void = () => undefined;
    engine.gate = new Promise((r) => {
      release = r;
    });
    const c = start();
    await c.sync();
    await vi.waitFor(() => expect(engine.calls).toHaveLength(1), WAIT);
    let stopped = false;
    const stopping = c.stop(5000).then(() => {
      stopped = true;
    });
    await new Promise((r) => setTimeout(r, 30));
    expect(stopped).toBe(false);
    expect(c.alive).toBe(false);
    release();
    await stopping;
    tree = loaded([manifest("a", { hash: "new" })]);
    await c.sync();
    expect(engine.calls).toHaveLength(1);
  });

  it("gives up waiting for in-flight work after the timeout", async () => {
    tree = loaded([manifest("a")]);
    engine.gate = new Promise(() => undefined);
    const c = start();
    await c.sync();
    await vi.waitFor(() => expect(engine.calls).toHaveLength(1), WAIT);
    const started = Date.now();
    await c.stop(50);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(engine.calls[0]?.options.signal?.aborted).toBe(true);
  });
});
