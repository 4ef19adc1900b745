/**
 * Credential failures, told apart from the faults that pass by themselves: a
 * missing, unknown or expired credential never heals by retrying, so it is
 * terminal and says what to check. The one place these are recognised; the
 * engine, the controller and the caller-account lookup all go through
 * `classifyAwsError`, which asks here first.
 */

/** The SDK's own errors when no link of the credential chain yields credentials (or an SSO token). */
const MISSING = new Set(["CredentialsProviderError", "TokenProviderError"]);

/** An access key ID that AWS does not know (deleted key, wrong partition, typo). */
const UNKNOWN_KEY = new Set(["UnrecognizedClientException", "InvalidClientTokenId"]);

/** Temporary credentials past their expiry (SSO session, assumed role, `AWS_SESSION_TOKEN`). */
const EXPIRED = new Set(["ExpiredTokenException", "ExpiredToken"]);

const DENIED = new Set(["AccessDeniedException", "AccessDenied", "InvalidSecurity"]);

export interface CredentialFailure {
  code: "CredentialsMissing" | "InvalidClientTokenId" | "ExpiredToken" | "AccessDenied";
  hint: string;
}

/**
 * Which credentials the SDK's chain is using, in words (a profile name is not a
 * secret; keys are never named). With AWS_PROFILE set the SDK skips the keys in
 * the environment, so the profile is named first.
 */
function whichCredentials(env: NodeJS.ProcessEnv): string {
  if (env.AWS_PROFILE) return `profile "${env.AWS_PROFILE}" (AWS_PROFILE)`;
  if (env.AWS_ACCESS_KEY_ID) return "the keys in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY";
  return "the default credential chain";
}

const CHECK = "check with `aws sts get-caller-identity`";

/** The credential failure an SDK error name stands for, with what to check; undefined for any other error. */
export function credentialFailure(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
): CredentialFailure | undefined {
  const using = whichCredentials(env);
  if (MISSING.has(name)) {
    return {
      code: "CredentialsMissing",
      hint:
        "no AWS credentials found: set AWS_PROFILE (a profile in ~/.aws/config or ~/.aws/credentials), " +
        "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where a role is provided (IRSA, ECS, EC2); " +
        `an SSO profile needs a current session (\`aws sso login\`); ${CHECK}`,
    };
  }
  if (UNKNOWN_KEY.has(name)) {
    return {
      code: "InvalidClientTokenId",
      hint: `AWS does not recognise the access key of ${using}: it may be deleted, mistyped or of another partition; ${CHECK}`,
    };
  }
  if (EXPIRED.has(name)) {
    return {
      code: "ExpiredToken",
      hint: `the temporary credentials of ${using} have expired: refresh them (\`aws sso login\`, assume the role again, renew AWS_SESSION_TOKEN); ${CHECK}`,
    };
  }
  if (DENIED.has(name)) {
    return {
      code: "AccessDenied",
      hint: `the identity of ${using} lacks this permission: ${CHECK} that it is the role you expect, and grant the action named above to its policy (docs/deploying.md, "The IAM role")`,
    };
  }
  return undefined;
}
