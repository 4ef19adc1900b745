import { describe, expect, it } from "vitest";
import { parseDriftMessage } from "../../../src/drift/cloudtrail-event.js";
import { linesFor } from "../../../src/drift/event-objects.js";

const event = {
  version: "0",
  id: "6f2a1b3c-0000-4000-8000-000000000001",
  "detail-type": "AWS API Call via CloudTrail",
  source: "aws.lambda",
  account: "123456789012",
  time: "2026-12-01T10:00:00Z",
  region: "us-east-1",
  resources: [],
  detail: {
    eventSource: "lambda.amazonaws.com",
    eventName: "UpdateFunctionConfiguration20150331v2",
    eventID: "0d1c2b3a-0000-4000-8000-000000000002",
    requestParameters: { functionName: "orders" },
    responseElements: null,
    readOnly: false,
  },
};

describe("drift feed messages", () => {
  it("parses the EventBridge envelope of a CloudTrail event, null parameters included", () => {
    const parsed = parseDriftMessage(JSON.stringify(event));
    expect(parsed.ok && parsed.event.detail.eventName).toBe("UpdateFunctionConfiguration20150331v2");
    const none = parseDriftMessage(
      JSON.stringify({ ...event, detail: { ...event.detail, requestParameters: null } }),
    );
    expect(none.ok).toBe(true);
  });

  it("names what is wrong with a message that is not one", () => {
    expect(parseDriftMessage("")).toEqual({ ok: false, problem: "empty message body" });
    expect(parseDriftMessage("{")).toEqual({ ok: false, problem: "message body is not JSON" });
    const other = parseDriftMessage(
      JSON.stringify({ ...event, "detail-type": "EC2 Instance State-change Notification" }),
    );
    expect(other).toMatchObject({ ok: false, problem: expect.stringContaining("detail-type") });
    const { account: _, ...noAccount } = event;
    expect(parseDriftMessage(JSON.stringify(noAccount))).toMatchObject({
      ok: false,
      problem: expect.stringContaining("account"),
    });
  });

  it("matches Lambda event names by prefix, whatever the API-version suffix, and nothing else", () => {
    expect(
      linesFor("lambda.amazonaws.com", "UpdateFunctionConfiguration20150331v2").map((l) => l.kind),
    ).toEqual(["FunctionDeadLetterConfig"]);
    expect(linesFor("lambda.amazonaws.com", "UpdateEventSourceMapping20150331").map((l) => l.kind)).toEqual([
      "EventSourceMapping",
    ]);
    expect(linesFor("lambda.amazonaws.com", "GetFunction20150331v2")).toEqual([]);
    // The same name from another service is not a Lambda call.
    expect(linesFor("sqs.amazonaws.com", "PutFunctionEventInvokeConfig20190925")).toEqual([]);
  });
});
