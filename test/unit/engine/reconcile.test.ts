import pino from "pino";
import { describe, expect, it, vi } from "vitest";
import type { AwsClients } from "../../../src/aws/clients.js";
import { ResourceError } from "../../../src/aws/errors.js";
import { reconcile } from "../../../src/engine/reconcile.js";
import type { AnyKind, FieldChange } from "../../../src/kinds/kind.js";
import type { Manifest } from "../../../src/manifests/manifest.js";
import { createMetrics } from "../../../src/metrics/metrics.js";

/**
 * The engine's decisions with an in-process kind (AWS behaviour is covered by
 * the integration tests): one result per manifest, modes, dry-run, and how
 * each retry class is handled.
 */
interface State {
  value: number;
  busy?: number;
}

function fakeKind(states: Map<string, State | ResourceError>, applyImpl?: () => Promise<void>) {
  const reads: string[][] = [];
  const apply = vi.fn(async (_ctx: unknown, r: { identity: string }, _a: State, changes: FieldChange[]) => {
    await applyImpl?.();
    states.set(r.identity, { value: changes[0]?.desired as number });
  });
  const kind = {
    kind: "Widget",
    identity: (spec: { id: string }, region: string) => `${region}/${spec.id}`,
    lint: () => [],
    read: async (_ctx: unknown, resources: { identity: string }[]) => {
      reads.push(resources.map((r) => r.identity));
      return new Map(resources.map((r) => [r.identity, states.get(r.identity)]));
    },
    diff: (spec: { value: number }, actual: State): FieldChange[] => {
      if (actual.busy && actual.busy-- > 0) throw new ResourceError("ResourceInUse", "busy", "waiting");
      return spec.value === actual.value
        ? []
        : [{ field: "value", actual: actual.value, desired: spec.value }];
    },
    creates: () => false,
    apply,
  } as unknown as AnyKind;
  return { kind, apply, reads };
}

function manifest(kind: AnyKind, id: string, value: number, over: Partial<Manifest> = {}): Manifest {
  return {
    kind,
    name: id,
    region: "us-east-1",
    key: `Widget/us-east-1/${id}`,
    spec: { id, value },
    labels: {},
    annotations: {},
    suspended: false,
    source: { file: `${id}.yaml`, line: 3 },
    hash: id,
    ...over,
  };
}

const options = (over: Partial<Parameters<typeof reconcile>[1]> = {}) => ({
  aws: {} as AwsClients,
  log: pino({ level: "silent" }),
  mode: "enforce" as const,
  dryRun: false,
  concurrency: 4,
  waitTimeoutMs: 0,
  ...over,
});

