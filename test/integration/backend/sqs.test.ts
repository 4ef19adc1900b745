import { GetQueueAttributesCommand, SetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { createQueue, sdk } from "../../support/aws.js";
import { usePatchedAndVanillaMoto } from "../../support/vanilla.js";

// SQS as recorded against AWS (aws-recorded-behaviour.md §6). Vanilla moto 5.2.5
// already answers so, which is why there is no SQS fidelity patch: these pin it on
// both servers, so neither a patch nor a moto pin move can change it unnoticed.

const servers = usePatchedAndVanillaMoto();

/** One SQS JSON 1.0 call without the SDK, to see the status, headers and body AWS would send. */
async function sqsWire(endpoint: string, operation: string, body: unknown) {
  const res = await fetch(endpoint, {
    method: "POST",
    headers: {
      "content-type": "application/x-amz-json-1.0",
      "x-amz-target": `AmazonSQS.${operation}`,
      "x-amzn-query-mode": "true",
      authorization:
        "AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0",
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, queryError: res.headers.get("x-amzn-query-error"), body: await res.json() };
}

describe("SQS redrive policy and errors (recorded shapes, no patch needed)", () => {
  it("maxReceiveCount reads back as a JSON number, also when it was written as a string", async () => {
    for (const endpoint of [servers.patched(), servers.vanilla()]) {
      const { sqs } = sdk(endpoint);
      const dlq = await createQueue("rp-dlq", {}, endpoint);
      const queue = await createQueue("rp-src", {}, endpoint);
      for (const count of [7, "42"]) {
        await sqs.send(
          new SetQueueAttributesCommand({
            QueueUrl: queue.url,
            Attributes: {
              RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: count }),
            },
          }),
        );
        const out = await sqs.send(
          new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ["RedrivePolicy"] }),
        );
        expect(JSON.parse(out.Attributes?.RedrivePolicy ?? "{}")).toEqual({
          deadLetterTargetArn: dlq.arn,
          maxReceiveCount: Number(count),
        });
      }
    }
  });

  it('RedrivePolicy "" removes it: the key is gone from GetQueueAttributes All', async () => {
    for (const endpoint of [servers.patched(), servers.vanilla()]) {
      const { sqs } = sdk(endpoint);
      const dlq = await createQueue("rm-dlq", {}, endpoint);
      const queue = await createQueue("rm-src", {}, endpoint);
      await sqs.send(
        new SetQueueAttributesCommand({
          QueueUrl: queue.url,
          Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 5 }) },
        }),
      );
      await sqs.send(
        new SetQueueAttributesCommand({ QueueUrl: queue.url, Attributes: { RedrivePolicy: "" } }),
      );
      const out = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ["All"] }),
      );
      expect(out.Attributes).toBeDefined();
      expect("RedrivePolicy" in (out.Attributes ?? {})).toBe(false);
    }
  });

  it("errors are HTTP 400 with the shape in __type and the query code ;Sender in x-amzn-query-error", async () => {
    for (const endpoint of [servers.patched(), servers.vanilla()]) {
      const queue = await createQueue("err-q", {}, endpoint);
      const missing = await sqsWire(endpoint, "GetQueueAttributes", {
        QueueUrl: `${queue.url}-missing`,
        AttributeNames: ["All"],
      });
      expect(missing).toMatchObject({
        status: 400,
        queryError: "AWS.SimpleQueueService.NonExistentQueue;Sender",
        body: { __type: "com.amazonaws.sqs#QueueDoesNotExist" },
      });
      const unknown = await sqsWire(endpoint, "GetQueueAttributes", {
        QueueUrl: queue.url,
        AttributeNames: ["Bogus"],
      });
      expect(unknown).toMatchObject({
        status: 400,
        queryError: "InvalidAttributeName;Sender",
        body: { __type: "com.amazonaws.sqs#InvalidAttributeName" },
      });
      await expect(
        sdk(endpoint).sqs.send(
          new GetQueueAttributesCommand({ QueueUrl: `${queue.url}-missing`, AttributeNames: ["All"] }),
        ),
      ).rejects.toMatchObject({
        name: "QueueDoesNotExist",
        $metadata: { httpStatusCode: 400 },
        Error: { Code: "AWS.SimpleQueueService.NonExistentQueue", Type: "Sender" },
      });
    }
  });
});
