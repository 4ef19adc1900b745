import type { UserIdentity } from "./cloudtrail-event.js";

/**
 * Who made the call, as one readable string (design §10): the ARN of an IAM
 * user, root or federated user; for an assumed role the issuing role's ARN and
 * the session name; an Identity Center user by its identity-store user ID (its
 * user name is no longer logged since January 2025); an AWS service by name.
 */
export function changedBy(identity: UserIdentity | undefined): string {
  if (!identity) return "unknown";
  const { type, arn } = identity;
  switch (type) {
    case "AssumedRole": {
      const issuer = identity.sessionContext?.sessionIssuer?.arn;
      // arn:aws:sts::123456789012:assumed-role/RoleName/SessionName: the session is the last part.
      const session = arn?.split("/").slice(2).join("/") || identity.principalId?.split(":")[1];
      if (issuer && session) return `${issuer} (session ${session})`;
      return issuer ?? arn ?? principal(identity);
    }
    case "IdentityCenterUser": {
      const user = identity.onBehalfOf?.userId ?? identity.userName;
      const store = identity.onBehalfOf?.identityStoreArn;
      if (user) return store ? `${store}/user/${user}` : `identity-center-user/${user}`;
      return principal(identity);
    }
    case "WebIdentityUser":
    case "SAMLUser": {
      const user = identity.userName ?? identity.principalId;
      if (identity.identityProvider && user) return `${identity.identityProvider}/${user}`;
      return arn ?? principal(identity);
    }
    case "AWSService":
      return identity.invokedBy ?? principal(identity);
    case "AWSAccount":
      return identity.accountId ? `account ${identity.accountId}` : principal(identity);
    default:
      // IAMUser, Root, FederatedUser and anything newer: the ARN names the principal.
      return arn ?? principal(identity);
  }
}

function principal(identity: UserIdentity): string {
  const id = identity.principalId ?? identity.accountId;
  return id ? `${identity.type ?? "principal"} ${id}` : (identity.type ?? "unknown");
}
