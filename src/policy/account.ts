import { ResourceError } from "../aws/errors.js";
import type { NamedAccount } from "../kinds/account.js";
import type { GuardTarget } from "./guard.js";

/**
 * The account the manifest puts its resource in, if it says: `spec.account`,
 * else the account inside the ARN or URL that names the object (`Kind.ownAccount`).
 * The two disagreeing is an error of the manifest, found without AWS.
 */
export function namedAccount(target: GuardTarget): NamedAccount | ResourceError | undefined {
  const pinned = typeof target.spec.account === "string" ? target.spec.account : undefined;
  const named = target.kind.ownAccount?.(target.spec);
  if (pinned !== undefined && named !== undefined && named.account !== pinned) {
    return new ResourceError(
      "AccountMismatch",
      `spec.account is ${pinned}, but ${named.field} names account ${named.account}; not touching it`,
      "terminal",
    );
  }
  if (pinned !== undefined) return { account: pinned, field: "spec.account" };
  return named;
}

/** Where a resource is reconciled: the hub's own account, or a member reached through `access`. */
export type AccountRoute = { account: string; member: boolean };

/**
 * The account a resource lives in: the one the manifest names, else the
 * caller's (the hub). A named account that is neither the hub's nor listed in
 * the policy file's `access` is refused before any AWS call for it, so a
 * function ARN of another account never changes the hub's same-named function.
 */
export async function resourceAccount(
  target: GuardTarget,
  callerAccount: () => Promise<string>,
  configured: (account: string) => boolean = () => false,
): Promise<AccountRoute | ResourceError> {
  const named = namedAccount(target);
  if (named instanceof ResourceError) return named;
  const caller = await callerAccount();
  if (named === undefined || named.account === caller) return { account: caller, member: false };
  if (configured(named.account)) return { account: named.account, member: true };
  return new ResourceError(
    "AccountNotConfigured",
    `${named.field} names account ${named.account}, but the credentials in use are of account ${caller} ` +
      "and the policy file's access lists no role for that account; not touching it",
    "terminal",
  );
}
