import { configureMoto } from "../../test/support/aws.js";
import { startMoto } from "../../test/support/moto-server.js";
import { buildScenario, totalManifests } from "../scenario.js";
import { driftAll, seedScenario } from "../seed.js";

const moto = await startMoto();
await configureMoto(moto.endpoint);
const s = buildScenario(
  {
    functions: 20,
    aliases: 5,
    dlqs: 10,
    kinesisMappings: 9,
    dynamodbMappings: 9,
    sqsMappings: 9,
    queues: 20,
    targets: 10,
    targetsPerRule: 2,
    consumersPerStream: 3,
  },
  moto.endpoint,
);
let t = performance.now();
const uuids = await seedScenario(s, moto.endpoint);
console.log("seed", totalManifests(s), (performance.now() - t).toFixed(0), "ms");
t = performance.now();
await driftAll(s, moto.endpoint, uuids);
console.log("drift", (performance.now() - t).toFixed(0), "ms");
await moto.stop();
