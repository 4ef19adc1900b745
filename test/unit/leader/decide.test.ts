import { describe, expect, it } from "vitest";
import { decide, firstRecord, leaseValid, released } from "../../../src/leader/decide.js";
import type { LeaseRecord } from "../../../src/leader/record.js";
import { checkTimings, DEFAULT_TIMINGS } from "../../../src/leader/record.js";

const T0 = new Date("2026-12-01T10:00:00.000Z");
const LATER = new Date("2026-12-01T10:00:20.000Z");

function held(holder: string, over: Partial<LeaseRecord> = {}): LeaseRecord {
  return {
    holderIdentity: holder,
    leaseDurationSeconds: 15,
    acquireTime: T0,
    renewTime: T0,
    leaseTransitions: 3,
    ...over,
  };
}

describe("leader election decisions (client-go's tryAcquireOrRenew)", () => {
  it("creates the Lease with this candidate as holder and no transitions", () => {
    expect(firstRecord("me", T0, 15)).toEqual({
      holderIdentity: "me",
      leaseDurationSeconds: 15,
      acquireTime: T0,
      renewTime: T0,
      leaseTransitions: 0,
    });
  });

  it("waits while another holder's lease is valid, measured from when the record was seen to change", () => {
    const seen = { record: held("other"), observedAt: 1_000 };
    expect(decide(seen, "me", 1_000 + 14_999, LATER, 15)).toEqual({ action: "wait", holder: "other" });
    expect(leaseValid(seen, 1_000 + 14_999)).toBe(true);
  });

  it("takes an expired lease, counting one more transition and starting a new acquireTime", () => {
    const seen = { record: held("other"), observedAt: 1_000 };
    expect(leaseValid(seen, 16_000)).toBe(false);
    expect(decide(seen, "me", 16_000, LATER, 15)).toEqual({
      action: "update",
      acquired: true,
      record: {
        holderIdentity: "me",
        leaseDurationSeconds: 15,
        acquireTime: LATER,
        renewTime: LATER,
        leaseTransitions: 4,
      },
    });
  });

  it("ignores the record's renewTime: a holder whose clock runs ahead or behind still gets its full duration", () => {
    // renewTime an hour in the past, as a replica with a slow clock would write it.
    const skewed = held("other", { renewTime: new Date(T0.getTime() - 3_600_000) });
    expect(decide({ record: skewed, observedAt: 1_000 }, "me", 2_000, LATER, 15).action).toBe("wait");
  });

  it("takes a released lease (no holder) at once, even within its duration", () => {
    const free = released(held("other"), T0);
    expect(free).toEqual({
      holderIdentity: "",
      leaseDurationSeconds: 1,
      acquireTime: T0,
      renewTime: T0,
      leaseTransitions: 3,
    });
    const decision = decide({ record: free, observedAt: 1_000 }, "me", 1_001, LATER, 15);
    expect(decision).toMatchObject({ action: "update", acquired: true, record: { leaseTransitions: 4 } });
  });

  it("renews its own lease keeping acquireTime and transitions, also after it expired", () => {
    const mine = held("me");
    for (const now of [2_000, 100_000]) {
      expect(decide({ record: mine, observedAt: 1_000 }, "me", now, LATER, 15)).toEqual({
        action: "update",
        acquired: false,
        record: { ...mine, renewTime: LATER },
      });
    }
  });

  it("accepts controller-runtime's timings and refuses ones that leave no room to stop writing", () => {
    expect(() => checkTimings(DEFAULT_TIMINGS)).not.toThrow();
    expect(() => checkTimings({ ...DEFAULT_TIMINGS, renewDeadlineMs: 15_000 })).toThrow(
      /leaseDurationMs \(15000\) must be greater than renewDeadlineMs \(15000\)/,
    );
    expect(() => checkTimings({ ...DEFAULT_TIMINGS, retryPeriodMs: 9_000 })).toThrow(/1.2 × retryPeriodMs/);
    expect(() => checkTimings({ ...DEFAULT_TIMINGS, leaseDurationMs: 15_500 })).toThrow(/whole seconds/);
  });
});
