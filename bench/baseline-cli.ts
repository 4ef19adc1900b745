import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";
import { TEST_CREDENTIALS, TEST_REGION } from "../test/support/aws.js";
import { ALIAS, DESIRED, type KindName, manifestCounts, type Scenario } from "./scenario.js";

const run = promisify(execFile);

/**
 * Baseline (b): one AWS CLI process per resource, the seed's own recipe
 * (testing.md). Each process makes the one write that resource needs, with
 * everything it would otherwise have to look up (mapping UUID, queue URL,
 * the target's other fields) handed to it: the cheapest a per-resource CLI
 * script can be. A read-then-write script would start two processes.
 */
export interface CliCommand {
  kind: KindName;
  args: string[];
}

export function cliCommands(s: Scenario, uuids: Map<string, string>): CliCommand[] {
  const out: CliCommand[] = [];
  const onFailure = (arn: string) => JSON.stringify({ OnFailure: { Destination: arn } });
  const aliased = new Set(s.aliased);
  for (const f of s.functions) {
    const base = ["lambda", "put-function-event-invoke-config", "--function-name", f.name];
    out.push({
      kind: "FunctionEventInvokeConfig",
      args: [
        ...base,
        "--maximum-retry-attempts",
        String(DESIRED.latest.maximumRetryAttempts),
        "--maximum-event-age-in-seconds",
        String(DESIRED.latest.maximumEventAgeInSeconds),
        "--destination-config",
        onFailure(s.asyncFailedArn),
      ],
    });
    if (aliased.has(f.name)) {
      out.push({
        kind: "FunctionEventInvokeConfig",
        args: [
          ...base,
          "--qualifier",
          ALIAS,
          "--maximum-retry-attempts",
          String(DESIRED.alias.maximumRetryAttempts),
          "--maximum-event-age-in-seconds",
          String(DESIRED.alias.maximumEventAgeInSeconds),
          "--destination-config",
          onFailure(s.asyncFailedArn),
        ],
      });
    }
  }
  for (const name of s.withDlq) {
    out.push({
      kind: "FunctionDeadLetterConfig",
      args: [
        "lambda",
        "update-function-configuration",
        "--function-name",
        name,
        "--dead-letter-config",
        `TargetArn=${s.functionDlqArn}`,
      ],
    });
  }
  for (const m of s.mappings) {
    const uuid = uuids.get(m.name) ?? "";
    const fields =
      m.source === "sqs"
        ? [
            "--batch-size",
            String(DESIRED.sqsMapping.batchSize),
            "--maximum-batching-window-in-seconds",
            String(DESIRED.sqsMapping.maximumBatchingWindowInSeconds),
          ]
        : [
            "--batch-size",
            String(DESIRED.stream.batchSize),
            "--maximum-retry-attempts",
            String(DESIRED.stream.maximumRetryAttempts),
            "--maximum-record-age-in-seconds",
            String(DESIRED.stream.maximumRecordAgeInSeconds),
            "--bisect-batch-on-function-error",
            "--destination-config",
            onFailure(s.streamFailedArn),
          ];
    out.push({
      kind: "EventSourceMapping",
      args: ["lambda", "update-event-source-mapping", "--uuid", uuid, ...fields],
    });
  }
  for (const q of s.queues) {
    const attributes = {
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: q.dlqArn,
        maxReceiveCount: DESIRED.queue.maxReceiveCount,
      }),
      VisibilityTimeout: String(DESIRED.queue.visibilityTimeoutSeconds),
    };
    out.push({
      kind: "QueueRedrivePolicy",
      args: ["sqs", "set-queue-attributes", "--queue-url", q.url, "--attributes", JSON.stringify(attributes)],
    });
  }
  for (const t of s.targets) {
    const target = {
      Id: t.id,
      Arn: t.fnArn,
      Input: t.input,
      RetryPolicy: {
        MaximumRetryAttempts: DESIRED.target.maximumRetryAttempts,
        MaximumEventAgeInSeconds: DESIRED.target.maximumEventAgeInSeconds,
      },
      DeadLetterConfig: { Arn: s.eventsDlqArn },
    };
    out.push({
      kind: "EventTargetRetryPolicy",
      args: ["events", "put-targets", "--rule", t.rule, "--targets", JSON.stringify([target])],
    });
  }
  return out;
}

/** A sample of `size` commands spread over the kinds in proportion, at least `minPerKind` of each. */
export function sampleCommands(all: readonly CliCommand[], size: number, minPerKind = 3): CliCommand[] {
  const byKind = new Map<KindName, CliCommand[]>();
  for (const c of all) byKind.set(c.kind, [...(byKind.get(c.kind) ?? []), c]);
  const sample: CliCommand[] = [];
  for (const [, list] of byKind) {
    const want = Math.min(list.length, Math.max(minPerKind, Math.round((size * list.length) / all.length)));
    // Evenly spaced picks, so the sample is not just the first resources.
    for (let i = 0; i < want; i++) sample.push(list[Math.floor((i * list.length) / want)] as CliCommand);
  }
  return sample;
}

export interface CliBaselineResult {
  sampled: number;
  sampleMs: number;
  meanMsPerProcess: Record<string, number>;
  failed: number;
  /** Sum over kinds of (mean process time of the kind × resources of the kind). */
  extrapolatedMs: number;
  resources: number;
  awsCliVersion: string;
}

/**
 * The Debian package's CLI (what the seed's recipe names) where it is installed,
 * otherwise whichever `aws` comes first on the PATH; the version is recorded.
 */
export const AWS_CLI = existsSync("/usr/bin/aws") ? "/usr/bin/aws" : "aws";

export async function awsCliVersion(): Promise<string> {
  const { stdout, stderr } = await run(AWS_CLI, ["--version"]);
  return (stdout || stderr).trim();
}

/** Runs the sample one process after another, as a shell loop would, and extrapolates to the whole scenario. */
export async function runBaselineCli(
  s: Scenario,
  uuids: Map<string, string>,
  endpoint: string,
  size: number,
): Promise<CliBaselineResult> {
  const sample = sampleCommands(cliCommands(s, uuids), size);
  const env = {
    ...process.env,
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    AWS_DEFAULT_REGION: TEST_REGION,
    AWS_EC2_METADATA_DISABLED: "true",
  };
  const times = new Map<string, number[]>();
  let failed = 0;
  const started = performance.now();
  for (const cmd of sample) {
    const t = performance.now();
    try {
      await run(AWS_CLI, ["--endpoint-url", endpoint, "--output", "json", ...cmd.args], {
        env,
        maxBuffer: 4 * 1024 * 1024,
      });
    } catch {
      failed++;
    }
    times.set(cmd.kind, [...(times.get(cmd.kind) ?? []), performance.now() - t]);
  }
  const sampleMs = performance.now() - started;
  const counts = manifestCounts(s);
  const meanMsPerProcess: Record<string, number> = {};
  let extrapolatedMs = 0;
  for (const [kind, list] of times) {
    const mean = list.reduce((a, b) => a + b, 0) / list.length;
    meanMsPerProcess[kind] = mean;
    extrapolatedMs += mean * counts[kind as KindName];
  }
  return {
    sampled: sample.length,
    sampleMs,
    meanMsPerProcess,
    failed,
    extrapolatedMs,
    resources: Object.values(counts).reduce((a, b) => a + b, 0),
    awsCliVersion: await awsCliVersion(),
  };
}
