import { ListTargetsByRuleCommand, type Target } from "@aws-sdk/client-eventbridge";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AwsClients, RequestEvent } from "../../../src/aws/clients.js";
import {
  type EventTargetRetryPolicyActual,
  type EventTargetRetryPolicySpec,
  eventTargetRetryPolicy,
} from "../../../src/kinds/event-target-retry-policy.js";
import type { DesiredResource, KindContext } from "../../../src/kinds/kind.js";
import {
  createQueue,
  createRule,
  putTarget,
  resetMoto,
  sdk,
  TEST_REGION,
  testAwsClients,
} from "../../support/aws.js";
import { readState } from "../../support/kinds.js";

const kind = eventTargetRetryPolicy;
let aws: AwsClients;
let requests: RequestEvent[];
let ctx: KindContext;
let targetArn: string;
let dlqArn: string;

function desired(spec: Record<string, unknown>, name = "t"): DesiredResource<EventTargetRetryPolicySpec> {
  const parsed = kind.specSchema.parse(spec);
  return { name, region: TEST_REGION, identity: kind.identity(parsed, TEST_REGION), spec: parsed };
}

function readOne(
  resource: DesiredResource<EventTargetRetryPolicySpec>,
): Promise<EventTargetRetryPolicyActual> {
  return readState(kind, ctx, resource);
}

/** The target as a second, independent client sees it. */
async function rawTarget(rule: string, id: string, bus?: string): Promise<Target | undefined> {
  const out = await sdk().events.send(new ListTargetsByRuleCommand({ Rule: rule, EventBusName: bus }));
  return out.Targets?.find((t) => t.Id === id);
}

async function reconcile(resource: DesiredResource<EventTargetRetryPolicySpec>) {
  const before = await readOne(resource);
  const changes = kind.diff(resource.spec, before);
  await kind.apply(ctx, resource, before, changes);
  const after = await readOne(resource);
  return { before, changes, after, remaining: kind.diff(resource.spec, after) };
}

const calls = (operation: string) => requests.filter((r) => r.operation === operation).length;

