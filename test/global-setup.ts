import type { TestProject } from "vitest/node";
import { configureMoto, ENDPOINT_ENV } from "./support/aws.js";
import { type MotoServer, startMoto } from "./support/moto-server.js";

let server: MotoServer | undefined;

/**
 * Starts one patched moto server for the whole integration run (unless
 * RETRYCTL_TEST_ENDPOINT names one already running) and provides its URL to
 * the test files as `inject("motoEndpoint")`.
 */
export async function setup(project: TestProject): Promise<void> {
  let endpoint = process.env[ENDPOINT_ENV]?.replace(/\/+$/, "");
  if (!endpoint) {
    server = await startMoto();
    endpoint = server.endpoint;
  }
  await configureMoto(endpoint);
  project.provide("motoEndpoint", endpoint);
}

export async function teardown(): Promise<void> {
  await server?.stop();
  server = undefined;
}
