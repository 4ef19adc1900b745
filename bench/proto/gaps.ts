import { loadManifests } from "../../src/manifests/load.js";
import { configureMoto } from "../../test/support/aws.js";
import { startFaultProxy } from "../../test/support/fault-proxy.js";
import { startMoto } from "../../test/support/moto-server.js";
import { scenarioManifests, writeManifests } from "../manifests.js";
import { measureReconcile, retryctlClients } from "../measure.js";
import { buildScenario } from "../scenario.js";
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
const uuids = await seedScenario(s, moto.endpoint);
await driftAll(s, moto.endpoint, uuids);
const dir = ".tmp/bench-proto-manifests";
await writeManifests(dir, scenarioManifests(s));
const load = await loadManifests([dir], { defaultRegion: "us-east-1" });
proxy.set({ lambdaQuota: { rps: 15 } });
const q = retryctlClients(proxy.endpoint);
const m = await measureReconcile(load.manifests, q, proxy);
console.log(Math.round(m.ms), m.calls.lambdaShared);
const recs = proxy.requests();
const t0 = recs[0]!.at;
let prev = t0;
for (const r of recs) {
  const shared = r.service === "lambda" && r.operation !== "GetFunction";
  if (shared) {
    if (r.at - prev > 110) console.log("gap", r.at - prev, "before", r.operation, "at", r.at - t0);
    prev = r.at;
  }
}
console.log(
  "first",
  recs.find((r) => r.service === "lambda" && r.operation !== "GetFunction")!.at - t0,
  "last shared",
  prev - t0,
  "last any",
  recs[recs.length - 1]!.at - t0,
);
const ops = recs.map((r) => `${r.at - t0} ${r.service}.${r.operation}`);
console.log(ops.filter((_, i) => i % 1 === 0).join("\n"));
await proxy.close();
await moto.stop();
