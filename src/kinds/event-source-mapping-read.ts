import {
  type EventSourceMappingConfiguration,
  GetEventSourceMappingCommand,
  type LambdaClient,
} from "@aws-sdk/client-lambda";
import { type FunctionRef, parseArn, parseFunctionRef } from "../aws/arn.js";
import { classifyAwsError, isNotFound, ResourceError } from "../aws/errors.js";
import {
  type EventSourceMappingActual,
  type EventSourceMappingSpec,
  toActual,
} from "./event-source-mapping-model.js";
import type { DesiredResource, KindContext, ReadResult } from "./kind.js";
import { listMappings } from "./mapping-listing.js";

type Resource = DesiredResource<EventSourceMappingSpec>;
type Outcome = EventSourceMappingActual | ResourceError;

/**
 * Up to this many targeted calls per region (one filtered List per distinct
 * source, one Get per uuid-only manifest) beat listing the region: the
 * unfiltered listing costs ⌈N/100⌉ calls for the N mappings of the whole
 * account and region, which retryctl cannot know in advance.
 */
export const TARGETED_MAX_CALLS = 3;

/**
 * Reads every mapping of the batch with as few Lambda calls as the API allows.
 * Failures are per resource: a failed call marks only the manifests it served.
 */
export async function readMappings(
  ctx: KindContext,
  resources: Resource[],
): Promise<ReadResult<EventSourceMappingActual>> {
  const result: ReadResult<EventSourceMappingActual> = new Map();
  const byRegion = new Map<string, Resource[]>();
  for (const r of resources) {
    const mismatch = regionMismatch(r);
    if (mismatch) {
      result.set(r.identity, mismatch);
      continue;
    }
    const group = byRegion.get(r.region);
    if (group) group.push(r);
    else byRegion.set(r.region, [r]);
  }
  await Promise.all(
    [...byRegion].map(async ([region, group]) => {
      const client = ctx.aws.lambda(region);
      // The sweep's discovery listed this region already: serving every manifest from it costs no call.
      const shared = ctx.mappingListings?.take(ctx.aws, region);
      const outcomes = shared
        ? await readListed(shared, group)
        : planTargeted(group)
          ? await readTargeted(client, group)
          : await readListed(listMappings(client), group);
      for (const [r, outcome] of outcomes) result.set(r.identity, outcome);
    }),
  );
  return result;
}

/** An ARN in the spec that names another region than the manifest resolves to (spec.region left out). */
function regionMismatch(r: Resource): ResourceError | undefined {
  for (const [field, value] of [
    ["functionName", r.spec.functionName],
    ["eventSourceArn", r.spec.eventSourceArn],
  ] as const) {
    const arnRegion = value === undefined ? undefined : parseArn(value)?.region;
    if (arnRegion && arnRegion !== r.region) {
      return new ResourceError(
        "RegionMismatch",
        `${field} ${value} is in region ${arnRegion}, but the manifest resolves to region ${r.region}; set spec.region`,
      );
    }
  }
  return undefined;
}

function planTargeted(group: Resource[]): boolean {
  const sources = new Set<string>();
  let gets = 0;
  for (const r of group) {
    if (r.spec.eventSourceArn !== undefined) sources.add(r.spec.eventSourceArn);
    else gets++;
  }
  return sources.size + gets <= TARGETED_MAX_CALLS;
}

async function readListed(
  listing: Promise<EventSourceMappingConfiguration[]>,
  group: Resource[],
): Promise<Map<Resource, Outcome>> {
  try {
    const configs = await listing;
    return new Map(group.map((r) => [r, resolve(r, configs)]));
  } catch (err) {
    const error = classifyAwsError(err, "listing event source mappings");
    return new Map(group.map((r) => [r, error]));
  }
}

