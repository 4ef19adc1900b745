import type { EventSourceMappingConfiguration, LambdaClient } from "@aws-sdk/client-lambda";
import { ListFunctionsCommand } from "@aws-sdk/client-lambda";
import {
  GetResourcesCommand,
  type ResourceGroupsTaggingAPIClient,
} from "@aws-sdk/client-resource-groups-tagging-api";
import { type Accounts, reachMember } from "../aws/accounts.js";
import { parseArn, parseFunctionRef } from "../aws/arn.js";
import { callerAccount } from "../aws/caller.js";
import type { AwsClients } from "../aws/clients.js";
import { classifyAwsError, ResourceError } from "../aws/errors.js";
import { eachPage } from "../aws/pages.js";
import { listMappings, type MappingListings } from "../kinds/mapping-listing.js";
import type {
  DiscoveredFunction,
  DiscoveredMapping,
  DiscoveryFailure,
  DiscoveryResult,
  DiscoveryTarget,
  MappingSource,
} from "./inventory.js";

/** ListFunctions returns at most 50 functions per page whatever MaxItems says. */
export const FUNCTIONS_PER_PAGE = 50;
/** GetResources' largest page. */
export const TAGGED_PER_PAGE = 100;

export interface DiscoverOptions {
  /** The member accounts of the policy file's `access`; without it only the hub's account can be listed. */
  accounts?: Accounts | undefined;
  /** The hub credentials' account (the guard's memoised sts:GetCallerIdentity); asked for when not known yet. */
  callerAccount?: (() => Promise<string>) | undefined;
  /**
   * The sweep's shared mapping listings: the mapping read of the expanded
   * resources takes the listing made here instead of listing the region again.
   */
  mappingListings?: MappingListings | undefined;
}

type Listed = { functions: DiscoveredFunction[]; mappings: DiscoveredMapping[] };

/**
 * Lists what fleet policies select from (design §7), planned like every read:
 * per (account, region) one paged ListFunctions (⌈F/50⌉ calls, at least one),
 * when `tags` one paged tagging-API GetResources over `lambda:function`
 * (⌈T/100⌉ for the T tagged functions, at least one), and when `mappings` the
 * region's mapping listing (⌈M/100⌉), which `mappingListings` hands on to the
 * mapping read. A target that fails is a DiscoveryFailure; the others are
 * listed all the same.
 */
export async function discoverInventory(
  aws: AwsClients,
  targets: DiscoveryTarget[],
  options: DiscoverOptions = {},
): Promise<DiscoveryResult> {
  const merged = mergeTargets(targets);
  const first = merged[0];
  if (!first) return { inventory: { functions: [], mappings: [] }, failures: [] };
  const known = aws.account;
  const hubAccount =
    options.callerAccount ?? (known !== undefined ? async () => known : callerAccount(aws, first.region));
  const outcomes = await Promise.all(
    merged.map(async (target): Promise<Listed | DiscoveryFailure> => {
      const clients = await clientsFor(target.account, aws, hubAccount, options.accounts);
      if (clients instanceof ResourceError) return failure(target, clients);
      try {
        return await listTarget(clients, target, options.mappingListings);
      } catch (err) {
        return failure(
          target,
          classifyAwsError(err, `discovering functions in account ${target.account}, ${target.region}`),
        );
      }
    }),
  );
  const functions: DiscoveredFunction[] = [];
  const mappings: DiscoveredMapping[] = [];
  const failures: DiscoveryFailure[] = [];
  for (const outcome of outcomes) {
    if ("error" in outcome) failures.push(outcome);
    else {
      functions.push(...outcome.functions);
      mappings.push(...outcome.mappings);
    }
  }
  return { inventory: { functions, mappings }, failures };
}

/** One target per (account, region), asking for every read any policy there needs; in a stable order. */
function mergeTargets(targets: readonly DiscoveryTarget[]): DiscoveryTarget[] {
  const byPlace = new Map<string, DiscoveryTarget>();
  for (const t of targets) {
    const key = `${t.account}/${t.region}`;
    const seen = byPlace.get(key);
    byPlace.set(
      key,
      seen ? { ...seen, tags: seen.tags || t.tags, mappings: seen.mappings || t.mappings } : { ...t },
    );
  }
  return [...byPlace.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, t]) => t);
}

