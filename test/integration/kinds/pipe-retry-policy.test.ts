import { DescribePipeCommand, UpdatePipeCommand } from "@aws-sdk/client-pipes";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AwsClients, RequestEvent } from "../../../src/aws/clients.js";
import type { KindContext } from "../../../src/kinds/kind.js";
import { pipeRetryPolicy as kind } from "../../../src/kinds/pipe-retry-policy.js";
import {
  createFunction,
  createPipe,
  createQueue,
  createStream,
  motoEndpoint,
  resetMoto,
  sdk,
  TEST_REGION,
  testAwsClients,
} from "../../support/aws.js";
import { cli, manifest, manifestDir, type PlanJson } from "../../support/cli.js";
import { desired, readState } from "../../support/kinds.js";

let aws: AwsClients;
let requests: RequestEvent[];
let ctx: KindContext;
let stream: string;
let fn: string;

async function streamParameters(name: string) {
  const out = await sdk().pipes.send(new DescribePipeCommand({ Name: name }));
  return out.SourceParameters?.KinesisStreamParameters;
}

async function reconcile(spec: Record<string, unknown>) {
  const resource = desired(kind, spec, TEST_REGION);
  const before = await readState(kind, ctx, resource);
  const changes = kind.diff(resource.spec, before);
  await kind.apply(ctx, resource, before, changes);
  const after = await readState(kind, ctx, resource);
  return { changes, remaining: kind.diff(resource.spec, after) };
}

/** moto's state manager: the pipe stays in each state for `times` reads (`null` = back to immediate). */
async function pipeTransition(times: number | null): Promise<void> {
  const path = times === null ? "unset-transition" : "set-transition";
  const body =
    times === null
      ? { model_name: "pipes::pipe" }
      : { model_name: "pipes::pipe", transition: { progression: "manual", times } };
  const res = await fetch(`${motoEndpoint()}/moto-api/state-manager/${path}`, {
    method: "POST",
    body: JSON.stringify(body),
  });
  expect(res.ok).toBe(true);
  await res.arrayBuffer();
}

