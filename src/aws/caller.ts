import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import type { AwsClients } from "./clients.js";
import { classifyAwsError, ResourceError } from "./errors.js";

/**
 * The account of the credentials in use, from one `sts:GetCallerIdentity` per
 * process (the credentials' account does not change while it runs). A failed
 * call is not remembered, so the next resource that needs the account asks again.
 */
export function callerAccount(aws: AwsClients, region: string): () => Promise<string> {
  let known: Promise<string> | undefined;
  const ask = async (): Promise<string> => {
    try {
      const out = await aws.sts(region).send(new GetCallerIdentityCommand({}));
      if (out.Account) {
        aws.identify(out.Account);
        return out.Account;
      }
      throw new ResourceError("AccountUnknown", "GetCallerIdentity returned no Account", "transient");
    } catch (err) {
      throw classifyAwsError(err, "learning the caller's account (sts:GetCallerIdentity)");
    }
  };
  return () => {
    if (!known) {
      const asking = ask();
      known = asking;
      asking.catch(() => {
        if (known === asking) known = undefined;
      });
    }
    return known;
  };
}
