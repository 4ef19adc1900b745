import { describe, expect, it } from "vitest";
import { PIPE_DEFAULTS } from "../../../src/explain/aws-defaults.js";
import { explainDocument } from "../../../src/explain/document.js";
import { awsFact, setting, streamPath } from "../../../src/explain/paths.js";
import { explainText } from "../../../src/explain/text.js";

const STREAM = "arn:aws:kinesis:us-east-1:123456789012:stream/s";

function doc(retries: number | undefined) {
  const path = streamPath({
    trigger: "stream",
    source: STREAM,
    maximumRetryAttempts: setting("MaximumRetryAttempts", retries, PIPE_DEFAULTS.maximumRetryAttempts, "m"),
    maximumRecordAgeInSeconds: setting(
      "MaximumRecordAgeInSeconds",
      undefined,
      PIPE_DEFAULTS.maximumRecordAgeInSeconds,
      "m",
    ),
    bisect: { value: false, fact: awsFact("BisectBatchOnFunctionError", false, "m") },
    batchSize: setting("BatchSize", 10, PIPE_DEFAULTS.batchSize, "m"),
    retentionSeconds: { value: 86400, fact: awsFact("retention", 86400, STREAM) },
    functionTimeoutSeconds: { value: 10, fact: awsFact("Timeout", 10, "fn") },
    failureType: "destination",
  });
  return explainDocument(
    [{ account: "1", region: "r", functionName: "f", functionArn: "fn", paths: [path], uninspected: [] }],
    [],
  );
}

describe("explain text", () => {
  it("marks a shard blocked until expiry with !!, a bounded block without", () => {
    expect(explainText(doc(undefined))).toContain(
      "!! DROPPED; !! BLOCKS its shard for up to 1d, until the record expires",
    );
    const bounded = explainText(doc(2));
    expect(bounded).toContain(
      "3 attempts within 1d, then !! DROPPED; blocks its shard for up to 30s; bisect off",
    );
    expect(bounded).not.toContain("!! BLOCKS");
  });
});
