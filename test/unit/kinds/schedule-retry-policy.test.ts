import type { GetScheduleCommandOutput } from "@aws-sdk/client-scheduler";
import { describe, expect, it } from "vitest";
import { scheduleRetryPolicy as kind, updateInput } from "../../../src/kinds/schedule-retry-policy.js";
import { lintContext } from "./lint-context.js";

const DLQ = "arn:aws:sqs:us-east-1:123456789012:schedule-dlq";

function issues(spec: Record<string, unknown>): string[] {
  const r = kind.specSchema.safeParse(spec);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

const schedule: GetScheduleCommandOutput = {
  $metadata: {},
  Arn: "arn:aws:scheduler:us-east-1:123456789012:schedule/ops/nightly",
  Name: "nightly",
  GroupName: "ops",
  Description: "nightly export",
  ScheduleExpression: "cron(0 3 * * ? *)",
  ScheduleExpressionTimezone: "Europe/Berlin",
  StartDate: new Date("2026-01-01T00:00:00Z"),
  EndDate: new Date("2030-01-01T00:00:00Z"),
  State: "DISABLED",
  KmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/k",
  ActionAfterCompletion: "DELETE",
  FlexibleTimeWindow: { Mode: "FLEXIBLE", MaximumWindowInMinutes: 15 },
  CreationDate: new Date("2026-01-01T00:00:00Z"),
  LastModificationDate: new Date("2026-01-02T00:00:00Z"),
  Target: {
    Arn: "arn:aws:lambda:us-east-1:123456789012:function:export",
    RoleArn: "arn:aws:iam::123456789012:role/scheduler",
    Input: "{}",
    RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 7200 },
  },
};

describe("ScheduleRetryPolicy schema", () => {
  it("accepts the documented ranges at their bounds", () => {
    expect(issues({ scheduleName: "s", maximumRetryAttempts: 0, maximumEventAgeInSeconds: 60 })).toEqual([]);
    expect(issues({ scheduleName: "s", maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86400 })).toEqual(
      [],
    );
    expect(issues({ scheduleName: "s", deadLetterQueue: DLQ, groupName: "ops" })).toEqual([]);
  });

  it("rejects values outside them, and a DLQ that is not SQS or is in another region", () => {
    expect(issues({ scheduleName: "s", maximumRetryAttempts: 186 })[0]).toMatch(/^maximumRetryAttempts:/);
    expect(issues({ scheduleName: "s", maximumEventAgeInSeconds: 59 })[0]).toMatch(
      /^maximumEventAgeInSeconds:/,
    );
    expect(issues({ scheduleName: "s", deadLetterQueue: "arn:aws:sns:us-east-1:123456789012:t" })[0]).toMatch(
      /^deadLetterQueue: must be the ARN of an SQS queue/,
    );
    expect(
      issues({
        scheduleName: "s",
        region: "us-east-1",
        deadLetterQueue: "arn:aws:sqs:eu-west-1:123456789012:d",
      })[0],
    ).toMatch(/^deadLetterQueue: is in region eu-west-1/);
    expect(issues({ scheduleName: "bad name" })[0]).toMatch(/^scheduleName: must be a schedule name/);
  });
});

describe("ScheduleRetryPolicy diff and write", () => {
  it("identity includes the group (default: default)", () => {
    expect(kind.identity(kind.specSchema.parse({ scheduleName: "n" }), "us-east-1")).toBe(
      "us-east-1/default/n",
    );
    expect(kind.identity(kind.specSchema.parse({ scheduleName: "n", groupName: "ops" }), "us-east-1")).toBe(
      "us-east-1/ops/n",
    );
  });

  it("an absent RetryPolicy compares as the defaults 185 / 86400", () => {
    const bare = { schedule: { ...schedule, Target: { Arn: "a", RoleArn: "r" } } };
    const spec = kind.specSchema.parse({
      scheduleName: "n",
      maximumRetryAttempts: 185,
      maximumEventAgeInSeconds: null,
    });
    expect(kind.diff(spec, bare)).toEqual([]);
  });

  it("the update sends every field back unchanged except RetryPolicy and DeadLetterConfig", () => {
    const input = updateInput({ schedule }, [
      { field: "maximumRetryAttempts", actual: 10, desired: 0 },
      { field: "deadLetterQueue", actual: null, desired: DLQ },
    ]);
    const { $metadata: _m, Arn: _a, CreationDate: _c, LastModificationDate: _l, ...sent } = schedule;
    expect(input).toEqual({
      ...sent,
      Target: {
        ...schedule.Target,
        RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 7200 },
        DeadLetterConfig: { Arn: DLQ },
      },
    });
  });

  it("lint: a schedule without a DLQ is a missing failure path", () => {
    expect(kind.lint(kind.specSchema.parse({ scheduleName: "n" }), lintContext()).map((w) => w.code)).toEqual(
      ["ScheduleNoDlq"],
    );
    expect(
      kind.lint(kind.specSchema.parse({ scheduleName: "n", deadLetterQueue: DLQ }), lintContext()),
    ).toEqual([]);
  });
});
