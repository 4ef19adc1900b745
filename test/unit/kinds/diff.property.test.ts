import type { Target } from "@aws-sdk/client-eventbridge";
import type {
  EventSourceMappingConfiguration,
  FunctionConfiguration,
  FunctionEventInvokeConfig,
  UpdateEventSourceMappingCommandInput,
} from "@aws-sdk/client-lambda";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { functionAddress, parseFunctionRef } from "../../../src/aws/arn.js";
import { ResourceError } from "../../../src/aws/errors.js";
import { eventSourceMapping } from "../../../src/kinds/event-source-mapping.js";
import { toActual, updateInput } from "../../../src/kinds/event-source-mapping-model.js";
import { eventTargetRetryPolicy, targetFor } from "../../../src/kinds/event-target-retry-policy.js";
import {
  deadLetterUpdateInput,
  functionDeadLetterConfig,
  toDeadLetterState,
} from "../../../src/kinds/function-dead-letter-config.js";
import {
  functionEventInvokeConfig,
  type InvokeConfigWrite,
  invokeConfigWrite,
  qualifierOf,
  toState,
} from "../../../src/kinds/function-event-invoke-config.js";
import {
  attributesFor,
  type QueueRedrivePolicyActual,
  type QueueRedrivePolicySpec,
  queueRedrivePolicy,
} from "../../../src/kinds/queue-redrive-policy.js";
import { parseQueueRef, parseRedrivePolicy } from "../../../src/kinds/sqs-queue.js";
import {
  ACCOUNT,
  deadLetterSpec,
  functionConfiguration,
  invokeConfig,
  invokeConfigSpec,
  mappingConfiguration,
  mappingSpec,
  REGION,
  redrivePolicy,
  redriveSpec,
  ruleTarget,
  sqsArn,
  targetSpec,
} from "./arbitraries.js";

/**
 * For every kind: whatever the spec and whatever AWS holds, writing the
 * request the kind builds into a model of AWS's documented semantics (Put
 * replaces, Update merges, SetQueueAttributes sets what it is given, PutTargets
 * replaces the target, "" or an empty value clears) and reading the result
 * back leaves nothing to change. A failure here is a perpetual diff: the
 * controller would write the same resource on every resync.
 */

const RUNS = { numRuns: Number(process.env.PROPERTY_RUNS ?? 600) };

/** Counts the runs that reached a write, so a generator that never makes drift cannot pass unseen. */
function writes(): { hit: () => void; expectMany: () => void } {
  let n = 0;
  return {
    hit: () => {
      n++;
    },
    expectMany: () => expect(n).toBeGreaterThan(RUNS.numRuns / 4),
  };
}

// ---- Models of what AWS does with each write (aws-reference §1–§5) ----

/**
 * PutFunctionEventInvokeConfig replaces the config; Get shows removed destinations as `{}` (§1.3);
 * UpdateFunctionEventInvokeConfig merges the settings it names (recorded, aws-recorded-behaviour §2).
 */
function putInvokeConfig(stored: FunctionEventInvokeConfig | undefined, write: InvokeConfigWrite) {
  if (!write) return stored;
  if ("delete" in write) return undefined;
  if ("update" in write) {
    const { MaximumRetryAttempts, MaximumEventAgeInSeconds } = write.update;
    return {
      ...stored,
      ...(MaximumRetryAttempts !== undefined && { MaximumRetryAttempts }),
      ...(MaximumEventAgeInSeconds !== undefined && { MaximumEventAgeInSeconds }),
    };
  }
  const { put } = write;
  const config: FunctionEventInvokeConfig = { DestinationConfig: { OnSuccess: {}, OnFailure: {} } };
  if (put.MaximumRetryAttempts !== undefined) config.MaximumRetryAttempts = put.MaximumRetryAttempts;
  if (put.MaximumEventAgeInSeconds !== undefined)
    config.MaximumEventAgeInSeconds = put.MaximumEventAgeInSeconds;
  const success = put.DestinationConfig?.OnSuccess?.Destination;
  const failure = put.DestinationConfig?.OnFailure?.Destination;
  if (success)
    config.DestinationConfig = { ...config.DestinationConfig, OnSuccess: { Destination: success } };
  if (failure)
    config.DestinationConfig = { ...config.DestinationConfig, OnFailure: { Destination: failure } };
  return config;
}

