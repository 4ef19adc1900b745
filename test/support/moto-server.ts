import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync } from "node:fs";
import { rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

/**
 * The repository this file belongs to. Found by looking upwards rather than as
 * a fixed `../..`, so the copy compiled into a build folder (`.tmp/demo-build`,
 * `.tmp/bench-build`) still finds the launcher, the venv and the scripts.
 */
export const REPO_ROOT = findRepoRoot(dirname(fileURLToPath(import.meta.url)));

function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "test/backend/moto_launcher.py"))) return dir;
    if (dirname(dir) === dir) return resolve(from, "../..");
  }
}
const VENV_PYTHON = join(REPO_ROOT, ".venv/bin/python");
const LAUNCHER = join(REPO_ROOT, "test/backend/moto_launcher.py");

/** Creates or refreshes the repo's .venv with the pinned moto (no-op when the stamp matches). */
export async function ensureVenv(): Promise<void> {
  await promisify(execFile)(join(REPO_ROOT, "scripts/ensure-venv.sh"), [], {
    cwd: REPO_ROOT,
    maxBuffer: 16 * 1024 * 1024,
  });
}

export interface MotoServer {
  endpoint: string;
  stop(): Promise<void>;
}

export interface StartMotoOptions {
  /** Start without the fidelity patches (only the patch tests want this). */
  vanilla?: boolean;
  /** Where the server's stderr (request log, tracebacks) goes; defaults to .tmp/moto-<pid>-<n>.log. */
  logFile?: string;
  readyTimeoutMs?: number;
  /** Listen on this port instead of a free one (the demo's, so its `export` block stays valid). @default 0 */
  port?: number;
  /**
   * Start it in a process group of its own, so a terminal's Ctrl-C (sent to the
   * whole foreground group) does not stop it under a controller still shutting
   * down; it still exits when its parent does (stdin closes).
   */
  ownProcessGroup?: boolean;
}

let started = 0;

/**
 * Starts test/backend/moto_launcher.py on a free loopback port (the launcher
 * binds port 0 and reports the one it got, so there is no pick-then-bind race)
 * and resolves once it answers HTTP.
 */
export async function startMoto(opts: StartMotoOptions = {}): Promise<MotoServer> {
  await ensureVenv();
  const logFile = opts.logFile ?? join(REPO_ROOT, ".tmp", `moto-${process.pid}-${started++}.log`);
  mkdirSync(dirname(logFile), { recursive: true });
  const args = [LAUNCHER, "--port", String(opts.port ?? 0), "--exit-on-stdin-eof"];
  if (opts.vanilla) args.push("--vanilla");
  const child = spawn(VENV_PYTHON, args, {
    cwd: REPO_ROOT,
    stdio: ["pipe", "pipe", "pipe"],
    detached: opts.ownProcessGroup ?? false,
  });
  const log = createWriteStream(logFile);
  child.stderr.pipe(log);

  const endpoint = await waitForReady(child, opts.readyTimeoutMs ?? 60_000, logFile);
  await waitForHttp(endpoint);
  return {
    endpoint,
    stop: async () => {
      await stopChild(child);
      // A clean run leaves nothing behind; a failed start keeps the log for reading.
      await rm(logFile, { force: true });
    },
  };
}

function waitForReady(child: ChildProcess, timeoutMs: number, logFile: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`moto launcher not ready after ${timeoutMs} ms (see ${logFile})`));
    }, timeoutMs);
    lines.on("line", (line) => {
      const match = /^READY (http:\/\/\S+)$/.exec(line.trim());
      if (match?.[1]) {
        clearTimeout(timer);
        resolvePromise(match[1]);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`moto launcher exited with code ${code} before it was ready (see ${logFile})`));
    });
  });
}

async function waitForHttp(endpoint: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const res = await fetch(`${endpoint}/moto-api/data.json`);
      await res.arrayBuffer();
      if (res.ok) return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline) throw new Error(`moto at ${endpoint} never answered`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolvePromise) => {
    const force = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => {
      clearTimeout(force);
      resolvePromise();
    });
    child.kill("SIGTERM");
    child.stdin?.end();
  });
}
