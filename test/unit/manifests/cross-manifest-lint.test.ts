import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadManifests } from "../../../src/manifests/load.js";

/** A failure path given by another manifest (the function's DLQ, or its onFailure) silences the other's warning. */
async function warningsFor(docs: string[]) {
  const dir = await mkdtemp(join(tmpdir(), "retryctl-lint-"));
  await writeFile(join(dir, "m.yaml"), docs.join("---\n"));
  const result = await loadManifests([dir], { defaultRegion: "us-east-1" });
  expect(result.errors).toEqual([]);
  return result.warnings.map((w) => [w.code, w.name, w.line]);
}

const asyncConfig = (fn: string, extra = "") =>
  `apiVersion: retryctl.dev/v1alpha1\nkind: FunctionEventInvokeConfig\nmetadata:\n  name: ${fn}\nspec:\n  functionName: ${fn}\n  maximumRetryAttempts: 1\n${extra}`;
const dlq = (fn: string, target: string) =>
  `apiVersion: retryctl.dev/v1alpha1\nkind: FunctionDeadLetterConfig\nmetadata:\n  name: ${fn}\nspec:\n  functionName: ${fn}\n  targetArn: ${target}\n`;
const QUEUE = "arn:aws:sqs:us-east-1:123456789012:dlq";

describe("lint across manifests", () => {
  it("an async config without onFailure warns when nothing else gives the function a failure path", async () => {
    expect(await warningsFor([asyncConfig("lonely")])).toEqual([["AsyncNoFailureDestination", "lonely", 5]]);
  });

  it("a FunctionDeadLetterConfig for the same function is a failure path", async () => {
    expect(await warningsFor([asyncConfig("covered"), dlq("covered", QUEUE)])).toEqual([]);
  });

  it("a DLQ for another function does not count", async () => {
    expect(await warningsFor([asyncConfig("a"), dlq("b", QUEUE)])).toEqual([
      ["AsyncNoFailureDestination", "a", 5],
    ]);
  });

  it("removing the DLQ warns unless the async config has onFailure", async () => {
    expect(await warningsFor([dlq("gone", "null")])).toEqual([["FunctionDlqRemoved", "gone", 7]]);
    expect(await warningsFor([dlq("gone", "null"), asyncConfig("gone", `  onFailure: ${QUEUE}\n`)])).toEqual(
      [],
    );
  });
});