async function readTargeted(client: LambdaClient, group: Resource[]): Promise<Map<Resource, Outcome>> {
  const outcomes = new Map<Resource, Outcome>();
  const bySource = new Map<string, Resource[]>();
  const byUuid: Resource[] = [];
  for (const r of group) {
    const arn = r.spec.eventSourceArn;
    if (arn === undefined) byUuid.push(r);
    else bySource.set(arn, [...(bySource.get(arn) ?? []), r]);
  }
  await Promise.all([
    // Filtering by source and matching the function here serves every function of
    // that source with one call and does not depend on how FunctionName filters.
    ...[...bySource].map(async ([arn, rs]) => {
      try {
        const configs = await listMappings(client, arn);
        for (const r of rs) outcomes.set(r, resolve(r, configs));
      } catch (err) {
        const error = classifyAwsError(err, `listing event source mappings of ${arn}`);
        for (const r of rs) outcomes.set(r, error);
      }
    }),
    ...byUuid.map(async (r) => {
      try {
        const config = await client.send(new GetEventSourceMappingCommand({ UUID: r.spec.uuid }));
        outcomes.set(r, resolve(r, [config]));
      } catch (err) {
        outcomes.set(
          r,
          isNotFound(err) ? notFound(r) : classifyAwsError(err, `reading mapping ${r.spec.uuid}`),
        );
      }
    }),
  ]);
  return outcomes;
}

/**
 * Whether a mapping's FunctionArn is the manifest's function. Names compare by
 * their name part, so name, partial ARN and ARN are one function; the qualifier
 * must be equal, `$LATEST` counting as none: AWS echoes the qualifier exactly as
 * the mapping was created with it (`fn:$LATEST` stays `fn:$LATEST`), yet both
 * invoke the same code, so `fn` matches either and `name:alias` only that alias.
 * Account and region count only when the manifest names them.
 */
export function sameFunction(wanted: FunctionRef, functionArn: string | undefined): boolean {
  const actual = parseFunctionRef(functionArn ?? "");
  if (!actual) return false;
  return (
    actual.name === wanted.name &&
    unlessLatest(actual.qualifier) === unlessLatest(wanted.qualifier) &&
    (wanted.account === undefined || wanted.account === actual.account) &&
    (wanted.region === undefined || wanted.region === actual.region)
  );
}

function unlessLatest(qualifier: string | undefined): string | undefined {
  return qualifier === "$LATEST" ? undefined : qualifier;
}

/** The manifest's mapping among the configs read, checked against what the manifest says about it. */
export function resolve(r: Resource, configs: readonly EventSourceMappingConfiguration[]): Outcome {
  const { spec } = r;
  const fn = parseFunctionRef(spec.functionName);
  if (!fn)
    return new ResourceError("InvalidSpec", `functionName ${spec.functionName} is not a function reference`);
  const { uuid } = spec;
  const matches =
    uuid !== undefined
      ? configs.filter((c) => c.UUID === uuid)
      : configs.filter((c) => c.EventSourceArn === spec.eventSourceArn && sameFunction(fn, c.FunctionArn));
  const [config] = matches;
  if (!config) return notFound(r);
  if (matches.length > 1) {
    return new ResourceError(
      "AmbiguousMapping",
      `${matches.length} mappings from ${spec.eventSourceArn} to ${spec.functionName} exist ` +
        `(${matches.map((c) => c.UUID).join(", ")}); name the one to manage with spec.uuid`,
    );
  }
  if (uuid !== undefined) {
    const mismatch = mismatchOf(spec, fn, config);
    if (mismatch) return new ResourceError("MappingMismatch", `mapping ${config.UUID} ${mismatch}`);
  }
  return toActual(spec, config);
}

function mismatchOf(spec: EventSourceMappingSpec, fn: FunctionRef, config: EventSourceMappingConfiguration) {
  if (!sameFunction(fn, config.FunctionArn)) {
    return `invokes ${config.FunctionArn}, not ${spec.functionName}`;
  }
  if (spec.eventSourceArn !== undefined && spec.eventSourceArn !== config.EventSourceArn) {
    return `reads from ${config.EventSourceArn}, not ${spec.eventSourceArn}`;
  }
  return undefined;
}

function notFound(r: Resource): ResourceError {
  const { spec, region } = r;
  const what =
    spec.uuid !== undefined
      ? `no event source mapping with UUID ${spec.uuid}`
      : `no event source mapping from ${spec.eventSourceArn} to function ${spec.functionName}`;
  return new ResourceError("MappingNotFound", `${what} in ${region}; retryctl does not create mappings`);
}
