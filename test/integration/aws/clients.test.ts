import { PutTargetsCommand } from "@aws-sdk/client-eventbridge";
import { ListFunctionsCommand } from "@aws-sdk/client-lambda";
import { ListPipesCommand } from "@aws-sdk/client-pipes";
import { ListSchedulesCommand } from "@aws-sdk/client-scheduler";
import { ListTopicsCommand } from "@aws-sdk/client-sns";
import { expect, it } from "vitest";
import { classifyAwsError } from "../../../src/aws/errors.js";
import { type RateBucket, RateLimiter } from "../../../src/aws/rate-limiter.js";
import {
  createQueue,
  createRule,
  resetMoto,
  TEST_RATE_LIMITS,
  TEST_REGION,
  testAwsClients,
} from "../../support/aws.js";

/** Grants every request after a pause, remembering when. */
class SlowLimiter extends RateLimiter {
  readonly granted: number[] = [];
  constructor(readonly pauseMs: number) {
    super(TEST_RATE_LIMITS);
  }
  override async acquire(bucket: RateBucket, region: string): Promise<void> {
    await super.acquire(bucket, region);
    await new Promise((r) => setTimeout(r, this.pauseMs));
    this.granted.push(Date.now());
  }
}

/** X-Amz-Date (yyyymmddThhmmssZ) as milliseconds since the epoch. */
function amzDate(value: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) throw new Error(`not an X-Amz-Date: ${value}`);
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  return Date.UTC(y as number, (mo as number) - 1, d, h, mi, s);
}

it("signs a request only after the rate limiter let it go, so a long wait cannot age its signature", async () => {
  const limiter = new SlowLimiter(1_100);
  const { aws, requests } = testAwsClients({ limiter });
  const client = aws.lambda(TEST_REGION);
  const signedAt: number[] = [];
  client.middlewareStack.add(
    (next, _context) => async (args) => {
      const headers = (args.request as { headers: Record<string, string> }).headers;
      signedAt.push(amzDate(headers["x-amz-date"] ?? ""));
      return next(args);
    },
    { step: "deserialize", priority: "low", name: "testReadSignature" },
  );
  try {
    await client.send(new ListFunctionsCommand({}));
  } finally {
    aws.destroy();
  }
  expect(requests).toEqual([expect.objectContaining({ operation: "ListFunctions", outcome: "success" })]);
  expect(limiter.granted).toHaveLength(1);
  expect(signedAt).toHaveLength(1);
  // The date has one-second resolution: signed after the grant means not before the grant's second.
  const grantSecond = Math.floor((limiter.granted[0] as number) / 1000) * 1000;
  expect(signedAt[0]).toBeGreaterThanOrEqual(grantSecond);
});

it("does not retry EventBridge's LimitExceededException (a quota the SDK calls throttling): one call, terminal", async () => {
  await resetMoto();
  await createRule("full-rule");
  const queue = await createQueue("limit-target");
  const { aws, requests } = testAwsClients({ maxAttempts: 3 });
  const targets = ["a", "b", "c", "d", "e", "f"].map((Id) => ({ Id, Arn: queue.arn }));
  let error: unknown;
  try {
    await aws.events(TEST_REGION).send(new PutTargetsCommand({ Rule: "full-rule", Targets: targets }));
  } catch (err) {
    error = err;
  } finally {
    aws.destroy();
  }
  expect(error).toMatchObject({ name: "LimitExceededException", $metadata: { httpStatusCode: 400 } });
  expect(requests.map((r) => `${r.operation} ${r.outcome}`)).toEqual(["PutTargets error"]);
  expect(classifyAwsError(error, "putting targets")).toMatchObject({
    code: "LimitExceeded",
    retry: "terminal",
    message: expect.stringContaining("The requested resource exceeds the maximum number allowed."),
  });
});

/** Records the bucket of every grant. */
class RecordingLimiter extends RateLimiter {
  readonly buckets: RateBucket[] = [];
  constructor() {
    super(TEST_RATE_LIMITS);
  }
  override async acquire(bucket: RateBucket, region: string): Promise<void> {
    this.buckets.push(bucket);
    await super.acquire(bucket, region);
  }
}

it("SNS, Scheduler and Pipes calls each draw from their own rate bucket and are counted", async () => {
  const limiter = new RecordingLimiter();
  const { aws, requests } = testAwsClients({ limiter });
  try {
    await aws.sns(TEST_REGION).send(new ListTopicsCommand({}));
    await aws.scheduler(TEST_REGION).send(new ListSchedulesCommand({}));
    await aws.pipes(TEST_REGION).send(new ListPipesCommand({}));
  } finally {
    aws.destroy();
  }
  expect(limiter.buckets).toEqual(["sns", "scheduler", "pipes"]);
  expect(requests.map((r) => `${r.service}:${r.operation}:${r.outcome}`)).toEqual([
    "sns:ListTopics:success",
    "scheduler:ListSchedules:success",
    "pipes:ListPipes:success",
  ]);
});
