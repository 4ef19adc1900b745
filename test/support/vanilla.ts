import { afterAll, beforeAll, beforeEach } from "vitest";
import { configureMoto, motoEndpoint, resetMoto } from "./aws.js";
import { type MotoServer, startMoto } from "./moto-server.js";

/**
 * For the fidelity-patch tests: starts a second, unpatched moto for the file
 * and resets both servers before each test. Returns the two endpoints (valid
 * inside tests) so a scenario can be run against each.
 */
export function usePatchedAndVanillaMoto(): { patched: () => string; vanilla: () => string } {
  let server: MotoServer | undefined;
  beforeAll(async () => {
    server = await startMoto({ vanilla: true });
    await configureMoto(server.endpoint);
  });
  afterAll(async () => {
    await server?.stop();
  });
  beforeEach(async () => {
    await resetMoto();
    if (server) await resetMoto(server.endpoint);
  });
  return {
    patched: () => motoEndpoint(),
    vanilla: () => {
      if (!server) throw new Error("vanilla moto not started");
      return server.endpoint;
    },
  };
}
