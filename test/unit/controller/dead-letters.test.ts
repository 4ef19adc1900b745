import pino from "pino";
import { describe, expect, it } from "vitest";
import { ResourceError } from "../../../src/aws/errors.js";
import { DeadLetterQueues } from "../../../src/controller/dead-letters.js";
import type { FailureQueue } from "../../../src/controller/failure-queues.js";
import { createMetrics } from "../../../src/metrics/metrics.js";

const queue = (name: string, senders: string[] = [`FunctionDeadLetterConfig/${name}`]): FailureQueue => ({
  arn: `arn:aws:sqs:us-east-1:123456789012:${name}`,
  account: "123456789012",
  region: "us-east-1",
  name,
  senders,
});

/** A monitor whose reads answer from `depths` (a number, or an error to throw). */
function monitor() {
  const depths = new Map<string, number | Error>();
  const lines: { level: number; msg: string; queue?: string; code?: string }[] = [];
  const log = pino({ level: "debug" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const metrics = createMetrics();
  const gates = new Map<string, Promise<void>>();
  const dlq = new DeadLetterQueues({
    metrics,
    log,
    now: () => new Date("2026-01-01T00:00:00Z"),
    read: async (q) => {
      await gates.get(q.name);
      const depth = depths.get(q.name);
      if (depth instanceof Error) throw depth;
      if (depth === undefined) throw new Error(`no depth for ${q.name}`);
      return depth;
    },
  });
  const series = async () =>
    (await metrics.deadLetterMessages.get()).values.map((v) => [v.labels.queue, v.value]);
  const said = (msg: string) => lines.filter((l) => l.msg.startsWith(msg));
  return { dlq, depths, series, said, gates };
}

describe("DeadLetterQueues", () => {
  it("shows a named queue as pending, then its depth as status, per resource and as a series", async () => {
    const { dlq, depths, series } = monitor();
    dlq.track([queue("a", ["FunctionDeadLetterConfig/f", "EventTargetRetryPolicy/t"]), queue("b")]);
    expect(dlq.list().map((q) => [q.name, q.state, q.messages])).toEqual([
      ["a", "pending", null],
      ["b", "pending", null],
    ]);
    expect(await series()).toEqual([]);
    depths.set("a", 3).set("b", 0);
    await dlq.readAll();
    expect(dlq.list()).toEqual([
      {
        queue: "arn:aws:sqs:us-east-1:123456789012:a",
        account: "123456789012",
        region: "us-east-1",
        name: "a",
        messages: 3,
        state: "ok",
        reason: "",
        message: "3 messages waiting",
        lastReadTime: "2026-01-01T00:00:00.000Z",
        resources: ["FunctionDeadLetterConfig/f", "EventTargetRetryPolicy/t"],
      },
      expect.objectContaining({ name: "b", messages: 0, state: "ok", message: "empty" }),
    ]);
    expect(dlq.ofResource("EventTargetRetryPolicy/t")).toEqual([
      { queue: "arn:aws:sqs:us-east-1:123456789012:a", messages: 3 },
    ]);
    expect(dlq.ofResource("FunctionDeadLetterConfig/other")).toBeUndefined();
    expect(await series()).toEqual([
      ["a", 3],
      ["b", 0],
    ]);
  });

  it("makes a failed read unknown (no stale value, no series), says so once per change, and recovers", async () => {
    const { dlq, depths, series, said } = monitor();
    dlq.track([queue("a")]);
    depths.set("a", 2);
    await dlq.readAll();
    depths.set("a", new ResourceError("QueueNotFound", "queue a does not exist"));
    await dlq.readAll();
    await dlq.readAll();
    await dlq.readAll();
    expect(dlq.list()[0]).toMatchObject({
      state: "unknown",
      messages: null,
      reason: "QueueNotFound",
      message: "depth unknown: queue a does not exist",
    });
    expect(dlq.ofResource("FunctionDeadLetterConfig/a")).toEqual([
      { queue: "arn:aws:sqs:us-east-1:123456789012:a", messages: null },
    ]);
    expect(await series()).toEqual([]);
    expect(said("cannot read the depth")).toHaveLength(1);
    // Another cause is another change.
    depths.set(
      "a",
      Object.assign(new Error("denied"), { name: "AccessDenied", $metadata: { httpStatusCode: 403 } }),
    );
    await dlq.readAll();
    await dlq.readAll();
    expect(dlq.list()[0]).toMatchObject({ state: "unknown", reason: "AccessDenied" });
    expect(said("cannot read the depth").map((l) => l.code)).toEqual(["QueueNotFound", "AccessDenied"]);
    depths.set("a", 0);
    await dlq.readAll();
    await dlq.readAll();
    expect(dlq.list()[0]).toMatchObject({ state: "ok", messages: 0, reason: "" });
    expect(await series()).toEqual([["a", 0]]);
    expect(said("failure queue readable again")).toHaveLength(1);
  });

  it("says when messages start waiting and when the queue is empty again, not at every read", async () => {
    const { dlq, depths, said } = monitor();
    dlq.track([queue("a")]);
    for (const depth of [0, 0, 4, 5, 5, 0, 0]) {
      depths.set("a", depth);
      await dlq.readAll();
    }
    expect(said("messages waiting")).toHaveLength(1);
    expect(said("failure queue empty again")).toHaveLength(1);
  });

  it("forgets a queue no resource names any more, its series too, even with its read under way", async () => {
    const { dlq, depths, series, gates, said } = monitor();
    dlq.track([queue("a"), queue("b")]);
    depths.set("a", 1).set("b", 1);
    await dlq.readAll();
    let open = () => {};
    gates.set(
      "b",
      new Promise((r) => {
        open = r;
      }),
    );
    const reading = dlq.readAll();
    dlq.track([queue("a", ["FunctionEventInvokeConfig/x"])]);
    open();
    await reading;
    expect(dlq.list().map((q) => [q.name, q.resources])).toEqual([["a", ["FunctionEventInvokeConfig/x"]]]);
    expect(await series()).toEqual([["a", 1]]);
    expect(dlq.ofResource("FunctionDeadLetterConfig/b")).toBeUndefined();
    expect(said("no managed resource names this failure queue")).toHaveLength(1);
  });
});
