import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ResourceError } from "../../../src/aws/errors.js";
import { DEFAULT_PROGRESS_INTERVAL_MS, WaitReporter } from "../../../src/cli/progress.js";

const orders = {
  key: "FunctionEventInvokeConfig/us-east-1/orders/$LATEST",
  label: "FunctionEventInvokeConfig/orders",
};
const mapping = { key: "EventSourceMapping/us-east-1/abc", label: "EventSourceMapping/stream" };

describe("WaitReporter", () => {
  let out: string[];
  let reporter: WaitReporter;
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
    out = [];
    reporter = new WaitReporter({ write: (t) => out.push(t) });
    reporter.start();
  });
  afterEach(() => {
    reporter.stop();
    vi.useRealTimers();
  });

  it("reports at least every 10 s by default (design §13)", () => {
    expect(DEFAULT_PROGRESS_INTERVAL_MS).toBeLessThanOrEqual(10_000);
    reporter.step(orders, "reading");
    vi.advanceTimersByTime(DEFAULT_PROGRESS_INTERVAL_MS - 1);
    expect(out).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(out).toEqual([
      "still waiting for 1 resource(s): reading FunctionEventInvokeConfig/orders (for up to 10s)\n",
    ]);
    vi.advanceTimersByTime(DEFAULT_PROGRESS_INTERVAL_MS);
    expect(out).toHaveLength(2);
  });

  it("a wait names its code, its reason and the time left, also while the resource is read again", () => {
    const error = new ResourceError(
      "UpdateInProgress",
      "An update is in progress for resource: arn:…",
      "waiting",
    );
    reporter.waiting(orders, error, 120_000);
    vi.advanceTimersByTime(8_000);
    reporter.step(orders, "reading");
    vi.advanceTimersByTime(2_000);
    expect(out).toEqual([
      "waiting: FunctionEventInvokeConfig/orders: UpdateInProgress (function update in progress), retrying for up to 1m50s more\n",
    ]);
  });

  it("once the resource applies, the wait is over", () => {
    reporter.waiting(orders, new ResourceError("UpdateInProgress", "in progress", "waiting"), 120_000);
    reporter.step(orders, "applying");
    vi.advanceTimersByTime(10_000);
    expect(out).toEqual([
      "still waiting for 1 resource(s): applying FunctionEventInvokeConfig/orders (for up to 10s)\n",
    ]);
  });

  it("an unknown code shows the error's message", () => {
    reporter.waiting(orders, new ResourceError("InternalError", "something odd", "transient"), 30_000);
    vi.advanceTimersByTime(10_000);
    expect(out[0]).toBe(
      "waiting: FunctionEventInvokeConfig/orders: InternalError (something odd), retrying for up to 20s more\n",
    );
  });

  it("failed SDK attempts since the last report are counted, then forgotten", () => {
    reporter.step(mapping, "applying");
    reporter.request({
      service: "lambda",
      operation: "UpdateEventSourceMapping",
      region: "us-east-1",
      outcome: "error",
      errorName: "TimeoutError",
    });
    reporter.request({
      service: "lambda",
      operation: "UpdateEventSourceMapping",
      region: "us-east-1",
      outcome: "success",
    });
    reporter.request({
      service: "lambda",
      operation: "UpdateEventSourceMapping",
      region: "us-east-1",
      outcome: "throttled",
      errorName: "TooManyRequestsException",
    });
    vi.advanceTimersByTime(10_000);
    expect(out[0]).toBe(
      "still waiting for 1 resource(s): applying EventSourceMapping/stream (for up to 10s); 2 AWS attempt(s) failed since the last report, the last lambda UpdateEventSourceMapping: TooManyRequestsException\n",
    );
    vi.advanceTimersByTime(10_000);
    expect(out[1]).toBe(
      "still waiting for 1 resource(s): applying EventSourceMapping/stream (for up to 20s)\n",
    );
  });

  it("lists at most five names per line and is silent once every resource is done", () => {
    const many = Array.from({ length: 7 }, (_, i) => ({
      key: `k${i}`,
      label: `FunctionEventInvokeConfig/f${i}`,
    }));
    for (const t of many)
      reporter.waiting(t, new ResourceError("Throttled", "Rate exceeded", "transient"), 60_000);
    vi.advanceTimersByTime(10_000);
    const lines = (out[0] ?? "").trimEnd().split("\n");
    expect(lines).toHaveLength(6);
    expect(lines[5]).toBe("waiting: … and 2 more resource(s)");
    for (const t of many) reporter.done(t);
    vi.advanceTimersByTime(10_000);
    expect(out).toHaveLength(1);
  });
});
