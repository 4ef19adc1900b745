import { Command, InvalidArgumentError, Option } from "commander";
import { runExplain } from "../explain/command.js";
import { scrubSecrets } from "../log/secrets.js";
import { manifestJsonSchema } from "../manifests/json-schema.js";
import { loadManifests } from "../manifests/load.js";
import { isFolderProblem, type Manifest, type ManifestError } from "../manifests/manifest.js";
import { Guard } from "../policy/guard.js";
import { VERSION } from "../version.js";
import type { GlobalOptions } from "./context.js";
import { readPolicy, regionAdvice, resolveRegion } from "./context.js";
import { parseDuration } from "./duration.js";
import { type Interrupt, interruptible } from "./interrupt.js";
import { formatManifestError, formatWarning } from "./output.js";
import { applyExitCode, planExitCode, runPlan } from "./plan.js";
import { DEFAULT_PROGRESS_INTERVAL_MS } from "./progress.js";
import { runCommand } from "./run.js";

/** Exit codes of design §2. */
export const EXIT = { ok: 0, failed: 1, drift: 2 } as const;

function duration(value: string): number {
  try {
    return parseDuration(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`must be a positive integer, got "${value}"`);
  return n;
}

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const processIo: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** Runs the CLI with the given arguments (without `node` and the script) and resolves to the exit code. */
export async function runCli(args: readonly string[], io: Io = processIo): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...args], { from: "user" });
  } catch (err) {
    const e = err as { code?: string; exitCode?: number; message?: string };
    if (e.code === "commander.helpDisplayed" || e.code === "commander.version") return EXIT.ok;
    if (e.code?.startsWith("commander.")) return EXIT.failed;
    io.stderr(`retryctl: ${scrubSecrets(e.message ?? String(err))}\n`);
    return EXIT.failed;
  }
  return exitCode;
}

/** What `validate --policy` can tell offline: the manifests the allow-list refuses (the caller's account aside). */
function policyErrors(guard: Guard, manifests: readonly Manifest[]): ManifestError[] {
  const errors: ManifestError[] = [];
  for (const m of manifests) {
    const refused = guard.offline(m);
    if (!refused) continue;
    errors.push({
      file: m.source.file,
      line: m.source.line,
      path: "",
      message: refused.message,
      kind: m.kind.kind,
      name: m.name,
    });
  }
  return errors;
}

