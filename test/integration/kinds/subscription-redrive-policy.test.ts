import { GetSubscriptionAttributesCommand, SetSubscriptionAttributesCommand } from "@aws-sdk/client-sns";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AwsClients, RequestEvent } from "../../../src/aws/clients.js";
import type { KindContext } from "../../../src/kinds/kind.js";
import { subscriptionRedrivePolicy as kind } from "../../../src/kinds/subscription-redrive-policy.js";
import {
  createFunction,
  createQueue,
  createTopic,
  resetMoto,
  sdk,
  subscribe,
  TEST_REGION,
  testAwsClients,
} from "../../support/aws.js";
import { cli, manifest, manifestDir } from "../../support/cli.js";
import { desired, readState } from "../../support/kinds.js";

let aws: AwsClients;
let requests: RequestEvent[];
let ctx: KindContext;
const calls = (operation: string) => requests.filter((r) => r.operation === operation).length;

describe("SubscriptionRedrivePolicy against moto", () => {
  beforeEach(async () => {
    await resetMoto();
    ({ aws, requests } = testAwsClients());
    ctx = { aws, log: pino({ level: "silent" }) };
  });
  afterEach(() => aws.destroy());

  it("reads every subscription of a topic named by endpoint with one ListSubscriptionsByTopic", async () => {
    const topic = await createTopic("orders");
    const endpoints = [];
    for (const name of ["a", "b", "c"]) endpoints.push(await createFunction(`sub-${name}`));
    for (const fn of endpoints) await subscribe(topic, fn);
    const byArn = await subscribe(await createTopic("audit"), endpoints[0] as string);
    const resources = [
      ...endpoints.map((fn, i) => desired(kind, { topicArn: topic, endpoint: fn }, TEST_REGION, `s${i}`)),
      desired(
        kind,
        { topicArn: topic, endpoint: "arn:aws:lambda:us-east-1:123456789012:function:none" },
        TEST_REGION,
        "x",
      ),
      desired(kind, { subscriptionArn: byArn }, TEST_REGION, "arn"),
    ];
    const result = await kind.read(ctx, resources);
    expect(calls("ListSubscriptionsByTopic")).toBe(1);
    expect(calls("GetSubscriptionAttributes")).toBe(4);
    for (const r of resources.slice(0, 3))
      expect(result.get(r.identity)).toMatchObject({ deadLetterQueue: null });
    expect(result.get(resources[3]?.identity ?? "")).toMatchObject({ code: "SubscriptionNotFound" });
    expect(result.get(resources[4]?.identity ?? "")).toMatchObject({ subscriptionArn: byArn });
  });

  it("removal leaves no RedrivePolicy on the subscription", async () => {
    const topic = await createTopic("orders");
    const fn = await createFunction("sub-fn");
    const dlq = await createQueue("sub-dlq");
    const sub = await subscribe(topic, fn);
    await sdk().sns.send(
      new SetSubscriptionAttributesCommand({
        SubscriptionArn: sub,
        AttributeName: "RedrivePolicy",
        AttributeValue: JSON.stringify({ deadLetterTargetArn: dlq.arn }),
      }),
    );
    const resource = desired(kind, { subscriptionArn: sub, deadLetterQueue: null }, TEST_REGION);
    const before = await readState(kind, ctx, resource);
    const changes = kind.diff(resource.spec, before);
    expect(changes).toEqual([{ field: "deadLetterQueue", actual: dlq.arn, desired: null }]);
    await kind.apply(ctx, resource, before, changes);
    const out = await sdk().sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: sub }));
    expect(out.Attributes).not.toHaveProperty("RedrivePolicy");
    expect(kind.diff(resource.spec, await readState(kind, ctx, resource))).toEqual([]);
  });

  it("a DLQ in another region is rejected offline: validate fails naming the field, diff makes no AWS call", async () => {
    const topic = "arn:aws:sns:us-east-1:123456789012:orders";
    const dir = await manifestDir({
      "sub.yaml": manifest("SubscriptionRedrivePolicy", "orders", {
        topicArn: topic,
        endpoint: "arn:aws:lambda:us-east-1:123456789012:function:f",
        deadLetterQueue: "arn:aws:sqs:eu-west-1:123456789012:orders-dlq",
      }),
    });
    const validated = await cli("validate", dir, "--output", "json");
    expect(validated.code).toBe(1);
    const errors = validated.json<{ errors: { path: string; message: string; line: number }[] }>().errors;
    expect(errors).toEqual([
      expect.objectContaining({
        path: "spec.deadLetterQueue",
        message: expect.stringContaining("is in region eu-west-1, but the topic is in region us-east-1"),
      }),
    ]);
    expect(errors[0]?.line).toBeGreaterThan(1);
  });

  it("a topic that does not exist is TopicNotFound on that topic's resources", async () => {
    const resource = desired(
      kind,
      {
        topicArn: "arn:aws:sns:us-east-1:123456789012:gone",
        endpoint: "arn:aws:sqs:us-east-1:123456789012:q",
      },
      TEST_REGION,
    );
    const result = await kind.read(ctx, [resource]);
    expect(result.get(resource.identity)).toMatchObject({ code: "TopicNotFound", retry: "terminal" });
  });
});
