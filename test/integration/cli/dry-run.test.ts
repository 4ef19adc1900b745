import {
  GetFunctionEventInvokeConfigCommand,
  PutFunctionEventInvokeConfigCommand,
} from "@aws-sdk/client-lambda";
import { beforeEach, describe, expect, it } from "vitest";
import { createFunction, createQueue, motoEndpoint, resetMoto, sdk } from "../../support/aws.js";
import { cli, manifest, manifestDir, type PlanJson } from "../../support/cli.js";

/** `apply --dry-run` changes nothing, says "would", and exits like `diff` (design §13). */
describe("apply --dry-run", () => {
  let dir: string;
  beforeEach(async () => {
    await resetMoto();
    const q = await createQueue("failed");
    await createFunction("drifted");
    await createFunction("bare");
    await sdk().lambda.send(
      new PutFunctionEventInvokeConfigCommand({ FunctionName: "drifted", MaximumRetryAttempts: 0 }),
    );
    dir = await manifestDir({
      "m.yaml": [
        manifest("FunctionEventInvokeConfig", "drifted", {
          functionName: "drifted",
          maximumRetryAttempts: 1,
          onFailure: q.arn,
        }),
        manifest("FunctionEventInvokeConfig", "bare", {
          functionName: "bare",
          maximumRetryAttempts: 1,
          onFailure: q.arn,
        }),
      ].join("---\n"),
    });
  });

  async function retriesOf(fn: string): Promise<number | undefined> {
    try {
      const got = await sdk().lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: fn }));
      return got.MaximumRetryAttempts;
    } catch {
      return undefined;
    }
  }

  it("text: would update / would create, exit 2, nothing changed in AWS", async () => {
    const run = await cli("apply", dir, "--dry-run", "--endpoint-url", motoEndpoint());
    expect(run.code, run.stdout + run.stderr).toBe(2);
    expect(run.stdout).toMatch(
      /^~ FunctionEventInvokeConfig\/drifted \(us-east-1, \/\S*\/m\.yaml:1\) would update$/m,
    );
    expect(run.stdout).toMatch(
      /^\+ FunctionEventInvokeConfig\/bare \(us-east-1, \/\S*\/m\.yaml:\d+\) would create$/m,
    );
    expect(run.stdout).toContain(
      "Dry run, nothing changed: 1 would create, 1 would update, 0 in sync, 0 errors.",
    );
    expect(run.stdout).not.toMatch(/\b(updated|created)\b/);
    expect(await retriesOf("drifted")).toBe(0);
    expect(await retriesOf("bare")).toBeUndefined();
  });

  it("JSON: the action stays create/update with applied: false; exit 2", async () => {
    const run = await cli("apply", dir, "--dry-run", "--endpoint-url", motoEndpoint(), "--output", "json");
    expect(run.code).toBe(2);
    const doc = run.json<PlanJson>();
    expect(doc.resources.map((r) => [r.name, r.action, r.applied])).toEqual([
      ["drifted", "update", false],
      ["bare", "create", false],
    ]);
    expect(doc.summary).toMatchObject({ create: 1, update: 1, none: 0, error: 0 });
  });

  it("exits 0 once in sync and 1 on an error, as diff does", async () => {
    const applied = await cli("apply", dir, "--endpoint-url", motoEndpoint());
    expect(applied.code, applied.stdout).toBe(0);
    const inSync = await cli("apply", dir, "--dry-run", "--endpoint-url", motoEndpoint());
    expect(inSync.code, inSync.stdout).toBe(0);
    expect(inSync.stdout).toContain(
      "Dry run, nothing changed: 0 would create, 0 would update, 2 in sync, 0 errors.",
    );
    const ghost = await manifestDir({
      "g.yaml": manifest("FunctionEventInvokeConfig", "ghost", {
        functionName: "ghost",
        maximumRetryAttempts: 1,
      }),
    });
    const failed = await cli("apply", ghost, "--dry-run", "--endpoint-url", motoEndpoint());
    expect(failed.code).toBe(1);
    const diff = await cli("diff", ghost, "--endpoint-url", motoEndpoint());
    expect(diff.code).toBe(1);
  });

  it("a real apply still says created/updated and applied: true", async () => {
    const run = await cli("apply", dir, "--endpoint-url", motoEndpoint(), "--output", "json");
    expect(run.code).toBe(0);
    const doc = run.json<PlanJson>();
    expect(doc.resources.map((r) => [r.action, r.applied])).toEqual([
      ["update", true],
      ["create", true],
    ]);
    expect(await retriesOf("drifted")).toBe(1);
  });
});
