import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  createFunction,
  createMapping,
  createQueue,
  createRule,
  publishVersionAndAlias,
  putTarget,
  TEST_RATE_LIMITS,
} from "../../support/aws.js";
import { controllerSuite, doc, startController } from "./harness.js";

const FUNCTIONS = 3;
const MAPPINGS = 150;
const RULES = 2;
const TARGETS_PER_RULE = 2;

/** Runs `fn` over `items`, at most `limit` at once (seeding in parallel without flooding moto). */
async function inParallel<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i] as T);
      }
    }),
  );
  return out;
}

describe("controller resync sweep: planned reads (design §4)", () => {
  const suite = controllerSuite("sweep-reads");

  it("re-reads a round with one call per read group: one per function, per listing page, per rule", async () => {
    const functions = Array.from({ length: FUNCTIONS }, (_, i) => `sweep-fn-${i}`);
    await inParallel(functions, FUNCTIONS, async (fn) => {
      await createFunction(fn);
      await publishVersionAndAlias(fn, "live");
    });
    const docs: string[] = [];
    for (const fn of functions) {
      docs.push(
        doc("FunctionEventInvokeConfig", `${fn}-latest`, { functionName: fn, maximumRetryAttempts: 1 }),
      );
      docs.push(
        doc("FunctionEventInvokeConfig", `${fn}-live`, {
          functionName: fn,
          qualifier: "live",
          maximumRetryAttempts: 0,
        }),
      );
    }
    const mappings = Array.from({ length: MAPPINGS }, (_, i) => i);
    const sources = await inParallel(mappings, 16, async (i) => {
      const fn = functions[i % FUNCTIONS] as string;
      const source = await createQueue(`sweep-src-${i}`);
      await createMapping(fn, source.arn, { BatchSize: 10 });
      return { fn, arn: source.arn };
    });
    sources.forEach(({ fn, arn }, i) => {
      docs.push(
        doc("EventSourceMapping", `sweep-esm-${i}`, { functionName: fn, eventSourceArn: arn, batchSize: 10 }),
      );
    });
    const target = await createQueue("sweep-target");
    for (let r = 0; r < RULES; r++) {
      await createRule(`sweep-rule-${r}`);
      for (let t = 0; t < TARGETS_PER_RULE; t++) {
        await putTarget(`sweep-rule-${r}`, { Id: `t${t}`, Arn: target.arn });
        docs.push(
          doc("EventTargetRetryPolicy", `sweep-rule-${r}-t${t}`, {
            rule: `sweep-rule-${r}`,
            targetId: `t${t}`,
            maximumRetryAttempts: 3,
          }),
        );
      }
    }
    await writeFile(join(suite.dir, "all.yaml"), docs.join("---\n"));

    suite.controller = await startController({
      dir: suite.dir,
      endpoint: suite.proxy.endpoint,
      rateLimits: TEST_RATE_LIMITS,
      resyncIntervalMs: 2_000,
      logLevel: "info",
    });
    const c = suite.controller;
    const finished = () => c.logs.filter((l) => l.msg === "resync sweep finished").length;
    const started = Date.now();
    while (finished() < 1 && Date.now() - started < 30_000) await new Promise((r) => setTimeout(r, 20));
    expect(finished()).toBe(1);
    const from = suite.proxy.requests().length;
    while (finished() < 2 && Date.now() - started < 30_000) await new Promise((r) => setTimeout(r, 20));
    expect(finished()).toBe(2);
    const round: Record<string, number> = {};
    for (const r of suite.proxy.requests().slice(from)) {
      const key = `${r.service}.${r.operation}`;
      round[key] = (round[key] ?? 0) + 1;
    }
    expect(c.logs.filter((l) => l.level === "warn" || l.level === "error")).toEqual([]);
    expect(round).toEqual({
      "lambda.ListFunctionEventInvokeConfigs": FUNCTIONS,
      "lambda.ListEventSourceMappings": Math.ceil(MAPPINGS / 100),
      "events.ListTargetsByRule": RULES,
    });
  }, 120_000);
});
