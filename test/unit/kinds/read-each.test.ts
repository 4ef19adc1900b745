import { describe, expect, it } from "vitest";
import { functionDeadLetterConfig } from "../../../src/kinds/function-dead-letter-config.js";
import { functionEventInvokeConfig } from "../../../src/kinds/function-event-invoke-config.js";
import { READ_CONCURRENCY, readEach } from "../../../src/kinds/read-each.js";
import { desired } from "../../support/kinds.js";
import { fakeLambdaContext } from "./fake-lambda.js";

const REGION = "us-east-1";

/** A fake Lambda that answers after a few milliseconds and records the most calls it had open at once. */
function slowLambda() {
  let open = 0;
  const seen = { max: 0 };
  const fake = fakeLambdaContext(async (command, input) => {
    open++;
    seen.max = Math.max(seen.max, open);
    await new Promise((r) => setTimeout(r, 2));
    open--;
    if (command === "GetFunction")
      return {
        Configuration: { FunctionName: input.FunctionName, State: "Active", LastUpdateStatus: "Successful" },
      };
    if (command === "ListFunctionEventInvokeConfigs") return { FunctionEventInvokeConfigs: [] };
    throw new Error(`unexpected ${command}`);
  });
  return { ...fake, seen };
}

describe("reads of a large batch", () => {
  it("readEach runs every item, never more than READ_CONCURRENCY at once", async () => {
    let open = 0;
    let max = 0;
    const done: number[] = [];
    await readEach(
      Array.from({ length: 100 }, (_, i) => i),
      async (i) => {
        open++;
        max = Math.max(max, open);
        await new Promise((r) => setTimeout(r, 1));
        open--;
        done.push(i);
      },
    );
    expect(done.sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(max).toBe(READ_CONCURRENCY);
  });

  it.each([
    ["FunctionDeadLetterConfig", functionDeadLetterConfig, { targetArn: null }],
    ["FunctionEventInvokeConfig", functionEventInvokeConfig, { maximumRetryAttempts: 0 }],
    // biome-ignore lint/suspicious/noExplicitAny: one table over two kinds with different spec types.
  ] as [string, any, Record<string, unknown>][])(
    "%s keeps at most READ_CONCURRENCY Lambda calls open for 200 functions, and reads them all",
    async (_name, kind, extra) => {
      const { ctx, calls, seen } = slowLambda();
      const resources = Array.from({ length: 200 }, (_, i) =>
        desired(kind, { functionName: `fn-${i}`, ...extra }, REGION, `r${i}`),
      );
      const read = await kind.read(ctx, resources);
      expect(calls).toHaveLength(200);
      expect([...read.keys()].sort()).toEqual(resources.map((r) => r.identity).sort());
      expect(seen.max).toBe(READ_CONCURRENCY);
    },
  );
});
