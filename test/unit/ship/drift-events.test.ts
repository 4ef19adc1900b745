import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { DRIFT_EVENT_LINES } from "../../../src/drift/event-objects.js";

const DIR = join(import.meta.dirname, "../../../deploy/drift-events");
const pattern = JSON.parse(readFileSync(join(DIR, "event-pattern.json"), "utf8"));

// CloudFormation's short-form tags, kept as data so the template can be inspected.
const customTags = ["Ref", "GetAtt", "Sub"].map((name) => ({
  tag: `!${name}`,
  resolve: (value: unknown) => ({ [name]: value }),
}));

function template(file: string) {
  return parse(readFileSync(join(DIR, file), "utf8"), { customTags }) as {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  };
}

describe("deploy/drift-events", () => {
  it("the rule and the member-account forwarding rule use exactly event-pattern.json", () => {
    expect(template("template.yaml").Resources.DriftEventsRule?.Properties.EventPattern).toEqual(pattern);
    expect(template("member-forwarding.yaml").Resources.ForwardRule?.Properties.EventPattern).toEqual(
      pattern,
    );
  });

  it("covers the write calls of every event mapping line (each name as a prefix or an exact name)", () => {
    const names = pattern.detail.eventName as (string | { prefix: string })[];
    for (const line of DRIFT_EVENT_LINES) {
      expect(pattern.detail.eventSource, line.kind).toContain(line.source);
      for (const event of line.events) {
        const covered = names.some((n) => (typeof n === "string" ? n === event : n.prefix === event));
        expect(covered, `${line.kind} ${event}`).toBe(true);
      }
    }
  });

  it("sends the rule's events to the feed queue, which has its own DLQ and a policy allowing only that rule", () => {
    const { Resources: r } = template("template.yaml");
    const rule = r.DriftEventsRule?.Properties as {
      Targets: { Arn: unknown; DeadLetterConfig: { Arn: unknown } }[];
    };
    expect(rule.Targets[0]?.Arn).toEqual({ GetAtt: "FeedQueue.Arn" });
    expect(rule.Targets[0]?.DeadLetterConfig.Arn).toEqual({ GetAtt: "RuleDeadLetterQueue.Arn" });
    expect(r.FeedQueue?.Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: { GetAtt: "FeedDeadLetterQueue.Arn" },
      maxReceiveCount: 5,
    });
    const policy = r.FeedQueuePolicy?.Properties as {
      Queues: unknown[];
      PolicyDocument: { Statement: { Principal: unknown; Action: string; Condition: unknown }[] };
    };
    expect(policy.Queues).toEqual([{ Ref: "FeedQueue" }]);
    expect(policy.PolicyDocument.Statement).toEqual([
      expect.objectContaining({
        Principal: { Service: "events.amazonaws.com" },
        Action: "sqs:SendMessage",
        Condition: { ArnEquals: { "aws:SourceArn": { GetAtt: "DriftEventsRule.Arn" } } },
      }),
    ]);
  });
});
