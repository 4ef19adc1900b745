import { loadManifests } from "../../src/manifests/load.js";
import { configureMoto } from "../../test/support/aws.js";
import { startFaultProxy } from "../../test/support/fault-proxy.js";
import { startMoto } from "../../test/support/moto-server.js";
import { scenarioManifests, writeManifests } from "../manifests.js";
import { measureReconcile, retryctlClients } from "../measure.js";
import { buildScenario, totalManifests } from "../scenario.js";
import { driftAll, seedScenario } from "../seed.js";

const moto = await startMoto();
await configureMoto(moto.endpoint);
const proxy = await startFaultProxy(moto.endpoint);
const n = Number(process.argv[2] ?? 1);
const s = buildScenario(
  {
    functions: 30 * n,
    aliases: 8 * n,
    dlqs: 15 * n,
    kinesisMappings: 15 * n,
    dynamodbMappings: 15 * n,
    sqsMappings: 15 * n,
    queues: 40 * n,
    targets: 16 * n,
    targetsPerRule: 2,
    consumersPerStream: 3,
  },
  moto.endpoint,
);
let t = performance.now();
const uuids = await seedScenario(s, moto.endpoint);
console.log("seed", totalManifests(s), (performance.now() - t).toFixed(0), "ms");
await driftAll(s, moto.endpoint, uuids);
const dir = ".tmp/bench-proto-manifests";
await writeManifests(dir, scenarioManifests(s));
t = performance.now();
const load = await loadManifests([dir], { defaultRegion: "us-east-1" });
console.log(
  "load",
  load.manifests.length,
  load.errors.length,
  (performance.now() - t).toFixed(0),
  "ms",
  load.errors.slice(0, 3),
);
const show = (label: string, m: Awaited<ReturnType<typeof measureReconcile>>) =>
  console.log(
    label,
    Math.round(m.ms),
    "ms",
    JSON.stringify({ actions: m.actions, errors: m.errors, calls: m.calls, thr: m.throttledSeen }),
  );
const c = retryctlClients(proxy.endpoint);
show("cold", await measureReconcile(load.manifests, c, proxy));
show("noop", await measureReconcile(load.manifests, c, proxy));
show("noop-oneshot", await measureReconcile(load.manifests, retryctlClients(proxy.endpoint), proxy));
await driftAll(s, moto.endpoint, uuids);
proxy.set({ lambdaQuota: { rps: 15 } });
const q = retryctlClients(proxy.endpoint);
show("cold-quota", await measureReconcile(load.manifests, q, proxy));
show("noop-quota", await measureReconcile(load.manifests, q, proxy));
proxy.set({ lambdaQuota: undefined });
await driftAll(s, moto.endpoint, uuids);
const u = retryctlClients(proxy.endpoint, {
  lambda: 1e4,
  lambdaGetFunction: 1e4,
  sqs: 1e4,
  events: 1e4,
  sts: 1e4,
});
show("cold-unlimited", await measureReconcile(load.manifests, u, proxy));
show("noop-unlimited", await measureReconcile(load.manifests, u, proxy));
await proxy.close();
await moto.stop();
