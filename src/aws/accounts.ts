import type { Access } from "../policy/policy.js";
import type { AssumeRoleError } from "./assume-role-error.js";
import { callerAccount } from "./caller.js";
import type { AwsClients } from "./clients.js";
import { classifyAwsError, ResourceError } from "./errors.js";

/** One configured member account in `/status` (design §6). */
export interface AccountStatus {
  account: string;
  roleArn: string;
  state: "ok" | "error";
  message: string;
}

interface Member {
  access: Access;
  clients: AwsClients;
  /** The account of the assumed credentials (one sts:GetCallerIdentity per process, as for the hub). */
  caller: () => Promise<string>;
  status: AccountStatus;
}

export interface AccountsOptions {
  /** STS `DurationSeconds` of the assumed sessions; AWS's default (one hour) when left out. */
  durationSeconds?: number;
}

/**
 * The accounts one process reaches (design §6): the hub (the credentials it
 * starts with) and the members of the policy file's `access`, each through
 * its own clients. A member's clients are made when first needed; its state
 * follows the last attempt to resolve its credentials.
 */
export class Accounts {
  readonly hub: AwsClients;
  readonly #members = new Map<string, Member>();
  readonly #access: ReadonlyMap<string, Access>;
  readonly #region: string;
  readonly #options: AccountsOptions;

  constructor(
    hub: AwsClients,
    access: readonly Access[] | undefined,
    region: string,
    options: AccountsOptions = {},
  ) {
    this.hub = hub;
    this.#access = new Map((access ?? []).map((a) => [a.account, a]));
    this.#region = region;
    this.#options = options;
  }

  /** True when the policy file says how to reach this account. */
  configured(account: string): boolean {
    return this.#access.has(account);
  }

  /** The member's clients; undefined for an account that is not configured. */
  clients(account: string): AwsClients | undefined {
    return this.#member(account)?.clients;
  }

  /** The account the member's assumed credentials belong to, learnt once (the assume included). */
  callerAccount(account: string): (() => Promise<string>) | undefined {
    return this.#member(account)?.caller;
  }

  /** Every configured account, in the policy file's order. */
  status(): AccountStatus[] {
    return [...this.#access.values()].map(
      (a) =>
        this.#members.get(a.account)?.status ?? {
          account: a.account,
          roleArn: a.roleArn,
          state: "ok",
          message: "not needed yet: no manifest names this account",
        },
    );
  }

  #member(account: string): Member | undefined {
    const existing = this.#members.get(account);
    if (existing) return existing;
    const access = this.#access.get(account);
    if (!access) return undefined;
    const status: AccountStatus = {
      account,
      roleArn: access.roleArn,
      state: "ok",
      message: "role not assumed yet",
    };
    const onResolved = (failure: AssumeRoleError | undefined) => {
      status.state = failure ? "error" : "ok";
      status.message = failure ? failure.message : "role assumed";
    };
    const clients = this.hub.member({
      account,
      roleArn: access.roleArn,
      externalId: access.externalId,
      region: this.#region,
      ...(this.#options.durationSeconds !== undefined
        ? { durationSeconds: this.#options.durationSeconds }
        : {}),
      onResolved,
    });
    const member: Member = { access, clients, caller: callerAccount(clients, this.#region), status };
    this.#members.set(account, member);
    return member;
  }
}

/**
 * A member's clients once its assumed credentials are known to be of that
 * account (design §6: a role that lands elsewhere is refused), else the error;
 * `refusal` ends the AccountMismatch message ("not touching it"). Shared by the
 * guard and fleet discovery, which route an account the same way.
 */
export async function reachMember(
  members: Pick<Accounts, "clients" | "callerAccount">,
  account: string,
  refusal: string,
): Promise<AwsClients | ResourceError> {
  const clients = members.clients(account);
  const learn = members.callerAccount(account);
  if (!clients || !learn)
    return new ResourceError("AccountNotConfigured", `account ${account} has no access entry`);
  let assumed: string;
  try {
    assumed = await learn();
  } catch (err) {
    return classifyAwsError(err, `reaching account ${account}`);
  }
  if (assumed !== account) {
    return new ResourceError(
      "AccountMismatch",
      `the credentials assumed for account ${account} are of account ${assumed}; ${refusal}`,
      "terminal",
    );
  }
  return clients;
}
