import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Sets (or, for `undefined`, deletes) environment variables; the returned function puts the old values back. */
export function setEnv(vars: Record<string, string | undefined>): () => void {
  const saved = Object.keys(vars).map((name) => [name, process.env[name]] as const);
  for (const [name, value] of Object.entries(vars)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  return () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

/** Everything the SDK's credential and region chains read from the environment (vitest.config.ts sets some). */
const CHAIN_VARS = [
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_CREDENTIAL_EXPIRATION",
  "AWS_PROFILE",
  "AWS_DEFAULT_PROFILE",
  "AWS_REGION",
  "AWS_DEFAULT_REGION",
  "AWS_ROLE_ARN",
  "AWS_ROLE_SESSION_NAME",
  "AWS_WEB_IDENTITY_TOKEN_FILE",
  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
  "AWS_CONTAINER_CREDENTIALS_FULL_URI",
  "AWS_CONTAINER_AUTHORIZATION_TOKEN",
  "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
  "RETRYCTL_REGION",
] as const;

/**
 * An environment where the SDK finds nothing of its own: every credential and
 * region variable unset, HOME an empty folder (holding only `~/.aws/config`,
 * when given) and no AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE, so the SDK
 * reads `$HOME/.aws/…` as on a user's machine; the instance metadata service
 * off; then `env` on top. Returns the function that restores the environment.
 */
export async function bareAwsEnv(
  options: { config?: string; env?: Record<string, string> } = {},
): Promise<() => void> {
  const home = await mkdtemp(join(tmpdir(), "retryctl-home-"));
  if (options.config !== undefined) {
    await mkdir(join(home, ".aws"));
    await writeFile(join(home, ".aws", "config"), options.config);
  }
  return setEnv({
    ...Object.fromEntries(CHAIN_VARS.map((name) => [name, undefined])),
    HOME: home,
    AWS_CONFIG_FILE: undefined,
    AWS_SHARED_CREDENTIALS_FILE: undefined,
    AWS_EC2_METADATA_DISABLED: "true",
    ...options.env,
  });
}
