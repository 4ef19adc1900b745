import pino from "pino";
import { describe, expect, it } from "vitest";
import type { AwsClients } from "../../../src/aws/clients.js";
import type { FailureQueue } from "../../../src/controller/failure-queues.js";
import { FailureWatch } from "../../../src/controller/failure-watch.js";
import { functionDeadLetterConfig } from "../../../src/kinds/function-dead-letter-config.js";
import type { Manifest } from "../../../src/manifests/manifest.js";
import { createMetrics } from "../../../src/metrics/metrics.js";
import { manifest } from "./fixtures.js";

const dlq = (name: string) => `arn:aws:sqs:us-east-1:123456789012:${name}`;

function setup() {
  let manifests: Manifest[] = [
    manifest("a", { kind: functionDeadLetterConfig, spec: { functionName: "a", targetArn: dlq("a-dlq") } }),
  ];
  const reads: string[] = [];
  let release: (() => void) | undefined;
  let blocked: Promise<void> | undefined;
  const watch = new FailureWatch({
    aws: { account: "123456789012" } as AwsClients,
    metrics: createMetrics(),
    log: pino({ level: "silent" }),
    manifests: () => manifests,
    read: async (q: FailureQueue) => {
      reads.push(q.name);
      await blocked;
      return 0;
    },
  });
  return {
    watch,
    reads,
    set: (next: Manifest[]) => {
      manifests = next;
    },
    block: () => {
      blocked = new Promise((r) => {
        release = r;
      });
    },
    release: () => {
      blocked = undefined;
      release?.();
    },
  };
}

describe("FailureWatch", () => {
  it("reads once per request, and a read waiting to start serves every request made meanwhile", async () => {
    const s = setup();
    s.block();
    const first = s.watch.refresh(true);
    await new Promise((r) => setTimeout(r, 0));
    expect(s.reads).toEqual(["a-dlq"]);
    // Three more rounds start while the first read hangs: one read is queued for all of them.
    const second = s.watch.refresh(true);
    expect(s.watch.refresh(true)).toBeUndefined();
    expect(s.watch.refresh(true)).toBeUndefined();
    s.release();
    await first;
    await second;
    expect(s.reads).toEqual(["a-dlq", "a-dlq"]);
    await s.watch.refresh(true);
    expect(s.reads).toEqual(["a-dlq", "a-dlq", "a-dlq"]);
  });

  it("follows the manifests without reading on an update, and reads nothing once stopped", async () => {
    const s = setup();
    await s.watch.refresh(false);
    expect(s.reads).toEqual([]);
    expect(s.watch.status().map((q) => [q.name, q.state])).toEqual([["a-dlq", "pending"]]);
    s.set([
      manifest("b", { kind: functionDeadLetterConfig, spec: { functionName: "b", targetArn: dlq("b-dlq") } }),
    ]);
    await s.watch.refresh(false);
    expect(s.watch.status().map((q) => q.name)).toEqual(["b-dlq"]);
    expect(s.watch.ofResource("FunctionDeadLetterConfig", "b")).toEqual([
      { queue: dlq("b-dlq"), messages: null },
    ]);
    s.watch.stop();
    expect(s.watch.refresh(true)).toBeUndefined();
    expect(s.reads).toEqual([]);
  });
});
