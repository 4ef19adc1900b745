import { configureMoto } from "../../test/support/aws.js";
import { startFaultProxy } from "../../test/support/fault-proxy.js";
import { startMoto } from "../../test/support/moto-server.js";
import { runBaselineCli } from "../baseline-cli.js";
import { runBaselineSdk } from "../baseline-sdk.js";
import { countCalls } from "../measure.js";
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
proxy.reset();
const a = await runBaselineSdk(s, proxy.endpoint);
console.log("sdk", JSON.stringify(a), JSON.stringify(countCalls(proxy)));
proxy.reset();
const a2 = await runBaselineSdk(s, proxy.endpoint);
console.log("sdk noop", JSON.stringify(a2));
await driftAll(s, moto.endpoint, uuids);
proxy.reset();
proxy.set({ lambdaQuota: { rps: 15 } });
const a3 = await runBaselineSdk(s, proxy.endpoint);
console.log("sdk quota", JSON.stringify(a3), JSON.stringify(countCalls(proxy)));
proxy.reset();
await driftAll(s, moto.endpoint, uuids);
const b = await runBaselineCli(s, uuids, proxy.endpoint, 20);
console.log("cli", JSON.stringify(b), JSON.stringify(countCalls(proxy).byOperation));
await proxy.close();
await moto.stop();
