import { describe, expect, it } from "vitest";
import { AssumeRoleError } from "../../../src/aws/assume-role-error.js";
import { credentialFailure } from "../../../src/aws/credential-errors.js";
import { classifyAwsError } from "../../../src/aws/errors.js";

/** An error shaped as the SDK throws it: a name, a message and, for answers from AWS, the HTTP status. */
function sdkError(name: string, message: string, status?: number): Error {
  const err = Object.assign(new Error(message), { name });
  return status === undefined ? err : Object.assign(err, { $metadata: { httpStatusCode: status } });
}

describe("classifyAwsError: credentials", () => {
  it("the SDK's no-credentials errors (no HTTP status) are CredentialsMissing, terminal, not network faults", () => {
    for (const name of ["CredentialsProviderError", "TokenProviderError"]) {
      const e = classifyAwsError(
        sdkError(name, "Could not load credentials from any providers"),
        "reading X",
      );
      expect(e.code, name).toBe("CredentialsMissing");
      expect(e.retry).toBe("terminal");
      expect(e.message).toMatch(
        /^reading X: Could not load credentials from any providers \(no AWS credentials found: /,
      );
      expect(e.message).toContain("aws sso login");
    }
  });

  it("unknown, expired and denied credentials are terminal with their own code", () => {
    const cases = [
      ["UnrecognizedClientException", 403, "InvalidClientTokenId"],
      ["InvalidClientTokenId", 403, "InvalidClientTokenId"],
      ["ExpiredTokenException", 403, "ExpiredToken"],
      ["ExpiredToken", 400, "ExpiredToken"],
      ["AccessDeniedException", 403, "AccessDenied"],
      ["AccessDenied", 403, "AccessDenied"],
    ] as const;
    for (const [name, status, code] of cases) {
      const e = classifyAwsError(sdkError(name, "refused", status));
      expect([e.code, e.retry], name).toEqual([code, "terminal"]);
      expect(e.message).toContain("aws sts get-caller-identity");
    }
  });

  it("a status-less error of any other name is still a transient network fault", () => {
    const e = classifyAwsError(sdkError("Error", "socket hang up"));
    expect([e.code, e.retry]).toEqual(["NetworkError", "transient"]);
  });
});

describe("credentialFailure hints", () => {
  it("name the credentials in use by where they come from, never by value", () => {
    const keys = credentialFailure("ExpiredTokenException", { AWS_ACCESS_KEY_ID: "AKIDSECRETVALUE" });
    expect(keys?.hint).toContain("AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY");
    expect(keys?.hint).not.toContain("AKIDSECRETVALUE");
    expect(credentialFailure("UnrecognizedClientException", { AWS_PROFILE: "ops" })?.hint).toContain(
      'profile "ops" (AWS_PROFILE)',
    );
    // The SDK ignores the keys in the environment when AWS_PROFILE is set.
    expect(
      credentialFailure("ExpiredToken", { AWS_PROFILE: "ops", AWS_ACCESS_KEY_ID: "AKID" })?.hint,
    ).toContain('profile "ops"');
    expect(credentialFailure("AccessDeniedException", {})?.hint).toContain("the default credential chain");
    expect(credentialFailure("ResourceNotFoundException", {})).toBeUndefined();
  });
});

describe("classifyAwsError: a member role that cannot be assumed (design §6)", () => {
  it("is AssumeRoleFailed, terminal, naming the role and STS's answer, not AccessDenied of the hub", () => {
    const sts = sdkError("AccessDenied", "User: arn:aws:iam::123456789012:user/hub is not authorized", 403);
    const role = "arn:aws:iam::111111111111:role/retryctl";
    const error = classifyAwsError(
      new AssumeRoleError("111111111111", role, sts),
      "FunctionEventInvokeConfig/x",
    );
    expect(error.code).toBe("AssumeRoleFailed");
    expect(error.retry).toBe("terminal");
    expect(error.message).toContain(
      `FunctionEventInvokeConfig/x: cannot assume ${role} for account 111111111111: AccessDenied: User:`,
    );
    expect(error.message).toContain("trust policy");
  });
});
