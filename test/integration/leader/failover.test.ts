import { rm } from "node:fs/promises";
import { GetQueueAttributesCommand, SetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadDeploy } from "../../ship/kubernetes.js";
import { createQueue, resetMoto, sdk } from "../../support/aws.js";
import { manifest, manifestDir } from "../../support/cli.js";
import {
  createNamespace,
  createServiceAccount,
  kubeApiServer,
  kubeRequest,
  serviceAccountToken,
  writeKubeconfig,
} from "../../support/kube.js";
import { buildCli } from "../chaos/cli-process.js";
import {
  get,
  getJson,
  LeaseWatch,
  leads,
  type Replica,
  type ReplicaOptions,
  type StatusLeader,
  startReplica,
  termsOf,
  writesOf,
} from "./replicas.js";

/**
 * Design §12 against a real kube-apiserver: real `retryctl run
 * --leader-election` processes on the same manifests and emulator, each
 * through a fault proxy of its own (so every write the emulator got names its
 * sender), and the Lease read every 100 ms (the lease history). The replicas
 * use the shipped timings (lease 15 s, renew deadline 10 s, retry 2 s).
 */
const QUEUES = ["lq-1", "lq-2", "lq-3"];
const WANT = 4;
const LEASE_MS = 15_000;
const RETRY_MS = 2_000;
/** A candidate waits up to 1.2 retry periods between attempts (client-go's jitter). */
const JITTERED_RETRY_MS = 1.2 * RETRY_MS;
/** The write gate shuts renewDeadline − margin after the last renewal was sent. */
const GATE_MS = 10_000 - 2_000;
/** Room for a busy shared machine (two cores, several test runs) in the upper bounds, never in the lower ones. */
const SLACK_MS = 3_000;
/** At most this long from the gate's check to the request's arrival at the proxy (signing and sending). */
const SEND_MS = 500;

let dlqArn: string;
const urls = new Map<string, string>();

async function maxReceiveCount(queue: string): Promise<number | undefined> {
  const out = await sdk().sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: urls.get(queue), AttributeNames: ["RedrivePolicy"] }),
  );
  const policy = out.Attributes?.RedrivePolicy;
  return policy ? (JSON.parse(policy) as { maxReceiveCount: number }).maxReceiveCount : undefined;
}

/** Someone changes the queue by hand (straight to the emulator: no replica's proxy sees it). */
async function drift(queue: string, count: number): Promise<void> {
  await sdk().sqs.send(
    new SetQueueAttributesCommand({
      QueueUrl: urls.get(queue),
      Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: count }) },
    }),
  );
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return Date.now();
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function exited(r: Replica): Promise<number | NodeJS.Signals | null> {
  return r.cli.exited;
}