/** UpdateFunctionConfiguration changes only what it is sent; `TargetArn: ""` removes the DLQ (§2). */
function updateFunctionConfiguration(
  config: FunctionConfiguration,
  input: ReturnType<typeof deadLetterUpdateInput>,
): FunctionConfiguration {
  const target = input.DeadLetterConfig?.TargetArn;
  return { ...config, DeadLetterConfig: target ? { TargetArn: target } : {}, RevisionId: "after-update" };
}

/** UpdateEventSourceMapping merges; an empty destination, list or scaling config clears that setting (§3). */
function updateMapping(
  config: EventSourceMappingConfiguration,
  input: UpdateEventSourceMappingCommandInput,
): EventSourceMappingConfiguration {
  const next: EventSourceMappingConfiguration = structuredClone(config);
  for (const [key, value] of Object.entries(input)) {
    if (key === "UUID" || value === undefined) continue;
    if (key === "DestinationConfig") {
      const destination = input.DestinationConfig?.OnFailure?.Destination;
      next.DestinationConfig = { OnFailure: destination ? { Destination: destination } : {} };
    } else if (key === "ScalingConfig") {
      const max = input.ScalingConfig?.MaximumConcurrency;
      next.ScalingConfig = max === undefined ? {} : { MaximumConcurrency: max };
    } else {
      (next as Record<string, unknown>)[key] = structuredClone(value);
    }
  }
  return next;
}

/** SetQueueAttributes sets each attribute given; an empty RedrivePolicy removes it (§4). */
function setQueueAttributes(stored: Record<string, string>, given: Record<string, string>) {
  const next = { ...stored };
  for (const [key, value] of Object.entries(given)) {
    if (key === "RedrivePolicy" && value === "") delete next.RedrivePolicy;
    else next[key] = value;
  }
  return next;
}

/** What the kind's read makes of GetQueueAttributes (queue-redrive-policy.ts readOne). */
function readQueue(url: string, attributes: Record<string, string>): QueueRedrivePolicyActual {
  const policy = parseRedrivePolicy(attributes.RedrivePolicy);
  return {
    queueUrl: url,
    queueArn: attributes.QueueArn as string,
    deadLetterQueue: policy.deadLetterQueue,
    maxReceiveCount: policy.maxReceiveCount,
    visibilityTimeoutSeconds: Number(attributes.VisibilityTimeout ?? 30),
    otherPolicyKeys: policy.other,
  };
}

/** The states the kind's read reports as an error instead (it never diffs or applies them). */
function readRefuses(spec: QueueRedrivePolicySpec, actual: QueueRedrivePolicyActual): boolean {
  const noPolicy = actual.deadLetterQueue === null;
  const noCount = actual.maxReceiveCount === null;
  return (
    (noPolicy && typeof spec.maxReceiveCount === "number" && spec.deadLetterQueue === undefined) ||
    (noCount && typeof spec.deadLetterQueue === "string" && spec.maxReceiveCount === undefined)
  );
}

const functionArnOf = (ref: string) =>
  `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${parseFunctionRef(ref)?.name ?? ref}`;

