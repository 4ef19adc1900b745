/** The emulator's port when RETRYCTL_DEMO_MOTO_PORT does not name one. */
export const DEFAULT_MOTO_PORT = 5055;

/** Credentials the emulator accepts (any would do); never real ones. */
export const DEMO_CREDENTIALS = { accessKeyId: "demo", secretAccessKey: "demo" } as const;

export interface DemoShell {
  /** The emulator, e.g. `http://127.0.0.1:5055`. */
  endpoint: string;
  region: string;
}

/**
 * The block `npm start` prints for a second terminal: shell lines only
 * (comments included), so it can be pasted whole. It uses the SDK's own
 * AWS_ENDPOINT_URL rather than RETRYCTL_ENDPOINT_URL so that the AWS CLI in
 * that terminal looks at the demo too.
 */
export function exportBlock({ endpoint, region }: DemoShell): string {
  return [
    "# Point retryctl (and the AWS CLI) at the demo's emulator, then read the plan:",
    `export AWS_ENDPOINT_URL=${endpoint}`,
    `export AWS_ACCESS_KEY_ID=${DEMO_CREDENTIALS.accessKeyId} AWS_SECRET_ACCESS_KEY=${DEMO_CREDENTIALS.secretAccessKey} AWS_REGION=${region}`,
    "npx retryctl diff manifests/",
    "# Back to your own AWS set-up in that terminal:",
    "#   unset AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION",
    "# Stop the demo: Ctrl-C in its terminal. Other ports: RETRYCTL_DEMO_MOTO_PORT=5056 npm start",
    `#   (the emulator; 0 picks a free one; default ${DEFAULT_MOTO_PORT}), RETRYCTL_LISTEN=0.0.0.0:8081 (the status page).`,
  ].join("\n");
}

/** RETRYCTL_DEMO_MOTO_PORT, checked: a port number, 0 for any free one. */
export function motoPort(value: string | undefined): number {
  if (value === undefined || value === "") return DEFAULT_MOTO_PORT;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`RETRYCTL_DEMO_MOTO_PORT must be a port number (0 for any free one), got "${value}"`);
  }
  return port;
}
