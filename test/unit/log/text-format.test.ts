import { describe, expect, it } from "vitest";
import { createLogger } from "../../../src/log/logger.js";

function textLines(emit: (log: ReturnType<typeof createLogger>) => void, level = "info"): string[] {
  const lines: string[] = [];
  emit(createLogger(level, { write: (line: string) => void lines.push(line) }, "text"));
  return lines;
}

const CLOCK = String.raw`\d\d:\d\d:\d\d`;

describe("the text log format", () => {
  it("writes a repair as time, level, message, resource and the field changes, on one line", () => {
    const lines = textLines((log) =>
      log.info(
        {
          kind: "FunctionEventInvokeConfig",
          name: "orders",
          region: "us-east-1",
          revision: `sha256:${"a".repeat(64)}`,
          action: "update",
          changes: [{ field: "maximumRetryAttempts", actual: 0, desired: 2 }],
        },
        "drift repaired",
      ),
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^${CLOCK} INFO drift repaired FunctionEventInvokeConfig/orders maximumRetryAttempts: 0 -> 2\\n$`,
      ),
    );
  });

  it("shows the clock of the machine's time zone", () => {
    const hour = () => String(new Date().getHours()).padStart(2, "0");
    const before = hour();
    const [line] = textLines((log) => log.info("x"));
    expect([before, hour()]).toContain(line?.slice(0, 2));
  });

  it("quotes values that hold spaces, shows several changes and absent values as null, puts the error last", () => {
    const [line] = textLines((log) =>
      log.warn(
        {
          kind: "QueueRedrivePolicy",
          name: "work",
          changes: [
            { field: "deadLetterQueue", actual: null, desired: "arn:aws:sqs:us-east-1:1:dlq" },
            { field: "maxReceiveCount", actual: 1, desired: 5 },
          ],
          error: {
            code: "QueueNotFound",
            message: "queue work does not exist\nin us-east-1",
            retry: "terminal",
          },
          delayMs: 400,
          previousRevision: null,
          note: "two words",
        },
        "reconcile failed",
      ),
    );
    expect(line).toBe(
      `${line?.slice(0, 8)} WARN reconcile failed QueueRedrivePolicy/work ` +
        'deadLetterQueue: null -> "arn:aws:sqs:us-east-1:1:dlq", maxReceiveCount: 1 -> 5 ' +
        'delayMs=400 note="two words" error QueueNotFound: queue work does not exist\\nin us-east-1\n',
    );
  });

  it("writes a thrown Error as its type and message, without the stack", () => {
    const [line] = textLines((log) => log.error({ err: new TypeError("boom") }, "HTTP handler failed"));
    expect(line).toMatch(new RegExp(`^${CLOCK} ERROR HTTP handler failed error TypeError: boom\\n$`));
  });

  it("keeps pino's level filter", () => {
    expect(textLines((log) => log.debug("hidden"), "info")).toEqual([]);
  });
});
