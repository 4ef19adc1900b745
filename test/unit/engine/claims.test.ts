import pino from "pino";
import { describe, expect, it, vi } from "vitest";
import type { AwsClients } from "../../../src/aws/clients.js";
import { ResourceError } from "../../../src/aws/errors.js";
import { ObjectClaims } from "../../../src/engine/claims.js";
import { reconcile } from "../../../src/engine/reconcile.js";
import type { AnyKind, FieldChange } from "../../../src/kinds/kind.js";
import type { Manifest } from "../../../src/manifests/manifest.js";

/**
 * Two manifests that name one AWS object differently (identity by `ref` here,
 * the object read is `objects[ref]`) conflict once read, in one call and across
 * calls that share the controller's claims.
 */
function fakeKind(objects: Record<string, string | ResourceError>) {
  const apply = vi.fn(async () => undefined);
  const kind = {
    kind: "Widget",
    identity: (spec: { ref: string }, region: string) => `${region}/${spec.ref}`,
    lint: () => [],
    read: async (_ctx: unknown, resources: { identity: string; spec: { ref: string } }[]) =>
      new Map(resources.map((r) => [r.identity, objects[r.spec.ref]])),
    resolvedIdentity: (actual: string) => actual,
    diff: (): FieldChange[] => [{ field: "value", actual: 1, desired: 2 }],
    creates: () => false,
    apply,
  } as unknown as AnyKind;
  return { kind, apply };
}

function manifest(kind: AnyKind, name: string, ref: string, fn = "orders"): Manifest {
  return {
    kind,
    name,
    region: "us-east-1",
    key: `Widget/us-east-1/${ref}`,
    spec: { ref, fn },
    labels: {},
    annotations: {},
    suspended: false,
    source: { file: `${name}.yaml`, line: 1 },
    hash: name,
  };
}

const options = (claims?: ObjectClaims) => ({
  aws: {} as AwsClients,
  log: pino({ level: "silent" }),
  mode: "enforce" as const,
  dryRun: false,
  concurrency: 4,
  waitTimeoutMs: 0,
  ...(claims ? { claims } : {}),
});

const outcome = (r: { action: string; error?: { code: string; message: string } }) => [
  r.action,
  r.error?.code,
];

describe("manifests that resolve to one AWS object", () => {
  it("are a Conflict on both, naming each other, and neither is applied", async () => {
    const { kind, apply } = fakeKind({
      "by-uuid": "mapping-1",
      "by-source": "mapping-1",
      other: "mapping-2",
    });
    const [a, b, c] = await reconcile(
      [manifest(kind, "a", "by-uuid"), manifest(kind, "b", "by-source"), manifest(kind, "c", "other")],
      options(),
    );
    expect([a, b, c].map((r) => outcome(r!))).toEqual([
      ["error", "Conflict"],
      ["error", "Conflict"],
      ["update", undefined],
    ]);
    expect(a?.error?.message).toBe(
      "Widget a resolves to the same AWS object as b (b.yaml:1); neither is applied",
    );
    expect(a?.error).toMatchObject({ retry: "terminal" });
    expect(apply).toHaveBeenCalledTimes(1);
  });

  it("conflict across calls that share claims (a commit reconciles one of them alone)", async () => {
    const { kind, apply } = fakeKind({ "by-uuid": "mapping-1", "by-source": "mapping-1" });
    const claims = new ObjectClaims();
    const a = manifest(kind, "a", "by-uuid");
    const b = manifest(kind, "b", "by-source");
    expect((await reconcile([a], options(claims))).map(outcome)).toEqual([["update", undefined]]);
    expect((await reconcile([b], options(claims))).map(outcome)).toEqual([["error", "Conflict"]]);
    expect((await reconcile([a], options(claims))).map(outcome)).toEqual([["error", "Conflict"]]);
    expect(apply).toHaveBeenCalledTimes(1);
    // b removed from the tree: a is alone again.
    claims.release(b.key);
    expect((await reconcile([a], options(claims))).map(outcome)).toEqual([["update", undefined]]);
  });

  it("let go of a claim when the object is not found, and keep it through a transient failure", async () => {
    const objects: Record<string, string | ResourceError> = {
      "by-uuid": "mapping-1",
      "by-source": "mapping-1",
    };
    const { kind } = fakeKind(objects);
    const claims = new ObjectClaims();
    const a = manifest(kind, "a", "by-uuid");
    const b = manifest(kind, "b", "by-source");
    await reconcile([a], options(claims));
    objects["by-uuid"] = new ResourceError("Throttled", "slow down", "transient");
    await reconcile([a], options(claims));
    expect((await reconcile([b], options(claims))).map(outcome)).toEqual([["error", "Conflict"]]);
    objects["by-uuid"] = new ResourceError("MappingNotFound", "gone", "terminal");
    await reconcile([a], options(claims));
    expect((await reconcile([b], options(claims))).map(outcome)).toEqual([["update", undefined]]);
  });

  it("hold a write while a manifest that may name the same object is unread (separate batches)", async () => {
    const { kind: plain, apply } = fakeKind({
      "by-uuid": "mapping-1",
      "by-source": "mapping-1",
      other: "mapping-2",
    });
    // Both name function "orders" (a peer scope), so either may turn out to be the other's object.
    const kind = { ...plain, peerScope: (spec: { fn: string }, region: string) => `${region}/${spec.fn}` };
    const claims = new ObjectClaims();
    const a = manifest(kind, "a", "by-uuid");
    const b = manifest(kind, "b", "by-source");
    const c = manifest(kind, "c", "other", "payments");
    for (const m of [a, b, c]) claims.expect(m.key, kind, m.spec, m.region);
    const [first] = await reconcile([a], options(claims));
    expect(outcome(first!)).toEqual(["error", "AwaitingPeers"]);
    expect(first?.error).toMatchObject({ retry: "waiting" });
    // Another function's manifest has no unread peer and writes at once.
    expect((await reconcile([c], options(claims))).map(outcome)).toEqual([["update", undefined]]);
    expect(apply).toHaveBeenCalledTimes(1);
    expect((await reconcile([b], options(claims))).map(outcome)).toEqual([["error", "Conflict"]]);
    expect((await reconcile([a], options(claims))).map(outcome)).toEqual([["error", "Conflict"]]);
    expect(apply).toHaveBeenCalledTimes(1);
  });

  it("do not hold a plan or observe mode, which write nothing", async () => {
    const { kind: plain } = fakeKind({ "by-uuid": "mapping-1", "by-source": "mapping-1" });
    const kind = { ...plain, peerScope: (spec: { fn: string }) => spec.fn };
    const claims = new ObjectClaims();
    const a = manifest(kind, "a", "by-uuid");
    const b = manifest(kind, "b", "by-source");
    for (const m of [a, b]) claims.expect(m.key, kind, m.spec, m.region);
    expect((await reconcile([a], { ...options(claims), dryRun: true })).map(outcome)).toEqual([
      ["update", undefined],
    ]);
  });
});
