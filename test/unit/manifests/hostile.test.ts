import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadManifests } from "../../../src/manifests/load.js";
import type { LoadResult } from "../../../src/manifests/manifest.js";
import { brief, errorsIn } from "./helpers.js";
import { outOfRangeCases } from "./hostile-cases.js";
import { BIG_FILE, goodManifest as good, hostileFiles, writeHostileCorpus } from "./hostile-corpus.js";

/**
 * The hostile corpus: every kind of bad input sits in one folder next to good
 * manifests. Each bad file gets its exact error (file, line, field, message),
 * every good manifest still loads, and nothing throws or hangs. Small cases are
 * committed in test/fixtures/hostile; big, binary and generated ones are written
 * at test time (hostile-corpus.ts).
 */
const TOO_DEEP =
  "YAML nested too deep: the parser ran out of stack (a manifest nests a few levels, not thousands); refusing the document";

let root: string;
let dir: string;
let outside: string;
let result: LoadResult;
const cases = outOfRangeCases();

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "retryctl-hostile-"));
  const corpus = await writeHostileCorpus(root);
  ({ dir, outside } = corpus);
  result = await loadManifests([dir], { defaultRegion: "us-east-1", cwd: dir });
  expect([...new Set(result.errors.map((e) => e.file))].sort()).toEqual(hostileFiles(corpus));
}, 60_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("a hostile folder", () => {
  it("still loads every good manifest, also those in the same file after a bad document", () => {
    expect(result.manifests.map((m) => `${m.source.file}:${m.source.line} ${m.name}`).sort()).toEqual(
      [
        "alias-bomb.yaml:19 after-bomb",
        "api-version.yaml:8 after-api-version",
        "deep-flow.yaml:1 before-deep",
        "deep-flow.yaml:11 after-deep",
        "duplicate-key.yaml:11 after-duplicate",
        "good.yaml:2 good-async",
        "good.yaml:11 good-queue",
        "identity-a.yaml:2 shared-a",
        "identity-b.yaml:1 shared-b",
        "unknown-kind.yaml:8 after-unknown-kind",
        "wrong-region-arn.yaml:20 after-wrong-region",
        "wrong-service-arn.yaml:19 after-wrong-service",
      ].sort(),
    );
  });

  it("never follows a symlink out of the folder (the manifest behind it is not loaded)", () => {
    expect(result.manifests.some((m) => m.name === "outside-secret")).toBe(false);
    expect(errorsIn(result, "escape.yaml").map(brief)).toEqual([
      {
        file: "escape.yaml",
        line: 1,
        path: "",
        message: `symbolic link to "${join(outside, "secret.yaml")}" points outside the manifest directory; not followed`,
      },
    ]);
    expect(errorsIn(result, "escape-dir").map(brief)).toEqual([
      {
        file: "escape-dir",
        line: 1,
        path: "",
        message: `symbolic link to "${outside}" points outside the manifest directory; not followed`,
      },
    ]);
  });
});

