import { describe, expect, it } from "vitest";
import { explainTargets } from "../../../src/explain/targets.js";
import { loadManifests } from "../../../src/manifests/load.js";
import { cli, manifest, manifestDir } from "../../support/cli.js";

const FN_ARN = "arn:aws:lambda:eu-west-1:222222222222:function:orders";

async function targets(docs: string[], only?: string) {
  const dir = await manifestDir({ "m.yaml": docs.join("---\n") });
  const load = await loadManifests([dir], { defaultRegion: "us-east-1" });
  expect(load.errors).toEqual([]);
  return explainTargets(load.manifests, only).map(({ via, ...t }) => ({ ...t, kind: via.kind.kind }));
}

describe("explainTargets", () => {
  it("takes each function a manifest is about once, in manifest order, with its account and how to address it", async () => {
    const found = await targets([
      manifest("FunctionEventInvokeConfig", "a", { functionName: "notifier", maximumRetryAttempts: 1 }),
      manifest("FunctionDeadLetterConfig", "b", { functionName: "notifier", targetArn: null }),
      manifest("EventSourceMapping", "c", {
        functionName: "streamer:live",
        eventSourceArn: "arn:aws:kinesis:us-east-1:123456789012:stream/s",
      }),
      manifest("SubscriptionRedrivePolicy", "d", {
        region: "eu-west-1",
        topicArn: "arn:aws:sns:eu-west-1:222222222222:t",
        endpoint: FN_ARN,
        deadLetterQueue: null,
      }),
      // An SQS endpoint names no function; a rule names its targets only in AWS.
      manifest("SubscriptionRedrivePolicy", "e", {
        topicArn: "arn:aws:sns:us-east-1:123456789012:t",
        endpoint: "arn:aws:sqs:us-east-1:123456789012:q",
        deadLetterQueue: null,
      }),
      manifest("EventTargetRetryPolicy", "f", { rule: "r", targetId: "t", deadLetterQueue: null }),
      manifest("FunctionEventInvokeConfig", "g", {
        functionName: "notifier",
        account: "333333333333",
        maximumRetryAttempts: 0,
      }),
    ]);
    expect(found).toEqual([
      {
        region: "us-east-1",
        functionName: "notifier",
        address: "notifier",
        kind: "FunctionEventInvokeConfig",
      },
      { region: "us-east-1", functionName: "streamer", address: "streamer", kind: "EventSourceMapping" },
      {
        region: "eu-west-1",
        functionName: "orders",
        account: "222222222222",
        address: "arn:aws:lambda:eu-west-1:222222222222:function:orders",
        kind: "SubscriptionRedrivePolicy",
      },
      {
        region: "us-east-1",
        functionName: "notifier",
        account: "333333333333",
        address: "notifier",
        kind: "FunctionEventInvokeConfig",
      },
    ]);
  });

  it("--function keeps the function named by name or ARN", async () => {
    const docs = [
      manifest("FunctionEventInvokeConfig", "a", { functionName: "notifier", maximumRetryAttempts: 1 }),
      manifest("FunctionDeadLetterConfig", "b", { functionName: "other", targetArn: null }),
    ];
    expect((await targets(docs, "other")).map((t) => t.functionName)).toEqual(["other"]);
    expect(
      (await targets(docs, "arn:aws:lambda:us-east-1:123456789012:function:notifier")).map(
        (t) => t.functionName,
      ),
    ).toEqual(["notifier"]);
    expect(await targets(docs, "nobody")).toEqual([]);
  });
});

describe("explain on the command line, before any AWS call", () => {
  it("--function naming no manifest's function is an error (exit 1)", async () => {
    const dir = await manifestDir({
      "m.yaml": manifest("FunctionDeadLetterConfig", "b", { functionName: "other", targetArn: null }),
    });
    const run = await cli(
      "explain",
      dir,
      "--function",
      "nobody",
      "--region",
      "us-east-1",
      "--endpoint-url",
      "http://127.0.0.1:9",
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`retryctl: no manifest or fleet policy in ${dir} names function nobody\n`);
  });

  it("--output mermaid is refused by the commands that print plans", async () => {
    const dir = await manifestDir({});
    for (const command of ["validate", "diff", "apply"]) {
      const run = await cli(command, dir, "--output", "mermaid");
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`--output mermaid is only for explain; ${command} prints text or json`);
    }
  });
});
