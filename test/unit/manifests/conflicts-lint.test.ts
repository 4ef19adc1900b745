import { describe, expect, it } from "vitest";
import { brief, fixture, loadFake, warningsIn } from "./helpers.js";

describe("identity conflicts", () => {
  it("reports two manifests of one AWS object on both, each naming the other's file and line, and keeps neither", async () => {
    const result = await loadFake([fixture("conflicts")]);
    const identity = result.errors.filter((e) => e.path === "").map(brief);
    expect(identity).toEqual([
      {
        file: "one.yaml",
        line: 1,
        path: "",
        message:
          "Widget us-east-1/orders:$LATEST is also managed by orders-copy (two.yaml:2); neither is applied",
      },
      {
        file: "two.yaml",
        line: 2,
        path: "",
        message: "Widget us-east-1/orders:$LATEST is also managed by orders (one.yaml:1); neither is applied",
      },
    ]);
    expect(result.manifests.map((m) => m.name)).not.toContain("orders");
    expect(result.manifests.map((m) => m.name)).not.toContain("orders-copy");
  });

  it("reports a metadata.name used twice within a kind on both, on the name's line, and keeps neither", async () => {
    const result = await loadFake([fixture("conflicts")]);
    expect(result.errors.filter((e) => e.path === "metadata.name")).toEqual([
      {
        file: "names.yaml",
        line: 4,
        path: "metadata.name",
        kind: "Widget",
        name: "shared-name",
        message:
          '"shared-name" is also the name of the Widget at names.yaml:12 (names are unique per kind); neither is applied',
      },
      {
        file: "names.yaml",
        line: 12,
        path: "metadata.name",
        kind: "Widget",
        name: "shared-name",
        message:
          '"shared-name" is also the name of the Widget at names.yaml:4 (names are unique per kind); neither is applied',
      },
    ]);
  });

  it("keeps what does not conflict: another region, or the same name in another kind", async () => {
    const result = await loadFake([fixture("conflicts")]);
    expect(result.manifests.map((m) => [m.key, m.name, m.source.file, m.source.line])).toEqual([
      ["Gadget/us-east-1/jobs", "shared-name", "names.yaml", 18],
      ["Widget/us-west-2/orders:$LATEST", "orders-west", "two.yaml", 12],
    ]);
  });
});

describe("resolved manifests and lint", () => {
  it("resolves region, key, labels, annotations, suspend and mode", async () => {
    const result = await loadFake([fixture("lint")]);
    expect(result.errors).toEqual([]);
    const [risky, careful] = result.manifests;
    expect(risky).toMatchObject({
      name: "no-failure-path",
      region: "us-east-1",
      key: "Widget/us-east-1/risky:$LATEST",
      spec: { functionName: "risky", maximumRetryAttempts: 0 },
      labels: { team: "payments" },
      suspended: true,
      mode: "observe",
      source: { file: "warn.yaml", line: 1 },
    });
    expect(risky?.kind.kind).toBe("Widget");
    expect(careful).toMatchObject({ name: "careful", suspended: false, labels: {}, annotations: {} });
    expect(careful?.mode).toBeUndefined();
    expect(risky?.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(careful?.hash).not.toBe(risky?.hash);
  });

  it("carries the kind's lint warnings with their code, the line of the field named, kind and name", async () => {
    const result = await loadFake([fixture("lint")]);
    expect(warningsIn(result, "warn.yaml")).toEqual([
      {
        file: "warn.yaml",
        line: 10,
        path: "spec",
        code: "WidgetNoFailurePath",
        message: "failed events are dropped: set onFailure",
        kind: "Widget",
        name: "no-failure-path",
      },
      {
        file: "warn.yaml",
        line: 12,
        path: "spec.maximumRetryAttempts",
        code: "WidgetNoRetries",
        message: "a failed event is never retried",
        kind: "Widget",
        name: "no-failure-path",
      },
    ]);
  });

  it("hashes a manifest by content, not by key order or file position", async () => {
    const a = await loadFake([fixture("tree/a.yaml")]);
    const b = await loadFake([fixture("tree")]);
    expect(a.manifests[0]?.hash).toBe(b.manifests.find((m) => m.name === "alpha")?.hash);
  });
});
