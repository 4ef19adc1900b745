import { ListTargetsByRuleCommand, PutTargetsCommand } from "@aws-sdk/client-eventbridge";
import { describe, expect, it } from "vitest";
import { createQueue, createRule, putTarget, sdk } from "../../support/aws.js";
import { usePatchedAndVanillaMoto } from "../../support/vanilla.js";

// Fidelity patch test/backend/fidelity/events.py, against the responses recorded
// against AWS (aws-recorded-behaviour.md §7).

const servers = usePatchedAndVanillaMoto();
const RULE = "ev-rule";

async function seedRule(endpoint: string): Promise<string> {
  await createRule(RULE, undefined, endpoint);
  return (await createQueue("ev-target", {}, endpoint)).arn;
}

/** ListTargetsByRule as EventBridge sends it (JSON 1.1), without the SDK's parsing. */
async function listTargetsOnTheWire(endpoint: string, limit?: number): Promise<Record<string, unknown>> {
  const res = await fetch(endpoint, {
    method: "POST",
    headers: {
      "content-type": "application/x-amz-json-1.1",
      "x-amz-target": "AWSEvents.ListTargetsByRule",
      authorization:
        "AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/events/aws4_request, SignedHeaders=host, Signature=0",
    },
    body: JSON.stringify({ Rule: RULE, ...(limit && { Limit: limit }) }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

const scenarios: Record<
  string,
  { seed: (endpoint: string) => Promise<unknown>; aws: (endpoint: string) => Promise<void> }
> = {
  "more than 5 targets on a rule is LimitExceededException for the whole call, and nothing is stored": {
    seed: async (endpoint) => {
      const arn = await seedRule(endpoint);
      for (const id of ["a", "b", "c", "d"]) await putTarget(RULE, { Id: id, Arn: arn }, undefined, endpoint);
    },
    aws: async (endpoint) => {
      const { events } = sdk(endpoint);
      const arn = "arn:aws:sqs:us-east-1:123456789012:ev-target";
      await expect(
        events.send(
          new PutTargetsCommand({
            Rule: RULE,
            Targets: [
              { Id: "a", Arn: arn },
              { Id: "e", Arn: arn },
              { Id: "f", Arn: arn },
            ],
          }),
        ),
      ).rejects.toMatchObject({
        name: "LimitExceededException",
        $metadata: { httpStatusCode: 400 },
        message: "The requested resource exceeds the maximum number allowed.",
      });
      const { Targets } = await events.send(new ListTargetsByRuleCommand({ Rule: RULE }));
      expect(Targets?.map((t) => t.Id)).toEqual(["a", "b", "c", "d"]);
      // Replacing a target the rule has already, and adding a fifth, stays within the limit.
      const ok = await events.send(
        new PutTargetsCommand({
          Rule: RULE,
          Targets: [
            { Id: "a", Arn: arn },
            { Id: "e", Arn: arn },
          ],
        }),
      );
      expect(ok.FailedEntryCount).toBe(0);
    },
  },
  "the last ListTargetsByRule page has no NextToken key": {
    seed: async (endpoint) => {
      const arn = await seedRule(endpoint);
      for (const id of ["a", "b", "c"]) await putTarget(RULE, { Id: id, Arn: arn }, undefined, endpoint);
    },
    aws: async (endpoint) => {
      const first = await listTargetsOnTheWire(endpoint, 2);
      expect(first.NextToken).toEqual(expect.any(String));
      const all = await listTargetsOnTheWire(endpoint);
      expect(Object.keys(all)).toEqual(["Targets"]);
    },
  },
};

describe("EventBridge targets (fidelity patch)", () => {
  for (const [name, scenario] of Object.entries(scenarios)) {
    it(`${name}: holds on patched moto`, async () => {
      await scenario.seed(servers.patched());
      await scenario.aws(servers.patched());
    });
    it(`${name}: does not hold on vanilla moto`, async () => {
      await scenario.seed(servers.vanilla());
      await expect(scenario.aws(servers.vanilla())).rejects.toThrow();
    });
  }

  // Recorded AWS behaviour vanilla moto already has, kept so no patch regresses it.
  it("a target put with only Id and Arn reads back as exactly {Arn, Id} (no RetryPolicy, no defaults)", async () => {
    for (const endpoint of [servers.patched(), servers.vanilla()]) {
      const arn = await seedRule(endpoint);
      await putTarget(RULE, { Id: "plain", Arn: arn }, undefined, endpoint);
      const body = await listTargetsOnTheWire(endpoint);
      expect(body.Targets).toEqual([{ Arn: arn, Id: "plain" }]);
    }
  });
});
