import { once } from "node:events";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { Accounts } from "../src/aws/accounts.js";
import { callerAccount } from "../src/aws/caller.js";
import { loadManifests } from "../src/manifests/load.js";
import { Guard } from "../src/policy/guard.js";
import { createMemberRole, memberRole } from "../test/support/accounts.js";
import { TEST_ACCOUNT, TEST_REGION } from "../test/support/aws.js";
import type { FaultProxy } from "../test/support/fault-proxy.js";
import type { BenchConfig } from "./config.js";
import { scenarioManifests, writeManifests } from "./manifests.js";
import {
  measureReconcile,
  type ReconcileMeasure,
  retryctlClients,
  UNLIMITED_RATE_LIMITS,
} from "./measure.js";
import { type Floors, floorsFor } from "./report.js";
import { buildScenario } from "./scenario.js";
import { seedScenario } from "./seed.js";

/** Accounts of the multi-account part (design §6): the hub and four members, each with the quick scenario. */
export const MULTI_ACCOUNTS = [TEST_ACCOUNT, "111111111111", "222222222222", "333333333333", "444444444444"];

export interface MultiAccountResult {
  accounts: number;
  resourcesPerAccount: number;
  floors: Floors;
  cold: ReconcileMeasure;
  noopSweepQuota: ReconcileMeasure;
  /** The same sweep with the client limiter lifted and no quota: what the engine and the emulator cost alone. */
  noopSweepUnlimited: ReconcileMeasure;
  /** Shared-quota Lambda calls of the no-op sweep, per account (the formula: floors.noopLambdaMin each). */
  noopLambdaPerAccount: Record<string, number>;
  /** Most shared-quota Lambda calls of one account within any second (its quota: 15). */
  lambdaMaxPerSecondPerAccount: Record<string, number>;
}

/** Forwards to moto as `account` (the `x-moto-account-id` header), so the scenario seeders work unchanged. */
async function accountForwarder(
  target: string,
  account: string,
): Promise<{ endpoint: string; close: () => void }> {
  const url = new URL(target);
  const server: Server = createServer((req, res) => {
    const upstream = request(
      {
        hostname: url.hostname,
        port: url.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: url.host, "x-moto-account-id": account },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return { endpoint: `http://127.0.0.1:${port}`, close: () => server.close() };
}

/**
 * Part 6: A accounts × the quick scenario, reconciled by one process through
 * member roles. Seeds each account, converges them (cold apply, no quota),
 * then times a no-op sweep with Lambda's 15/s quota applied per account.
 */
export async function runMultiAccount(
  config: BenchConfig,
  motoEndpoint: string,
  proxy: FaultProxy,
  trees: string,
  log: (text: string) => void,
): Promise<MultiAccountResult> {
  const scenarios = [];
  for (const [i, account] of MULTI_ACCOUNTS.entries()) {
    const s = buildScenario(config.sizes, motoEndpoint, `m${i}`, account);
    const forwarder = await accountForwarder(motoEndpoint, account);
    try {
      if (account !== TEST_ACCOUNT) await createMemberRole(account, motoEndpoint);
      await seedScenario(s, forwarder.endpoint);
    } finally {
      forwarder.close();
    }
    scenarios.push(s);
    log(`6 seeded account ${account}`);
  }
  const dir = join(trees, "manifests-accounts");
  const files = scenarios.flatMap((s) =>
    scenarioManifests(s).map((f) =>
      s.account === TEST_ACCOUNT
        ? f
        : {
            ...f,
            path: `${s.account}/${f.path}`,
            doc: { ...f.doc, spec: { ...(f.doc.spec as object), account: s.account } },
          },
    ),
  );
  await writeManifests(dir, files);
  const load = await loadManifests([dir], { defaultRegion: TEST_REGION });
  if (load.errors.length > 0)
    throw new Error(`multi-account manifests invalid: ${JSON.stringify(load.errors.slice(0, 3))}`);

  const clients = retryctlClients(proxy.endpoint);
  const access = MULTI_ACCOUNTS.filter((a) => a !== TEST_ACCOUNT).map((account) => ({
    account,
    roleArn: memberRole(account),
  }));
  const guard = new Guard({
    callerAccount: callerAccount(clients.aws, TEST_REGION),
    accounts: new Accounts(clients.aws, access, TEST_REGION),
  });
  try {
    proxy.reset();
    const cold = await measureReconcile(load.manifests, clients, proxy, 8, guard);
    log(
      `6 cold apply, ${MULTI_ACCOUNTS.length} accounts: ${(cold.ms / 1000).toFixed(2)} s, ${cold.calls.total} calls`,
    );
    proxy.set({ lambdaQuota: { rps: 15 } });
    const noopSweepQuota = await measureReconcile(load.manifests, clients, proxy, 8, guard);
    const shared = proxy
      .requests()
      .filter((r) => r.service === "lambda" && r.operation !== "GetFunction" && r.operation !== "Invoke");
    const noopLambdaPerAccount: Record<string, number> = {};
    const lambdaMaxPerSecondPerAccount: Record<string, number> = {};
    for (const account of MULTI_ACCOUNTS) {
      noopLambdaPerAccount[account] = shared.filter((r) => r.account === account).length;
      lambdaMaxPerSecondPerAccount[account] = proxy.maxInWindow({ service: "lambda", account }, 1000);
    }
    proxy.set({ lambdaQuota: undefined });
    log(
      `6 no-op sweep, 15/s quota per account: ${(noopSweepQuota.ms / 1000).toFixed(2)} s, ${noopSweepQuota.calls.total} calls`,
    );
    // Lifted: no wait for any bucket, so the time left is the engine's, the proxy's and moto's own.
    const unlimited = retryctlClients(proxy.endpoint, UNLIMITED_RATE_LIMITS);
    let noopSweepUnlimited: ReconcileMeasure;
    try {
      const unlimitedGuard = new Guard({
        callerAccount: callerAccount(unlimited.aws, TEST_REGION),
        accounts: new Accounts(unlimited.aws, access, TEST_REGION),
      });
      await measureReconcile(load.manifests, unlimited, proxy, 8, unlimitedGuard); // assumes the roles once
      noopSweepUnlimited = await measureReconcile(load.manifests, unlimited, proxy, 8, unlimitedGuard);
    } finally {
      unlimited.aws.destroy();
    }
    log(`6 no-op sweep, limiter lifted: ${(noopSweepUnlimited.ms / 1000).toFixed(2)} s`);
    return {
      accounts: MULTI_ACCOUNTS.length,
      resourcesPerAccount: load.manifests.length / MULTI_ACCOUNTS.length,
      floors: floorsFor(scenarios[0] as (typeof scenarios)[number]),
      cold,
      noopSweepQuota,
      noopSweepUnlimited,
      noopLambdaPerAccount,
      lambdaMaxPerSecondPerAccount,
    };
  } finally {
    clients.aws.destroy();
  }
}