describe("leader election against a real Kubernetes API server", () => {
  let options: ReplicaOptions;
  let watch: LeaseWatch;
  const replicas: Replica[] = [];
  let leader: Replica;
  let standby: Replica;
  const start = async (name: string) => {
    const r = await startReplica(name, options);
    replicas.push(r);
    return r;
  };

  beforeAll(async () => {
    await resetMoto();
    dlqArn = (await createQueue("lq-dlq")).arn;
    for (const q of QUEUES) urls.set(q, (await createQueue(q)).url);
    const dir = await manifestDir(
      Object.fromEntries(
        QUEUES.map((q) => [
          `${q}.yaml`,
          manifest("QueueRedrivePolicy", q, { queue: q, deadLetterQueue: "lq-dlq", maxReceiveCount: WANT }),
        ]),
      ),
    );
    const namespace = await createNamespace({ prefix: "leader" });
    // The replicas act as the shipped ServiceAccount with the shipped Role and RoleBinding (deploy/kubernetes/),
    // moved to this namespace: what the elector does must be all that the Role allows.
    await createServiceAccount(namespace, "retryctl");
    const docs = await loadDeploy();
    for (const kind of ["Role", "RoleBinding"]) {
      const obj = structuredClone(docs.find((d) => d.obj.kind === kind)!.obj);
      obj.metadata.namespace = namespace;
      for (const subject of obj.subjects ?? []) subject.namespace = namespace;
      const path = `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/${kind.toLowerCase()}s`;
      const answer = await kubeRequest("POST", path, { body: obj });
      if (answer.status !== 201)
        throw new Error(`POST ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
    }
    const kubeconfig = await writeKubeconfig(await serviceAccountToken(namespace, "retryctl"), namespace);
    options = { main: await buildCli(), dir, kubeconfig, namespace, lease: "retryctl" };
    watch = new LeaseWatch(namespace, "retryctl");
    return async () => {
      await rm(dir, { recursive: true, force: true });
    };
  });

  afterAll(async () => {
    for (const r of replicas)
      if (r.cli.child.exitCode === null && r.cli.child.signalCode === null) r.cli.child.kill("SIGTERM");
    await Promise.all(replicas.map((r) => r.cli.exited));
    await watch?.stop();
    await Promise.all(replicas.map((r) => r.proxy.close()));
  });

  it("makes exactly one of two replicas reconcile; the standby serves /healthz, /readyz, /metrics and /status", async () => {
    const [a, b] = await Promise.all([start("replica-a"), start("replica-b")]);
    await waitFor("a leader", async () => (await leads(a)) || (await leads(b)), 10_000);
    [leader, standby] = (await leads(a)) ? [a, b] : [b, a];
    // The leader's first sweep repairs every queue (created without a redrive policy); then drift by hand.
    await waitFor(
      "first sweep",
      async () => (await Promise.all(QUEUES.map(maxReceiveCount))).every((n) => n === WANT),
      15_000,
    );
    for (const q of QUEUES) await drift(q, 9);
    await waitFor(
      "drift repaired",
      async () => (await Promise.all(QUEUES.map(maxReceiveCount))).every((n) => n === WANT),
      15_000,
    );

    expect(await leads(standby)).toBe(false);
    // The standby sent nothing at all to AWS: no reads, no writes.
    expect(standby.proxy.requests()).toEqual([]);
    expect(
      writesOf(leader).filter((w) => w.operation === "SetQueueAttributes").length,
    ).toBeGreaterThanOrEqual(2 * QUEUES.length);

    expect((await get(`${standby.url}/healthz`)).status).toBe(200);
    expect(await get(`${standby.url}/readyz`)).toEqual({ status: 200, body: "ok\n" });
    const standbyMetrics = (await get(`${standby.url}/metrics`)).body;
    expect(standbyMetrics).toMatch(/^retryctl_leader 0$/m);
    expect(standbyMetrics).not.toMatch(/^retryctl_resources\{/m);
    expect((await get(`${leader.url}/metrics`)).body).toMatch(/^retryctl_leader 1$/m);
    // A standby that lost the race to create the Lease learns its holder at its next read (one retry period).
    await waitFor(
      "the standby read the holder",
      async () =>
        (await getJson<StatusLeader>(`${standby.url}/status`)).leaderElection?.holder === leader.identity,
      JITTERED_RETRY_MS + SLACK_MS,
    );
    const s = await getJson<StatusLeader & { resources: unknown[] }>(`${standby.url}/status`);
    expect(s).toMatchObject({
      leader: false,
      resources: [],
      leaderElection: {
        leading: false,
        holder: leader.identity,
        identity: standby.identity,
        lease: `${options.namespace}/retryctl`,
      },
    });
    const l = await getJson<StatusLeader & { resources: { status: string }[] }>(`${leader.url}/status`);
    expect(l).toMatchObject({ leader: true, leaderElection: { leading: true, holder: leader.identity } });
    expect(l.resources.map((r) => r.status)).toEqual(["Synced", "Synced", "Synced"]);
    expect(watch.versions.at(-1)).toMatchObject({ holder: leader.identity, leaseTransitions: 0 });
  }, 60_000);

  it("SIGKILL of the leader: the standby takes over once the lease expired, and repairs drift made meanwhile", async () => {
    const killedAt = Date.now();
    leader.cli.child.kill("SIGKILL");
    await exited(leader);
    await drift("lq-1", 7);
    const tookOverAt = await waitFor(
      "takeover",
      () => leads(standby),
      LEASE_MS + 3 * JITTERED_RETRY_MS + SLACK_MS,
    );
    await waitFor("lq-1 repaired", async () => (await maxReceiveCount("lq-1")) === WANT, 10_000);
    await waitFor("lease history", async () => watch.versions.at(-1)?.holder === standby.identity, 2_000);

    const terms = termsOf(watch.versions);
    const [killed, next] = terms.slice(-2);
    expect(killed?.holder).toBe(leader.identity);
    expect(next?.holder).toBe(standby.identity);
    const sinceRenew = next!.start - killed!.lastRenew;
    console.log(
      `failover after SIGKILL: ${tookOverAt - killedAt} ms from the kill to /status leader: true; ` +
        `${sinceRenew} ms from the killed leader's last renewTime to the new acquireTime`,
    );
    // Never before the lease could have expired; then within the time the standby needs to see the last
    // renewal (up to one retry period after it) plus the lease duration plus one retry period.
    expect(sinceRenew).toBeGreaterThanOrEqual(LEASE_MS);
    expect(sinceRenew).toBeLessThanOrEqual(LEASE_MS + 2 * JITTERED_RETRY_MS + SLACK_MS);
    expect(watch.versions.at(-1)?.leaseTransitions).toBe(1);
    const repair = writesOf(standby).filter((w) => w.operation === "SetQueueAttributes");
    expect(repair.length).toBeGreaterThanOrEqual(1);
    expect(repair.every((w) => w.at >= next!.start)).toBe(true);
    [leader, standby] = [standby, await start("replica-c")];
  }, 60_000);

  it("SIGTERM of the leader: it releases the lease and the standby takes over within a couple of seconds", async () => {
    await waitFor(
      "c sees the leader",
      async () => {
        const s = await getJson<StatusLeader>(`${standby.url}/status`);
        return s.leaderElection?.holder === leader.identity;
      },
      10_000,
    );
    const stoppedAt = Date.now();
    leader.cli.child.kill("SIGTERM");
    const tookOverAt = await waitFor("handover", () => leads(standby), JITTERED_RETRY_MS + 2 * SLACK_MS);
    expect(await exited(leader)).toBe(0);
    console.log(
      `handover after SIGTERM: ${tookOverAt - stoppedAt} ms from the signal to /status leader: true`,
    );
    expect(leader.cli.lines.some((l) => l.msg === "released the leader lease")).toBe(true);
    await waitFor("lease history", async () => watch.versions.at(-1)?.holder === standby.identity, 2_000);
    const [released, next] = termsOf(watch.versions).slice(-2);
    expect(released?.holder).toBe(leader.identity);
    // The release ended the term long before the lease could have expired.
    expect(released!.end).toBeLessThan(released!.lastRenew + LEASE_MS - RETRY_MS);
    expect(next!.start - released!.end).toBeLessThanOrEqual(JITTERED_RETRY_MS + SLACK_MS);
    expect(watch.versions.at(-1)?.leaseTransitions).toBe(2);
    [leader, standby] = [standby, await start("replica-d")];
  }, 60_000);

  it("API server paused: the leader stops writing before its lease could expire; after SIGCONT a leader repairs what drifted", async () => {
    await waitFor(
      "d sees the leader",
      async () => {
        const s = await getJson<StatusLeader>(`${standby.url}/status`);
        return s.leaderElection?.holder === leader.identity;
      },
      10_000,
    );
    const { apiServerPid } = kubeApiServer();
    const pausedAt = Date.now();
    process.kill(apiServerPid, "SIGSTOP");
    let resumedAt: number;
    try {
      // Drift every second: the leader repairs it while its gate is open, then must leave it alone.
      for (let i = 0; Date.now() < pausedAt + 13_000; i++) {
        await drift("lq-2", 10 + (i % 50));
        await new Promise((r) => setTimeout(r, 1_000));
      }
      expect(await leads(leader)).toBe(false);
      await drift("lq-2", 99);
      await new Promise((r) => setTimeout(r, 2_000));
      // Still drifted: nobody wrote.
      expect(await maxReceiveCount("lq-2")).toBe(99);
      expect(await leads(standby)).toBe(false);
    } finally {
      resumedAt = Date.now();
      process.kill(apiServerPid, "SIGCONT");
    }
    const duringPause = (r: Replica) => writesOf(r).filter((w) => w.at >= pausedAt && w.at < resumedAt);
    const gateShut = pausedAt + GATE_MS + SEND_MS;
    const steppedDown = leader.cli.lines.find(
      (l) => l.msg === "stopped leading" && String(l.reason).includes("renew deadline"),
    );
    const steppedDownAt = Date.parse(String(steppedDown?.time));
    console.log(
      `API server paused ${resumedAt - pausedAt} ms: the leader stopped leading ${steppedDownAt - pausedAt} ms after the pause; ` +
        `its writes during the pause: ${duringPause(leader)
          .map((w) => `+${w.at - pausedAt} ms`)
          .join(", ")}`,
    );
    // Its last renewal was sent before the pause, so its gate shut by pausedAt + 8 s, and it stopped leading by + 10 s.
    expect(duringPause(leader).length).toBeGreaterThanOrEqual(1);
    expect(duringPause(leader).filter((w) => w.at >= gateShut)).toEqual([]);
    // It stops leading at the renew deadline (10 s after that renewal; a busy machine runs timers late),
    // in any case before another replica could take the lease. The gate above is what keeps writes out.
    expect(steppedDownAt - pausedAt).toBeLessThan(LEASE_MS);
    expect(duringPause(standby)).toEqual([]);
    // Neither died of the API server's silence.
    expect([leader.cli.child.exitCode, standby.cli.child.exitCode]).toEqual([null, null]);

    const back = await waitFor(
      "a leader again",
      async () => (await leads(leader)) || (await leads(standby)),
      30_000,
    );
    await waitFor("lq-2 repaired", async () => (await maxReceiveCount("lq-2")) === WANT, 15_000);
    const now = (await leads(leader)) ? leader : standby;
    console.log(
      `after SIGCONT: ${now.name} leads again ${back - resumedAt} ms later (${now === leader ? "resumed" : "handed over"})`,
    );
  }, 90_000);

  it("a replica whose ServiceAccount may not use leases says so, stands by and stays up", async () => {
    await createServiceAccount(options.namespace, "no-leases");
    const kubeconfig = await writeKubeconfig(
      await serviceAccountToken(options.namespace, "no-leases"),
      options.namespace,
    );
    const x = await startReplica("replica-x", { ...options, kubeconfig });
    replicas.push(x);
    await waitFor(
      "the refusal logged",
      async () => x.cli.lines.some((l) => l.msg === "cannot read or write the leader lease; trying again"),
      10_000,
    );
    const line = x.cli.lines.find((l) => l.msg === "cannot read or write the leader lease; trying again");
    expect(line).toMatchObject({ level: "warn", lease: `${options.namespace}/retryctl` });
    expect(String(line?.err)).toContain(
      "(the ServiceAccount needs get, create and update on leases in the namespace)",
    );
    await new Promise((r) => setTimeout(r, 2 * JITTERED_RETRY_MS));
    expect(x.cli.child.exitCode).toBeNull();
    expect(await getJson<StatusLeader>(`${x.url}/status`)).toMatchObject({
      leader: false,
      leaderElection: { holder: null },
    });
    expect((await get(`${x.url}/readyz`)).status).toBe(200);
    expect(x.proxy.requests()).toEqual([]);
  }, 30_000);

  it("never let two replicas write in overlapping lease terms, across all of the above", async () => {
    await new Promise((r) => setTimeout(r, 500));
    const terms = termsOf(watch.versions);
    const nameOf = new Map(replicas.map((r) => [r.identity, r.name]));
    console.log(
      `lease terms:\n${terms
        .map(
          (t) =>
            `  ${nameOf.get(t.holder)}: ${new Date(t.start).toISOString()} → ${Number.isFinite(t.end) ? new Date(t.end).toISOString() : "now"}`,
        )
        .join("\n")}`,
    );
    for (let i = 1; i < terms.length; i++) expect(terms[i]!.start).toBeGreaterThanOrEqual(terms[i - 1]!.end);
    const writes = replicas.flatMap(writesOf).sort((x, y) => x.at - y.at);
    expect(writes.length).toBeGreaterThan(0);
    const outside = writes.filter((w) => {
      const identity = replicas.find((r) => r.name === w.replica)!.identity;
      return !terms.some((t) => t.holder === identity && w.at >= t.start && w.at <= t.end);
    });
    expect(outside).toEqual([]);
    // Every replica that ever led wrote only inside its terms; the others wrote nothing.
    const leaders = new Set(terms.map((t) => nameOf.get(t.holder)));
    for (const r of replicas) if (!leaders.has(r.name)) expect(writesOf(r)).toEqual([]);
  }, 30_000);
});
