import { PreconditionFailedException, ResourceConflictException } from "@aws-sdk/client-lambda";
import { describe, expect, it } from "vitest";
import {
  type DeadLetterState,
  type FunctionDeadLetterConfigSpec,
  functionDeadLetterConfig as kind,
  toDeadLetterState,
} from "../../../src/kinds/function-dead-letter-config.js";
import type { DesiredResource } from "../../../src/kinds/kind.js";
import { fakeLambdaContext, functionNotFound, type Handler } from "./fake-lambda.js";
import { lintContext } from "./lint-context.js";

const REGION = "us-east-1";
const ACCOUNT = "123456789012";
const FN_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:orders`;
const QUEUE = `arn:aws:sqs:${REGION}:${ACCOUNT}:orders-dlq`;
const TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:orders-dlq`;

function issues(spec: Record<string, unknown>): string[] {
  const result = kind.specSchema.safeParse(spec);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

function spec(extra: Partial<FunctionDeadLetterConfigSpec> = {}): FunctionDeadLetterConfigSpec {
  return kind.specSchema.parse({ functionName: "orders", ...extra });
}

function resource(
  s: FunctionDeadLetterConfigSpec,
  region = REGION,
): DesiredResource<FunctionDeadLetterConfigSpec> {
  return { name: "r", region, identity: kind.identity(s, region), spec: s };
}

describe("FunctionDeadLetterConfig schema", () => {
  it("accepts SQS and SNS targets and null, by name, partial ARN or ARN", () => {
    for (const functionName of ["orders", `${ACCOUNT}:function:orders`, FN_ARN, `${FN_ARN}:$LATEST`]) {
      for (const targetArn of [QUEUE, TOPIC, null]) expect(issues({ functionName, targetArn })).toEqual([]);
    }
  });

  it("rejects a version or alias, which cannot have its DLQ changed", () => {
    for (const functionName of ["orders:live", `${FN_ARN}:3`]) {
      expect(issues({ functionName })).toEqual([
        expect.stringMatching(/^functionName: must not name a version or alias/),
      ]);
    }
  });

  it("rejects other target services, non-ARNs, unknown fields and foreign regions", () => {
    for (const targetArn of [`arn:aws:lambda:${REGION}:${ACCOUNT}:function:x`, "orders-dlq", ""]) {
      expect(issues({ functionName: "orders", targetArn })[0]).toMatch(
        /^targetArn: must be the ARN of an SQS queue or SNS topic/,
      );
    }
    expect(issues({ functionName: "orders", deadLetterQueue: QUEUE })).toHaveLength(1);
    expect(issues({ functionName: "orders", region: "eu-west-1", targetArn: QUEUE })).toEqual([
      "targetArn: is in region us-east-1, but the manifest's region is eu-west-1",
    ]);
  });
});

describe("FunctionDeadLetterConfig identity", () => {
  it("is one function across partial ARN and ARN, with the account they name, and differs by region", () => {
    const ids = [`${ACCOUNT}:function:orders`, FN_ARN].map((functionName) =>
      kind.identity(spec({ functionName }), REGION),
    );
    expect(new Set(ids)).toEqual(new Set([`${REGION}:${ACCOUNT}/orders`]));
    expect(kind.identity(spec({ functionName: "orders" }), REGION)).toBe(`${REGION}/orders`);
    expect(kind.identity(spec({ functionName: FN_ARN.replace(ACCOUNT, "222222222222") }), REGION)).toBe(
      `${REGION}:222222222222/orders`,
    );
    expect(kind.identity(spec(), "eu-west-1")).not.toBe(kind.identity(spec(), REGION));
  });

  it("resolves every spelling of the caller's function to one object after the read", () => {
    const resolved = ["orders", `${ACCOUNT}:function:orders`, FN_ARN].map((functionName) =>
      kind.resolvedIdentity?.({}, resource(spec({ functionName }))),
    );
    expect(new Set(resolved)).toEqual(new Set([`${REGION}/orders`]));
  });
});

describe("FunctionDeadLetterConfig diff", () => {
  it("treats a missing config, {} and an empty TargetArn as no DLQ", () => {
    for (const config of [{}, { DeadLetterConfig: {} }, { DeadLetterConfig: { TargetArn: "" } }]) {
      const actual = toDeadLetterState(config);
      expect(actual.targetArn).toBeUndefined();
      expect(kind.diff(spec({ targetArn: null }), actual)).toEqual([]);
      expect(kind.diff(spec({ targetArn: QUEUE }), actual)).toEqual([
        { field: "targetArn", actual: null, desired: QUEUE },
      ]);
    }
  });

  it("reports a different or removed target and ignores an omitted one", () => {
    const actual = toDeadLetterState({ DeadLetterConfig: { TargetArn: QUEUE } });
    expect(kind.diff(spec({ targetArn: QUEUE }), actual)).toEqual([]);
    expect(kind.diff(spec({ targetArn: TOPIC }), actual)).toEqual([
      { field: "targetArn", actual: QUEUE, desired: TOPIC },
    ]);
    expect(kind.diff(spec({ targetArn: null }), actual)).toEqual([
      { field: "targetArn", actual: QUEUE, desired: null },
    ]);
    expect(kind.diff(spec(), actual)).toEqual([]);
    expect(kind.creates(actual)).toBe(false);
  });
});

describe("FunctionDeadLetterConfig read", () => {
  it("reads each function with GetFunction and isolates a missing one", async () => {
    const { ctx, calls } = fakeLambdaContext((_command, input) => {
      if (input.FunctionName === "gone") throw functionNotFound();
      return {
        Configuration: {
          DeadLetterConfig: { TargetArn: QUEUE },
          State: "Active",
          LastUpdateStatus: "Successful",
          RevisionId: "rev-1",
        },
      };
    });
    const orders = resource(spec({ functionName: FN_ARN }));
    const gone = resource(spec({ functionName: "gone" }));
    const result = await kind.read(ctx, [orders, gone]);
    expect(result.get(orders.identity)).toEqual({
      targetArn: QUEUE,
      state: "Active",
      lastUpdateStatus: "Successful",
      revisionId: "rev-1",
    });
    expect(result.get(gone.identity)).toMatchObject({ code: "FunctionNotFound", retry: "terminal" });
    // Named by ARN, read by ARN: the account in it is the one AWS answers for.
    expect(calls.map((c) => `${c.command} ${c.input.FunctionName}`).sort()).toEqual([
      `GetFunction ${FN_ARN}`,
      "GetFunction gone",
    ]);
  });
});

describe("FunctionDeadLetterConfig apply", () => {
  const settled: DeadLetterState = {
    targetArn: QUEUE,
    state: "Active",
    lastUpdateStatus: "Successful",
    revisionId: "rev-1",
  };

  async function applied(s: FunctionDeadLetterConfigSpec, actual = settled, handler: Handler = () => ({})) {
    const { ctx, calls } = fakeLambdaContext(handler);
    await kind.apply(ctx, resource(s), actual, kind.diff(s, actual));
    return calls;
  }

  it("sends only DeadLetterConfig with the RevisionId read, and an empty TargetArn to clear", async () => {
    expect(await applied(spec({ targetArn: TOPIC }))).toEqual([
      {
        command: "UpdateFunctionConfiguration",
        input: { FunctionName: "orders", DeadLetterConfig: { TargetArn: TOPIC }, RevisionId: "rev-1" },
      },
    ]);
    expect((await applied(spec({ targetArn: null })))[0]?.input).toEqual({
      FunctionName: "orders",
      DeadLetterConfig: { TargetArn: "" },
      RevisionId: "rev-1",
    });
  });

  it("waits, without calling AWS, while the function is being updated or created", async () => {
    for (const actual of [
      { ...settled, lastUpdateStatus: "InProgress" },
      { ...settled, state: "Pending" },
    ]) {
      const { ctx, calls } = fakeLambdaContext(() => ({}));
      const s = spec({ targetArn: TOPIC });
      await expect(kind.apply(ctx, resource(s), actual, kind.diff(s, actual))).rejects.toMatchObject({
        code: "UpdateInProgress",
        retry: "waiting",
      });
      expect(calls).toEqual([]);
    }
  });

  it("classifies failures: stale revision is transient, conflict waits, a missing function is terminal", async () => {
    const s = spec({ targetArn: TOPIC });
    const stale = new PreconditionFailedException({
      message: "revision",
      $metadata: { httpStatusCode: 412 },
    });
    await expect(applied(s, settled, () => Promise.reject(stale))).rejects.toMatchObject({
      code: "PreconditionFailed",
      retry: "transient",
    });
    const conflict = new ResourceConflictException({
      message: "in progress",
      $metadata: { httpStatusCode: 409 },
    });
    await expect(applied(s, settled, () => Promise.reject(conflict))).rejects.toMatchObject({
      code: "UpdateInProgress",
      retry: "waiting",
    });
    await expect(applied(s, settled, () => Promise.reject(functionNotFound()))).rejects.toMatchObject({
      code: "FunctionNotFound",
      retry: "terminal",
    });
  });
});

describe("FunctionDeadLetterConfig lint", () => {
  it("warns when the manifest removes the DLQ, and only then", () => {
    expect(kind.lint(spec({ targetArn: null }), lintContext())).toEqual([
      expect.objectContaining({ code: "FunctionDlqRemoved", path: ["targetArn"] }),
    ]);
    expect(kind.lint(spec({ targetArn: QUEUE }), lintContext())).toEqual([]);
    expect(kind.lint(spec(), lintContext())).toEqual([]);
  });
});