/** The commander definition of the whole CLI; `runCli` parses with it, the docs generate from it. */
export function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command("retryctl")
    .description("GitOps reconciler for AWS Lambda retry behaviour")
    .version(VERSION)
    .addOption(
      new Option("--region <region>", "AWS region for manifests without spec.region").env("RETRYCTL_REGION"),
    )
    .addOption(
      new Option("--endpoint-url <url>", "one endpoint for every AWS service").env("RETRYCTL_ENDPOINT_URL"),
    )
    .addOption(
      new Option("--log-level <level>", "log level")
        .choices(["trace", "debug", "info", "warn", "error", "fatal", "silent"])
        .env("RETRYCTL_LOG_LEVEL"),
    )
    .addOption(
      new Option("--log-format <format>", "log lines as json (the default of run) or text (of the others)")
        .choices(["json", "text"])
        .env("RETRYCTL_LOG_FORMAT"),
    )
    .addOption(
      new Option(
        "--policy <file>",
        "allow-list of the accounts, regions, functions, queues and rules manifests may target",
      ).env("RETRYCTL_POLICY"),
    )
    .addOption(
      new Option(
        "--output <format>",
        "output of validate, diff and apply (text, json) and of explain (also mermaid)",
      )
        .choices(["text", "json", "mermaid"])
        .default("text")
        .env("RETRYCTL_OUTPUT"),
    )
    .showHelpAfterError()
    // Set before the subcommands are added: Commander copies these settings to each one as it is created.
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  const globals = () => program.opts<GlobalOptions>();
  // Only explain draws a graph; the other commands print a plan or a report.
  const planGlobals = (command: string): GlobalOptions => {
    const options = globals();
    if ((options.output as string | undefined) === "mermaid")
      throw new Error(`--output mermaid is only for explain; ${command} prints text or json`);
    return options;
  };

  program
    .command("validate")
    .description("parse, validate and lint manifests offline (no AWS calls)")
    .argument("<dir...>", "folders of manifests")
    .action(async (dirs: string[]) => {
      // Offline: an interrupt lets it finish its (short) work, then it exits 128 + n.
      await interruptible(io.stderr, async () => validate(dirs)).then(setExit);
    });

  async function validate(dirs: string[]): Promise<number> {
    const options = planGlobals("validate");
    const policy = await readPolicy(options);
    const region = await resolveRegion(options);
    const load = await loadManifests(dirs, { defaultRegion: region });
    if (region === undefined) {
      io.stderr(
        `note: no AWS region is configured, so ARNs were checked against spec.region only; to check them against the default region too, ${regionAdvice()}\n`,
      );
    }
    if (policy) load.errors.push(...policyErrors(new Guard({ policy }), load.manifests));
    const valid = load.errors.length === 0;
    // Fleet policies expand only against AWS (diff, apply, run); offline they are validated and linted.
    const policies = (load.policies ?? []).map((p) => ({ name: p.name, ...p.source }));
    if (options.output === "json") {
      const doc = {
        valid,
        errors: load.errors.map(({ file, line, column, path, message }) => ({
          file,
          line,
          ...(column === undefined ? {} : { column }),
          path,
          message,
        })),
        warnings: load.warnings.map(({ file, line, code, message }) => ({ file, line, code, message })),
        ...(policies.length > 0 ? { policies } : {}),
      };
      io.stdout(`${JSON.stringify(doc, null, 2)}\n`);
    } else {
      for (const e of load.errors) {
        if (isFolderProblem(e)) io.stderr(`retryctl: ${e.message}\n`);
        else io.stdout(`error: ${formatManifestError(e)}\n`);
      }
      for (const w of load.warnings) io.stdout(`${formatWarning(w)}\n`);
      const fleet = policies.length > 0 ? ` and ${policies.length} valid RetryPolicy(s)` : "";
      io.stdout(
        `${load.manifests.length} valid manifest(s)${fleet}, ${load.errors.length} error(s), ${load.warnings.length} warning(s).\n`,
      );
    }
    return valid ? EXIT.ok : EXIT.failed;
  }

  const waitTimeout = new Option(
    "--wait-timeout <duration>",
    "how long to wait out resources in motion or throttled before reporting them as failed",
  )
    .argParser(duration)
    .default(120_000, "2m");
  const concurrency = new Option("--concurrency <n>", "resources applied at once, per kind")
    .argParser(positiveInt)
    .default(8);
  // Hidden: the 10 s of design §13 suit a terminal; tests shorten it.
  const progressInterval = new Option("--progress-interval <duration>", "how often to say what is waited for")
    .argParser(duration)
    .default(DEFAULT_PROGRESS_INTERVAL_MS)
    .hideHelp();
  interface PlanFlags {
    waitTimeout: number;
    concurrency: number;
    progressInterval: number;
  }
  const planOptions = (
    opts: PlanFlags,
    dryRun: boolean,
    command: "diff" | "apply",
    interrupt: Interrupt,
  ) => ({
    ...planGlobals(command),
    interrupt,
    dryRun,
    waitTimeoutMs: opts.waitTimeout,
    concurrency: opts.concurrency,
    progressIntervalMs: opts.progressInterval,
  });

  program
    .command("diff")
    .description("read AWS and print the plan (exit 0 in sync, 2 drift, 1 error)")
    .argument("<dir>", "folder of manifests")
    .addOption(waitTimeout)
    .addOption(concurrency)
    .addOption(progressInterval)
    .action(async (dir: string, opts: PlanFlags) => {
      const code = await interruptible(io.stderr, async (interrupt) =>
        planExitCode(await runPlan(dir, io, planOptions(opts, true, "diff", interrupt), "plan")),
      );
      setExit(code);
    });

  program
    .command("apply")
    .description("reconcile once and report (exit 0 all converged, 1 any failed; --dry-run exits like diff)")
    .argument("<dir>", "folder of manifests")
    .option("--dry-run", "plan only; change nothing; exit 0 in sync, 2 changes pending, 1 error", false)
    .addOption(waitTimeout)
    .addOption(concurrency)
    .addOption(progressInterval)
    .action(async (dir: string, opts: PlanFlags & { dryRun: boolean }) => {
      const code = await interruptible(io.stderr, async (interrupt) => {
        const run = await runPlan(dir, io, planOptions(opts, opts.dryRun, "apply", interrupt), "apply");
        // A dry run changed nothing, so it exits like `diff` (2 while changes are pending).
        return opts.dryRun ? planExitCode(run) : applyExitCode(run);
      });
      setExit(code);
    });

  program
    .command("explain")
    .description(
      "read AWS and show where a failed event of each function ends up (exit 0, 2 when a path drops events, 1 on error)",
    )
    .argument("<dir>", "folder of manifests: the functions they name are explained")
    .option("--function <name>", "only this function (name or ARN)")
    .addOption(progressInterval)
    .action(async (dir: string, opts: { function?: string; progressInterval: number }) => {
      const { output, ...options } = globals();
      // Read-only: an interrupt ends its waits and reads at once; what was read is still shown.
      const code = await interruptible(io.stderr, async (interrupt) =>
        runExplain(dir, io, {
          ...options,
          interrupt,
          format: output as "text" | "json" | "mermaid" | undefined,
          ...(opts.function !== undefined ? { function: opts.function } : {}),
          progressIntervalMs: opts.progressInterval,
        }),
      );
      setExit(code);
    });

  program
    .command("run")
    .description("the long-running controller")
    .requiredOption("--dir <dir>", "folder (or git-sync link) of manifests", process.env.RETRYCTL_DIR)
    .addOption(
      new Option("--resync-interval <duration>", "re-read every resource this often")
        .argParser(duration)
        .default(300_000, "5m")
        .env("RETRYCTL_RESYNC_INTERVAL"),
    )
    .addOption(
      new Option("--mode <mode>", "enforce repairs drift; observe only reports it")
        .choices(["enforce", "observe"])
        .default("enforce")
        .env("RETRYCTL_MODE"),
    )
    .addOption(new Option("--listen <addr>", "HTTP address").default("0.0.0.0:8080").env("RETRYCTL_LISTEN"))
    .addOption(
      new Option("--concurrency <n>", "resources reconciled at once")
        .argParser(positiveInt)
        .default(8)
        .env("RETRYCTL_CONCURRENCY"),
    )
    .addOption(
      new Option("--debounce <duration>", "quiet time after a change before reconciling")
        .argParser(duration)
        .default(500, "500ms")
        .env("RETRYCTL_DEBOUNCE"),
    )
    .addOption(
      new Option(
        "--drift-events-queue <url>",
        "SQS queue of CloudTrail events (deploy/drift-events/): re-read hand-changed resources within seconds",
      ).env("RETRYCTL_DRIFT_EVENTS_QUEUE"),
    )
    .option(
      "--leader-election",
      "run as one of several replicas: only the one holding the Lease reconciles, the others stand by",
      false,
    )
    .addOption(
      new Option(
        "--leader-election-namespace <namespace>",
        "namespace of the Lease (default: the pod's own, from its ServiceAccount)",
      ).env("RETRYCTL_LEADER_ELECTION_NAMESPACE"),
    )
    .addOption(
      new Option("--leader-election-id <name>", "name of the Lease")
        .default("retryctl")
        .env("RETRYCTL_LEADER_ELECTION_ID"),
    )
    .action(async (opts) => {
      await runCommand({ ...globals(), ...opts });
    });

  program
    .command("schema")
    .description("print the JSON Schema of the manifests (for editors)")
    .action(() => {
      io.stdout(`${JSON.stringify(manifestJsonSchema(), null, 2)}\n`);
    });

  return program;
}
