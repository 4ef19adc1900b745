import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
import type { StatusDocument } from "../../../src/controller/controller.js";
import {
  type RunControllerOptions,
  type RunningController,
  runController,
} from "../../../src/controller/run.js";
import { motoEndpoint, resetMoto, TEST_CREDENTIALS, TEST_REGION } from "../../support/aws.js";
import { type FaultProxy, startFaultProxy } from "../../support/fault-proxy.js";

export interface LogLine {
  level: string;
  msg: string;
  [field: string]: unknown;
}

/** A controller running in-process on a free port, its log lines kept in memory. */
export interface TestController {
  running: RunningController;
  url: string;
  logs: LogLine[];
  stop(): Promise<void>;
}

export async function startController(
  options: Partial<RunControllerOptions> & { dir: string },
): Promise<TestController> {
  // The controller's AWS clients use the SDK's default credential chain; env vars are its first link.
  process.env.AWS_ACCESS_KEY_ID ??= TEST_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY ??= TEST_CREDENTIALS.secretAccessKey;
  const logs: LogLine[] = [];
  const logger = pino(
    { level: options.logLevel ?? "debug", formatters: { level: (label) => ({ level: label }) } },
    { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) },
  );
  const running = await runController({
    region: TEST_REGION,
    endpoint: motoEndpoint(),
    mode: "enforce",
    listen: "127.0.0.1:0",
    concurrency: 4,
    resyncIntervalMs: 60_000,
    debounceMs: 100,
    logLevel: "debug",
    logger,
    backoff: { baseMs: 200, maxMs: 2_000 },
    ...options,
  });
  const url = `http://127.0.0.1:${running.address.port}`;
  return { running, url, logs, stop: () => running.stop() };
}

export async function get(url: string): Promise<{ status: number; body: string; contentType: string }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text(), contentType: res.headers.get("content-type") ?? "" };
}

export async function status(base: string): Promise<StatusDocument> {
  return JSON.parse((await get(`${base}/status`)).body) as StatusDocument;
}

/** The `/status` entry of one resource. */
export async function resource(base: string, name: string) {
  return (await status(base)).resources.find((r) => r.name === name);
}

/** A manifest document in YAML (JSON is YAML), with the envelope filled in. */
export function doc(
  kind: string,
  name: string,
  spec: Record<string, unknown>,
  annotations?: Record<string, string>,
) {
  const metadata = annotations ? { name, annotations } : { name };
  return `${JSON.stringify({ apiVersion: "retryctl.dev/v1alpha1", kind, metadata, spec }, null, 2)}\n`;
}

export interface ControllerSuite {
  /** A fresh temporary manifest folder per test. */
  dir: string;
  /** One fault proxy for the file, reset before each test. */
  proxy: FaultProxy;
  /** Set it to the test's controller: it is stopped after the test. */
  controller: TestController | undefined;
}

/**
 * Registers the hooks controller tests share: a fault proxy for the file, and
 * per test a reset moto, a fresh folder, and the controller stopped afterwards.
 */
export function controllerSuite(prefix: string): ControllerSuite {
  const suite = { dir: "", controller: undefined } as unknown as ControllerSuite;
  beforeAll(async () => {
    suite.proxy = await startFaultProxy();
  });
  afterAll(() => suite.proxy.close());
  beforeEach(async () => {
    await resetMoto();
    suite.proxy.reset();
    suite.dir = await mkdtemp(join(tmpdir(), `retryctl-${prefix}-`));
  });
  afterEach(async () => {
    await suite.controller?.stop();
    suite.controller = undefined;
    await rm(suite.dir, { recursive: true, force: true });
  });
  return suite;
}
