import { join } from "node:path";
import {
  GetFunctionEventInvokeConfigCommand,
  PutFunctionEventInvokeConfigCommand,
} from "@aws-sdk/client-lambda";
import { beforeEach, describe, expect, it } from "vitest";
import {
  createFunction,
  createQueue,
  createRule,
  createStream,
  motoEndpoint,
  resetMoto,
  sdk,
} from "../../support/aws.js";
import { cli, manifest, manifestDir, type PlanJson } from "../../support/cli.js";

describe("one resource's failure is its own", () => {
  beforeEach(() => resetMoto());

  it("missing function, mapping, queue, rule and target are errors on those resources only; the rest apply; exit 1", async () => {
    await createFunction("present");
    const stream = await createStream("no-mapping-stream");
    await createRule("rule-without-target");
    const dir = await manifestDir({
      "ok.yaml": manifest("FunctionEventInvokeConfig", "present", {
        functionName: "present",
        maximumRetryAttempts: 1,
      }),
      "missing.yaml": [
        manifest("FunctionEventInvokeConfig", "ghost-fn", { functionName: "ghost", maximumRetryAttempts: 1 }),
        manifest("FunctionDeadLetterConfig", "ghost-dlq", { functionName: "ghost", targetArn: null }),
        manifest("EventSourceMapping", "ghost-mapping", {
          functionName: "present",
          eventSourceArn: stream,
          maximumRetryAttempts: 1,
          onFailure: null,
        }),
        manifest("QueueRedrivePolicy", "ghost-queue", {
          queue: "ghost-queue",
          maxReceiveCount: 5,
          deadLetterQueue: "x",
        }),
        manifest("EventTargetRetryPolicy", "ghost-rule", {
          rule: "ghost-rule",
          targetId: "t",
          maximumRetryAttempts: 1,
          deadLetterQueue: null,
        }),
        manifest("EventTargetRetryPolicy", "ghost-target", {
          rule: "rule-without-target",
          targetId: "t",
          maximumRetryAttempts: 1,
          deadLetterQueue: null,
        }),
      ].join("---\n"),
    });
    const run = await cli("apply", dir, "--endpoint-url", motoEndpoint(), "--output", "json");
    expect(run.code).toBe(1);
    const plan = run.json<PlanJson>();
    const codes = Object.fromEntries(plan.resources.map((r) => [r.name, r.error?.code ?? r.action]));
    expect(codes).toEqual({
      present: "create",
      "ghost-fn": "FunctionNotFound",
      "ghost-dlq": "FunctionNotFound",
      "ghost-mapping": "MappingNotFound",
      "ghost-queue": "QueueNotFound",
      "ghost-rule": "RuleNotFound",
      "ghost-target": "TargetNotFound",
    });
    const config = await sdk().lambda.send(
      new GetFunctionEventInvokeConfigCommand({ FunctionName: "present" }),
    );
    expect(config.MaximumRetryAttempts).toBe(1);
  });

  it("an invalid manifest is reported with file and line while the valid ones apply; exit 1", async () => {
    await createFunction("valid-fn");
    const dir = await manifestDir({
      "good.yaml": manifest("FunctionEventInvokeConfig", "valid-fn", {
        functionName: "valid-fn",
        maximumRetryAttempts: 0,
      }),
      "bad.yaml":
        "apiVersion: retryctl.dev/v1alpha1\nkind: FunctionEventInvokeConfig\nmetadata:\n  name: bad\nspec:\n  functionName: valid-fn\n  maxRetryAttempts: 1\n",
    });
    const run = await cli("apply", dir, "--endpoint-url", motoEndpoint(), "--output", "json");
    expect(run.code).toBe(1);
    const doc = run.json<
      PlanJson & { manifestErrors: { file: string; line: number; path: string; message: string }[] }
    >();
    expect(doc.manifestErrors).toHaveLength(1);
    // Outside the current directory: named by its absolute path, so it can be opened from here.
    expect(doc.manifestErrors[0]).toMatchObject({ file: join(dir, "bad.yaml"), line: 7 });
    expect(doc.manifestErrors[0]?.message).toContain("maximumRetryAttempts");
    expect(doc.resources.map((r) => [r.name, r.action])).toEqual([["valid-fn", "create"]]);
  });
});

describe("annotations", () => {
  beforeEach(() => resetMoto());

  it("suspend skips the resource (no AWS change); observe reports drift and never writes", async () => {
    const { lambda } = sdk();
    await createFunction("suspended-fn");
    await createFunction("observed-fn");
    for (const fn of ["suspended-fn", "observed-fn"]) {
      await lambda.send(
        new PutFunctionEventInvokeConfigCommand({ FunctionName: fn, MaximumRetryAttempts: 0 }),
      );
    }
    const dir = await manifestDir({
      "a.yaml": [
        manifest(
          "FunctionEventInvokeConfig",
          "suspended-fn",
          { functionName: "suspended-fn", maximumRetryAttempts: 2 },
          { annotations: { "retryctl.dev/suspend": "true" } },
        ),
        manifest(
          "FunctionEventInvokeConfig",
          "observed-fn",
          { functionName: "observed-fn", maximumRetryAttempts: 2 },
          { annotations: { "retryctl.dev/mode": "observe" } },
        ),
      ].join("---\n"),
    });
    const diff = await cli("diff", dir, "--endpoint-url", motoEndpoint(), "--output", "json");
    expect(diff.code).toBe(2);
    const apply = await cli("apply", dir, "--endpoint-url", motoEndpoint(), "--output", "json");
    expect(apply.code).toBe(0);
    const results = apply.json<PlanJson>().resources;
    expect(results.find((r) => r.name === "suspended-fn")).toMatchObject({
      action: "suspended",
      changes: [],
    });
    expect(results.find((r) => r.name === "observed-fn")).toMatchObject({
      action: "observed",
      changes: [{ field: "maximumRetryAttempts", actual: 0, desired: 2 }],
    });
    for (const fn of ["suspended-fn", "observed-fn"]) {
      const config = await lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: fn }));
      expect(config.MaximumRetryAttempts).toBe(0);
    }
  });
});

describe("the bundled manifests", () => {
  it("validate exits 0 without warnings", async () => {
    const run = await cli("validate", "manifests", "--output", "json");
    expect(run.code, run.stdout).toBe(0);
    expect(run.json()).toEqual({
      valid: true,
      errors: [],
      warnings: [],
      policies: [{ name: "payments-defaults", file: "manifests/payments/defaults.yaml", line: 7 }],
    });
  });

  it("text plan shows actual -> desired per field", async () => {
    await resetMoto();
    await createFunction("plan-fn");
    await createQueue("plan-q");
    await sdk().lambda.send(
      new PutFunctionEventInvokeConfigCommand({ FunctionName: "plan-fn", MaximumRetryAttempts: 0 }),
    );
    const dir = await manifestDir({
      "p.yaml": manifest("FunctionEventInvokeConfig", "plan-fn", {
        functionName: "plan-fn",
        maximumRetryAttempts: 1,
      }),
    });
    const run = await cli("diff", dir, "--endpoint-url", motoEndpoint());
    expect(run.code).toBe(2);
    expect(run.stdout).toContain("~ FunctionEventInvokeConfig/plan-fn");
    expect(run.stdout).toContain("maximumRetryAttempts: 0 -> 1");
    expect(run.stdout).toContain("Plan: 0 to create, 1 to update, 0 in sync, 0 errors.");
  });
});
