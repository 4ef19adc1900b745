import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFunction, createQueue, motoEndpoint, resetMoto } from "../../support/aws.js";
import { cli, manifest, manifestDir } from "../../support/cli.js";
import { LeakyEndpoint } from "../security/leaky-endpoint.js";

/**
 * explain prints no credential, in any format, also when an AWS error quotes
 * the signed request (the leaky endpoint answers the function's async-config
 * read so). Same sentinels and method as test/integration/security/credentials.test.ts.
 */
const SENTINELS = {
  AWS_ACCESS_KEY_ID: "SENTINELKEYIDq7w3e9r1",
  AWS_SECRET_ACCESS_KEY: "SENTINEL/SECRET+k4j8h2g6f0d5s",
  AWS_SESSION_TOKEN: "SENTINELTOKEN//p1o2i3u4y5t6r7e8w9q0==",
};
const saved = new Map(Object.keys(SENTINELS).map((name) => [name, process.env[name]]));
let leaky: LeakyEndpoint;
let dir: string;

beforeAll(async () => {
  await resetMoto();
  const dlq = await createQueue("dlq");
  await createFunction("leaky-fn");
  dir = await manifestDir({
    "m.yaml": manifest("FunctionDeadLetterConfig", "leaky", { functionName: "leaky-fn", targetArn: dlq.arn }),
  });
  leaky = await LeakyEndpoint.start(motoEndpoint(), "leaky-fn");
  Object.assign(process.env, SENTINELS);
});

afterAll(async () => {
  for (const [name, value] of saved) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await leaky?.close();
});

describe("explain at --log-level trace", () => {
  for (const output of ["text", "json", "mermaid"]) {
    it(`(${output}) prints no credential, also for an AWS error quoting the request`, async () => {
      const run = await cli(
        "explain",
        dir,
        "--log-level",
        "trace",
        "--output",
        output,
        "--endpoint-url",
        leaky.url,
      );
      for (const [name, value] of Object.entries(SENTINELS)) {
        expect(run.stdout.includes(value), `${name} in stdout`).toBe(false);
        expect(run.stderr.includes(value), `${name} in stderr`).toBe(false);
      }
      // The failure path ran: the read failed with the quoting error, reported scrubbed, exit 1.
      expect(run.code).toBe(1);
      expect(run.stdout).toContain("InvalidSignature");
      // The graph names the error's code only; text and JSON carry its message, scrubbed.
      if (output !== "mermaid") expect(run.stdout).toContain("[redacted]");
    });
  }
});
