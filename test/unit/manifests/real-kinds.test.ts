import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { KINDS } from "../../../src/kinds/registry.js";
import { loadManifests } from "../../../src/manifests/load.js";
import type { LoadResult } from "../../../src/manifests/manifest.js";
import { brief, errorsIn, fixture, warningsIn } from "./helpers.js";

/** The loader with the registered kinds (the default), on fixtures written against their schemas. */
let result: LoadResult;

beforeAll(async () => {
  result = await loadManifests([fixture("real")], { defaultRegion: "us-east-1", cwd: fixture("real") });
});

describe("the registered kinds", () => {
  it("load one valid manifest of every kind with its region and identity key, without warnings", () => {
    const valid = result.manifests.filter((m) => m.source.file === "valid.yaml");
    expect(valid.map((m) => [m.kind.kind, m.name, m.region, m.source.line])).toEqual([
      ["FunctionEventInvokeConfig", "billing", "us-east-1", 2],
      ["FunctionDeadLetterConfig", "billing", "us-east-1", 11],
      ["EventSourceMapping", "billing-stream", "us-east-1", 19],
      ["QueueRedrivePolicy", "billing-work", "eu-west-1", 29],
      ["EventTargetRetryPolicy", "billing-events", "us-east-1", 39],
      ["SubscriptionRedrivePolicy", "billing-topic", "us-east-1", 49],
      ["ScheduleRetryPolicy", "billing-nightly", "us-east-1", 58],
      ["PipeRetryPolicy", "billing-pipe", "us-east-1", 67],
    ]);
    expect(new Set(valid.map((m) => m.kind.kind))).toEqual(new Set(KINDS.map((k) => k.kind)));
    for (const m of valid) expect(m.key.startsWith(`${m.kind.kind}/${m.region}/`)).toBe(true);
    expect(warningsIn(result, "valid.yaml")).toEqual([]);
    expect(errorsIn(result, "valid.yaml")).toEqual([]);
  });

  it("report typos, ranges, source rules and unknown kinds with file, line and field", () => {
    const errors = errorsIn(result, "invalid.yaml").map(brief);
    expect(errors.map(({ line, path }) => ({ line, path }))).toEqual([
      { line: 7, path: "spec.maxRetryAttempts" },
      { line: 15, path: "spec.maximumRetryAttempts" },
      { line: 24, path: "spec.maximumRetryAttempts" },
      { line: 33, path: "spec.maxReceiveCount" },
      { line: 36, path: "kind" },
    ]);
    expect(errors[0]?.message).toBe('unknown field "maxRetryAttempts"; did you mean "maximumRetryAttempts"?');
    expect(errors[1]?.message).toBe("must be between 0 and 2, got 5");
    // SQS sources reject stream-only fields and say where SQS retries live instead (design §1).
    expect(errors[2]?.message).toContain("QueueRedrivePolicy");
    expect(errors[3]?.message).toBe("must be between 1 and 1000, got 0");
    expect(errors[4]?.message).toMatch(
      /^unknown kind "EventSourceMaping"; did you mean "EventSourceMapping"\?/,
    );
    expect(result.manifests.filter((m) => m.source.file === "invalid.yaml")).toEqual([]);
  });

  it("carry the AWS-guidance warnings with their stable codes on the line of the field", () => {
    const warnings = warningsIn(result, "lint.yaml").map(({ line, code, kind, name }) => ({
      line,
      code,
      kind,
      name,
    }));
    expect(warnings).toEqual([
      // No onFailure line to point at: the warning sits on `spec:`.
      {
        line: 5,
        code: "AsyncNoFailureDestination",
        kind: "FunctionEventInvokeConfig",
        name: "no-destination",
      },
      { line: 13, code: "StreamNoFailureDestination", kind: "EventSourceMapping", name: "unbounded-stream" },
      { line: 16, code: "StreamUnboundedRetries", kind: "EventSourceMapping", name: "unbounded-stream" },
      { line: 25, code: "SqsLowMaxReceiveCount", kind: "QueueRedrivePolicy", name: "impatient-queue" },
      { line: 31, code: "EventTargetNoDlq", kind: "EventTargetRetryPolicy", name: "no-dlq" },
    ]);
  });

  it("load the bundled example manifests without errors or warnings", async () => {
    const examples = fileURLToPath(new URL("../../../manifests/", import.meta.url));
    const bundled = await loadManifests([examples], { defaultRegion: "us-east-1" });
    expect(bundled.errors).toEqual([]);
    expect(bundled.warnings).toEqual([]);
    expect(bundled.manifests.length).toBeGreaterThan(0);
  });
});
