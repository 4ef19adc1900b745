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

/**
 * The account a resource lives in: the one the manifest names, else the
 * caller's. Until other accounts can be configured (design §6, `access`), a
 * named account that is not the caller's is refused before any AWS call for
 * it, so a function ARN of another account never changes the caller's
 * same-named function. Multi-account routing replaces only the refusal.
 */
export async function resourceAccount(
  target: GuardTarget,
  callerAccount: () => Promise<string>,
): Promise<string | ResourceError> {
  const named = namedAccount(target);
  if (named instanceof ResourceError) return named;
  const caller = await callerAccount();
  if (named === undefined || named.account === caller) return caller;
  return new ResourceError(
    "AccountNotConfigured",
    `${named.field} names account ${named.account}, but the credentials in use are of account ${caller} ` +
      "and no other account is configured; not touching it",
    "terminal",
  );
}
