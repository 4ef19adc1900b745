import { PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { createQueue, sdk, TEST_ACCOUNT } from "../../support/aws.js";
import { attachRule } from "../../support/cloudtrail.js";
import { usePatchedAndVanillaMoto } from "../../support/vanilla.js";

// Fidelity patch test/backend/fidelity/event_delivery.py: a rule's SQS target gets the whole
// EventBridge envelope, `account` included (EventBridge User Guide, event structure reference).

const servers = usePatchedAndVanillaMoto();

async function deliveredEnvelope(endpoint: string): Promise<Record<string, unknown>> {
  const queue = await createQueue("delivery-target", {}, endpoint);
  await attachRule(queue.arn, "delivery-rule", endpoint);
  const { events, sqs } = sdk(endpoint);
  // moto accepts an `aws.*` source from PutEvents (AWS does not): it stands in for CloudTrail here.
  await events.send(
    new PutEventsCommand({
      Entries: [
        {
          Source: "aws.sqs",
          DetailType: "AWS API Call via CloudTrail",
          Detail: JSON.stringify({ eventSource: "sqs.amazonaws.com", eventName: "SetQueueAttributes" }),
        },
      ],
    }),
  );
  const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.url, WaitTimeSeconds: 2 }));
  expect(out.Messages).toHaveLength(1);
  return JSON.parse(out.Messages?.[0]?.Body ?? "{}") as Record<string, unknown>;
}

describe("EventBridge delivery to an SQS target (fidelity patch)", () => {
  it("carries the whole envelope, account included, on patched moto", async () => {
    const body = await deliveredEnvelope(servers.patched());
    expect(Object.keys(body).sort()).toEqual(
      ["account", "detail", "detail-type", "id", "region", "resources", "source", "time", "version"].sort(),
    );
    expect(body).toMatchObject({ account: TEST_ACCOUNT, region: "us-east-1", source: "aws.sqs" });
    expect(body.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it("lacks the account on vanilla moto", async () => {
    const body = await deliveredEnvelope(servers.vanilla());
    expect(body.account).toBeUndefined();
  });
});
