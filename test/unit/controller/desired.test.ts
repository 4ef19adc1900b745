import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { planRevision, relativeToRoot } from "../../../src/controller/desired.js";
import type { Manifest } from "../../../src/manifests/manifest.js";
import { loaded, manifest, otherKind } from "./fixtures.js";

const a = manifest("a");
const b = manifest("b");
const c = manifest("c", { source: { file: "shared.yaml", line: 1 } });
const d = manifest("d", { source: { file: "shared.yaml", line: 9 } });

function byKey(...ms: Manifest[]) {
  return new Map(ms.map((m) => [m.key, m]));
}

describe("planRevision", () => {
  it("tells added, changed and removed manifests apart by key and hash", () => {
    const b2 = { ...b, hash: "h-b-2" };
    const e = manifest("e");
    const plan = planRevision(byKey(a, b, c), loaded([a, b2, e]));
    expect(plan.added).toEqual([e.key]);
    expect(plan.changed).toEqual([b.key]);
    expect(plan.removed).toEqual([c]);
    expect([...plan.desired.keys()]).toEqual([a.key, b.key, e.key]);
    expect(plan.desired.get(b.key)).toBe(b2);
  });

  it("retains the last valid manifest of a resource whose manifest became invalid (matched by kind and name)", () => {
    const error = {
      file: "b.yaml",
      line: 4,
      path: "spec.maximumRetryAttempts",
      message: "too big",
      kind: "Widget",
      name: "b",
    };
    const plan = planRevision(byKey(a, b), loaded([a], [error]));
    expect(plan.removed).toEqual([]);
    expect(plan.desired.get(b.key)).toBe(b);
    expect(plan.retained.get(b.key)).toEqual([error]);
    expect(plan.changed).toEqual([]);
  });

  it("does not retain a resource of another kind with the same name", () => {
    const gadget = manifest("b", { kind: otherKind, key: "Gadget/us-east-1/b" });
    const error = { file: "b.yaml", line: 4, path: "spec", message: "bad", kind: "Widget", name: "b" };
    const plan = planRevision(byKey(gadget), loaded([], [error]));
    expect(plan.removed).toEqual([gadget]);
  });

  it("retains every resource of a file that no longer parses", () => {
    const error = { file: "shared.yaml", line: 3, path: "", message: "bad indentation" };
    const plan = planRevision(byKey(a, c, d), loaded([a], [error]));
    expect([...plan.retained.keys()]).toEqual([c.key, d.key]);
    expect(plan.removed).toEqual([]);
  });

  it("treats a manifest moved to another file unchanged as unchanged", () => {
    const moved = { ...a, source: { file: "other.yaml", line: 3 } };
    const plan = planRevision(byKey(a), loaded([moved]));
    expect(plan.added).toEqual([]);
    expect(plan.changed).toEqual([]);
    expect(plan.removed).toEqual([]);
  });
});

describe("relativeToRoot", () => {
  it("makes absolute paths relative to the tree, so they compare across worktrees", () => {
    const abs = manifest("x", { source: { file: "/git/.worktrees/abc/team/x.yaml", line: 2 } });
    const out = relativeToRoot(
      loaded([abs], [{ file: "/git/.worktrees/abc/y.yaml", line: 1, path: "", message: "m" }]),
      "/git/.worktrees/abc",
    );
    expect(out.manifests[0]?.source.file).toBe("team/x.yaml");
    expect(out.errors[0]?.file).toBe("y.yaml");
    expect(relativeToRoot(loaded([a]), "/root").manifests[0]?.source.file).toBe("a.yaml");
  });

  it("does the same for paths relative to the current directory (the loader's names for a tree below it)", () => {
    const root = join(process.cwd(), "git/.worktrees/abc");
    const below = manifest("x", { source: { file: "git/.worktrees/abc/team/x.yaml", line: 2 } });
    expect(relativeToRoot(loaded([below]), root).manifests[0]?.source.file).toBe("team/x.yaml");
  });
});