/**
 * The clients that act in `account`, decided as the guard decides for a
 * manifest (policy/account.ts): the hub's when it is the credentials' account,
 * a member's when the policy file's `access` lists it and its assumed
 * credentials are of that account, else an error and no listing.
 */
async function clientsFor(
  account: string,
  hub: AwsClients,
  hubAccount: () => Promise<string>,
  accounts: Accounts | undefined,
): Promise<AwsClients | ResourceError> {
  let caller: string;
  try {
    caller = await hubAccount();
  } catch (err) {
    return classifyAwsError(err);
  }
  if (account === caller) return hub;
  if (!accounts?.configured(account)) {
    return new ResourceError(
      "AccountNotConfigured",
      `account ${account} is not the credentials' account (${caller}) and the policy file's access lists no role for it; not listing its functions`,
      "terminal",
    );
  }
  return reachMember(accounts, account, "not listing its functions");
}

async function listTarget(
  clients: AwsClients,
  target: DiscoveryTarget,
  listings: MappingListings | undefined,
): Promise<Listed> {
  const { account, region } = target;
  const lambda = clients.lambda(region);
  const [listed, tags, configs] = await Promise.all([
    listFunctions(lambda),
    target.tags ? readTags(clients.tagging(region)) : undefined,
    target.mappings ? (listings?.list(clients, region) ?? listMappings(lambda)) : undefined,
  ]);
  const functions = listed
    .map(({ name, arn }) => ({
      account,
      region,
      functionName: name,
      functionArn: arn,
      tags: tags?.get(name) ?? {},
    }))
    .sort((a, b) => compare(a.functionName, b.functionName));
  const mappings = (configs ?? [])
    .flatMap((c) => toMapping(account, region, c))
    .sort((a, b) => compare(a.uuid, b.uuid));
  return { functions, mappings };
}

async function listFunctions(client: LambdaClient): Promise<{ name: string; arn: string }[]> {
  const functions: { name: string; arn: string }[] = [];
  await eachPage(
    "ListFunctions",
    (marker) => client.send(new ListFunctionsCommand({ Marker: marker, MaxItems: FUNCTIONS_PER_PAGE })),
    (page) => {
      for (const f of page.Functions ?? []) {
        if (f.FunctionName && f.FunctionArn) functions.push({ name: f.FunctionName, arn: f.FunctionArn });
      }
      return page.NextMarker;
    },
  );
  return functions;
}

/** Every tagged (or once tagged) function's tags, by function name. */
async function readTags(
  client: ResourceGroupsTaggingAPIClient,
): Promise<Map<string, Record<string, string>>> {
  const tags = new Map<string, Record<string, string>>();
  await eachPage(
    "GetResources",
    (token) =>
      client.send(
        new GetResourcesCommand({
          ResourceTypeFilters: ["lambda:function"],
          ResourcesPerPage: TAGGED_PER_PAGE,
          PaginationToken: token,
        }),
      ),
    (page) => {
      for (const r of page.ResourceTagMappingList ?? []) {
        const name = parseFunctionRef(r.ResourceARN ?? "")?.name;
        if (name === undefined) continue;
        tags.set(name, Object.fromEntries((r.Tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""])));
      }
      return page.PaginationToken;
    },
  );
  return tags;
}

function toMapping(account: string, region: string, c: EventSourceMappingConfiguration): DiscoveredMapping[] {
  const functionName = parseFunctionRef(c.FunctionArn ?? "")?.name;
  // Self-managed Kafka has no EventSourceArn: no policy section configures it.
  if (!c.UUID || !c.EventSourceArn || functionName === undefined) return [];
  return [
    {
      account,
      region,
      uuid: c.UUID,
      functionName,
      eventSourceArn: c.EventSourceArn,
      source: sourceOf(c.EventSourceArn),
    },
  ];
}

function sourceOf(eventSourceArn: string): MappingSource {
  const service = parseArn(eventSourceArn)?.service;
  return service === "kinesis" || service === "dynamodb" || service === "sqs" ? service : "other";
}

function failure(target: DiscoveryTarget, error: ResourceError): DiscoveryFailure {
  return { account: target.account, region: target.region, error };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
