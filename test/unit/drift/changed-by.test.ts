import { describe, expect, it } from "vitest";
import { changedBy } from "../../../src/drift/changed-by.js";
import { userIdentitySchema } from "../../../src/drift/cloudtrail-event.js";

// The userIdentity shapes of the CloudTrail User Guide ("CloudTrail userIdentity element").
const CASES: [string, Record<string, unknown>, string][] = [
  [
    "IAM user: its ARN",
    {
      type: "IAMUser",
      principalId: "AIDAJ45Q7YFFAREXAMPLE",
      arn: "arn:aws:iam::123456789012:user/Alice",
      accountId: "123456789012",
      accessKeyId: "",
      userName: "Alice",
    },
    "arn:aws:iam::123456789012:user/Alice",
  ],
  [
    "assumed role: the issuing role's ARN and the session name",
    {
      type: "AssumedRole",
      principalId: "AROAIDPPEZS35WEXAMPLE:AssumedRoleSessionName",
      arn: "arn:aws:sts::123456789012:assumed-role/RoleToBeAssumed/MySessionName",
      accountId: "123456789012",
      accessKeyId: "",
      sessionContext: {
        sessionIssuer: {
          type: "Role",
          principalId: "AROAIDPPEZS35WEXAMPLE",
          arn: "arn:aws:iam::123456789012:role/RoleToBeAssumed",
          accountId: "123456789012",
          userName: "RoleToBeAssumed",
        },
        attributes: { mfaAuthenticated: "false", creationDate: "20131102T010628Z" },
      },
    },
    "arn:aws:iam::123456789012:role/RoleToBeAssumed (session MySessionName)",
  ],
  [
    "an Identity Center user through its permission-set role: the role and the user as session",
    {
      type: "AssumedRole",
      principalId: "AROAEXAMPLE:alice@example.com",
      arn: "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice@example.com",
      accountId: "123456789012",
      sessionContext: {
        sessionIssuer: {
          type: "Role",
          arn: "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef",
          userName: "AWSReservedSSO_Admin_0123456789abcdef",
        },
      },
    },
    "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef (session alice@example.com)",
  ],
  [
    "root: its ARN",
    {
      type: "Root",
      principalId: "123456789012",
      arn: "arn:aws:iam::123456789012:root",
      accountId: "123456789012",
      accessKeyId: "",
    },
    "arn:aws:iam::123456789012:root",
  ],
  [
    "federated user (GetFederationToken): its ARN",
    {
      type: "FederatedUser",
      principalId: "123456789012:Bob",
      arn: "arn:aws:sts::123456789012:federated-user/Bob",
      accountId: "123456789012",
      sessionContext: { sessionIssuer: { type: "IAMUser", arn: "arn:aws:iam::123456789012:user/Alice" } },
    },
    "arn:aws:sts::123456789012:federated-user/Bob",
  ],
  [
    "Identity Center user (since January 2025: userId, no userName)",
    {
      type: "IdentityCenterUser",
      accountId: "123456789012",
      onBehalfOf: {
        userId: "544894e8-80c1-707f-60e3-3ba6510dfac1",
        identityStoreArn: "arn:aws:identitystore::123456789012:identitystore/d-9067642ac7",
      },
      credentialId: "EXAMPLEVHULjJdTUdPJfofVa1sufHDoj7aYcOYcxFVllWR_Whr1fEXAMPLE",
    },
    "arn:aws:identitystore::123456789012:identitystore/d-9067642ac7/user/544894e8-80c1-707f-60e3-3ba6510dfac1",
  ],
  [
    "web identity user: provider and user",
    {
      type: "WebIdentityUser",
      principalId: "accounts.google.com:application-id.apps.googleusercontent.com:user-id",
      userName: "user-id",
      identityProvider: "accounts.google.com",
    },
    "accounts.google.com/user-id",
  ],
  [
    "AWS service: the service",
    { type: "AWSService", invokedBy: "cloudformation.amazonaws.com" },
    "cloudformation.amazonaws.com",
  ],
  [
    "another account: the account",
    { type: "AWSAccount", principalId: "AIDAEXAMPLE", accountId: "111122223333" },
    "account 111122223333",
  ],
];

describe("changedBy from a CloudTrail userIdentity", () => {
  for (const [name, identity, expected] of CASES) {
    it(name, () => {
      expect(changedBy(userIdentitySchema.parse(identity))).toBe(expected);
    });
  }

  it("an event without userIdentity is unknown", () => {
    expect(changedBy(undefined)).toBe("unknown");
  });
});
