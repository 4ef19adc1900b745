import { beforeEach, describe, expect, it } from "vitest";
import { createQueue, motoEndpoint, resetMoto } from "../../support/aws.js";
import { cli, manifest, manifestDir, type PlanJson } from "../../support/cli.js";
import { setRedrive } from "../controller/aws-state.js";

/** What diff and apply write on stderr: their logs, as text lines unless told otherwise, never the plan twice. */
describe("the one-shot commands' logs", () => {
  let dir: string;

  beforeEach(async () => {
    await resetMoto();
    const dlq = await createQueue("cli-logs-dlq");
    for (const name of ["cli-logs-q", "cli-logs-observed"]) {
      await createQueue(name);
      await setRedrive(name, dlq.arn, 42);
    }
    const redrive = (queue: string) => ({ queue, deadLetterQueue: dlq.arn, maxReceiveCount: 5 });
    dir = await manifestDir({
      "m.yaml": [
        manifest("QueueRedrivePolicy", "q", redrive("cli-logs-q")),
        manifest("QueueRedrivePolicy", "observed", redrive("cli-logs-observed"), {
          annotations: { "retryctl.dev/mode": "observe" },
        }),
        manifest("FunctionEventInvokeConfig", "missing", {
          functionName: "cli-logs-nofn",
          maximumRetryAttempts: 1,
        }),
      ].join("---\n"),
    });
  });

  for (const output of ["text", "json"]) {
    it(`diff and apply (--output ${output}) do not repeat on stderr the errors and drift their plan shows`, async () => {
      for (const verb of ["diff", "apply"]) {
        const run = await cli(verb, dir, "--endpoint-url", motoEndpoint(), "--output", output);
        expect(run.code, `${verb}: ${run.stdout}${run.stderr}`).toBe(1);
        // The plan has them…
        expect(run.stdout).toContain("FunctionNotFound");
        expect(run.stdout).toContain("observed");
        // …and stderr does not say them again.
        expect(run.stderr, verb).not.toContain("FunctionNotFound");
        expect(run.stderr, verb).not.toContain("reconcile failed");
        expect(run.stderr, verb).not.toContain("drift detected");
      }
    });
  }

  it("logs text lines by default: one per change, none for what is in sync", async () => {
    const run = await cli("apply", dir, "--endpoint-url", motoEndpoint(), "--log-level", "info");
    const lines = run.stderr.split("\n").filter((l) => l !== "");
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^\d\d:\d\d:\d\d INFO drift repaired QueueRedrivePolicy\/q maxReceiveCount: 42 -> 5$/,
      ),
    );
    expect(lines.filter((l) => l.includes("QueueRedrivePolicy/q"))).toHaveLength(1);
    expect(lines.every((l) => !l.startsWith("{"))).toBe(true);

    const again = await cli("apply", dir, "--endpoint-url", motoEndpoint(), "--log-level", "info");
    expect(again.stderr).not.toContain("QueueRedrivePolicy/q");
    expect(again.stdout).toContain("1 in sync");
  });

  it("logs JSON lines with --log-format json or RETRYCTL_LOG_FORMAT=json", async () => {
    const args = ["diff", dir, "--endpoint-url", motoEndpoint(), "--log-level", "debug", "--output", "json"];
    const flag = await cli(...args, "--log-format", "json");
    process.env.RETRYCTL_LOG_FORMAT = "json";
    let env: Awaited<ReturnType<typeof cli>>;
    try {
      env = await cli(...args);
    } finally {
      delete process.env.RETRYCTL_LOG_FORMAT;
    }
    for (const run of [flag, env]) {
      const lines = run.stderr.split("\n").filter((l) => l !== "");
      expect(lines.length).toBeGreaterThan(0);
      const records = lines.map((l) => JSON.parse(l) as { msg: string; name?: string; level: string });
      expect(records).toContainEqual(
        expect.objectContaining({ msg: "change planned", name: "q", level: "info" }),
      );
      expect(run.json<PlanJson>().summary).toMatchObject({ update: 1, error: 1 });
    }
  });
});
