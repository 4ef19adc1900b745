import { describe, expect, it } from "vitest";
import { conditionOf, StatusStore } from "../../../src/controller/status.js";
import { manifest, result } from "./fixtures.js";

const m = manifest("orders");
const change = { field: "maximumRetryAttempts", actual: 0, desired: 2 };

function clock(start = Date.parse("2025-01-01T00:00:00Z")) {
  let now = start;
  return { now: () => new Date(now), tick: (ms = 1000) => (now += ms) };
}

describe("conditionOf", () => {
  it("maps each engine outcome to a status, a reason and a message", () => {
    expect(conditionOf(result(m))).toEqual({
      status: "Synced",
      reason: "InSync",
      message: "AWS matches the manifest",
    });
    expect(conditionOf(result(m, { action: "update", changes: [change], applied: true }))).toEqual({
      status: "Synced",
      reason: "Applied",
      message: "applied maximumRetryAttempts 0 -> 2",
    });
    expect(conditionOf(result(m, { action: "observed", changes: [change] }))).toMatchObject({
      status: "Drifted",
      reason: "DriftDetected",
      message: "differs from the manifest (observe mode, left as is): maximumRetryAttempts 0 -> 2",
    });
    expect(conditionOf(result(m, { action: "suspended" }))).toMatchObject({ status: "Suspended" });
  });

  it("shows a resource in motion as Pending, being waited out, and a failure as Error", () => {
    const waiting = result(m, {
      action: "error",
      error: { code: "UpdateInProgress", message: "function update in progress", retry: "waiting" },
    });
    expect(conditionOf(waiting, 2000)).toEqual({
      status: "Pending",
      reason: "UpdateInProgress",
      message: "function update in progress; waiting for it to settle; retrying in 2s",
    });
    const missing = result(m, {
      action: "error",
      error: { code: "FunctionNotFound", message: "no such function", retry: "terminal" },
    });
    expect(conditionOf(missing, 300_000)).toEqual({
      status: "Error",
      reason: "FunctionNotFound",
      message: "no such function; retrying in 5m",
    });
  });
});

describe("StatusStore", () => {
  it("starts Pending, then follows reconciles; lastTransitionTime moves only with the status", () => {
    const c = clock();
    const store = new StatusStore(c.now);
    store.track(m, "rev1", "New");
    expect(store.get(m.key)).toMatchObject({
      status: "Pending",
      reason: "Progressing",
      lastTransitionTime: "2025-01-01T00:00:00.000Z",
      observedRevision: null,
      lastAppliedRevision: null,
      source: { file: "orders.yaml", line: 1 },
    });

    c.tick();
    const waiting = result(m, {
      action: "error",
      error: { code: "ResourceInUse", message: "busy", retry: "waiting" },
    });
    expect(store.record(m.key, waiting, "rev1", 1000)?.status).toBe("Pending");
    c.tick();
    expect(store.record(m.key, waiting, "rev1", 2000)).toBeUndefined();
    expect(store.get(m.key)).toMatchObject({
      reason: "ResourceInUse",
      lastTransitionTime: "2025-01-01T00:00:00.000Z",
      observedRevision: "rev1",
      lastAppliedRevision: null,
    });

    c.tick();
    expect(store.record(m.key, result(m), "rev1")?.status).toBe("Synced");
    expect(store.get(m.key)).toMatchObject({
      status: "Synced",
      lastTransitionTime: "2025-01-01T00:00:03.000Z",
      lastAppliedRevision: "rev1",
    });

    c.tick();
    store.track(m, "rev2", "Changed");
    expect(store.get(m.key)).toMatchObject({
      status: "Pending",
      observedRevision: "rev1",
      lastAppliedRevision: "rev1",
    });
    c.tick();
    store.record(m.key, result(m, { action: "observed", changes: [change] }), "rev2");
    expect(store.get(m.key)).toMatchObject({
      status: "Drifted",
      observedRevision: "rev2",
      lastAppliedRevision: "rev1",
    });
  });

  it("shows a newer invalid manifest as Error over the last reconcile, until it is cleared", () => {
    const store = new StatusStore();
    store.track(m, "rev1", "New");
    store.record(m.key, result(m), "rev1");
    const error = {
      file: "orders.yaml",
      line: 7,
      path: "spec.maximumRetryAttempts",
      message: "must be at most 2",
    };
    store.setManifestErrors(m.key, [error], "rev1");
    expect(store.get(m.key)).toMatchObject({
      status: "Error",
      reason: "InvalidManifest",
      message:
        "orders.yaml:7 spec.maximumRetryAttempts: must be at most 2; keeping the last valid manifest from revision rev1 " +
        "(its last reconcile: Synced, InSync)",
    });
    expect(store.reconciled(m.key)).toBe("Synced");
    expect(store.counts().get("Widget")?.get("Error")).toBe(1);
    store.setManifestErrors(m.key, []);
    expect(store.get(m.key)?.status).toBe("Synced");
  });

  it("counts resources per kind and status and lists them sorted", () => {
    const store = new StatusStore();
    const b = manifest("b");
    const a = manifest("a");
    store.track(b, "r", "New");
    store.track(a, "r", "New");
    store.record(a.key, result(a), "r");
    expect(store.list().map((e) => e.name)).toEqual(["a", "b"]);
    expect(Object.fromEntries(store.counts().get("Widget") ?? [])).toEqual({ Pending: 1, Synced: 1 });
    store.remove(a.key);
    expect(store.has(a.key)).toBe(false);
    expect(store.record(a.key, result(a), "r")).toBeUndefined();
  });
});
