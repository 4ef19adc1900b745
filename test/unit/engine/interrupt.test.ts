import pino from "pino";
import { describe, expect, it, vi } from "vitest";
import type { AwsClients } from "../../../src/aws/clients.js";
import { ResourceError } from "../../../src/aws/errors.js";
import { reconcile } from "../../../src/engine/reconcile.js";
import type { AnyKind, FieldChange } from "../../../src/kinds/kind.js";
import type { Manifest } from "../../../src/manifests/manifest.js";

/**
 * The engine under an interrupt (`signal` aborted by SIGINT/SIGTERM in the
 * one-shot commands): nothing new starts, what is under way finishes, waits
 * end without another read. An in-process kind counts reads and writes.
 */
interface State {
  value: number;
  busy?: boolean;
}

function fakeKind(states: Map<string, State>, onApply: () => void = () => undefined) {
  const reads: string[][] = [];
  const apply = vi.fn(async (_ctx: unknown, r: { identity: string }, _a: State, changes: FieldChange[]) => {
    onApply();
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
      if (actual.busy) throw new ResourceError("ResourceInUse", "busy", "waiting");
      return spec.value === actual.value
        ? []
        : [{ field: "value", actual: actual.value, desired: spec.value }];
    },
    creates: () => false,
    apply,
  } as unknown as AnyKind;
  return { kind, apply, reads };
}

function manifest(kind: AnyKind, id: string, value: number): Manifest {
  return {
    kind,
    name: id,
    region: "us-east-1",
    key: `Widget/us-east-1/${id}`,
    spec: { id, value },
    labels: {},
    annotations: {},
    suspended: false,
    source: { file: `${id}.yaml`, line: 1 },
    hash: id,
  };
}

const options = (signal: AbortSignal, over: Partial<Parameters<typeof reconcile>[1]> = {}) => ({
  aws: {} as AwsClients,
  log: pino({ level: "silent" }),
  mode: "enforce" as const,
  dryRun: false,
  concurrency: 1,
  waitTimeoutMs: 60_000,
  signal,
  ...over,
});

describe("reconcile under an interrupt", () => {
  it("the write in flight finishes and is reported applied; the resource queued behind it is not applied", async () => {
    const abort = new AbortController();
    const states = new Map<string, State>([
      ["us-east-1/a", { value: 1 }],
      ["us-east-1/b", { value: 1 }],
    ]);
    // The signal arrives while the first write is in flight.
    const { kind, apply } = fakeKind(states, () => abort.abort());
    const results = await reconcile([manifest(kind, "a", 2), manifest(kind, "b", 2)], options(abort.signal));
    expect(apply).toHaveBeenCalledTimes(1);
    expect(results[0]).toMatchObject({ name: "a", action: "update", applied: true });
    expect(results[0]?.error).toBeUndefined();
    expect(results[1]).toMatchObject({
      name: "b",
      action: "error",
      applied: false,
      changes: [{ field: "value", actual: 1, desired: 2 }],
      error: {
        code: "Interrupted",
        message: "interrupted before it was applied; not applied, AWS unchanged",
      },
    });
    expect(states.get("us-east-1/b")).toEqual({ value: 1 });
  });

  it("a write that fails after the interrupt is not retried: throttled means AWS unchanged, no answer means unknown", async () => {
    for (const [error, message] of [
      [
        new ResourceError("Throttled", "Rate exceeded", "transient"),
        "interrupted while it was applied: the write did not succeed (Throttled: Rate exceeded); not applied, AWS unchanged",
      ],
      [
        new ResourceError("NetworkError", "socket hang up", "transient"),
        "interrupted while it was applied: its write got no clear answer (NetworkError: socket hang up); AWS may or may not have applied it",
      ],
    ] as const) {
      const abort = new AbortController();
      const states = new Map<string, State>([["us-east-1/w", { value: 1 }]]);
      const { kind, apply } = fakeKind(states, () => {
        abort.abort();
        throw error;
      });
      const [result] = await reconcile([manifest(kind, "w", 2)], options(abort.signal));
      expect(apply).toHaveBeenCalledTimes(1);
      expect(result?.error?.message).toBe(message);
    }
  });

  it("a wait for a resource in motion ends at the interrupt, without reading it again", async () => {
    const abort = new AbortController();
    const states = new Map<string, State>([["us-east-1/m", { value: 1, busy: true }]]);
    const { kind, apply, reads } = fakeKind(states);
    const progress = { step: () => undefined, done: () => undefined, waiting: () => abort.abort() };
    const [result] = await reconcile([manifest(kind, "m", 2)], options(abort.signal, { progress }));
    expect(reads).toEqual([["us-east-1/m"]]);
    expect(apply).not.toHaveBeenCalled();
    expect(result).toMatchObject({
      action: "error",
      error: {
        code: "Interrupted",
        message: "interrupted while waiting (ResourceInUse: busy); AWS unchanged",
      },
    });
  });

  it("interrupted before it starts: nothing is read, every resource is reported interrupted", async () => {
    const abort = new AbortController();
    abort.abort();
    const states = new Map<string, State>([["us-east-1/x", { value: 1 }]]);
    const { kind, apply, reads } = fakeKind(states);
    const [result] = await reconcile([manifest(kind, "x", 2)], options(abort.signal));
    expect(reads).toEqual([]);
    expect(apply).not.toHaveBeenCalled();
    expect(result?.error).toMatchObject({
      code: "Interrupted",
      message: "interrupted before it was read; AWS unchanged",
    });
  });
});
