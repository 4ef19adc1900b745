/**
 * Run by watcher.test.ts in a fresh Node process (type stripping, no build):
 * starts a TreeWatcher on `argv[2]` the way the controller does and prints what
 * becoming ready cost it, so one test's memory does not blur another's.
 */
import { realpath } from "node:fs/promises";
import pino from "pino";

type WatcherModule = typeof import("../../../src/controller/watcher.js");
// A literal `.ts` path: Node strips the types of this module, tsc keeps checking through the type above.
const { TreeWatcher } = (await import(
  new URL("../../../src/controller/watcher.ts", import.meta.url).href
)) as WatcherModule;

const dir = process.argv[2] as string;
const rssBefore = process.memoryUsage().rss;
const started = performance.now();
const watcher = new TreeWatcher({
  dir,
  debounceMs: 100,
  onChange: () => undefined,
  log: pino({ level: "silent" }),
});
await watcher.start();
await watcher.retarget(await realpath(dir));
const readyMs = performance.now() - started;
const rssAfter = process.memoryUsage().rss;
const watched = watcher.watched().length;
await watcher.close();
process.stdout.write(`${JSON.stringify({ readyMs, rssBefore, rssAfter, watched })}\n`);
