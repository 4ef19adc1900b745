import { PutFunctionEventInvokeConfigCommand, TagResourceCommand } from "@aws-sdk/client-lambda";
import { SetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import {
  createFunction,
  createMapping,
  createPipe,
  createQueue,
  createRule,
  createSchedule,
  createStream,
  createTopic,
  putTarget,
  sdk,
  subscribe,
} from "../../test/support/aws.js";

/**
 * Creates the AWS objects the bundled manifests/ name, several of them drifted
 * on purpose, so the controller has something to find and repair.
 */
export async function seedDemo(endpoint: string): Promise<void> {
  const queue = (name: string, attrs?: Record<string, string>) => createQueue(name, attrs, endpoint);
  const [, , , work, workDlq] = await Promise.all([
    queue("orders-notifier-failed"),
    queue("orders-notifier-dlq"),
    queue("orders-stream-failed"),
    queue("orders-work", { VisibilityTimeout: "30" }),
    queue("orders-work-dlq"),
    queue("orders-events-dlq"),
  ]);
  const stream = await createStream("orders", endpoint);

  const notifier = await createFunction("orders-notifier", { endpoint });
  await createFunction("orders-stream-processor", { endpoint });
  await createFunction("orders-worker", { endpoint, timeout: 30 });

  // Drift: someone set retries to 0 and dropped the on-failure destination.
  await sdk(endpoint).lambda.send(
    new PutFunctionEventInvokeConfigCommand({
      FunctionName: "orders-notifier",
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 3600,
    }),
  );
  // Drift: the stream mapping retries forever (the AWS default), so a poison record blocks the shard.
  await createMapping(
    "orders-stream-processor",
    stream,
    { BatchSize: 100, MaximumBatchingWindowInSeconds: 1 },
    endpoint,
  );
  await createMapping(
    "orders-worker",
    work.arn,
    {
      BatchSize: 10,
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      ScalingConfig: { MaximumConcurrency: 5 },
    },
    endpoint,
  );
  // Drift: maxReceiveCount lowered to 1 by hand.
  await sdk(endpoint).sqs.send(
    new SetQueueAttributesCommand({
      QueueUrl: work.url,
      Attributes: {
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: workDlq.arn, maxReceiveCount: "1" }),
        VisibilityTimeout: "180",
      },
    }),
  );
  await createRule("order-placed", undefined, endpoint);
  // Drift: the target has no retry policy and no DLQ; its Input must survive the repair.
  await putTarget(
    "order-placed",
    { Id: "notify", Arn: notifier, Input: JSON.stringify({ source: "order-placed" }) },
    undefined,
    endpoint,
  );

  // Drift: no DLQ on the subscription, the schedule at Scheduler's defaults, the pipe at -1/-1.
  await Promise.all(["orders-sns-dlq", "orders-schedule-dlq", "orders-pipe-dlq"].map((name) => queue(name)));
  await subscribe(await createTopic("orders", endpoint), notifier, endpoint);
  await createSchedule(
    "orders-nightly",
    {
      ScheduleExpression: "cron(0 2 * * ? *)",
      Target: { Arn: notifier, RoleArn: "arn:aws:iam::123456789012:role/orders-scheduler" },
    },
    endpoint,
  );
  await createPipe(
    "orders-audit",
    stream,
    notifier,
    { KinesisStreamParameters: { StartingPosition: "LATEST", BatchSize: 50 } },
    endpoint,
  );

  await seedPayments(endpoint);
}

/**
 * The payments fleet of manifests/payments/defaults.yaml: two functions its
 * policy matches (both drifted), one it excludes by name and one without the
 * team's tag, which it leaves alone.
 */
async function seedPayments(endpoint: string): Promise<void> {
  const { lambda } = sdk(endpoint);
  await Promise.all(
    ["payments-async-failed", "payments-stream-failed"].map((name) => createQueue(name, {}, endpoint)),
  );
  for (const name of ["payments-refunds", "payments-ledger", "payments-legacy-batch"]) {
    const arn = await createFunction(name, { endpoint });
    await lambda.send(new TagResourceCommand({ Resource: arn, Tags: { team: "payments" } }));
  }
  await createFunction("payments-reports", { endpoint });
  // Drift: refunds are never retried.
  await lambda.send(
    new PutFunctionEventInvokeConfigCommand({ FunctionName: "payments-refunds", MaximumRetryAttempts: 0 }),
  );
  // Drift: the ledger's stream consumer retries a poison record until it expires (the AWS default).
  const ledger = await createStream("payments-ledger", endpoint);
  await createMapping("payments-ledger", ledger, { BatchSize: 100 }, endpoint);
}
