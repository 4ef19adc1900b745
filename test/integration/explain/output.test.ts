import { beforeAll, describe, expect, it } from "vitest";
import { attemptsText, isBlocking, isDropped } from "../../../src/explain/document.js";
import { shortArn } from "../../../src/explain/mermaid.js";
import { type ExplainDocument, explainDocumentSchema } from "../../../src/explain/model.js";
import {
  createFunction,
  createMapping,
  createPipe,
  createQueue,
  createRule,
  createStream,
  motoEndpoint,
  putTarget,
  resetMoto,
} from "../../support/aws.js";
import { cli, manifest, manifestDir } from "../../support/cli.js";
import { parseFlowchart } from "./mermaid-parser.js";

/** One world with every kind of ending: a DLQ, a dropped rule target, a shard-blocking stream, a queue's redrive. */
let dir: string;
let doc: ExplainDocument;

beforeAll(async () => {
  await resetMoto();
  const dlq = await createQueue("dlq");
  const workDlq = await createQueue("work-dlq");
  const work = await createQueue("work", {
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: workDlq.arn, maxReceiveCount: 5 }),
  });
  const stream = await createStream("orders");
  const notifier = await createFunction("notifier", { deadLetterArn: dlq.arn });
  await createFunction("streamer");
  await createMapping("streamer", stream);
  await createMapping("streamer", work.arn);
  await createRule("placed");
  await putTarget("placed", { Id: "notify", Arn: notifier });
  // A pipe from a source explain does not model: listed as not inspected, not an error.
  await createPipe("from-mq", "arn:aws:mq:us-east-1:123456789012:broker:b:b-1", notifier, {});
  dir = await manifestDir({
    "all.yaml": [
      manifest("FunctionDeadLetterConfig", "notifier", { functionName: "notifier", targetArn: dlq.arn }),
      manifest("EventSourceMapping", "orders", { functionName: "streamer", eventSourceArn: stream }),
      // A function that does not exist: an error for it, the others still explained.
      manifest("FunctionDeadLetterConfig", "ghost", { functionName: "ghost", targetArn: dlq.arn }),
    ].join("---\n"),
  });
  const json = await cli("explain", dir, "--output", "json", "--endpoint-url", motoEndpoint());
  expect(json.code, json.stderr).toBe(1);
  doc = explainDocumentSchema.parse(json.json());
}, 120_000);

describe("explain output", () => {
  it("reports a function that does not exist as an error (exit 1) and explains the others", () => {
    expect(doc.functions.map((f) => [f.functionName, f.error?.code ?? null])).toEqual([
      ["notifier", null],
      ["streamer", null],
      ["ghost", "FunctionNotFound"],
    ]);
    expect(doc.summary).toMatchObject({
      functions: 3,
      paths: 4,
      dropped: 2,
      blocking: 1,
      uninspected: 1,
      errors: 1,
    });
    expect(doc.functions[0]?.uninspected).toEqual([
      {
        trigger: "pipe",
        source: "arn:aws:pipes:us-east-1:123456789012:pipe/from-mq",
        reason:
          "explain models pipes from Kinesis, DynamoDB streams and SQS only, not arn:aws:mq:us-east-1:123456789012:broker:b:b-1",
      },
    ]);
  });

  it("--output mermaid parses with mermaid's own parser, one node per function, path source and terminal, as in the JSON", async () => {
    const run = await cli("explain", dir, "--output", "mermaid", "--endpoint-url", motoEndpoint());
    expect(run.code).toBe(1);
    const chart = await parseFlowchart(run.stdout);
    const wanted = new Set<string>();
    doc.functions.forEach((f, i) => {
      const fn = `f${i}`;
      wanted.add(fn);
      expect(chart.vertices.get(fn)?.text).toContain(f.functionName);
      if (f.error) {
        wanted.add(`${fn}e`);
        expect(chart.vertices.get(`${fn}e`)?.text).toContain(f.error.code);
      }
      f.uninspected.forEach((u, k) => {
        wanted.add(`${fn}u${k}`);
        expect(chart.vertices.get(`${fn}u${k}`)).toMatchObject({ classes: ["uninspected"] });
        expect(chart.vertices.get(`${fn}u${k}`)?.text).toContain(`not inspected: ${u.trigger}`);
        expect(chart.edges).toContainEqual(expect.objectContaining({ start: `${fn}u${k}`, end: fn }));
      });
      f.paths.forEach((p, j) => {
        const source = `${fn}p${j}`;
        const end = `${source}t`;
        wanted.add(source);
        wanted.add(end);
        expect(chart.vertices.get(source)?.text).toContain(p.trigger);
        expect(chart.vertices.get(source)?.text).toContain(shortArn(p.source));
        const terminal = chart.vertices.get(end);
        if (isDropped(p)) expect(terminal).toMatchObject({ text: "DROPPED", classes: ["dropped"] });
        else {
          expect(terminal?.text).toContain(p.terminal.type);
          expect(terminal?.text).toContain(shortArn(p.terminal.arn ?? ""));
          expect(terminal?.classes).toEqual([]);
        }
        expect(chart.vertices.get(source)?.classes).toEqual(isBlocking(p) ? ["blocking"] : []);
        const attempts = attemptsText(p.attempts);
        expect(chart.edges).toContainEqual(
          expect.objectContaining({ start: source, end: fn, stroke: "normal" }),
        );
        expect(chart.edges.find((e) => e.start === source && e.end === fn)?.text).toContain(attempts);
        expect(chart.edges).toContainEqual(expect.objectContaining({ start: source, end, stroke: "dotted" }));
      });
    });
    expect([...chart.vertices.keys()].sort()).toEqual([...wanted].sort());
  });

  it("the mermaid check can fail: a broken chart is refused by the parser", async () => {
    await expect(parseFlowchart('flowchart LR\n  a["unclosed --> b\n')).rejects.toThrow(/Parse error/);
  });

  it("text is a tree per function with dropped and blocking paths marked in capitals, and the facts", async () => {
    const run = await cli("explain", dir, "--endpoint-url", motoEndpoint());
    expect(run.code).toBe(1);
    const lines = run.stdout.split("\n");
    expect(lines[0]).toBe("notifier (account 123456789012, us-east-1)");
    expect(lines).toContain("├── eventbridge arn:aws:events:us-east-1:123456789012:rule/placed");
    expect(run.stdout).toContain("186 attempts within 1d, then !! DROPPED");
    expect(run.stdout).toContain(
      "unlimited attempts within 1d, then !! DROPPED; !! BLOCKS its shard for up to 1d, until the record expires; bisect off",
    );
    expect(run.stdout).toContain(
      "5 attempts within 2m 30s, then redrive arn:aws:sqs:us-east-1:123456789012:work-dlq",
    );
    expect(run.stdout).toContain(
      "· RetryPolicy.MaximumRetryAttempts = 185  (AWS default, EventBridge API reference, RetryPolicy)",
    );
    expect(run.stdout).toContain(
      "ghost (us-east-1)\n└── ! FunctionNotFound: function ghost does not exist in us-east-1",
    );
    expect(lines.at(-2)).toBe(
      "3 function(s), 4 path(s): 2 dropped, 1 blocking, 1 not inspected, 1 error(s).",
    );
  });
});
