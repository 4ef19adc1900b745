import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StatusDocument } from "../../../src/controller/controller.js";
import { motoEndpoint, resetMoto } from "../../support/aws.js";
import { type FaultProxy, type RequestRecord, startFaultProxy } from "../../support/fault-proxy.js";
import { buildCli, type CliController, startCli } from "./cli-process.js";
import {
  compareWorld,
  seedWorld,
  type World,
  type WorldSizes,
  writeOwner,
  writeWorldManifests,
} from "./world.js";

const SIZES: WorldSizes = {
  functions: 30,
  dlqs: 15,
  sqsMappings: 15,
  streamMappings: 6,
  queues: 30,
  rules: 5,
  targetsPerRule: 4,
};

/** Writes per resource (`kind/name`) among the proxied requests. */
function writesPerResource(world: World, records: readonly RequestRecord[]): Map<string, number> {
  const owner = writeOwner(world);
  const out = new Map<string, number>();
  for (const r of records) {
    const key = owner(r);
    if (key) out.set(key, (out.get(key) ?? 0) + 1);
  }
  return out;
}

describe("restart safety: SIGKILL mid-revision, then start again", () => {
  let proxy: FaultProxy;
  let dir: string;
  let world: World;
  let main: string;
  const children: CliController[] = [];

  beforeAll(async () => {
    [main, proxy] = await Promise.all([buildCli(), startFaultProxy()]);
    await resetMoto();
    world = await seedWorld(SIZES, motoEndpoint(), "restart");
    dir = await mkdtemp(join(tmpdir(), "retryctl-restart-"));
    await writeWorldManifests(world, dir);
  });

  afterAll(async () => {
    for (const c of children) c.child.kill("SIGKILL");
    await proxy?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("redoes only what the killed process had not written: no duplicate, no lost write", async () => {
    const drifted = new Set((await compareWorld(world, motoEndpoint())).map((m) => `${m.kind}/${m.name}`));
    const all = world.resources.map((r) => `${r.kind}/${r.name}`);
    expect(drifted.size).toBeGreaterThan(40);
    expect(drifted.size).toBeLessThan(all.length);

    const args = [
      "--dir",
      dir,
      "--listen",
      "127.0.0.1:0",
      "--region",
      "us-east-1",
      "--endpoint-url",
      proxy.endpoint,
      "--resync-interval",
      "1h",
      "--debounce",
      "100ms",
      "--log-level",
      "info",
    ];
    // Slow answers spread the revision's writes over seconds, so the kill lands in the middle of them.
    proxy.set({ slow: [{ minMs: 100, maxMs: 250 }] });
    const first = startCli(main, args);
    children.push(first);
    await first.url();
    const owner = writeOwner(world);
    await expect
      .poll(() => proxy.requests().filter((r) => owner(r)).length, { timeout: 30_000, interval: 10 })
      .toBeGreaterThanOrEqual(Math.ceil(drifted.size * 0.4));
    const inflightAtKill = proxy.inflight;
    first.child.kill("SIGKILL");
    expect(await first.exited).toBe("SIGKILL");
    // What the dead process had sent either reached AWS by now or never will.
    await proxy.idle();

    const firstWrites = writesPerResource(world, proxy.requests());
    // Writes AWS received whose answer the killed process never saw.
    const unanswered = proxy.requests().filter((r) => owner(r) && r.status === 0).length;
    const offAfterKill = new Set(
      (await compareWorld(world, motoEndpoint())).map((m) => `${m.kind}/${m.name}`),
    );
    const convergedAfterKill = new Set(all.filter((k) => !offAfterKill.has(k)));
    const convergedByFirst = [...drifted].filter((k) => convergedAfterKill.has(k));
    // Really mid-work: some drifted resources were written, some were not.
    expect(convergedByFirst.length).toBeGreaterThan(0);
    expect(convergedByFirst.length).toBeLessThan(drifted.size);
    // The first run wrote only drifted resources, each at most once.
    for (const [key, n] of firstWrites) {
      expect(drifted.has(key), key).toBe(true);
      expect(n, key).toBe(1);
    }

    proxy.reset();
    const second = startCli(main, args);
    children.push(second);
    const url = await second.url();
    await expect
      .poll(
        async () => {
          const status = (await (await fetch(`${url}/status`)).json()) as StatusDocument;
          return status.resources.filter((r) => r.status === "Synced").length;
        },
        { timeout: 45_000, interval: 250 },
      )
      .toBe(all.length);
    expect(await compareWorld(world, motoEndpoint())).toEqual([]);

    const secondWrites = writesPerResource(world, proxy.requests());
    for (const key of all) {
      const expected = convergedAfterKill.has(key) ? 0 : 1;
      expect(secondWrites.get(key) ?? 0, key).toBe(expected);
      // Over both runs: one write per drifted resource, none for the rest.
      expect((firstWrites.get(key) ?? 0) + (secondWrites.get(key) ?? 0), key).toBe(drifted.has(key) ? 1 : 0);
    }
    console.info(
      `restart: ${all.length} resources, ${drifted.size} drifted; first run wrote ${firstWrites.size} ` +
        `(${convergedByFirst.length} converged; ${inflightAtKill} requests in flight at the kill, ` +
        `${unanswered} writes applied but unanswered) before SIGKILL; second run wrote ${secondWrites.size}, ` +
        `0 to the ${convergedAfterKill.size} already converged`,
    );

    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
    expect(
      first.lines.concat(second.lines).filter((l) => l.level === "error" || l.level === "fatal"),
    ).toEqual([]);
  }, 110_000);
});
