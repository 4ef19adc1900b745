import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { TEST_CREDENTIALS, TEST_REGION } from "../../support/aws.js";
import { REPO_ROOT } from "../../support/moto-server.js";

/** `retryctl run` as a real process (built from the sources), its JSON log lines kept in memory. */
export interface CliController {
  child: ChildProcess;
  lines: { msg?: string; level?: string; [field: string]: unknown }[];
  /** The /status base URL, once "controller started" was logged. */
  url: () => Promise<string>;
  /** Resolves with the exit code or signal. */
  exited: Promise<number | NodeJS.Signals | null>;
}

const OUT = join(REPO_ROOT, ".tmp", "chaos-cli-dist");

/** Compiles src/ into .tmp (not dist/, which belongs to `npm run build`) and returns the CLI entry. */
export async function buildCli(): Promise<string> {
  await promisify(execFile)(
    join(REPO_ROOT, "node_modules/.bin/tsc"),
    ["-p", "tsconfig.build.json", "--outDir", OUT],
    { cwd: REPO_ROOT },
  );
  const main = join(OUT, "cli/main.js");
  if (!existsSync(main)) throw new Error(`build produced no ${main}`);
  return main;
}

/** `env` adds to (or overrides) the test credentials and region. */
export function startCli(main: string, args: string[], env: Record<string, string> = {}): CliController {
  const child = spawn(process.execPath, [main, "run", ...args], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
      AWS_REGION: TEST_REGION,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: CliController["lines"] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (text) => {
    try {
      lines.push(JSON.parse(text) as CliController["lines"][number]);
    } catch {
      lines.push({ msg: text });
    }
  });
  child.stderr?.on("data", () => undefined);
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) =>
    child.on("exit", (code, signal) => resolve(signal ?? code)),
  );
  const url = async () => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const started = lines.find((l) => l.msg === "controller started");
      if (typeof started?.listen === "string") return `http://${started.listen}`;
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`controller did not start:\n${lines.map((l) => JSON.stringify(l)).join("\n")}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { child, lines, url, exited };
}
