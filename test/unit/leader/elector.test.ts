import pino from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LeaderElector, WRITE_MARGIN_MS } from "../../../src/leader/elector.js";
import { type LeaseClient, LeaseConflict } from "../../../src/leader/lease-client.js";
import type { LeaseRecord, VersionedRecord } from "../../../src/leader/record.js";

/** One Lease in memory, with the API server's optimistic concurrency (a stale version is a conflict). */
class LeaseStore {
  current: VersionedRecord | undefined;
  #version = 0;
  /** Every record written, with when (fake clock) and by which client. */
  readonly writes: { at: number; by: string; record: LeaseRecord }[] = [];

  write(record: LeaseRecord, by: string): string {
    this.#version++;
    this.current = { record: { ...record }, version: String(this.#version) };
    this.writes.push({ at: Date.now(), by, record: { ...record } });
    return this.current.version;
  }
}

/** A replica's view of the store: can be cut off (each request then fails after `timeoutMs`, as a paused server does). */
class MemoryLease implements LeaseClient {
  readonly name = "ns/retryctl";
  down = false;
  /** Runs after the read of `get` and before its answer: another writer getting in between. */
  betweenGetAndAnswer: (() => void) | undefined;
  /** Delays of each request on its way to the store and of its answer on the way back. */
  latency = { toMs: 0, backMs: 0 };
  constructor(
    readonly store: LeaseStore,
    readonly who: string,
    readonly timeoutMs = 4_000,
  ) {}

  async #reachable(): Promise<void> {
    if (this.down) {
      await new Promise((r) => setTimeout(r, this.timeoutMs));
      throw new Error("timed out");
    }
    if (this.latency.toMs > 0) await new Promise((r) => setTimeout(r, this.latency.toMs));
  }

  async #back<T>(value: T): Promise<T> {
    if (this.latency.backMs > 0) await new Promise((r) => setTimeout(r, this.latency.backMs));
    return value;
  }

  async get(): Promise<VersionedRecord | undefined> {
    await this.#reachable();
    const answer = this.store.current && {
      record: { ...this.store.current.record },
      version: this.store.current.version,
    };
    this.betweenGetAndAnswer?.();
    this.betweenGetAndAnswer = undefined;
    return answer;
  }

  async create(record: LeaseRecord): Promise<string> {
    await this.#reachable();
    if (this.store.current) throw new LeaseConflict("exists");
    return this.store.write(record, this.who);
  }

  async update(record: LeaseRecord, version: string): Promise<string> {
    await this.#reachable();
    if (this.store.current?.version !== version) throw new LeaseConflict("stale");
    return this.#back(this.store.write(record, this.who));
  }
}

const silent = pino({ level: "silent" });

function elector(lease: MemoryLease, identity: string) {
  const e = new LeaderElector({ lease, identity, log: silent, now: () => Date.now(), random: () => 0.5 });
  const changes: { at: number; leading: boolean; reason: string }[] = [];
  e.onLeading((leading, reason) => changes.push({ at: Date.now(), leading, reason }));
  return { e, changes, lease };
}

