import {
  type FunctionEventInvokeConfig,
  ResourceConflictException,
  TooManyRequestsException,
} from "@aws-sdk/client-lambda";
import { describe, expect, it } from "vitest";
import { ResourceError } from "../../../src/aws/errors.js";
import {
  type FunctionEventInvokeConfigSpec,
  functionEventInvokeConfig as kind,
  toState,
} from "../../../src/kinds/function-event-invoke-config.js";
import type { DesiredResource } from "../../../src/kinds/kind.js";
import { fakeLambdaContext, functionNotFound, type Handler } from "./fake-lambda.js";
import { lintContext } from "./lint-context.js";

const REGION = "us-east-1";
const ACCOUNT = "123456789012";
const FN_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:orders`;
const QUEUE = `arn:aws:sqs:${REGION}:${ACCOUNT}:failed`;
const TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:done`;
const BUS = `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`;
const OTHER_FN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:audit`;
const BUCKET = "arn:aws:s3:::failed-events";

function parse(spec: Record<string, unknown>) {
  return kind.specSchema.safeParse(spec);
}

function issues(spec: Record<string, unknown>): string[] {
  const result = parse(spec);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

function spec(extra: Partial<FunctionEventInvokeConfigSpec> = {}): FunctionEventInvokeConfigSpec {
  return kind.specSchema.parse({ functionName: "orders", ...extra });
}

function resource(
  s: FunctionEventInvokeConfigSpec,
  region = REGION,
): DesiredResource<FunctionEventInvokeConfigSpec> {
  return { name: "r", region, identity: kind.identity(s, region), spec: s };
}

describe("FunctionEventInvokeConfig schema", () => {
  it("accepts a name, partial ARN or ARN with every managed field, each also as null", () => {
    for (const functionName of ["orders", `${ACCOUNT}:function:orders`, FN_ARN, `${FN_ARN}:live`]) {
      expect(
        issues({ functionName, maximumRetryAttempts: 0, maximumEventAgeInSeconds: 60, onFailure: QUEUE }),
      ).toEqual([]);
    }
    expect(
      issues({
        functionName: "orders",
        maximumRetryAttempts: null,
        maximumEventAgeInSeconds: null,
        onSuccess: null,
        onFailure: null,
      }),
    ).toEqual([]);
  });

  it("checks the ranges 0–2 and 60–21600 as integers", () => {
    expect(
      issues({ functionName: "orders", maximumRetryAttempts: 2, maximumEventAgeInSeconds: 21600 }),
    ).toEqual([]);
    for (const bad of [-1, 3, 1.5, "1"]) {
      expect(issues({ functionName: "orders", maximumRetryAttempts: bad })[0]).toMatch(
        /^maximumRetryAttempts/,
      );
    }
    for (const bad of [59, 21601, 0]) {
      expect(issues({ functionName: "orders", maximumEventAgeInSeconds: bad })[0]).toMatch(
        /^maximumEventAgeInSeconds/,
      );
    }
  });

  it("rejects unknown fields and malformed function names", () => {
    expect(issues({ functionName: "orders", maxRetryAttempts: 1 })).toHaveLength(1);
    expect(issues({ functionName: "not a name" })[0]).toMatch(/^functionName/);
  });

  it("accepts SQS, SNS, Lambda and EventBridge bus destinations on both sides", () => {
    for (const arn of [QUEUE, TOPIC, OTHER_FN, `${OTHER_FN}:live`, BUS]) {
      expect(issues({ functionName: "orders", onSuccess: arn, onFailure: arn })).toEqual([]);
    }
  });

  it("allows an S3 bucket for onFailure only", () => {
    expect(issues({ functionName: "orders", onFailure: BUCKET })).toEqual([]);
    expect(issues({ functionName: "orders", onSuccess: BUCKET })).toEqual([
      expect.stringMatching(/^onSuccess: .*S3 buckets can only receive failures/),
    ]);
  });

  it("rejects other services, EventBridge rules, FIFO queues and non-ARNs as destinations", () => {
    for (const bad of [
      `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/s`,
      `arn:aws:events:${REGION}:${ACCOUNT}:rule/r`,
      `arn:aws:sqs:${REGION}:${ACCOUNT}:failed.fifo`,
      "https://sqs.us-east-1.amazonaws.com/123456789012/failed",
      "failed",
    ]) {
      expect(issues({ functionName: "orders", onFailure: bad })[0], bad).toMatch(
        /^onFailure: must be the ARN of/,
      );
    }
  });

  it("requires a qualifier given twice to agree", () => {
    expect(issues({ functionName: "orders:live", qualifier: "live" })).toEqual([]);
    expect(issues({ functionName: "orders:live", qualifier: "blue" })).toEqual([
      "qualifier: is blue, but functionName already names qualifier live",
    ]);
    expect(issues({ functionName: "orders", qualifier: "not valid" })[0]).toMatch(/^qualifier/);
  });

  it("rejects the function as its own destination, whatever qualifier the destination names", () => {
    expect(issues({ functionName: "orders", onFailure: FN_ARN })[0]).toMatch(
      /^onFailure: names the function itself/,
    );
    expect(issues({ functionName: FN_ARN, qualifier: "live", onSuccess: `${FN_ARN}:1` })[0]).toMatch(
      /^onSuccess: names the function itself/,
    );
    // Same name in another region is another function.
    const elsewhere = `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:orders`;
    expect(issues({ functionName: "orders", region: REGION, onFailure: elsewhere })).toEqual([
      expect.stringMatching(/^onFailure: is in region eu-west-1/),
    ]);
    expect(issues({ functionName: FN_ARN, onFailure: elsewhere })).toEqual([]);
  });

  it("checks ARN regions against spec.region", () => {
    expect(issues({ functionName: FN_ARN, region: "eu-west-1" })).toEqual([
      "functionName: is in region us-east-1, but the manifest's region is eu-west-1",
    ]);
    expect(issues({ functionName: "orders", region: "eu-west-1", onSuccess: TOPIC })[0]).toMatch(
      /^onSuccess: is in region/,
    );
    expect(issues({ functionName: "orders", region: "eu-west-1", onFailure: BUCKET })).toEqual([]);
  });
});

describe("FunctionEventInvokeConfig identity", () => {
  it("is one function across partial ARN and ARN, with the account they name, and $LATEST as the default qualifier", () => {
    const ids = [`${ACCOUNT}:function:orders`, FN_ARN, `${FN_ARN}:$LATEST`].map((functionName) =>
      kind.identity(spec({ functionName }), REGION),
    );
    expect(new Set(ids)).toEqual(new Set([`${REGION}:${ACCOUNT}/orders/$LATEST`]));
    // A plain name keeps the key it always had; the same name in another account is another resource.
    expect(kind.identity(spec({ qualifier: "$LATEST" }), REGION)).toBe(`${REGION}/orders/$LATEST`);
    expect(kind.identity(spec({ functionName: "orders", account: "222222222222" }), REGION)).toBe(
      `${REGION}:222222222222/orders/$LATEST`,
    );
    const other = FN_ARN.replace(ACCOUNT, "222222222222");
    expect(kind.identity(spec({ functionName: other }), REGION)).not.toBe(ids[0]);
  });

  it("resolves every spelling of the caller's function to one object after the read", () => {
    const resolved = ["orders", `${ACCOUNT}:function:orders`, FN_ARN, `${FN_ARN}:$LATEST`].map(
      (functionName) => kind.resolvedIdentity?.({ exists: false }, resource(spec({ functionName }))),
    );
    expect(new Set(resolved)).toEqual(new Set([`${REGION}/orders/$LATEST`]));
  });

  it("tells qualifiers and regions apart, wherever the qualifier is written", () => {
    const live = kind.identity(spec({ qualifier: "live" }), REGION);
    expect(kind.identity(spec({ functionName: "orders:live" }), REGION)).toBe(live);
    expect(kind.identity(spec({ functionName: "orders:live", qualifier: "live" }), REGION)).toBe(live);
    expect(kind.identity(spec({ functionName: `${FN_ARN}:live` }), REGION)).toBe(
      kind.identity(spec({ functionName: FN_ARN, qualifier: "live" }), REGION),
    );
    expect(live).not.toBe(kind.identity(spec(), REGION));
    expect(live).not.toBe(kind.identity(spec({ qualifier: "live" }), "eu-west-1"));
  });
});

describe("FunctionEventInvokeConfig diff", () => {
  it("treats {}, {Destination: null} and empty strings as no destination", () => {
    const variants: FunctionEventInvokeConfig[] = [
      { FunctionArn: FN_ARN, DestinationConfig: { OnFailure: {}, OnSuccess: {} } },
      { FunctionArn: FN_ARN, DestinationConfig: { OnFailure: { Destination: null as unknown as string } } },
      {
        FunctionArn: FN_ARN,
        DestinationConfig: { OnFailure: { Destination: "" }, OnSuccess: { Destination: "" } },
      },
      { FunctionArn: FN_ARN },
    ];
    for (const config of variants) {
      const state = toState(config);
      expect(state).toEqual({ exists: true });
      expect(kind.diff(spec({ onFailure: null, onSuccess: null }), state)).toEqual([]);
    }
  });

  it("fills AWS defaults (2 retries, 21600 s) for absent settings and for null", () => {
    const absent = toState(undefined);
    expect(kind.creates(absent)).toBe(true);
    expect(
      kind.diff(spec({ maximumRetryAttempts: 2, maximumEventAgeInSeconds: 21600, onFailure: null }), absent),
    ).toEqual([]);
    expect(kind.diff(spec({ maximumRetryAttempts: null }), toState({ MaximumRetryAttempts: 0 }))).toEqual([
      { field: "maximumRetryAttempts", actual: 0, desired: 2 },
    ]);
    expect(kind.diff(spec({ maximumRetryAttempts: 0 }), absent)).toEqual([
      { field: "maximumRetryAttempts", actual: 2, desired: 0 },
    ]);
  });

  it("reports only the fields the manifest names", () => {
    const actual = toState({
      MaximumRetryAttempts: 1,
      MaximumEventAgeInSeconds: 300,
      DestinationConfig: { OnSuccess: { Destination: TOPIC }, OnFailure: { Destination: QUEUE } },
    });
    expect(kind.creates(actual)).toBe(false);
    expect(kind.diff(spec({ maximumRetryAttempts: 1 }), actual)).toEqual([]);
    expect(kind.diff(spec({ onFailure: null }), actual)).toEqual([
      { field: "onFailure", actual: QUEUE, desired: null },
    ]);
  });
});

describe("FunctionEventInvokeConfig read", () => {
  it("makes one List per function for all its qualifiers and name forms, matching configs by ARN suffix", async () => {
    const { ctx, calls } = fakeLambdaContext((command, input) => {
      if (command === "ListFunctionEventInvokeConfigs" && input.FunctionName === "orders") {
        // Some emulators leave `:$LATEST` off; AWS always sends it.
        return {
          FunctionEventInvokeConfigs: [
            { FunctionArn: FN_ARN, MaximumRetryAttempts: 0 },
            { FunctionArn: `${FN_ARN}:live`, MaximumRetryAttempts: 1 },
          ],
        };
      }
      if (command === "ListFunctionEventInvokeConfigs") return { FunctionEventInvokeConfigs: [] };
      throw new Error(`unexpected ${command}`);
    });
    const latest = resource(spec());
    const live = resource(spec({ functionName: "orders:live" }));
    const other = resource(spec({ functionName: "audit" }));
    const result = await kind.read(ctx, [latest, live, other]);
    expect(result.get(latest.identity)).toEqual({ exists: true, maximumRetryAttempts: 0 });
    expect(result.get(live.identity)).toEqual({ exists: true, maximumRetryAttempts: 1 });
    expect(result.get(other.identity)).toEqual({ exists: false });
    expect(calls.map((c) => `${c.command} ${c.input.FunctionName}`).sort()).toEqual([
      "ListFunctionEventInvokeConfigs audit",
      "ListFunctionEventInvokeConfigs orders",
    ]);
  });

  it("follows NextMarker through every page", async () => {
    const { ctx, calls } = fakeLambdaContext((_command, input) =>
      input.Marker === undefined
        ? { FunctionEventInvokeConfigs: [{ FunctionArn: `${FN_ARN}:1` }], NextMarker: "m1" }
        : {
            FunctionEventInvokeConfigs: [{ FunctionArn: `${FN_ARN}:$LATEST`, MaximumEventAgeInSeconds: 60 }],
          },
    );
    const latest = resource(spec());
    const result = await kind.read(ctx, [latest]);
    expect(result.get(latest.identity)).toEqual({ exists: true, maximumEventAgeInSeconds: 60 });
    expect(calls.map((c) => c.input.Marker)).toEqual([undefined, "m1"]);
  });

  it("fails only the resources of a missing or throttled function", async () => {
    const { ctx } = fakeLambdaContext((_command, input) => {
      if (input.FunctionName === "gone") throw functionNotFound();
      if (input.FunctionName === "busy")
        throw new TooManyRequestsException({ message: "slow down", $metadata: { httpStatusCode: 429 } });
      return { FunctionEventInvokeConfigs: [] };
    });
    const gone = [
      resource(spec({ functionName: "gone" })),
      resource(spec({ functionName: "gone", qualifier: "$LATEST" })),
    ];
    const busy = resource(spec({ functionName: "busy" }));
    const fine = resource(spec());
    const result = await kind.read(ctx, [...gone, busy, fine]);
    const goneError = result.get(gone[0]!.identity);
    expect(goneError).toBeInstanceOf(ResourceError);
    expect(goneError).toMatchObject({ code: "FunctionNotFound", retry: "terminal" });
    expect(result.get(busy.identity)).toMatchObject({ code: "Throttled", retry: "transient" });
    expect(result.get(fine.identity)).toEqual({ exists: false });
  });

  it("reports a missing alias or version as QualifierNotFound instead of planning a create", async () => {
    const { ctx, calls } = fakeLambdaContext((command, input) => {
      if (command === "ListFunctionEventInvokeConfigs") return { FunctionEventInvokeConfigs: [] };
      if (command === "GetFunction" && input.Qualifier === "live") return { Configuration: {} };
      throw functionNotFound();
    });
    const live = resource(spec({ qualifier: "live" }));
    const typo = resource(spec({ qualifier: "lvie" }));
    const result = await kind.read(ctx, [live, typo]);
    expect(result.get(live.identity)).toEqual({ exists: false });
    expect(result.get(typo.identity)).toMatchObject({ code: "QualifierNotFound", retry: "terminal" });
    expect(calls.filter((c) => c.command === "ListFunctionEventInvokeConfigs")).toHaveLength(1);
  });

  it("refuses a function ARN from another region than the resource's", async () => {
    const { ctx, calls } = fakeLambdaContext(() => ({ FunctionEventInvokeConfigs: [] }));
    const r = resource(spec({ functionName: FN_ARN }), "eu-west-1");
    const result = await kind.read(ctx, [r]);
    expect(result.get(r.identity)).toMatchObject({ code: "RegionMismatch", retry: "terminal" });
    expect(calls).toEqual([]);
  });
});

describe("FunctionEventInvokeConfig apply", () => {
  const stored: FunctionEventInvokeConfig = {
    FunctionArn: `${FN_ARN}:$LATEST`,
    MaximumRetryAttempts: 2,
    DestinationConfig: { OnSuccess: { Destination: TOPIC }, OnFailure: { Destination: QUEUE } },
  };
  const current = toState(stored);

  /** Lambda holding `now` (what a re-read sees); every other call succeeds unless `handler` says otherwise. */
  const holding =
    (now: FunctionEventInvokeConfig | undefined, handler: Handler = () => ({})): Handler =>
    (command, input) =>
      command === "ListFunctionEventInvokeConfigs"
        ? { FunctionEventInvokeConfigs: now ? [now] : [] }
        : handler(command, input);

  async function applied(
    s: FunctionEventInvokeConfigSpec,
    actual = current,
    handler: Handler = holding(stored),
  ) {
    const { ctx, calls } = fakeLambdaContext(handler);
    await kind.apply(ctx, resource(s), actual, kind.diff(s, actual));
    return calls;
  }

  it("changes to retries and age only use the merging Update, which does not re-send the destinations", async () => {
    const calls = await applied(spec({ maximumRetryAttempts: 0, maximumEventAgeInSeconds: null }));
    expect(calls).toEqual([
      {
        command: "UpdateFunctionEventInvokeConfig",
        input: { FunctionName: "orders", MaximumRetryAttempts: 0 },
      },
    ]);
    const age = await applied(spec({ maximumEventAgeInSeconds: null }), {
      ...current,
      maximumEventAgeInSeconds: 60,
    });
    // null means the AWS default; Update cannot remove a setting, so it sets the default.
    expect(age).toEqual([
      {
        command: "UpdateFunctionEventInvokeConfig",
        input: { FunctionName: "orders", MaximumEventAgeInSeconds: 21600 },
      },
    ]);
  });

  it("a destination change re-reads the config, then Puts every field the manifest names (defaults too) and the rest as AWS has it now", async () => {
    const now: FunctionEventInvokeConfig = {
      FunctionArn: `${FN_ARN}:$LATEST`,
      MaximumEventAgeInSeconds: 900,
      DestinationConfig: { OnSuccess: { Destination: OTHER_FN }, OnFailure: { Destination: QUEUE } },
    };
    const calls = await applied(spec({ maximumRetryAttempts: 2, onFailure: null }), current, holding(now));
    expect(calls).toEqual([
      { command: "ListFunctionEventInvokeConfigs", input: { FunctionName: "orders", MaxItems: 50 } },
      {
        command: "PutFunctionEventInvokeConfig",
        input: {
          FunctionName: "orders",
          MaximumRetryAttempts: 2,
          MaximumEventAgeInSeconds: 900,
          DestinationConfig: { OnSuccess: { Destination: OTHER_FN } },
        },
      },
    ]);
  });

  it("writes nothing when the re-read finds AWS already as the manifest asks", async () => {
    const calls = await applied(
      spec({ onFailure: TOPIC }),
      current,
      holding({ ...stored, DestinationConfig: { OnSuccess: {}, OnFailure: { Destination: TOPIC } } }),
    );
    expect(calls.map((c) => c.command)).toEqual(["ListFunctionEventInvokeConfigs"]);
  });

  it("leaves a null field out of the Put so that it becomes absent", async () => {
    const calls = await applied(
      spec({ onFailure: null, maximumRetryAttempts: null, maximumEventAgeInSeconds: 120 }),
    );
    expect(calls[1]?.input).toEqual({
      FunctionName: "orders",
      MaximumEventAgeInSeconds: 120,
      DestinationConfig: { OnSuccess: { Destination: TOPIC } },
    });
  });

  it("deletes the config when nothing would be left, and writes nothing when there is none", async () => {
    const only = toState({ DestinationConfig: { OnFailure: { Destination: QUEUE } } });
    const calls = await applied(spec({ qualifier: "live", onFailure: null }), only);
    expect(calls).toEqual([
      { command: "DeleteFunctionEventInvokeConfig", input: { FunctionName: "orders", Qualifier: "live" } },
    ]);
    const { ctx, calls: none } = fakeLambdaContext(() => ({}));
    await kind.apply(ctx, resource(spec({ onFailure: null })), { exists: false }, []);
    expect(none).toEqual([]);
  });

  it("creates a config for an alias with the Qualifier parameter, writing the named defaults too", async () => {
    const calls = await applied(
      spec({ functionName: `${FN_ARN}:live`, onFailure: QUEUE, maximumRetryAttempts: 2 }),
      { exists: false },
      holding(undefined, () => ({ Configuration: {} })),
    );
    expect(calls.map((c) => c.command)).toEqual([
      "ListFunctionEventInvokeConfigs",
      "GetFunction",
      "PutFunctionEventInvokeConfig",
    ]);
    expect(calls[2]?.input).toEqual({
      // Named by ARN, addressed by ARN: the account in it is the one AWS changes.
      FunctionName: FN_ARN,
      Qualifier: "live",
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: QUEUE } },
    });
  });

  it("classifies failures: missing function or qualifier is terminal, a function in update waits", async () => {
    const put = (reason: unknown): Handler =>
      holding(stored, (command) =>
        command === "PutFunctionEventInvokeConfig" ? Promise.reject(reason) : {},
      );
    await expect(
      applied(spec({ onFailure: OTHER_FN }), current, put(functionNotFound())),
    ).rejects.toMatchObject({
      code: "FunctionNotFound",
      retry: "terminal",
    });
    await expect(
      applied(spec({ qualifier: "live", onFailure: OTHER_FN }), current, put(functionNotFound())),
    ).rejects.toMatchObject({ code: "QualifierNotFound", retry: "terminal" });
    const conflict = new ResourceConflictException({
      message: "An update is in progress",
      $metadata: { httpStatusCode: 409 },
    });
    await expect(
      applied(spec({ maximumRetryAttempts: 0 }), current, () => Promise.reject(conflict)),
    ).rejects.toMatchObject({
      code: "UpdateInProgress",
      retry: "waiting",
    });
    // An Update whose config was deleted since the read is read again (and then created by a Put).
    await expect(
      applied(spec({ maximumRetryAttempts: 0 }), current, () => Promise.reject(functionNotFound())),
    ).rejects.toMatchObject({ code: "InvokeConfigGone", retry: "transient" });
  });
});

describe("FunctionEventInvokeConfig lint", () => {
  it("warns when no onFailure destination is declared, naming the DLQ alternative", () => {
    expect(kind.lint(spec({ onFailure: QUEUE }), lintContext())).toEqual([]);
    for (const s of [spec(), spec({ onFailure: null })]) {
      expect(kind.lint(s, lintContext())).toEqual([
        expect.objectContaining({
          code: "AsyncNoFailureDestination",
          path: ["onFailure"],
          message: expect.stringContaining("a FunctionDeadLetterConfig for this function"),
        }),
      ]);
    }
  });
});