describe("reconcile", () => {
  it("reads each kind once for the whole set and returns one result per manifest, in order", async () => {
    const states = new Map<string, State>([
      ["us-east-1/a", { value: 1 }],
      ["us-east-1/b", { value: 1 }],
    ]);
    const { kind, apply, reads } = fakeKind(states);
    const results = await reconcile([manifest(kind, "a", 1), manifest(kind, "b", 2)], options());
    expect(reads).toEqual([["us-east-1/a", "us-east-1/b"]]);
    expect(results.map((r) => [r.name, r.action, r.applied])).toEqual([
      ["a", "none", false],
      ["b", "update", true],
    ]);
    expect(apply).toHaveBeenCalledTimes(1);
    expect(states.get("us-east-1/b")).toEqual({ value: 2 });
  });

  it("dry-run and observe plan the change but never apply; suspend skips the read", async () => {
    const states = new Map<string, State>([
      ["us-east-1/a", { value: 1 }],
      ["us-east-1/o", { value: 1 }],
    ]);
    const { kind, apply, reads } = fakeKind(states);
    const dry = await reconcile([manifest(kind, "a", 2)], options({ dryRun: true }));
    expect(dry[0]).toMatchObject({
      action: "update",
      applied: false,
      changes: [{ field: "value", actual: 1, desired: 2 }],
    });
    const mixed = await reconcile(
      [manifest(kind, "o", 2, { mode: "observe" }), manifest(kind, "s", 2, { suspended: true })],
      options(),
    );
    expect(mixed.map((r) => r.action)).toEqual(["observed", "suspended"]);
    expect(apply).not.toHaveBeenCalled();
    expect(reads.flat()).not.toContain("us-east-1/s");
  });

  it("a global observe mode is overridden by a resource's enforce annotation", async () => {
    const states = new Map<string, State>([["us-east-1/e", { value: 1 }]]);
    const { kind, apply } = fakeKind(states);
    const [result] = await reconcile(
      [manifest(kind, "e", 2, { mode: "enforce" })],
      options({ mode: "observe" }),
    );
    expect(result).toMatchObject({ action: "update", applied: true });
    expect(apply).toHaveBeenCalledTimes(1);
  });

  it("a terminal error is reported at once, with its code, and does not touch the others", async () => {
    const states = new Map<string, State | ResourceError>([
      ["us-east-1/gone", new ResourceError("FunctionNotFound", "function gone does not exist")],
      ["us-east-1/ok", { value: 0 }],
    ]);
    const { kind } = fakeKind(states);
    const results = await reconcile(
      [manifest(kind, "gone", 1), manifest(kind, "ok", 1)],
      options({ waitTimeoutMs: 10_000 }),
    );
    expect(results[0]).toMatchObject({
      action: "error",
      error: { code: "FunctionNotFound", retry: "terminal" },
    });
    expect(results[1]).toMatchObject({ action: "update", applied: true });
  });

  it("a resource in motion is re-read and waited out within the wait timeout", async () => {
    const states = new Map<string, State>([["us-east-1/m", { value: 1, busy: 2 }]]);
    const { kind, apply, reads } = fakeKind(states);
    const [result] = await reconcile([manifest(kind, "m", 5)], options({ waitTimeoutMs: 30_000 }));
    expect(result).toMatchObject({ action: "update", applied: true });
    expect(reads.length).toBe(3);
    expect(apply).toHaveBeenCalledTimes(1);
  });

  it("with no wait budget (the controller's setting) a waiting resource is reported with its retry class", async () => {
    const states = new Map<string, State>([["us-east-1/m", { value: 1, busy: 5 }]]);
    const { kind, apply } = fakeKind(states);
    const [result] = await reconcile([manifest(kind, "m", 5)], options());
    expect(result).toMatchObject({ action: "error", error: { code: "ResourceInUse", retry: "waiting" } });
    expect(apply).not.toHaveBeenCalled();
  });

  it("a transient apply failure (throttling) is retried; a kind's read that throws fails only that kind", async () => {
    const states = new Map<string, State>([["us-east-1/t", { value: 1 }]]);
    let failures = 1;
    const { kind: flaky } = fakeKind(states, async () => {
      if (failures-- > 0)
        throw Object.assign(new Error("Rate exceeded"), { name: "TooManyRequestsException" });
    });
    const broken = {
      ...fakeKind(new Map()).kind,
      kind: "Broken",
      read: async () => {
        throw Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
      },
    } as AnyKind;
    const results = await reconcile(
      [manifest(flaky, "t", 2), manifest(broken, "b", 2, { key: "Broken/us-east-1/b" })],
      options({ waitTimeoutMs: 5_000 }),
    );
    expect(results[0]).toMatchObject({ action: "update", applied: true });
    expect(results[1]).toMatchObject({
      action: "error",
      error: { code: "NetworkError", retry: "transient" },
    });
  });

  it("counts results and drift in the contract's metrics", async () => {
    const metrics = createMetrics();
    const states = new Map<string, State>([
      ["us-east-1/a", { value: 1 }],
      ["us-east-1/b", { value: 2 }],
    ]);
    const { kind } = fakeKind(states);
    await reconcile([manifest(kind, "a", 2), manifest(kind, "b", 2)], options({ metrics }));
    const total = await metrics.reconcileTotal.get();
    const byResult = Object.fromEntries(total.values.map((v) => [v.labels.result, v.value]));
    expect(byResult).toEqual({ changed: 1, synced: 1 });
    const drift = await metrics.driftDetected.get();
    expect(drift.values[0]).toMatchObject({ labels: { kind: "Widget" }, value: 1 });
  });
});