describe("LeaderElector", () => {
  let store: LeaseStore;
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
    store = new LeaseStore();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("makes exactly one of two candidates leader, which renews every retry period", async () => {
    const a = elector(new MemoryLease(store, "a"), "a");
    const b = elector(new MemoryLease(store, "b"), "b");
    a.e.start();
    b.e.start();
    await vi.advanceTimersByTimeAsync(20_000);
    expect([a.e.leading, b.e.leading]).toEqual([true, false]);
    expect(a.e.mayWrite()).toBe(true);
    expect(b.e.mayWrite()).toBe(false);
    expect(store.current?.record).toMatchObject({ holderIdentity: "a", leaseTransitions: 0 });
    expect(b.e.status()).toMatchObject({ leading: false, holder: "a", identity: "b", lease: "ns/retryctl" });
    // Created at 0, renewed at 2, 4, … 20 s: every write is a's.
    expect(store.writes.map((w) => w.by)).toEqual(Array(11).fill("a"));
    expect(a.changes).toEqual([{ at: 1_000_000, leading: true, reason: "acquired the lease" }]);
    await a.e.stop();
    await b.e.stop();
  });

  it("stops writing before its renew deadline when it cannot renew, and the standby takes over only after the lease duration", async () => {
    const a = elector(new MemoryLease(store, "a"), "a");
    // A slow API server: the renewal counts from when it was sent, not from when it was answered.
    a.lease.latency = { toMs: 200, backMs: 300 };
    a.e.start();
    await vi.advanceTimersByTimeAsync(600);
    const b = elector(new MemoryLease(store, "b"), "b");
    b.e.start();
    await vi.advanceTimersByTimeAsync(5_000);
    a.lease.down = true;

    // The gate shuts renewDeadline − margin after the last renewal began; leading ends at the deadline.
    let gateClosedAt: number | undefined;
    let lostAt: number | undefined;
    let bLeadsAt: number | undefined;
    for (let t = 0; t < 30_000; t += 50) {
      await vi.advanceTimersByTimeAsync(50);
      if (gateClosedAt === undefined && !a.e.mayWrite()) gateClosedAt = Date.now();
      if (lostAt === undefined && !a.e.leading) lostAt = Date.now();
      if (bLeadsAt === undefined && b.e.leading) bLeadsAt = Date.now();
    }
    // a's last renewal reached the store 200 ms after it was sent.
    const lastRenew = store.writes.filter((w) => w.by === "a").at(-1)!.at;
    const sent = lastRenew - 200;
    expect(gateClosedAt! - sent).toBeLessThanOrEqual(10_000 - WRITE_MARGIN_MS);
    expect(gateClosedAt! - sent).toBeGreaterThan(10_000 - WRITE_MARGIN_MS - 100);
    expect(lostAt! - sent).toBeGreaterThanOrEqual(10_000);
    expect(lostAt! - sent).toBeLessThan(10_100);
    expect(a.changes.at(-1)).toMatchObject({
      leading: false,
      reason: expect.stringContaining("renew deadline"),
    });
    // b saw a's last renewal no earlier than it was written, so waits at least the 15 s from there.
    expect(bLeadsAt! - lastRenew).toBeGreaterThanOrEqual(15_000);
    expect(bLeadsAt! - lastRenew).toBeLessThanOrEqual(15_000 + 2_400 + 100);
    expect(store.current?.record).toMatchObject({ holderIdentity: "b", leaseTransitions: 1 });
    // No write of a's landed after b took over.
    const takeover = store.writes.find((w) => w.by === "b")!.at;
    expect(store.writes.filter((w) => w.by === "a" && w.at >= takeover)).toEqual([]);

    // Back online, a reads that b holds the lease and stays a standby.
    a.lease.down = false;
    await vi.advanceTimersByTimeAsync(10_000);
    expect([a.e.leading, b.e.leading]).toEqual([false, true]);
    expect(a.e.status().holder).toBe("b");
    await a.e.stop();
    await b.e.stop();
  });

  it("renews again when the API server comes back before anyone else took the lease", async () => {
    const a = elector(new MemoryLease(store, "a"), "a");
    a.e.start();
    await vi.advanceTimersByTimeAsync(3_000);
    a.lease.down = true;
    await vi.advanceTimersByTimeAsync(12_000);
    expect(a.e.leading).toBe(false);
    a.lease.down = false;
    await vi.advanceTimersByTimeAsync(7_000);
    expect(a.e.leading).toBe(true);
    expect(a.e.mayWrite()).toBe(true);
    // Still the same holder: no transition counted.
    expect(store.current?.record).toMatchObject({ holderIdentity: "a", leaseTransitions: 0 });
    expect(a.changes.map((c) => c.leading)).toEqual([true, false, true]);
    await a.e.stop();
  });

  it("releases the lease on stop, so the standby takes over at its next attempt", async () => {
    const a = elector(new MemoryLease(store, "a"), "a");
    a.e.start();
    await vi.advanceTimersByTimeAsync(100);
    const b = elector(new MemoryLease(store, "b"), "b");
    b.e.start();
    await vi.advanceTimersByTimeAsync(6_000);
    const stoppedAt = Date.now();
    await a.e.stop();
    expect(a.e.mayWrite()).toBe(false);
    expect(store.current?.record).toMatchObject({
      holderIdentity: "",
      leaseDurationSeconds: 1,
      leaseTransitions: 0,
    });
    expect(a.changes.at(-1)).toMatchObject({ leading: false, reason: "shutting down" });
    let bLeadsAt: number | undefined;
    for (let t = 0; t < 5_000 && bLeadsAt === undefined; t += 50) {
      await vi.advanceTimersByTimeAsync(50);
      if (b.e.leading) bLeadsAt = Date.now();
    }
    // Within one (jittered) retry period, not a lease duration.
    expect(bLeadsAt! - stoppedAt).toBeLessThanOrEqual(2_400 + 50);
    expect(store.current?.record).toMatchObject({ holderIdentity: "b", leaseTransitions: 1 });
    await b.e.stop();
  });

  it("treats a conflict (someone wrote between its read and its write) as not won, and reads again", async () => {
    const a = elector(new MemoryLease(store, "a"), "a");
    const intruder = new MemoryLease(store, "c");
    a.lease.betweenGetAndAnswer = () => {
      store.write(
        {
          holderIdentity: "c",
          leaseDurationSeconds: 15,
          acquireTime: new Date(),
          renewTime: new Date(),
          leaseTransitions: 0,
        },
        intruder.who,
      );
    };
    // The Lease exists (free) so a reads it, then c writes before a's update.
    store.write(
      {
        holderIdentity: "",
        leaseDurationSeconds: 1,
        acquireTime: undefined,
        renewTime: undefined,
        leaseTransitions: 0,
      },
      "init",
    );
    a.e.start();
    await vi.advanceTimersByTimeAsync(10);
    expect(a.e.leading).toBe(false);
    expect(store.current?.record.holderIdentity).toBe("c");
    await vi.advanceTimersByTimeAsync(3_000);
    // It read the new record: c holds it, so a waits out c's duration before trying to take it.
    expect(a.e.status().holder).toBe("c");
    expect(store.writes.filter((w) => w.by === "a")).toEqual([]);
    await a.e.stop();
  });

  it("does not release a lease it no longer holds", async () => {
    const a = elector(new MemoryLease(store, "a"), "a");
    a.e.start();
    await vi.advanceTimersByTimeAsync(1_000);
    a.lease.down = true;
    await vi.advanceTimersByTimeAsync(12_000);
    // Someone else took it meanwhile.
    store.write(
      {
        holderIdentity: "b",
        leaseDurationSeconds: 15,
        acquireTime: new Date(),
        renewTime: new Date(),
        leaseTransitions: 1,
      },
      "b",
    );
    a.lease.down = false;
    await vi.advanceTimersByTimeAsync(3_000);
    const before = store.writes.length;
    await a.e.stop();
    expect(store.writes.length).toBe(before);
    expect(store.current?.record.holderIdentity).toBe("b");
  });
});