describe("PipeRetryPolicy against moto", () => {
  beforeEach(async () => {
    await resetMoto();
    ({ aws, requests } = testAwsClients());
    ctx = { aws, log: pino({ level: "silent" }) };
    stream = await createStream("pipe-src");
    fn = await createFunction("pipe-fn");
  });
  afterEach(async () => {
    aws.destroy();
    await pipeTransition(null);
  });

  it("maximumRetryAttempts: 0 is applied as 0, not dropped, and the other stream parameters stay", async () => {
    await createPipe("p", stream, fn, {
      KinesisStreamParameters: { StartingPosition: "TRIM_HORIZON", BatchSize: 10, ParallelizationFactor: 2 },
    });
    const { changes, remaining } = await reconcile({ pipeName: "p", maximumRetryAttempts: 0 });
    expect(changes).toEqual([{ field: "maximumRetryAttempts", actual: -1, desired: 0 }]);
    expect(remaining).toEqual([]);
    expect(await streamParameters("p")).toEqual({
      StartingPosition: "TRIM_HORIZON",
      BatchSize: 10,
      ParallelizationFactor: 2,
      MaximumRetryAttempts: 0,
    });
    const update = requests.filter((r) => r.operation === "UpdatePipe");
    expect(update).toHaveLength(1);
  });

  it("-1 round-trips: set from a finite value, read back as -1, then in sync", async () => {
    await createPipe("p", stream, fn, {
      KinesisStreamParameters: {
        StartingPosition: "LATEST",
        MaximumRetryAttempts: 5,
        MaximumRecordAgeInSeconds: 600,
      },
    });
    const spec = {
      pipeName: "p",
      maximumRetryAttempts: -1,
      maximumRecordAgeInSeconds: -1,
      deadLetterQueue: (await createQueue("d")).arn,
    };
    const { changes, remaining } = await reconcile(spec);
    expect(changes.map((c) => [c.field, c.desired])).toEqual([
      ["maximumRetryAttempts", -1],
      ["maximumRecordAgeInSeconds", -1],
      ["deadLetterQueue", spec.deadLetterQueue],
    ]);
    expect(remaining).toEqual([]);
    expect(await streamParameters("p")).toMatchObject({
      MaximumRetryAttempts: -1,
      MaximumRecordAgeInSeconds: -1,
    });
  });

  it("a pipe with an SQS source rejects the stream-only fields with a clear error, and nothing is written", async () => {
    const queue = await createQueue("pipe-queue");
    await createPipe("from-sqs", queue.arn, fn, { SqsQueueParameters: { BatchSize: 5 } });
    const dir = await manifestDir({
      "p.yaml": manifest("PipeRetryPolicy", "from-sqs", { pipeName: "from-sqs", maximumRetryAttempts: 3 }),
    });
    const applied = await cli("apply", dir, "--endpoint-url", motoEndpoint(), "--output", "json");
    expect(applied.code).toBe(1);
    const [resource] = applied.json<PlanJson>().resources;
    expect(resource?.error?.code).toBe("InvalidForSource");
    expect(resource?.error?.message).toContain(
      "maximumRetryAttempts applies only to pipes with a Kinesis or DynamoDB stream source, but the pipe's source is sqs",
    );
    expect(resource?.error?.message).toContain("QueueRedrivePolicy");
    const out = await sdk().pipes.send(new DescribePipeCommand({ Name: "from-sqs" }));
    expect(out.SourceParameters).toEqual({ SqsQueueParameters: { BatchSize: 5 } });

    // Named in the manifest, the SQS source is rejected offline.
    const offline = await manifestDir({
      "p.yaml": manifest("PipeRetryPolicy", "from-sqs", {
        pipeName: "from-sqs",
        sourceArn: queue.arn,
        maximumRetryAttempts: 3,
      }),
    });
    const validated = await cli("validate", offline, "--output", "json");
    expect(validated.code).toBe(1);
    expect(validated.json<{ errors: { path: string; message: string }[] }>().errors).toEqual([
      expect.objectContaining({ path: "spec.maximumRetryAttempts", message: expect.stringContaining("sqs") }),
    ]);
  });

  it("a pipe in UPDATING is waited out (classified waiting), then updated", async () => {
    await createPipe("busy", stream, fn, { KinesisStreamParameters: { StartingPosition: "LATEST" } });
    expect((await sdk().pipes.send(new DescribePipeCommand({ Name: "busy" }))).CurrentState).toBe("RUNNING");
    await pipeTransition(3);
    // Someone else's update: the pipe is UPDATING for the next three reads.
    await sdk().pipes.send(
      new UpdatePipeCommand({
        Name: "busy",
        RoleArn: "arn:aws:iam::123456789012:role/pipes-busy",
        SourceParameters: { KinesisStreamParameters: { BatchSize: 7 } },
      }),
    );
    const resource = desired(kind, { pipeName: "busy", maximumRetryAttempts: 4 }, TEST_REGION);
    const actual = await readState(kind, ctx, resource);
    expect(actual.pipe.CurrentState).toBe("UPDATING");
    await expect(kind.apply(ctx, resource, actual, kind.diff(resource.spec, actual))).rejects.toMatchObject({
      code: "ResourceInUse",
      retry: "waiting",
    });
    expect(requests.filter((r) => r.operation === "UpdatePipe")).toHaveLength(0);

    const dir = await manifestDir({
      "p.yaml": manifest("PipeRetryPolicy", "busy", {
        pipeName: "busy",
        maximumRetryAttempts: 4,
        deadLetterQueue: null,
      }),
    });
    const applied = await cli("apply", dir, "--endpoint-url", motoEndpoint());
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(await streamParameters("busy")).toEqual({
      StartingPosition: "LATEST",
      BatchSize: 7,
      MaximumRetryAttempts: 4,
    });
  });
});
