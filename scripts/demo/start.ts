import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { PutFunctionEventInvokeConfigCommand } from "@aws-sdk/client-lambda";
import { configureMoto, sdk } from "../../test/support/aws.js";
import { REPO_ROOT, startMoto } from "../../test/support/moto-server.js";
import { publishHandChangeEvent, seedDriftFeed } from "./drift-feed.js";
import { DEMO_CREDENTIALS, exportBlock, motoPort } from "./exports.js";
import { seedDemo } from "./seed.js";

/**
 * `npm start`: the controller on the bundled manifests/ against a local moto,
 * seeded with drifted resources; a little later one more change is made "by
 * hand" so the periodic resync can be seen reverting it.
 */
const LISTEN = process.env.RETRYCTL_LISTEN ?? "0.0.0.0:8080";
const RESYNC = process.env.RETRYCTL_RESYNC_INTERVAL ?? "30s";
/** The bundled manifests' ARNs and the seed name this region. */
const REGION = "us-east-1";
/** The CLI compiled next to this launcher, from the same sources as dist/. */
const CLI = join(dirname(fileURLToPath(import.meta.url)), "../../src/cli/main.js");

const say = (text: string) => process.stderr.write(`\n[demo] ${text}\n\n`);

// The demo signs with dummy credentials only: real ones from the environment are not sent, not even to localhost.
for (const name of ["AWS_SESSION_TOKEN", "AWS_PROFILE"]) delete process.env[name];
Object.assign(process.env, {
  AWS_ACCESS_KEY_ID: DEMO_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: DEMO_CREDENTIALS.secretAccessKey,
  AWS_REGION: REGION,
});

const port = motoPort(process.env.RETRYCTL_DEMO_MOTO_PORT);
// Checked first: moto, finding its port taken, says so in its log and hangs instead of exiting.
if (port !== 0 && !(await portFree(port))) {
  say(
    `port ${port}, the emulator's, is taken (another demo still running?). ` +
      "Stop that one, or choose another port: RETRYCTL_DEMO_MOTO_PORT=<port> npm start (0 picks a free one).",
  );
  process.exit(1);
}
say("starting the local AWS emulator (moto; the first run installs it into .venv/)…");
// Its own process group: Ctrl-C must not stop it under a controller that is still shutting down.
const moto = await startMoto({ port, ownProcessGroup: true });
await configureMoto(moto.endpoint);
say(`emulator at ${moto.endpoint}; seeding the demo resources (some drifted on purpose)…`);
await seedDemo(moto.endpoint);
const driftEventsQueue = await seedDriftFeed(moto.endpoint);

say(`starting: retryctl run --dir manifests (status on http://localhost:${LISTEN.split(":").pop()}/status)`);
const controller = spawn(
  process.execPath,
  [
    CLI,
    "run",
    "--dir",
    join(REPO_ROOT, "manifests"),
    "--endpoint-url",
    moto.endpoint,
    "--listen",
    LISTEN,
    "--resync-interval",
    RESYNC,
    // Lines a person reads; RETRYCTL_LOG_FORMAT=json shows what the container logs.
    ...(process.env.RETRYCTL_LOG_FORMAT ? [] : ["--log-format", "text"]),
    "--drift-events-queue",
    driftEventsQueue,
  ],
  // Same process group as this launcher: a terminal's Ctrl-C reaches it directly.
  { stdio: ["ignore", "pipe", "inherit"], env: process.env },
);

// The controller's log is passed through, and read for two moments: its first full reconcile
// (then the export block is shown, below the repairs) and its "signal received".
let blockShown = false;
let controllerSignalled = false;
createInterface({ input: controller.stdout as NodeJS.ReadableStream }).on("line", (line) => {
  process.stdout.write(`${line}\n`);
  if (line.includes("signal received")) controllerSignalled = true;
  if (!blockShown && line.includes("revision reconciled")) {
    blockShown = true;
    say(
      `the demo is up. To run the CLI against it, paste this into another terminal, in this folder:\n\n${exportBlock({ endpoint: moto.endpoint, region: REGION })}`,
    );
  }
});

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

/**
 * A terminal's Ctrl-C is sent to the whole foreground process group, so the
 * controller has it already: passing it on would be a second signal (and npm
 * may forward one more to this process). Only a signal the controller did not
 * get (`kill <this pid>`) is passed on, once.
 */
let stopping = false;
let forwarded = false;
function onSignal(signal: NodeJS.Signals): void {
  if (!stopping) {
    stopping = true;
    clearTimeout(handByTimer);
    say("stopping: the controller shuts down gracefully (Ctrl-C twice more forces it)…");
  }
  setTimeout(() => {
    if (forwarded || controllerSignalled || controller.exitCode !== null || controller.signalCode !== null)
      return;
    forwarded = true;
    controller.kill(signal);
  }, 1_000);
}
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);
process.on("SIGHUP", () => onSignal("SIGTERM"));

controller.on("exit", async (code, signal) => {
  clearTimeout(handByTimer);
  await moto.stop();
  if (!stopping) say(`the controller exited (${signal ?? `code ${code}`}); emulator stopped`);
  process.exit(code ?? 1);
});

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer()
      .once("error", () => resolve(false))
      .listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}
