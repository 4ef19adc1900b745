import { ListTargetsByRuleCommand } from "@aws-sdk/client-eventbridge";
import { GetAliasCommand, GetFunctionCommand, ListEventSourceMappingsCommand } from "@aws-sdk/client-lambda";
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { beforeEach, describe, expect, it } from "vitest";
import {
  createFunction,
  createMapping,
  createQueue,
  createRule,
  createStream,
  createTableStream,
  publishVersionAndAlias,
  putTarget,
  resetMoto,
  sdk,
  testAwsClients,
} from "../../support/aws.js";

describe("test backend seeding helpers", () => {
  beforeEach(async () => {
    await resetMoto();
  });

  it("creates a function with timeout and alias", async () => {
    const arn = await createFunction("seed-fn", { timeout: 30 });
    expect(arn).toBe("arn:aws:lambda:us-east-1:123456789012:function:seed-fn");
    const got = await sdk().lambda.send(new GetFunctionCommand({ FunctionName: "seed-fn" }));
    expect(got.Configuration?.Timeout).toBe(30);
    const { version, aliasArn } = await publishVersionAndAlias("seed-fn", "live");
    expect(version).toBe("1");
    expect(aliasArn).toBe(`${arn}:live`);
    const alias = await sdk().lambda.send(new GetAliasCommand({ FunctionName: "seed-fn", Name: "live" }));
    expect(alias.FunctionVersion).toBe("1");
  });

  it("creates the IAM role again after a reset", async () => {
    await createFunction("before-reset");
    await resetMoto();
    await expect(createFunction("after-reset")).resolves.toMatch(/:function:after-reset$/);
  });

  it("creates queues, streams, tables and mappings on each source type", async () => {
    await createFunction("esm-fn");
    const queue = await createQueue("seed-q", { VisibilityTimeout: "60" });
    expect(queue.arn).toBe("arn:aws:sqs:us-east-1:123456789012:seed-q");
    const attrs = await sdk().sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ["VisibilityTimeout"] }),
    );
    expect(attrs.Attributes?.VisibilityTimeout).toBe("60");
    const fifo = await createQueue("seed.fifo");
    expect(fifo.arn).toMatch(/:seed\.fifo$/);

    const stream = await createStream("seed-stream");
    expect(stream).toMatch(/^arn:aws:kinesis:us-east-1:123456789012:stream\/seed-stream$/);
    const tableStream = await createTableStream("seed-table");
    expect(tableStream).toMatch(/^arn:aws:dynamodb:us-east-1:123456789012:table\/seed-table\/stream\//);

    const uuids = [
      await createMapping("esm-fn", queue.arn, { BatchSize: 5 }),
      await createMapping("esm-fn", stream),
      await createMapping("esm-fn", tableStream, { StartingPosition: "TRIM_HORIZON" }),
    ];
    const listed = await sdk().lambda.send(new ListEventSourceMappingsCommand({ FunctionName: "esm-fn" }));
    expect(listed.EventSourceMappings?.map((m) => m.UUID).sort()).toEqual([...uuids].sort());
  });

  it("creates rules on the default and a custom bus and puts targets", async () => {
    const queue = await createQueue("target-q");
    const ruleArn = await createRule("seed-rule");
    expect(ruleArn).toBe("arn:aws:events:us-east-1:123456789012:rule/seed-rule");
    await putTarget("seed-rule", { Id: "t1", Arn: queue.arn, RetryPolicy: { MaximumRetryAttempts: 3 } });
    const custom = await createRule("bus-rule", "seed-bus");
    expect(custom).toBe("arn:aws:events:us-east-1:123456789012:rule/seed-bus/bus-rule");
    await putTarget("bus-rule", { Id: "t2", Arn: queue.arn }, "seed-bus");
    const targets = await sdk().events.send(new ListTargetsByRuleCommand({ Rule: "seed-rule" }));
    expect(targets.Targets?.[0]?.RetryPolicy?.MaximumRetryAttempts).toBe(3);
    const busTargets = await sdk().events.send(
      new ListTargetsByRuleCommand({ Rule: "bus-rule", EventBusName: "seed-bus" }),
    );
    expect(busTargets.Targets?.map((t) => t.Id)).toEqual(["t2"]);
  });

  it("wires retryctl's AwsClients to moto and records each request", async () => {
    await createFunction("counted-fn");
    const { aws, requests } = testAwsClients();
    const got = await aws.lambda("us-east-1").send(new GetFunctionCommand({ FunctionName: "counted-fn" }));
    expect(got.Configuration?.FunctionName).toBe("counted-fn");
    await expect(
      aws.lambda("us-east-1").send(new GetFunctionCommand({ FunctionName: "missing-fn" })),
    ).rejects.toMatchObject({ name: "ResourceNotFoundException" });
    expect(requests).toEqual([
      { service: "lambda", operation: "GetFunction", region: "us-east-1", outcome: "success" },
      {
        service: "lambda",
        operation: "GetFunction",
        region: "us-east-1",
        outcome: "error",
        errorName: "ResourceNotFoundException",
      },
    ]);
    aws.destroy();
  });
});
