// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${…} here are retryctl policy variables, not JavaScript placeholders.
import { describe, expect, it } from "vitest";
import { discoveryTargets, expand } from "../../../src/fleet/expand.js";
import type { Manifest } from "../../../src/manifests/manifest.js";
import { CTX, fn, HUB, MEMBER, manifest, mapping, policy } from "./helpers.js";

const brief = (m: Manifest) => ({
  kind: m.kind.kind,
  name: m.name,
  region: m.region,
  spec: m.spec,
  policy: m.policy,
});

describe("expand", () => {
  it("selects by name glob, tags (value * = key present) and exclusions, across accounts and regions", () => {
    const p = policy(
      "payments",
      `  selector:
    accounts: ["${HUB}", "${MEMBER}"]
    regions: [us-east-1, eu-west-1]
    functionNames: ["orders-*", "pay-?"]
    excludeFunctionNames: ["orders-legacy-*"]
    tags: { team: payments, cost: "*" }
  asyncInvoke:
    maximumRetryAttempts: 1
    onFailure: arn:aws:sqs:\${region}:\${account}:failures-\${functionName}
`,
    );
    const team = { team: "payments", cost: "x" };
    const inventory = {
      functions: [
        fn("orders-api", team),
        fn("orders-api", team, MEMBER, "eu-west-1"),
        fn("pay-1", team, MEMBER),
        fn("pay-12", team), // ? is one character
        fn("orders-legacy-1", team), // excluded
        fn("orders-nocost", { team: "payments" }), // tag key missing
        fn("orders-other", { team: "search", cost: "x" }), // tag value differs
        fn("orders-far", team, HUB, "ap-south-1"), // region not selected
        fn("orders-else", team, "333333333333"), // account not selected
      ],
      mappings: [],
    };
    const out = expand([p], [], inventory, CTX);
    expect(out.errors).toEqual([]);
    expect(out.manifests.map(brief)).toEqual([
      {
        kind: "FunctionEventInvokeConfig",
        name: "payments/orders-api",
        region: "eu-west-1",
        spec: {
          account: MEMBER,
          region: "eu-west-1",
          functionName: "orders-api",
          maximumRetryAttempts: 1,
          onFailure: `arn:aws:sqs:eu-west-1:${MEMBER}:failures-orders-api`,
        },
        policy: "payments",
      },
      {
        kind: "FunctionEventInvokeConfig",
        name: "payments/orders-api",
        region: "us-east-1",
        spec: {
          account: HUB,
          region: "us-east-1",
          functionName: "orders-api",
          maximumRetryAttempts: 1,
          onFailure: `arn:aws:sqs:us-east-1:${HUB}:failures-orders-api`,
        },
        policy: "payments",
      },
      {
        kind: "FunctionEventInvokeConfig",
        name: "payments/pay-1",
        region: "us-east-1",
        spec: {
          account: MEMBER,
          region: "us-east-1",
          functionName: "pay-1",
          maximumRetryAttempts: 1,
          onFailure: `arn:aws:sqs:us-east-1:${MEMBER}:failures-pay-1`,
        },
        policy: "payments",
      },
    ]);
    expect(out.manifests.every((m) => m.source.file === "payments.yaml" && m.source.line === 1)).toBe(true);
    expect(out.matches).toEqual([
      {
        policy: "payments",
        source: { file: "payments.yaml", line: 1 },
        functions: 3,
        accounts: 2,
        regions: 2,
        resources: 3,
      },
    ]);
  });

  it("defaults the selector to the hub's account and the controller's region", () => {
    const p = policy("all", "  deadLetterConfig:\n    targetArn: null\n");
    const out = expand(
      [p],
      [],
      { functions: [fn("a"), fn("b", {}, MEMBER), fn("c", {}, HUB, "eu-west-1")], mappings: [] },
      CTX,
    );
    expect(out.manifests.map((m) => m.key)).toEqual([`FunctionDeadLetterConfig/us-east-1:${HUB}/a`]);
  });

  it("gives each field to the explicit manifest, else the highest priority (org 0 + team 10 + explicit)", () => {
    const org = policy(
      "org",
      `  asyncInvoke:
    maximumRetryAttempts: 0
    maximumEventAgeInSeconds: 600
    onFailure: arn:aws:sqs:us-east-1:${HUB}:org-failures
`,
    );
    const team = policy(
      "team",
      `  priority: 10
  selector: { functionNames: ["orders-*"] }
  asyncInvoke:
    maximumRetryAttempts: 1
    maximumEventAgeInSeconds: 3600
`,
    );
    const explicit = manifest(
      "FunctionEventInvokeConfig",
      "orders-api",
      "  functionName: orders-api\n  maximumEventAgeInSeconds: 120\n",
    );
    const out = expand(
      [org, team],
      [explicit],
      { functions: [fn("orders-api"), fn("search")], mappings: [] },
      CTX,
    );
    expect(out.manifests.map(brief)).toEqual([
      {
        kind: "FunctionEventInvokeConfig",
        name: "orders-api",
        region: "us-east-1",
        spec: {
          functionName: "orders-api",
          maximumEventAgeInSeconds: 120,
          maximumRetryAttempts: 1,
          onFailure: `arn:aws:sqs:us-east-1:${HUB}:org-failures`,
        },
        policy: "team",
      },
      {
        kind: "FunctionEventInvokeConfig",
        name: "org/search",
        region: "us-east-1",
        spec: {
          account: HUB,
          region: "us-east-1",
          functionName: "search",
          maximumRetryAttempts: 0,
          maximumEventAgeInSeconds: 600,
          onFailure: `arn:aws:sqs:us-east-1:${HUB}:org-failures`,
        },
        policy: "org",
      },
    ]);
    // The explicit manifest keeps its key, name and source: one desired resource, no conflict.
    expect(out.manifests[0]?.key).toBe(explicit.key);
    expect(out.manifests[0]?.source).toEqual(explicit.source);
  });

  it("reports equal-priority disagreement as PolicyConflict naming both, and leaves that field out", () => {
    const a = policy(
      "alpha",
      "  asyncInvoke:\n    maximumRetryAttempts: 0\n    maximumEventAgeInSeconds: 600\n",
    );
    const b = policy(
      "beta",
      "  asyncInvoke:\n    maximumRetryAttempts: 2\n    maximumEventAgeInSeconds: 600\n",
    );
    const out = expand([b, a], [], { functions: [fn("f")], mappings: [] }, CTX);
    expect(out.manifests).toHaveLength(1);
    const [m] = out.manifests;
    expect(m?.spec).toEqual({
      account: HUB,
      region: "us-east-1",
      functionName: "f",
      maximumEventAgeInSeconds: 600,
    });
    expect(m?.name).toBe("alpha/f");
    expect(m?.issues).toEqual([
      {
        code: "PolicyConflict",
        blocking: false,
        message: expect.stringMatching(
          /^maximumRetryAttempts: alpha \(priority 0, alpha\.yaml:1\) sets 0, beta \(priority 0, beta\.yaml:1\) sets 2;/,
        ),
      },
    ]);
  });

  it("makes a policy over maxMatches a TooManyMatches error that applies nothing", () => {
    const guarded = policy("guarded", "  maxMatches: 2\n  deadLetterConfig:\n    targetArn: null\n");
    const other = policy("other", "  asyncInvoke:\n    maximumRetryAttempts: 1\n");
    const out = expand([guarded, other], [], { functions: [fn("a"), fn("b"), fn("c")], mappings: [] }, CTX);
    expect(out.manifests.map((m) => m.kind.kind)).toEqual([
      "FunctionEventInvokeConfig",
      "FunctionEventInvokeConfig",
      "FunctionEventInvokeConfig",
    ]);
    expect(out.errors).toEqual([
      {
        file: "guarded.yaml",
        line: 1,
        path: "spec.maxMatches",
        code: "TooManyMatches",
        kind: "RetryPolicy",
        name: "guarded",
        message:
          "matches 3 functions, more than maxMatches 2: the policy applies nothing until its selector or maxMatches is changed",
      },
    ]);
    expect(out.matches.find((m) => m.policy === "guarded")?.error?.code).toBe("TooManyMatches");
  });

  it("configures stream and SQS mappings apart, and each SQS mapping's source queue with ${queueName}", () => {
    const p = policy(
      "consumers",
      `  streamMappings:
    maximumRetryAttempts: 3
    bisectBatchOnFunctionError: true
  queueMappings:
    functionResponseTypes: [ReportBatchItemFailures]
  sourceQueues:
    deadLetterQueue: \${queueName}-dlq
    maxReceiveCount: 5
`,
    );
    const kinesis = `arn:aws:kinesis:us-east-1:${HUB}:stream/orders`;
    const queue = `arn:aws:sqs:us-east-1:${HUB}:work`;
    const uuidK = "11111111-1111-1111-1111-111111111111";
    const uuidQ = "22222222-2222-2222-2222-222222222222";
    const out = expand(
      [p],
      [],
      {
        functions: [fn("worker")],
        mappings: [mapping("worker", uuidK, kinesis), mapping("worker", uuidQ, queue)],
      },
      CTX,
    );
    expect(out.manifests.map(brief)).toEqual([
      {
        kind: "EventSourceMapping",
        name: `consumers/worker/${uuidK}`,
        region: "us-east-1",
        spec: {
          account: HUB,
          region: "us-east-1",
          functionName: "worker",
          eventSourceArn: kinesis,
          maximumRetryAttempts: 3,
          bisectBatchOnFunctionError: true,
        },
        policy: "consumers",
      },
      {
        kind: "EventSourceMapping",
        name: `consumers/worker/${uuidQ}`,
        region: "us-east-1",
        spec: {
          account: HUB,
          region: "us-east-1",
          functionName: "worker",
          eventSourceArn: queue,
          functionResponseTypes: ["ReportBatchItemFailures"],
        },
        policy: "consumers",
      },
      {
        kind: "QueueRedrivePolicy",
        name: "consumers/work",
        region: "us-east-1",
        spec: { account: HUB, region: "us-east-1", queue, deadLetterQueue: "work-dlq", maxReceiveCount: 5 },
        policy: "consumers",
      },
    ]);
  });

  it("merges an explicit mapping named by uuid with the policy's resource for that mapping", () => {
    const p = policy(
      "streams",
      "  streamMappings:\n    maximumRetryAttempts: 3\n    bisectBatchOnFunctionError: true\n",
    );
    const uuid = "11111111-1111-1111-1111-111111111111";
    const explicit = manifest(
      "EventSourceMapping",
      "by-uuid",
      `  functionName: worker\n  uuid: ${uuid}\n  maximumRetryAttempts: 7\n`,
    );
    const stream = `arn:aws:kinesis:us-east-1:${HUB}:stream/orders`;
    const out = expand(
      [p],
      [explicit],
      { functions: [fn("worker")], mappings: [mapping("worker", uuid, stream)] },
      CTX,
    );
    expect(out.manifests.map((m) => [m.name, m.spec])).toEqual([
      [
        "by-uuid",
        { functionName: "worker", uuid, maximumRetryAttempts: 7, bisectBatchOnFunctionError: true },
      ],
    ]);
  });

  it("makes a value that fails the kind's schema after substitution an error on that resource, naming the policy", () => {
    // ${functionName} makes an SQS queue name too long for the ARN rule only once it is filled in.
    const p = policy(
      "long",
      "  asyncInvoke:\n    maximumRetryAttempts: 1\n    onFailure: arn:aws:sqs:${region}:${account}:${functionName}-${functionName}-failures\n",
    );
    const name = "f".repeat(40);
    const out = expand([p], [], { functions: [fn(name), fn("short")], mappings: [] }, CTX);
    const long = out.manifests.find((m) => m.spec.functionName === name);
    expect(long?.spec).toEqual({ account: HUB, region: "us-east-1", functionName: name });
    expect(long?.issues).toEqual([
      {
        code: "InvalidExpansion",
        blocking: true,
        message: expect.stringContaining(
          "policy long (long.yaml:1) gives FunctionEventInvokeConfig an invalid value once its variables are filled in: spec.asyncInvoke.onFailure must be the ARN of",
        ),
      },
    ]);
    expect(out.manifests.find((m) => m.spec.functionName === "short")?.issues).toBeUndefined();
  });

  it("leaves explicit manifests no policy matches as they are", () => {
    const explicit = manifest(
      "FunctionDeadLetterConfig",
      "lone",
      "  functionName: lone\n  targetArn: null\n",
    );
    const out = expand([], [explicit], { functions: [fn("lone")], mappings: [] }, CTX);
    expect(out.manifests).toEqual([explicit]);
  });
});

describe("discoveryTargets", () => {
  it("lists each (account, region) once, reading tags and mappings only where a policy needs them", () => {
    const tagged = policy(
      "tagged",
      `  selector: { accounts: ["${MEMBER}"], regions: [eu-west-1, us-east-1], tags: { team: x } }\n  asyncInvoke:\n    maximumRetryAttempts: 1\n`,
    );
    const streams = policy("streams", "  streamMappings:\n    maximumRetryAttempts: 1\n");
    expect(discoveryTargets([tagged, streams], CTX)).toEqual([
      { account: HUB, region: "us-east-1", tags: false, mappings: true },
      { account: MEMBER, region: "eu-west-1", tags: true, mappings: false },
      { account: MEMBER, region: "us-east-1", tags: true, mappings: false },
    ]);
  });
});