describe("each bad input gets its own clear error with file and line", () => {
  const expected: Record<string, { line: number; path: string; message: string }[]> = {
    "alias-bomb.yaml": [
      {
        line: 2,
        path: "",
        message: "YAML aliases expand too much (more than 100 references); refusing a possible alias bomb",
      },
    ],
    "duplicate-key.yaml": [
      {
        line: 9,
        path: "spec.maximumRetryAttempts",
        message: 'duplicate key "maximumRetryAttempts" (first set on line 7); keys must be unique',
      },
    ],
    "api-version.yaml": [
      { line: 1, path: "apiVersion", message: 'must be retryctl.dev/v1alpha1, got "retryctl.dev/v1"' },
    ],
    "unknown-kind.yaml": [
      {
        line: 2,
        path: "kind",
        message:
          'unknown kind "LambdaRetryPolicy"; did you mean "PipeRetryPolicy"? Known kinds: FunctionEventInvokeConfig, FunctionDeadLetterConfig, EventSourceMapping, QueueRedrivePolicy, EventTargetRetryPolicy, SubscriptionRedrivePolicy, ScheduleRetryPolicy, PipeRetryPolicy, RetryPolicy',
      },
    ],
    "wrong-service-arn.yaml": [
      {
        line: 8,
        path: "spec.targetArn",
        message: 'must be the ARN of an SQS queue or SNS topic: the service part "lambda" must be sqs or sns',
      },
      {
        line: 17,
        path: "spec.deadLetterQueue",
        message: 'must be the ARN of an SQS queue: the service part "sns" must be sqs',
      },
    ],
    "wrong-region-arn.yaml": [
      {
        line: 9,
        path: "spec.targetArn",
        message: "is in region eu-west-1, but the manifest's region is us-east-1",
      },
      {
        line: 17,
        path: "spec.eventSourceArn",
        message:
          "is in region eu-west-1, but the manifest's region is us-east-1 (the default: spec.region is not set)",
      },
    ],
    "deep-flow.yaml": [{ line: 9, path: "", message: TOO_DEEP }],
    "deep-mapping.yaml": [{ line: 1, path: "", message: TOO_DEEP }],
    "deep-block.yaml": [{ line: 1, path: "", message: TOO_DEEP }],
    "big.yaml": [
      {
        line: 1,
        path: "",
        message: `file is ${Buffer.byteLength(BIG_FILE)} bytes; manifest files are limited to 1048576 bytes (1 MiB)`,
      },
    ],
    "binary.yaml": [
      { line: 1, path: "", message: "binary file (it contains NUL bytes); manifests must be UTF-8 text" },
    ],
    "latin1.yaml": [{ line: 1, path: "", message: "not valid UTF-8 text; manifests must be UTF-8" }],
  };

  for (const [file, errors] of Object.entries(expected)) {
    it(file, () => {
      expect(errorsIn(result, file).map(brief)).toEqual(errors.map((e) => ({ file, ...e })));
    });
  }

  it("one function by ARN and by name: two identities (the ARN names an account), left to the post-read check", () => {
    // Whether 123456789012 is the caller's account is known only with AWS: the engine finds the
    // conflict after the read (test/integration/security/hostile-controller.test.ts).
    expect([...errorsIn(result, "identity-a.yaml"), ...errorsIn(result, "identity-b.yaml")]).toEqual([]);
    const keys = result.manifests.filter((m) => m.name.startsWith("shared-")).map((m) => m.key);
    expect(keys.sort()).toEqual([
      "FunctionEventInvokeConfig/us-east-1/shared/$LATEST",
      "FunctionEventInvokeConfig/us-east-1:123456789012/shared/$LATEST",
    ]);
  });

  it("has no error beyond the ones expected", () => {
    const known = new Set([
      ...Object.keys(expected),
      "escape.yaml",
      "escape-dir",
      ...cases.map((c) => `ranges/${c.file}`),
    ]);
    expect(result.errors.filter((e) => !known.has(e.file)).map(brief)).toEqual([]);
    expect(result.warnings.map((w) => `${w.file}: ${w.code}`)).toEqual([]);
  });
});

describe("every field of every kind out of range or of the wrong type (from the schemas)", () => {
  it("covers every numeric field below its minimum and above its maximum, and every field with a wrong type", () => {
    const kinds = new Set(cases.map((c) => c.kind));
    expect(kinds.size).toBe(8);
    expect(cases.filter((c) => c.case === "below min").length).toBeGreaterThanOrEqual(12);
  });

  for (const c of cases) {
    it(`${c.kind} spec.${c.field}: ${c.case}`, () => {
      expect(errorsIn(result, `ranges/${c.file}`).map(brief)).toEqual([
        { file: `ranges/${c.file}`, line: 6, path: `spec.${c.field}`, message: c.message },
      ]);
    });
  }
});

describe("thousands of small files", () => {
  it("loads 3,000 files, one manifest each, without an error", async () => {
    const many = await mkdtemp(join(tmpdir(), "retryctl-many-"));
    try {
      for (let batch = 0; batch < 30; batch++) {
        const sub = join(many, `team-${batch}`);
        await mkdir(sub);
        await Promise.all(
          Array.from({ length: 100 }, (_, i) =>
            writeFile(join(sub, `fn-${i}.yaml`), good(`fn-${batch}-${i}`)),
          ),
        );
      }
      const loaded = await loadManifests([many], { defaultRegion: "us-east-1" });
      expect(loaded.errors).toEqual([]);
      expect(loaded.manifests).toHaveLength(3_000);
      expect(new Set(loaded.manifests.map((m) => m.key)).size).toBe(3_000);
    } finally {
      await rm(many, { recursive: true, force: true });
    }
  }, 60_000);
});
