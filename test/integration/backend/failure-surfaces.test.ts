import { DescribePipeCommand, UpdatePipeCommand } from "@aws-sdk/client-pipes";
import { GetScheduleCommand, UpdateScheduleCommand } from "@aws-sdk/client-scheduler";
import { GetSubscriptionAttributesCommand, SetSubscriptionAttributesCommand } from "@aws-sdk/client-sns";
import { describe, expect, it } from "vitest";
import { createPipe, createSchedule, createTopic, sdk, subscribe } from "../../support/aws.js";
import { usePatchedAndVanillaMoto } from "../../support/vanilla.js";

// Fidelity patches test/backend/fidelity/{sns,scheduler,pipes}.py (issue 14), against the AWS API references.

const servers = usePatchedAndVanillaMoto();
const FN = "arn:aws:lambda:us-east-1:123456789012:function:f";
const ROLE = "arn:aws:iam::123456789012:role/r";
const DLQ = "arn:aws:sqs:us-east-1:123456789012:dlq";
const STREAM = "arn:aws:kinesis:us-east-1:123456789012:stream/s";

async function rejected(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return (err as Error).name;
  }
  return "accepted";
}

async function setRedrive(endpoint: string, sub: string, value: string) {
  return sdk(endpoint).sns.send(
    new SetSubscriptionAttributesCommand({
      SubscriptionArn: sub,
      AttributeName: "RedrivePolicy",
      AttributeValue: value,
    }),
  );
}

const scenarios: Record<string, (endpoint: string) => Promise<void>> = {
  "SNS: RedrivePolicy '' removes the attribute": async (endpoint) => {
    const sub = await subscribe(await createTopic("t", endpoint), FN, endpoint);
    await setRedrive(endpoint, sub, JSON.stringify({ deadLetterTargetArn: DLQ }));
    await setRedrive(endpoint, sub, "");
    const out = await sdk(endpoint).sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: sub }));
    expect(out.Attributes).not.toHaveProperty("RedrivePolicy");
  },
  "SNS: a RedrivePolicy with maxReceiveCount, a non-SQS target or a DLQ in another region is rejected":
    async (endpoint) => {
      const sub = await subscribe(await createTopic("t", endpoint), FN, endpoint);
      const policies = [
        { deadLetterTargetArn: DLQ, maxReceiveCount: 5 },
        { deadLetterTargetArn: "arn:aws:sns:us-east-1:123456789012:t" },
        { deadLetterTargetArn: "arn:aws:sqs:eu-west-1:123456789012:dlq" },
      ];
      for (const policy of policies) {
        expect(await rejected(setRedrive(endpoint, sub, JSON.stringify(policy)))).toBe(
          "InvalidParameterException",
        );
      }
    },
  "Scheduler: UpdateSchedule without ActionAfterCompletion and State resets them to NONE and ENABLED": async (
    endpoint,
  ) => {
    await createSchedule(
      "s",
      { State: "DISABLED", ActionAfterCompletion: "DELETE", Target: { Arn: FN, RoleArn: ROLE } },
      endpoint,
    );
    const { scheduler } = sdk(endpoint);
    await scheduler.send(
      new UpdateScheduleCommand({
        Name: "s",
        ScheduleExpression: "rate(5 minutes)",
        FlexibleTimeWindow: { Mode: "OFF" },
        Target: { Arn: FN, RoleArn: ROLE },
      }),
    );
    const out = await scheduler.send(new GetScheduleCommand({ Name: "s" }));
    expect([out.ActionAfterCompletion, out.State]).toEqual(["NONE", "ENABLED"]);
  },
  "Scheduler: RetryPolicy out of range (186 attempts, 59 s) is a ValidationException": async (endpoint) => {
    for (const RetryPolicy of [{ MaximumRetryAttempts: 186 }, { MaximumEventAgeInSeconds: 59 }]) {
      const created = createSchedule("s", { Target: { Arn: FN, RoleArn: ROLE, RetryPolicy } }, endpoint);
      expect(await rejected(created)).toBe("ValidationException");
    }
  },
  "Pipes: UpdatePipe keeps the immutable StartingPosition": async (endpoint) => {
    await createPipe(
      "p",
      STREAM,
      FN,
      { KinesisStreamParameters: { StartingPosition: "TRIM_HORIZON" } },
      endpoint,
    );
    const { pipes } = sdk(endpoint);
    await pipes.send(
      new UpdatePipeCommand({
        Name: "p",
        RoleArn: ROLE,
        SourceParameters: { KinesisStreamParameters: { MaximumRetryAttempts: 2 } },
      }),
    );
    const out = await pipes.send(new DescribePipeCommand({ Name: "p" }));
    expect(out.SourceParameters?.KinesisStreamParameters).toEqual({
      StartingPosition: "TRIM_HORIZON",
      MaximumRetryAttempts: 2,
    });
  },
  "Pipes: MaximumRetryAttempts 10001 and MaximumRecordAgeInSeconds 59 are ValidationExceptions": async (
    endpoint,
  ) => {
    await createPipe("p", STREAM, FN, { KinesisStreamParameters: { StartingPosition: "LATEST" } }, endpoint);
    for (const params of [{ MaximumRetryAttempts: 10001 }, { MaximumRecordAgeInSeconds: 59 }]) {
      const update = sdk(endpoint).pipes.send(
        new UpdatePipeCommand({
          Name: "p",
          RoleArn: ROLE,
          SourceParameters: { KinesisStreamParameters: params },
        }),
      );
      expect(await rejected(update)).toBe("ValidationException");
    }
  },
};

describe("SNS, Scheduler and Pipes (fidelity patches)", () => {
  for (const [name, scenario] of Object.entries(scenarios)) {
    it(`${name}: holds on patched moto`, async () => {
      await scenario(servers.patched());
    });
    it(`${name}: does not hold on vanilla moto`, async () => {
      await expect(scenario(servers.vanilla())).rejects.toThrow(/expected/);
    });
  }
});
