import { spawn } from "node:child_process";
import { join } from "node:path";
import { PutFunctionEventInvokeConfigCommand } from "@aws-sdk/client-lambda";
import { configureMoto, sdk } from "../../test/support/aws.js";
import { REPO_ROOT, startMoto } from "../../test/support/moto-server.js";
import { publishHandChangeEvent, seedDriftFeed } from "./drift-feed.js";
import { seedDemo } from "./seed.js";

/**
 * `npm start`: the controller on the bundled manifests/ against a local moto,
 * seeded with drifted resources; a minute later one more change is made "by
 * hand" so the periodic resync can be seen reverting it.
 */
const LISTEN = process.env.RETRYCTL_LISTEN ?? "0.0.0.0:8080";
const RESYNC = process.env.RETRYCTL_RESYNC_INTERVAL ?? "30s";

const say = (text: string) => process.stderr.write(`\n[demo] ${text}\n\n`);

say("starting the local AWS emulator (moto; the first run installs it into .venv/)…");
const moto = await startMoto();
await configureMoto(moto.endpoint);
process.env.AWS_ACCESS_KEY_ID ??= "demo";
process.env.AWS_SECRET_ACCESS_KEY ??= "demo";
process.env.AWS_REGION ??= "us-east-1";
say(`emulator at ${moto.endpoint}; seeding the demo resources (some drifted on purpose)…`);
await seedDemo(moto.endpoint);
const driftEventsQueue = await seedDriftFeed(moto.endpoint);

const port = LISTEN.split(":").pop();
say(`starting: retryctl run --dir manifests (status on http://localhost:${port}/status)`);
const controller = spawn(
  process.execPath,
  [
    join(REPO_ROOT, "dist/cli/main.js"),
    "run",
    "--dir",
    join(REPO_ROOT, "manifests"),
    "--endpoint-url",
    moto.endpoint,
    "--listen",
    LISTEN,
    "--resync-interval",
    RESYNC,
    "--drift-events-queue",
    driftEventsQueue,
  ],
  { stdio: "inherit", env: process.env },
);

const handByTimer = setTimeout(async () => {
  say(
    `changing orders-notifier's async config by hand (retries 1 → 0); its CloudTrail event gets it reverted within seconds (without it, the next resync, every ${RESYNC})`,
  );
  await sdk(moto.endpoint)
    .lambda.send(
      new PutFunctionEventInvokeConfigCommand({
        FunctionName: "orders-notifier",
        MaximumRetryAttempts: 0,
        MaximumEventAgeInSeconds: 3600,
        DestinationConfig: {
          OnFailure: { Destination: "arn:aws:sqs:us-east-1:123456789012:orders-notifier-failed" },
        },
      }),
    )
    .then(() => publishHandChangeEvent(moto.endpoint, say, "orders-notifier"))
    .catch((err: Error) => say(`hand change failed: ${err.message}`));
}, 15_000);

let stopping = false;
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  clearTimeout(handByTimer);
  controller.kill(signal);
  await new Promise((r) => controller.once("exit", r));
  await moto.stop();
  process.exit(0);
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
controller.on("exit", async (code) => {
  if (stopping) return;
  await moto.stop();
  process.exit(code ?? 1);
});
