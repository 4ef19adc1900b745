import { writeFileSync } from "node:fs";
import { get } from "node:http";
import pino from "pino";
import { runController } from "../src/controller/run.js";
import { procMemory } from "./proc-memory.js";

/**
 * Part 5, second half: the controller itself holding a large tree. Starts
 * `runController` on <dir> (observe mode: nothing is written), lets it work
 * for <seconds>, sampling RSS, then stops it and writes the figures.
 * Usage: node controller-child.js <dir> <endpoint> <seconds> <result.json>
 */
const [dir, endpoint, secondsArg, out] = process.argv.slice(2);
if (!dir || !endpoint || !out)
  throw new Error("usage: controller-child <dir> <endpoint> <seconds> <result.json>");
const seconds = Number(secondsArg ?? 20);

let loadedAt: number | undefined;
let lines = 0;
// The production logger writes JSON lines to stdout; here they are only counted, which costs less.
const logger = pino(
  { level: "info" },
  {
    write(line: string) {
      lines++;
      if (loadedAt === undefined && line.includes('"msg":"manifests loaded"')) loadedAt = performance.now();
    },
  },
);
const started = performance.now();
const controller = await runController({
  dir,
  region: "us-east-1",
  endpoint,
  mode: "observe",
  listen: "127.0.0.1:0",
  concurrency: 8,
  resyncIntervalMs: 300_000,
  debounceMs: 500,
  logLevel: "info",
  logger,
});
const startedMs = performance.now() - started;
let peakRss = 0;
const sample = () => {
  peakRss = Math.max(peakRss, procMemory().rssKiB);
};
const timer = setInterval(sample, 200);
await new Promise((r) => setTimeout(r, seconds * 1000));
clearInterval(timer);
sample();
// node:http, which the server has loaded already: fetch would load undici into this process and its
// memory would be counted as the controller's.
const status = JSON.parse(await getText(`http://127.0.0.1:${controller.address.port}/status`)) as {
  resources: unknown[];
};
const memory = procMemory();
await controller.stop();
writeFileSync(
  out,
  JSON.stringify({
    resources: status.resources.length,
    startMs: startedMs,
    loadedMs: loadedAt === undefined ? null : loadedAt - started,
    seconds,
    logLines: lines,
    peakRssKiB: peakRss,
    vmHwmKiB: memory.hwmKiB,
    rssEndKiB: memory.rssKiB,
    heapUsedKiB: Math.round(process.memoryUsage().heapUsed / 1024),
  }),
);
process.exit(0);

function getText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => resolve(body));
      res.on("error", reject);
    }).on("error", reject);
  });
}