describe("diff(desired, apply(desired, actual)) is empty, for every kind", () => {
  it("FunctionEventInvokeConfig: the Put, Update or Delete leaves nothing to change", () => {
    const w = writes();
    fc.assert(
      fc.property(invokeConfigSpec, invokeConfig, (spec, stored) => {
        const actual = toState(stored);
        const changes = functionEventInvokeConfig.diff(spec, actual);
        if (changes.length === 0) return;
        w.hit();
        const write = invokeConfigWrite(spec, actual, changes);
        expect(write).toBeDefined();
        const target =
          write && ("put" in write ? write.put : "update" in write ? write.update : write.delete);
        // The function as the manifest named it, qualifier aside: an ARN keeps its account.
        expect(target?.FunctionName).toBe(functionAddress(spec.functionName, spec.region));
        const qualifier = qualifierOf(spec);
        expect(target?.Qualifier).toBe(qualifier === "$LATEST" ? undefined : qualifier);
        expect(functionEventInvokeConfig.diff(spec, toState(putInvokeConfig(stored, write)))).toEqual([]);
      }),
      RUNS,
    );
    w.expectMany();
  });

  it("FunctionDeadLetterConfig: UpdateFunctionConfiguration sends only the DLQ and leaves nothing to change", () => {
    const w = writes();
    fc.assert(
      fc.property(deadLetterSpec, functionConfiguration, (spec, config) => {
        const actual = toDeadLetterState(config);
        const changes = functionDeadLetterConfig.diff(spec, actual);
        if (changes.length === 0) return;
        w.hit();
        const input = deadLetterUpdateInput(spec, actual);
        expect(Object.keys(input).sort()).toEqual(["DeadLetterConfig", "FunctionName", "RevisionId"]);
        expect(input.RevisionId).toBe(config.RevisionId);
        const after = toDeadLetterState(updateFunctionConfiguration(config, input));
        expect(functionDeadLetterConfig.diff(spec, after)).toEqual([]);
      }),
      RUNS,
    );
    w.expectMany();
  });

  it("EventSourceMapping: the merging Update leaves nothing to change", () => {
    const cases = mappingSpec.chain((m) =>
      mappingConfiguration(m.uuid, m.sourceArn, functionArnOf(m.spec.functionName)).map((config) => ({
        ...m,
        config,
      })),
    );
    const w = writes();
    fc.assert(
      fc.property(cases, ({ spec, config }) => {
        const actual = toActual(spec, config);
        // A state the read already reports as an error (e.g. a batch window AWS would refuse) is never applied.
        fc.pre(!(actual instanceof ResourceError));
        if (actual instanceof ResourceError) return;
        const changes = eventSourceMapping.diff(spec, actual);
        if (changes.length === 0) return;
        w.hit();
        const after = toActual(spec, updateMapping(config, updateInput(actual.uuid, changes)));
        expect(after).not.toBeInstanceOf(ResourceError);
        if (after instanceof ResourceError) return;
        expect(eventSourceMapping.diff(spec, after)).toEqual([]);
      }),
      RUNS,
    );
    w.expectMany();
  });

  it("QueueRedrivePolicy: SetQueueAttributes leaves nothing to change and keeps unmanaged policy keys", () => {
    const visibility = fc.option(fc.integer({ min: 0, max: 43200 }), { nil: undefined });
    const w = writes();
    fc.assert(
      fc.property(redriveSpec, redrivePolicy, visibility, (spec, policy, seconds) => {
        const name = parseQueueRef(spec.queue)?.name as string;
        const url = `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}`;
        const stored: Record<string, string> = { QueueArn: sqsArn(name) };
        if (seconds !== undefined) stored.VisibilityTimeout = String(seconds);
        if (policy) {
          const { other, ...halves } = policy;
          stored.RedrivePolicy = JSON.stringify({ ...other, ...halves });
        }
        const actual = readQueue(url, stored);
        fc.pre(!readRefuses(spec, actual));
        const changes = queueRedrivePolicy.diff(spec, actual);
        if (changes.length === 0) return;
        w.hit();
        const given = attributesFor(actual, changes);
        const after = readQueue(url, setQueueAttributes(stored, given));
        expect(queueRedrivePolicy.diff(spec, after)).toEqual([]);
        if (given.RedrivePolicy) expect(after.otherPolicyKeys).toEqual(actual.otherPolicyKeys);
      }),
      RUNS,
    );
    w.expectMany();
  });

  it("EventTargetRetryPolicy: PutTargets replaces the target, leaves nothing to change, keeps the rest", () => {
    const cases = targetSpec.chain((spec) => ruleTarget(spec.targetId).map((target) => ({ spec, target })));
    const w = writes();
    fc.assert(
      fc.property(cases, ({ spec, target }) => {
        const changes = eventTargetRetryPolicy.diff(spec, { target });
        if (changes.length === 0) return;
        w.hit();
        // PutTargets stores exactly the target sent (aws-reference §5: full replace).
        const after: Target = structuredClone(targetFor(target, changes, spec));
        expect(eventTargetRetryPolicy.diff(spec, { target: after })).toEqual([]);
        for (const key of Object.keys(target) as (keyof Target)[]) {
          if (key !== "RetryPolicy" && key !== "DeadLetterConfig")
            expect(after[key], key).toEqual(target[key]);
        }
      }),
      RUNS,
    );
    w.expectMany();
  });
});
