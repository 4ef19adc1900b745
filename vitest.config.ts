import { defineConfig } from "vitest/config";

// Fake credentials and a region for every SDK client the tests make; moto
// accepts any key and maps it to account 123456789012.
const awsEnv = {
  AWS_ACCESS_KEY_ID: "testing",
  AWS_SECRET_ACCESS_KEY: "testing",
  AWS_REGION: "us-east-1",
  AWS_EC2_METADATA_DISABLED: "true",
};

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          env: awsEnv,
          // promtool and kustomize, installed once per machine if missing (a cold promtool build takes minutes).
          globalSetup: ["test/tools-setup.ts"],
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          exclude: ["test/integration/kubernetes/**", "test/integration/leader/**"],
          env: awsEnv,
          globalSetup: ["test/tools-setup.ts", "test/global-setup.ts"],
          // expect.poll waits for AWS and the controller: allow for a busy shared machine.
          expect: { poll: { timeout: 10_000 } },
          // Files share one moto server and reset it, so they must not overlap.
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "kubernetes",
          // Leader election runs real replicas against the API server (and the emulator).
          include: ["test/integration/kubernetes/**/*.test.ts", "test/integration/leader/**/*.test.ts"],
          env: awsEnv,
          // One real kube-apiserver + etcd for the run (built once per machine, ~6 min cold), and a moto server of its own.
          globalSetup: ["test/tools-setup.ts", "test/global-setup.ts", "test/kube-setup.ts"],
          expect: { poll: { timeout: 10_000 } },
          // Files share the API server and may pause it (SIGSTOP): they must not overlap.
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
