// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${…} here are retryctl policy variables, not JavaScript placeholders.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expand } from "../../../src/fleet/expand.js";
import type { Inventory } from "../../../src/fleet/inventory.js";
import { CTX, fn, HUB, MEMBER, manifest, mapping, policy } from "./helpers.js";

const NAMES = ["orders-api", "orders-worker", "orders-legacy-1", "search", "pay-1"];
const REGIONS = ["us-east-1", "eu-west-1"];
const ACCOUNTS = [HUB, MEMBER];

const POLICIES = [
  policy(
    "org",
    `  selector: { accounts: ["${HUB}", "${MEMBER}"], regions: [us-east-1, eu-west-1] }
  asyncInvoke:
    maximumRetryAttempts: 0
    onFailure: arn:aws:sqs:\${region}:\${account}:org-failures
  sourceQueues:
    deadLetterQueue: \${queueName}-dlq
    maxReceiveCount: 5
`,
  ),
  policy(
    "team",
    `  priority: 10
  selector: { functionNames: ["orders-*"], excludeFunctionNames: ["orders-legacy-*"], tags: { team: "*" } }
  asyncInvoke:
    maximumRetryAttempts: 1
  streamMappings:
    maximumRetryAttempts: 3
`,
  ),
  policy("rival", "  priority: 10\n  asyncInvoke:\n    maximumRetryAttempts: 2\n"),
  policy("guarded", "  maxMatches: 1\n  deadLetterConfig:\n    targetArn: null\n"),
];

const EXPLICIT = [
  manifest(
    "FunctionEventInvokeConfig",
    "orders-api",
    "  functionName: orders-api\n  maximumRetryAttempts: 2\n",
  ),
  manifest("FunctionDeadLetterConfig", "search", "  functionName: search\n  targetArn: null\n"),
];

const functionArb = fc.record({
  name: fc.constantFrom(...NAMES),
  account: fc.constantFrom(...ACCOUNTS),
  region: fc.constantFrom(...REGIONS),
  tagged: fc.boolean(),
});

const inventoryArb = fc
  .uniqueArray(functionArb, { selector: (f) => `${f.account}/${f.region}/${f.name}`, maxLength: 12 })
  .chain((functions) =>
    fc.record({
      functions: fc.constant(functions),
      mappings: fc.array(
        fc.record({
          at: fc.nat({ max: Math.max(0, functions.length - 1) }),
          sqs: fc.boolean(),
          uuid: fc.uuid({ version: 4 }),
        }),
        { maxLength: functions.length === 0 ? 0 : 6 },
      ),
    }),
  )
  .map(
    ({ functions, mappings }): Inventory => ({
      functions: functions.map((f) => fn(f.name, f.tagged ? { team: "t" } : {}, f.account, f.region)),
      mappings: mappings.flatMap((m) => {
        const f = functions[m.at];
        if (!f) return [];
        const source = m.sqs
          ? `arn:aws:sqs:${f.region}:${f.account}:q-${m.uuid.slice(0, 8)}`
          : `arn:aws:kinesis:${f.region}:${f.account}:stream/s-${m.uuid.slice(0, 8)}`;
        return [mapping(f.name, m.uuid, source, f.account, f.region)];
      }),
    }),
  );

/** What the desired set is, independent of object identity. */
function described(out: ReturnType<typeof expand>) {
  return {
    manifests: out.manifests
      .map((m) => ({
        key: m.key,
        name: m.name,
        spec: m.spec,
        hash: m.hash,
        issues: m.issues,
      }))
      // A set: explicit manifests keep their load order, which the shuffle changes on purpose.
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
    errors: out.errors,
    matches: out.matches,
  };
}

describe("expansion (property)", () => {
  it("is deterministic and independent of the order of policies, manifests and inventory", () => {
    fc.assert(
      fc.property(inventoryArb, fc.nat(), fc.nat(), fc.nat(), fc.nat(), (inventory, s1, s2, s3, s4) => {
        const first = described(expand(POLICIES, EXPLICIT, inventory, CTX));
        const shuffled = {
          functions: shuffle(inventory.functions, s1),
          // A mapping listed twice (two pages read around a change) is still one mapping.
          mappings: shuffle([...inventory.mappings, ...inventory.mappings.slice(0, 1)], s2),
        };
        const again = described(expand(shuffle(POLICIES, s3), shuffle(EXPLICIT, s4), shuffled, CTX));
        expect(again).toEqual(first);
        // No two desired resources share a key (the engine would report them as a conflict).
        const keys = first.manifests.map((m) => m.key);
        expect(new Set(keys).size).toBe(keys.length);
      }),
      { numRuns: 300 },
    );
  });
});

/** A deterministic Fisher–Yates shuffle driven by `seed`. */
function shuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed + 1;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2147483648;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
