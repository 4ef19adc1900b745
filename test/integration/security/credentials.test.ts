import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../../src/log/logger.js";
import { createFunction, createQueue, motoEndpoint, resetMoto } from "../../support/aws.js";
import { cli, manifest, manifestDir } from "../../support/cli.js";
import { resource, startController } from "../controller/harness.js";
import { LeakyEndpoint } from "./leaky-endpoint.js";

/**
 * Credentials never appear in what retryctl prints or serves. The SDK signs
 * with sentinel credentials (moto accepts any); every output of the CLI and
 * the controller, at trace level, is searched for them, including a failure
 * whose AWS error message quotes the signed request (token and key ID in it).
 */
const SENTINELS = {
  AWS_ACCESS_KEY_ID: "SENTINELKEYIDq7w3e9r1",
  AWS_SECRET_ACCESS_KEY: "SENTINEL/SECRET+k4j8h2g6f0d5s",
  AWS_SESSION_TOKEN: "SENTINELTOKEN//p1o2i3u4y5t6r7e8w9q0==",
};
const NAMES = Object.keys(SENTINELS) as (keyof typeof SENTINELS)[];
const LEAKY_FUNCTION = "leaky-fn";

const saved = new Map(NAMES.map((name) => [name, process.env[name]]));
let leaky: LeakyEndpoint;
let dir: string;
const outputs: { what: string; text: string }[] = [];

function expectNoSentinel(what: string, text: string): void {
  outputs.push({ what, text });
  for (const [name, value] of Object.entries(SENTINELS)) {
    expect(text.includes(value), `${name} found in ${what}`).toBe(false);
  }
}

beforeAll(async () => {
  await resetMoto();
  const failed = await createQueue("creds-failed");
  await createFunction("creds-fn");
  await createFunction(LEAKY_FUNCTION);
  dir = await manifestDir({
    "m.yaml": [
      manifest("FunctionEventInvokeConfig", "creds-fn", {
        functionName: "creds-fn",
        maximumRetryAttempts: 1,
        onFailure: failed.arn,
      }),
      manifest("FunctionEventInvokeConfig", "leaky", {
        functionName: LEAKY_FUNCTION,
        maximumRetryAttempts: 1,
        onFailure: failed.arn,
      }),
      // A bad manifest: its error goes to every output too.
      manifest("FunctionEventInvokeConfig", "broken", { functionName: "creds-fn", maximumRetryAttempts: 9 }),
    ].join("---\n"),
  });
  leaky = await LeakyEndpoint.start(motoEndpoint(), LEAKY_FUNCTION);
  Object.assign(process.env, SENTINELS);
});

afterAll(async () => {
  for (const [name, value] of saved) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await leaky?.close();
});

describe("the CLI at --log-level trace", () => {
  for (const output of ["text", "json"]) {
    it(`validate, diff and apply (${output}) print no credential, also for an AWS error quoting the request`, async () => {
      const common = ["--log-level", "trace", "--output", output, "--endpoint-url", leaky.url];
      const runs = {
        validate: await cli("validate", dir, "--log-level", "trace", "--output", output),
        diff: await cli("diff", dir, ...common),
        apply: await cli("apply", dir, ...common),
        dryRun: await cli("apply", dir, "--dry-run", ...common),
      };
      for (const [verb, run] of Object.entries(runs)) {
        expectNoSentinel(`${verb} ${output} stdout`, run.stdout);
        expectNoSentinel(`${verb} ${output} stderr`, run.stderr);
      }
      // The failure path ran: the SDK error (403, quoting the signed request) reached the output, scrubbed.
      expect(runs.apply.code).toBe(1);
      expect(runs.apply.stdout).toContain("InvalidSignature");
      expect(runs.apply.stdout).toContain("[redacted]");
      expect(runs.apply.stderr).toContain("reconcile failed");
    });
  }
});

describe("the controller at trace level", () => {
  it("logs, /status, /metrics, /healthz, /readyz and error answers carry no credential", async () => {
    const lines: string[] = [];
    const logger = createLogger("trace", { write: (line: string) => void lines.push(line) });
    const before = leaky.hits;
    const c = await startController({ dir, endpoint: leaky.url, logger, logLevel: "trace" });
    try {
      await expect
        .poll(async () => (await resource(c.url, "creds-fn"))?.status, { timeout: 20_000 })
        .toBe("Synced");
      await expect
        .poll(async () => (await resource(c.url, "leaky"))?.status, { timeout: 20_000 })
        .toBe("Error");
      // Let the failing resource be retried a few times (backoff 200 ms … 2 s), each failure logged.
      await expect.poll(() => leaky.hits - before, { timeout: 20_000 }).toBeGreaterThanOrEqual(3);
      const answers = await Promise.all([
        fetchAll(c.url, "GET", "/status"),
        fetchAll(c.url, "GET", "/metrics"),
        fetchAll(c.url, "GET", "/healthz"),
        fetchAll(c.url, "GET", "/readyz"),
        fetchAll(c.url, "GET", "/nope"),
        fetchAll(c.url, "POST", "/status"),
        fetchAll(c.url, "POST", "/status", "x".repeat(64 * 1024)),
      ]);
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 404, 405, 413]);
      for (const a of answers) expectNoSentinel(`${a.method} ${a.path}`, a.text);
      const status = answers[0]?.text ?? "";
      expect(status).toContain("InvalidSignature");
      expect(status).toContain("[redacted]");
      expect(status).toContain("must be between 0 and 2");
    } finally {
      await c.stop();
    }
    const log = lines.join("");
    expectNoSentinel("controller log", log);
    const messages = new Set(lines.map((l) => (JSON.parse(l) as { msg: string }).msg));
    expect(messages).toContain("controller started");
    expect(messages).toContain("reconcile failed");
    expect(messages).toContain("manifest invalid");
    expect(log).toContain("InvalidSignature");
  });

  it("searched every output (a test that finds nothing because it looked nowhere would prove nothing)", () => {
    expect(outputs.length).toBeGreaterThanOrEqual(23);
    expect(outputs.every((o) => o.text.length > 0 || o.what.includes("stderr"))).toBe(true);
  });
});

async function fetchAll(base: string, method: string, path: string, body?: string) {
  return new Promise<{ method: string; path: string; status: number; text: string }>((resolve, reject) => {
    const req = request(`${base}${path}`, { method }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const head = Object.entries(res.headers)
          .map(([k, v]) => `${k}: ${String(v)}`)
          .join("\n");
        resolve({
          method,
          path,
          status: res.statusCode ?? 0,
          text: `${head}\n\n${Buffer.concat(chunks).toString()}`,
        });
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}
