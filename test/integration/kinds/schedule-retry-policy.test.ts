import { GetScheduleCommand, type GetScheduleCommandOutput } from "@aws-sdk/client-scheduler";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AwsClients, RequestEvent } from "../../../src/aws/clients.js";
import type { KindContext } from "../../../src/kinds/kind.js";
import { scheduleRetryPolicy as kind } from "../../../src/kinds/schedule-retry-policy.js";
import {
  createFunction,
  createQueue,
  createSchedule,
  resetMoto,
  sdk,
  TEST_REGION,
  testAwsClients,
} from "../../support/aws.js";
import { desired, readState } from "../../support/kinds.js";

let aws: AwsClients;
let requests: RequestEvent[];
let ctx: KindContext;

/** GetSchedule as a second client sees it, without what changes on every write. */
async function rawSchedule(name: string, group?: string): Promise<Partial<GetScheduleCommandOutput>> {
  const {
    $metadata: _m,
    LastModificationDate: _l,
    ...rest
  } = await sdk().scheduler.send(new GetScheduleCommand({ Name: name, GroupName: group }));
  return rest;
}

async function reconcile(spec: Record<string, unknown>) {
  const resource = desired(kind, spec, TEST_REGION);
  const before = await readState(kind, ctx, resource);
  const changes = kind.diff(resource.spec, before);
  await kind.apply(ctx, resource, before, changes);
  const after = await readState(kind, ctx, resource);
  return { changes, remaining: kind.diff(resource.spec, after) };
}

describe("ScheduleRetryPolicy against moto", () => {
  beforeEach(async () => {
    await resetMoto();
    ({ aws, requests } = testAwsClients());
    ctx = { aws, log: pino({ level: "silent" }) };
  });
  afterEach(() => aws.destroy());

  it("an update keeps every field of the schedule it does not manage (whole GetSchedule compared)", async () => {
    const fn = await createFunction("nightly-fn");
    const dlq = await createQueue("nightly-dlq");
    await createSchedule("nightly", {
      Description: "nightly export",
      ScheduleExpression: "cron(0 3 * * ? *)",
      ScheduleExpressionTimezone: "Europe/Berlin",
      FlexibleTimeWindow: { Mode: "FLEXIBLE", MaximumWindowInMinutes: 15 },
      State: "DISABLED",
      KmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
      EndDate: new Date("2030-01-01T00:00:00Z"),
      ActionAfterCompletion: "DELETE",
      Target: {
        Arn: fn,
        RoleArn: "arn:aws:iam::123456789012:role/scheduler",
        Input: '{"job":"export"}',
        RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 7200 },
      },
    });
    const before = await rawSchedule("nightly");
    const { changes, remaining } = await reconcile({
      scheduleName: "nightly",
      maximumRetryAttempts: 2,
      deadLetterQueue: dlq.arn,
    });
    expect(changes.map((c) => c.field)).toEqual(["maximumRetryAttempts", "deadLetterQueue"]);
    expect(remaining).toEqual([]);
    expect(await rawSchedule("nightly")).toEqual({
      ...before,
      Target: {
        ...before.Target,
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 7200 },
        DeadLetterConfig: { Arn: dlq.arn },
      },
    });
    expect(requests.filter((r) => r.operation === "UpdateSchedule")).toHaveLength(1);
  });

  it("a schedule left at the defaults (no RetryPolicy set) is in sync with 185 / 86400, no perpetual diff", async () => {
    const fn = await createFunction("default-fn");
    await createSchedule("plain", { Target: { Arn: fn, RoleArn: "arn:aws:iam::123456789012:role/s" } });
    const resource = desired(
      kind,
      { scheduleName: "plain", maximumRetryAttempts: 185, maximumEventAgeInSeconds: null },
      TEST_REGION,
    );
    expect(kind.diff(resource.spec, await readState(kind, ctx, resource))).toEqual([]);
  });

  it("a schedule that does not exist, or is in another group, is ScheduleNotFound", async () => {
    const fn = await createFunction("fn");
    await createSchedule("here", { Target: { Arn: fn, RoleArn: "arn:aws:iam::123456789012:role/s" } });
    const elsewhere = desired(kind, { scheduleName: "here", groupName: "other" }, TEST_REGION, "a");
    const missing = desired(kind, { scheduleName: "gone" }, TEST_REGION, "b");
    const result = await kind.read(ctx, [elsewhere, missing]);
    expect(result.get(elsewhere.identity)).toMatchObject({ code: "ScheduleNotFound", retry: "terminal" });
    expect(result.get(missing.identity)).toMatchObject({ code: "ScheduleNotFound", retry: "terminal" });
  });
});