describe("EventTargetRetryPolicy against moto", () => {
  beforeEach(async () => {
    await resetMoto();
    ({ aws, requests } = testAwsClients());
    ctx = { aws, log: pino({ level: "silent" }) };
    targetArn = (await createQueue("events-target")).arn;
    dlqArn = (await createQueue("events-dlq")).arn;
  });

  afterEach(() => {
    aws.destroy();
  });

  it("finds drift made by hand, repairs exactly it and keeps the rest of the target", async () => {
    await createRule("orders-rule");
    const original: Target = {
      Id: "orders",
      Arn: targetArn,
      RoleArn: "arn:aws:iam::123456789012:role/events-invoke",
      Input: '{"source":"retryctl"}',
      SqsParameters: { MessageGroupId: "group-1" },
      RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 3600 },
      DeadLetterConfig: { Arn: dlqArn },
    };
    await putTarget("orders-rule", original);
    const resource = desired({
      rule: "orders-rule",
      targetId: "orders",
      maximumRetryAttempts: 4,
      maximumEventAgeInSeconds: 3600,
      deadLetterQueue: dlqArn,
    });
    expect(kind.diff(resource.spec, await readOne(resource))).toEqual([]);

    await putTarget("orders-rule", { ...original, RetryPolicy: { MaximumRetryAttempts: 50 } });
    const { changes, remaining } = await reconcile(resource);
    expect(changes).toEqual([
      { field: "maximumRetryAttempts", actual: 50, desired: 4 },
      { field: "maximumEventAgeInSeconds", actual: 86400, desired: 3600 },
    ]);
    expect(remaining).toEqual([]);
    expect(await rawTarget("orders-rule", "orders")).toEqual(original);
  });

  it("re-reads the target just before PutTargets: an Input and RoleArn changed after the batch read survive", async () => {
    await createRule("orders-rule");
    await putTarget("orders-rule", { Id: "orders", Arn: targetArn, Input: '{"v":1}' });
    const resource = desired({ rule: "orders-rule", targetId: "orders", maximumRetryAttempts: 3 });
    const actual = await readOne(resource);
    const changes = kind.diff(resource.spec, actual);
    // A deploy changes fields retryctl does not manage between its read and its write.
    const changed: Target = {
      Id: "orders",
      Arn: targetArn,
      Input: '{"v":2}',
      RoleArn: "arn:aws:iam::123456789012:role/events-invoke",
    };
    await putTarget("orders-rule", changed);
    requests.length = 0;
    await kind.apply(ctx, resource, actual, changes);
    expect(requests.map((r) => r.operation)).toEqual(["ListTargetsByRule", "PutTargets"]);
    expect(await rawTarget("orders-rule", "orders")).toEqual({
      ...changed,
      RetryPolicy: { MaximumRetryAttempts: 3 },
    });
  });

  it("writes nothing when the re-read finds the target already as the manifest asks", async () => {
    await createRule("orders-rule");
    await putTarget("orders-rule", { Id: "orders", Arn: targetArn });
    const resource = desired({ rule: "orders-rule", targetId: "orders", maximumRetryAttempts: 3 });
    const actual = await readOne(resource);
    await putTarget("orders-rule", {
      Id: "orders",
      Arn: targetArn,
      RetryPolicy: { MaximumRetryAttempts: 3 },
    });
    requests.length = 0;
    await kind.apply(ctx, resource, actual, kind.diff(resource.spec, actual));
    expect(requests.map((r) => r.operation)).toEqual(["ListTargetsByRule"]);
  });

  it("changes the retry policy of a target with an input transformer and keeps the transformer", async () => {
    await createRule("orders-rule");
    const original: Target = {
      Id: "shaped",
      Arn: targetArn,
      InputTransformer: { InputPathsMap: { id: "$.detail.id" }, InputTemplate: '{"id": <id>}' },
    };
    await putTarget("orders-rule", original);
    const resource = desired({
      rule: "orders-rule",
      targetId: "shaped",
      maximumRetryAttempts: 2,
      deadLetterQueue: dlqArn,
    });
    const { changes, remaining } = await reconcile(resource);
    expect(changes.map((c) => c.field)).toEqual(["maximumRetryAttempts", "deadLetterQueue"]);
    expect(remaining).toEqual([]);
    expect(await rawTarget("orders-rule", "shaped")).toEqual({
      ...original,
      RetryPolicy: { MaximumRetryAttempts: 2 },
      DeadLetterConfig: { Arn: dlqArn },
    });
  });

  it("deadLetterQueue: null removes the DLQ; omitted retry fields stay as they are", async () => {
    await createRule("orders-rule");
    await putTarget("orders-rule", {
      Id: "orders",
      Arn: targetArn,
      Input: "{}",
      RetryPolicy: { MaximumRetryAttempts: 7, MaximumEventAgeInSeconds: 600 },
      DeadLetterConfig: { Arn: dlqArn },
    });
    const { changes, remaining } = await reconcile(
      desired({ rule: "orders-rule", targetId: "orders", deadLetterQueue: null }),
    );
    expect(changes).toEqual([{ field: "deadLetterQueue", actual: dlqArn, desired: null }]);
    expect(remaining).toEqual([]);
    expect(await rawTarget("orders-rule", "orders")).toEqual({
      Id: "orders",
      Arn: targetArn,
      Input: "{}",
      RetryPolicy: { MaximumRetryAttempts: 7, MaximumEventAgeInSeconds: 600 },
    });
  });

  it("null retry fields go back to the AWS defaults and read back as no change", async () => {
    await createRule("orders-rule");
    await putTarget("orders-rule", {
      Id: "orders",
      Arn: targetArn,
      RetryPolicy: { MaximumRetryAttempts: 7, MaximumEventAgeInSeconds: 600 },
    });
    const resource = desired({
      rule: "orders-rule",
      targetId: "orders",
      maximumRetryAttempts: null,
      maximumEventAgeInSeconds: null,
    });
    const { changes, after, remaining } = await reconcile(resource);
    expect(changes).toEqual([
      { field: "maximumRetryAttempts", actual: 7, desired: 185 },
      { field: "maximumEventAgeInSeconds", actual: 600, desired: 86400 },
    ]);
    expect(remaining).toEqual([]);
    expect(after.target.RetryPolicy?.MaximumRetryAttempts ?? 185).toBe(185);
  });

  it("reads every target of a rule with one ListTargetsByRule, missing target on its own resource only", async () => {
    await createRule("orders-rule");
    await createRule("other-rule");
    for (const id of ["a", "b", "c"]) await putTarget("orders-rule", { Id: id, Arn: targetArn });
    await putTarget("other-rule", { Id: "a", Arn: targetArn, RetryPolicy: { MaximumRetryAttempts: 1 } });
    const resources = [
      desired({ rule: "orders-rule", targetId: "a", maximumRetryAttempts: 3 }, "a"),
      desired({ rule: "orders-rule", targetId: "b", maximumRetryAttempts: 3 }, "b"),
      desired({ rule: "orders-rule", eventBusName: "default", targetId: "c", maximumRetryAttempts: 3 }, "c"),
      desired({ rule: "orders-rule", targetId: "gone", maximumRetryAttempts: 3 }, "gone"),
      desired({ rule: "other-rule", targetId: "a", maximumRetryAttempts: 3 }, "other"),
    ];
    const result = await kind.read(ctx, resources);
    expect(calls("ListTargetsByRule")).toBe(2);
    for (const id of ["a", "b", "c"]) {
      const r = result.get(`us-east-1/default/orders-rule/${id}`);
      expect(r).toMatchObject({ target: { Id: id, Arn: targetArn } });
    }
    expect(result.get("us-east-1/default/orders-rule/gone")).toMatchObject({
      code: "TargetNotFound",
      retry: "terminal",
    });
    expect(result.get("us-east-1/default/other-rule/a")).toMatchObject({
      target: { RetryPolicy: { MaximumRetryAttempts: 1 } },
    });
  });

  it("a missing rule is an error on that rule's resources only", async () => {
    await createRule("present-rule");
    await putTarget("present-rule", { Id: "t", Arn: targetArn });
    const missing = desired({ rule: "absent-rule", targetId: "t" }, "m");
    const present = desired({ rule: "present-rule", targetId: "t" }, "p");
    const result = await kind.read(ctx, [missing, present]);
    expect(result.get(missing.identity)).toMatchObject({ code: "RuleNotFound", retry: "terminal" });
    expect(result.get(present.identity)).toMatchObject({ target: { Id: "t" } });
  });

  it("works on a custom bus named by ARN", async () => {
    await createRule("bus-rule", "orders-bus");
    await putTarget("bus-rule", { Id: "t", Arn: targetArn, Input: '{"k":1}' }, "orders-bus");
    const resource = desired({
      rule: "bus-rule",
      eventBusName: "arn:aws:events:us-east-1:123456789012:event-bus/orders-bus",
      targetId: "t",
      maximumEventAgeInSeconds: 120,
    });
    expect(resource.identity).toBe("us-east-1:123456789012/orders-bus/bus-rule/t");
    const { remaining } = await reconcile(resource);
    expect(remaining).toEqual([]);
    expect(await rawTarget("bus-rule", "t", "orders-bus")).toEqual({
      Id: "t",
      Arn: targetArn,
      Input: '{"k":1}',
      RetryPolicy: { MaximumEventAgeInSeconds: 120 },
    });
  });
});
