import {
  DeleteFunctionEventInvokeConfigCommand,
  type DeleteFunctionEventInvokeConfigCommandInput,
  type FunctionEventInvokeConfig,
  GetFunctionCommand,
  type LambdaClient,
  ListFunctionEventInvokeConfigsCommand,
  PutFunctionEventInvokeConfigCommand,
  type PutFunctionEventInvokeConfigCommandInput,
  UpdateFunctionEventInvokeConfigCommand,
  type UpdateFunctionEventInvokeConfigCommandInput,
} from "@aws-sdk/client-lambda";
import { z } from "zod";
import { functionAddress, parseArn, parseFunctionRef } from "../aws/arn.js";
import { classifyAwsError, isNotFound, ResourceError } from "../aws/errors.js";
import { baseSpecShape, checkArnRegion, functionNameSchema, intRange, managed } from "../manifests/fields.js";
import { identityPlace, type NamedAccount, specAccount } from "./account.js";
import { failurePathFact } from "./facts.js";
import { diffManagedFields } from "./fields.js";
import type { DesiredResource, FieldChange, Kind, KindContext, LintWarning, ReadResult } from "./kind.js";
import { readEach } from "./read-each.js";
import { present, scopeOf } from "./scope.js";

const LATEST = "$LATEST";

/** What each destination service accepts after `arn:…:<service>:<region>:<account>:` (standard queues and topics only). */
const DESTINATION_RESOURCES: Record<string, RegExp> = {
  sqs: /^[a-zA-Z0-9_-]{1,80}$/,
  sns: /^[a-zA-Z0-9_-]{1,256}$/,
  lambda: /^function:[a-zA-Z0-9_-]{1,64}(:(\$LATEST|[a-zA-Z0-9_-]{1,128}))?$/,
  events: /^event-bus\/[a-zA-Z0-9._\-/]{1,256}$/,
  s3: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
};

const ASYNC_TARGETS = "a standard SQS queue, standard SNS topic, Lambda function or EventBridge event bus";

function destinationSchema(field: "onSuccess" | "onFailure") {
  const services =
    field === "onFailure" ? ["sqs", "sns", "lambda", "events", "s3"] : ["sqs", "sns", "lambda", "events"];
  const what = field === "onFailure" ? `${ASYNC_TARGETS}, or an S3 bucket` : ASYNC_TARGETS;
  return z.string().superRefine((value, ctx) => {
    const arn = parseArn(value);
    const pattern = arn && services.includes(arn.service) ? DESTINATION_RESOURCES[arn.service] : undefined;
    if (arn && pattern?.test(arn.resource)) return;
    const hint = arn?.service === "s3" ? " (S3 buckets can only receive failures: use onFailure)" : "";
    ctx.addIssue({ code: "custom", message: `must be the ARN of ${what}${hint}` });
  });
}

const QUALIFIER_RE = /^(\$LATEST|[a-zA-Z0-9_-]{1,128})$/;

export const functionEventInvokeConfigSpecSchema = z
  .strictObject({
    ...baseSpecShape,
    functionName: functionNameSchema,
    qualifier: z
      .string()
      .regex(QUALIFIER_RE, "must be $LATEST, a version number or an alias name")
      .optional(),
    maximumRetryAttempts: managed(intRange(0, 2)),
    maximumEventAgeInSeconds: managed(intRange(60, 21600)),
    onSuccess: managed(destinationSchema("onSuccess")),
    onFailure: managed(destinationSchema("onFailure")),
  })
  .superRefine((spec, ctx) => {
    const ref = parseFunctionRef(spec.functionName);
    if (ref?.qualifier !== undefined && spec.qualifier !== undefined && ref.qualifier !== spec.qualifier) {
      ctx.addIssue({
        code: "custom",
        path: ["qualifier"],
        message: `is ${spec.qualifier}, but functionName already names qualifier ${ref.qualifier}`,
      });
    }
    checkArnRegion(ctx, spec.region, spec.functionName, ["functionName"]);
    for (const field of ["onSuccess", "onFailure"] as const) {
      checkArnRegion(ctx, spec.region, spec[field], [field]);
      if (ref && namesSameFunction(spec[field], ref, spec.region)) {
        ctx.addIssue({
          code: "custom",
          path: [field],
          message: "names the function itself: a function cannot be its own destination",
        });
      }
    }
  });

export type FunctionEventInvokeConfigSpec = z.infer<typeof functionEventInvokeConfigSpecSchema>;

/** A Lambda destination ARN that points back at `ref`'s function (any qualifier: Lambda rejects those too). */
function namesSameFunction(
  destination: string | null | undefined,
  ref: NonNullable<ReturnType<typeof parseFunctionRef>>,
  region: string | undefined,
): boolean {
  if (typeof destination !== "string") return false;
  const arn = parseArn(destination);
  if (arn?.service !== "lambda") return false;
  const target = parseFunctionRef(destination);
  if (target?.name !== ref.name) return false;
  const ownRegion = ref.region ?? region;
  if (ownRegion !== undefined && arn.region !== ownRegion) return false;
  return ref.account === undefined || arn.account === ref.account;
}

/** The async config of one (function, qualifier), in manifest terms; `exists: false` means AWS has none (all defaults). */
export interface InvokeConfigState {
  exists: boolean;
  maximumRetryAttempts?: number;
  maximumEventAgeInSeconds?: number;
  onSuccess?: string;
  onFailure?: string;
}

const MANAGED = ["maximumRetryAttempts", "maximumEventAgeInSeconds", "onSuccess", "onFailure"] as const;
type ManagedField = (typeof MANAGED)[number];
/** The settings UpdateFunctionEventInvokeConfig merges without re-sending the destinations. */
const RETRY_FIELDS: readonly string[] = ["maximumRetryAttempts", "maximumEventAgeInSeconds"];
const DEFAULTS = { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 21600 };

/** The qualifier a spec addresses: `qualifier`, else the one inside `functionName`, else `$LATEST`. */
export function qualifierOf(spec: Pick<FunctionEventInvokeConfigSpec, "functionName" | "qualifier">): string {
  return spec.qualifier ?? parseFunctionRef(spec.functionName)?.qualifier ?? LATEST;
}

function bareName(spec: Pick<FunctionEventInvokeConfigSpec, "functionName">): string {
  return parseFunctionRef(spec.functionName)?.name ?? spec.functionName;
}

function ownAccount(spec: FunctionEventInvokeConfigSpec): NamedAccount | undefined {
  const account = parseFunctionRef(spec.functionName)?.account;
  return account === undefined ? undefined : { account, field: "functionName" };
}

/** The identity's account-aware prefix and function: one per function, whatever the qualifier. */
function functionPlace(spec: FunctionEventInvokeConfigSpec, region: string): string {
  return `${identityPlace(region, specAccount({ ownAccount }, spec))}/${bareName(spec)}`;
}

/** AWS leaves settings out or sends `{}` / `{Destination: null}` / `""` for "none": all become undefined here. */
export function toState(config: FunctionEventInvokeConfig | undefined): InvokeConfigState {
  if (!config) return { exists: false };
  const state: InvokeConfigState = { exists: true };
  if (typeof config.MaximumRetryAttempts === "number")
    state.maximumRetryAttempts = config.MaximumRetryAttempts;
  if (typeof config.MaximumEventAgeInSeconds === "number")
    state.maximumEventAgeInSeconds = config.MaximumEventAgeInSeconds;
  const onSuccess = config.DestinationConfig?.OnSuccess?.Destination;
  const onFailure = config.DestinationConfig?.OnFailure?.Destination;
  if (onSuccess) state.onSuccess = onSuccess;
  if (onFailure) state.onFailure = onFailure;
  return state;
}

/** One List per (region, function) answers every qualifier of that function. */
async function listConfigs(
  client: LambdaClient,
  name: string,
): Promise<Map<string, FunctionEventInvokeConfig>> {
  const byQualifier = new Map<string, FunctionEventInvokeConfig>();
  const seen = new Set<string>();
  let marker: string | undefined;
  do {
    const page = await client.send(
      new ListFunctionEventInvokeConfigsCommand({ FunctionName: name, MaxItems: 50, Marker: marker }),
    );
    for (const config of page.FunctionEventInvokeConfigs ?? []) {
      const qualifier = parseFunctionRef(config.FunctionArn ?? "")?.qualifier ?? LATEST;
      byQualifier.set(qualifier, config);
    }
    marker = page.NextMarker || undefined;
    // A marker that comes back twice would page forever.
    if (marker !== undefined && seen.has(marker)) break;
    if (marker !== undefined) seen.add(marker);
  } while (marker !== undefined);
  return byQualifier;
}

/**
 * Resolves one resource that has no config: a missing alias or version would make the Put fail, so say so now.
 * GetFunction draws from its own 100/s quota, not the shared 15/s one.
 */
async function checkQualifier(
  client: LambdaClient,
  name: string,
  qualifier: string,
): Promise<InvokeConfigState | ResourceError> {
  if (qualifier === LATEST) return { exists: false };
  try {
    await client.send(new GetFunctionCommand({ FunctionName: name, Qualifier: qualifier }));
    return { exists: false };
  } catch (err) {
    if (isNotFound(err))
      return new ResourceError(
        "QualifierNotFound",
        `function ${name} has no version or alias ${qualifier}`,
        "terminal",
        { cause: err },
      );
    return classifyAwsError(err, `GetFunction ${name}:${qualifier}`);
  }
}

/** A full function ARN in another region than the resource's would address a different function. */
function regionMismatch(spec: FunctionEventInvokeConfigSpec, region: string): ResourceError | undefined {
  const arnRegion = parseFunctionRef(spec.functionName)?.region;
  if (arnRegion === undefined || arnRegion === region) return undefined;
  return new ResourceError(
    "RegionMismatch",
    `functionName is in region ${arnRegion}, but the resource's region is ${region}`,
  );
}

async function readGroup(
  ctx: KindContext,
  region: string,
  name: string,
  group: DesiredResource<FunctionEventInvokeConfigSpec>[],
  out: ReadResult<InvokeConfigState>,
): Promise<void> {
  const client = ctx.aws.lambda(region);
  let configs: Map<string, FunctionEventInvokeConfig>;
  try {
    configs = await listConfigs(client, name);
  } catch (err) {
    const error = isNotFound(err)
      ? new ResourceError("FunctionNotFound", `function ${name} does not exist in ${region}`, "terminal", {
          cause: err,
        })
      : classifyAwsError(err, `ListFunctionEventInvokeConfigs ${name}`);
    for (const r of group) out.set(r.identity, error);
    return;
  }
  await Promise.all(
    group.map(async (r) => {
      const qualifier = qualifierOf(r.spec);
      const config = configs.get(qualifier);
      out.set(r.identity, config ? toState(config) : await checkQualifier(client, name, qualifier));
    }),
  );
}

function viewOf(state: InvokeConfigState): Record<ManagedField, unknown> {
  return {
    maximumRetryAttempts: state.maximumRetryAttempts,
    maximumEventAgeInSeconds: state.maximumEventAgeInSeconds,
    onSuccess: state.onSuccess,
    onFailure: state.onFailure,
  };
}

/** Put replaces the whole config, so the request carries every setting that should remain. */
export function putInput(
  name: string,
  qualifier: string,
  next: InvokeConfigState,
): PutFunctionEventInvokeConfigCommandInput {
  const input: PutFunctionEventInvokeConfigCommandInput = { FunctionName: name };
  // Without a Qualifier the config is $LATEST's; leaving it out avoids depending on how "$LATEST" is spelled.
  if (qualifier !== LATEST) input.Qualifier = qualifier;
  if (next.maximumRetryAttempts !== undefined) input.MaximumRetryAttempts = next.maximumRetryAttempts;
  if (next.maximumEventAgeInSeconds !== undefined)
    input.MaximumEventAgeInSeconds = next.maximumEventAgeInSeconds;
  if (next.onSuccess !== undefined || next.onFailure !== undefined) {
    input.DestinationConfig = {};
    if (next.onSuccess !== undefined) input.DestinationConfig.OnSuccess = { Destination: next.onSuccess };
    if (next.onFailure !== undefined) input.DestinationConfig.OnFailure = { Destination: next.onFailure };
  }
  return input;
}

/**
 * The config a replacing Put writes: AWS's current settings, with every field the
 * manifest names set to its value, also where that is the AWS default (so a
 * manifest's `maximumRetryAttempts: 2` is visible as 2 in AWS), and `null` ones
 * left out (absent = the AWS default).
 */
export function desiredState(
  spec: FunctionEventInvokeConfigSpec,
  actual: InvokeConfigState,
): InvokeConfigState {
  const next: InvokeConfigState = { ...actual, exists: true };
  for (const field of MANAGED) {
    const wanted = spec[field];
    if (wanted === undefined) continue;
    if (wanted === null) delete next[field];
    else (next as Record<ManagedField, unknown>)[field] = wanted;
  }
  return next;
}

/** The merging Update for changes to retries and age only: it names just those settings. */
export function updateInput(
  name: string,
  qualifier: string,
  changes: readonly FieldChange[],
): UpdateFunctionEventInvokeConfigCommandInput {
  const input: UpdateFunctionEventInvokeConfigCommandInput = { FunctionName: name };
  if (qualifier !== LATEST) input.Qualifier = qualifier;
  for (const change of changes) {
    // `desired` already holds the AWS default where the manifest says null.
    if (change.field === "maximumRetryAttempts") input.MaximumRetryAttempts = change.desired as number;
    if (change.field === "maximumEventAgeInSeconds")
      input.MaximumEventAgeInSeconds = change.desired as number;
  }
  return input;
}

function isEmpty(state: InvokeConfigState): boolean {
  return MANAGED.every((f) => state[f] === undefined);
}

/**
 * The one write that makes AWS match: a merging Update when only retries and age
 * change on an existing config (it does not re-send the destinations, so one that
 * was deleted since cannot block it); a whole-object Put to create the config or
 * change a destination; a Delete when nothing is left to set; or none.
 */
export type InvokeConfigWrite =
  | { put: PutFunctionEventInvokeConfigCommandInput }
  | { update: UpdateFunctionEventInvokeConfigCommandInput }
  | { delete: DeleteFunctionEventInvokeConfigCommandInput }
  | undefined;

export function invokeConfigWrite(
  spec: FunctionEventInvokeConfigSpec,
  actual: InvokeConfigState,
  changes: FieldChange[],
  region = spec.region,
): InvokeConfigWrite {
  if (changes.length === 0) return undefined;
  // A function named by ARN is addressed by ARN, so AWS changes it in that account and no other.
  const name = functionAddress(spec.functionName, region);
  const qualifier = qualifierOf(spec);
  const next = desiredState(spec, actual);
  if (isEmpty(next)) {
    // Every setting back to its default is the same as no config; Lambda rejects a Put that sets nothing.
    if (!actual.exists) return undefined;
    return {
      delete: qualifier === LATEST ? { FunctionName: name } : { FunctionName: name, Qualifier: qualifier },
    };
  }
  if (actual.exists && changes.every((c) => RETRY_FIELDS.includes(c.field))) {
    return { update: updateInput(name, qualifier, changes) };
  }
  return { put: putInput(name, qualifier, next) };
}

/** Region, bare name and qualifier: the same for every spelling of one function's config. */
function configPlace(spec: FunctionEventInvokeConfigSpec, region: string): string {
  return `${region}/${bareName(spec)}/${qualifierOf(spec)}`;
}

/** This resource's own planned read (one List of its function), for a fresh look just before a Put. */
async function readAgain(
  ctx: KindContext,
  resource: DesiredResource<FunctionEventInvokeConfigSpec>,
): Promise<InvokeConfigState> {
  const out: ReadResult<InvokeConfigState> = new Map();
  await readGroup(
    ctx,
    resource.region,
    functionAddress(resource.spec.functionName, resource.region),
    [resource],
    out,
  );
  const state = out.get(resource.identity);
  if (state === undefined)
    throw new ResourceError("ReadFailed", "the read returned no state for this resource");
  if (state instanceof ResourceError) throw state;
  return state;
}

/** Lambda refuses a Put that names a destination function that does not exist (recorded `put_destination_lambda_doesntexist`). */
function isMissingDestination(err: unknown): boolean {
  const e = err as { name?: string; message?: string };
  return (
    e.name === "InvalidParameterValueException" &&
    /^The destination ARN .* is invalid\.$/.test(e.message ?? "")
  );
}

function diffState(spec: FunctionEventInvokeConfigSpec, actual: InvokeConfigState): FieldChange[] {
  return diffManagedFields(spec, viewOf(actual), MANAGED, DEFAULTS);
}

export const functionEventInvokeConfig: Kind<FunctionEventInvokeConfigSpec, InvokeConfigState> = {
  kind: "FunctionEventInvokeConfig",
  specSchema: functionEventInvokeConfigSpecSchema,

  identity(spec, region) {
    return `${functionPlace(spec, region)}/${qualifierOf(spec)}`;
  },

  ownAccount,

  resolvedIdentity(_actual, resource) {
    // A resource is read only once its account is the caller's (the guard), so name and region say which function.
    return configPlace(resource.spec, resource.region);
  },

  peerScope: configPlace,

  provides(spec, region) {
    return typeof spec.onFailure === "string" ? [failurePathFact(region, bareName(spec))] : [];
  },

  readGroup(spec, region) {
    // One ListFunctionEventInvokeConfigs serves every qualifier of a function.
    return functionPlace(spec, region);
  },

  failureDestinations(spec) {
    return present([spec.onFailure]);
  },

  scope(spec) {
    // A destination function or queue receives the function's events, so it is in scope too.
    return scopeOf({ functions: [spec.functionName], refs: [spec.onSuccess, spec.onFailure] });
  },

  lint(spec, context): LintWarning[] {
    if (typeof spec.onFailure === "string") return [];
    if (context.provided(failurePathFact(context.region, bareName(spec)))) return [];
    const why =
      spec.onFailure === null
        ? "onFailure is null"
        : "onFailure is not set in this manifest (one set outside it is kept)";
    return [
      {
        code: "AsyncNoFailureDestination",
        message: `${why}: events that fail every retry or exceed maximumEventAgeInSeconds are discarded; add an onFailure destination or a FunctionDeadLetterConfig for this function`,
        path: ["onFailure"],
      },
    ];
  },

  async read(ctx, resources) {
    const out: ReadResult<InvokeConfigState> = new Map();
    const groups = new Map<string, { region: string; name: string; members: typeof resources }>();
    for (const r of resources) {
      const mismatch = regionMismatch(r.spec, r.region);
      if (mismatch) {
        out.set(r.identity, mismatch);
        continue;
      }
      const name = functionAddress(r.spec.functionName, r.region);
      const key = `${r.region}\u0000${name}`;
      const group = groups.get(key) ?? { region: r.region, name, members: [] };
      group.members.push(r);
      groups.set(key, group);
    }
    await readEach(groups.values(), (g) => readGroup(ctx, g.region, g.name, g.members, out));
    return out;
  },

  diff: diffState,

  creates(actual) {
    return !actual.exists;
  },

  async apply(ctx, resource, actual, changes) {
    const name = bareName(resource.spec);
    const qualifier = qualifierOf(resource.spec);
    let write = invokeConfigWrite(resource.spec, actual, changes, resource.region);
    if (write && "put" in write) {
      // Put replaces the whole config and the batch read may be many seconds old: re-read this one
      // config just before, so a setting changed meanwhile (an onSuccess set by a deploy) survives.
      const fresh = await readAgain(ctx, resource);
      write = invokeConfigWrite(resource.spec, fresh, diffState(resource.spec, fresh), resource.region);
    }
    const client = ctx.aws.lambda(resource.region);
    try {
      if (write && "put" in write) await client.send(new PutFunctionEventInvokeConfigCommand(write.put));
      else if (write && "update" in write)
        await client.send(new UpdateFunctionEventInvokeConfigCommand(write.update));
      else if (write) await client.send(new DeleteFunctionEventInvokeConfigCommand(write.delete));
    } catch (err) {
      const where = `event invoke config of ${name}:${qualifier}`;
      if (isMissingDestination(err)) {
        throw new ResourceError(
          "DestinationNotFound",
          `${where}: ${(err as Error).message} A Lambda destination must exist before a config names it; a Put also re-sends the destination this manifest does not manage`,
          "terminal",
          { cause: err },
        );
      }
      if (!isNotFound(err)) throw classifyAwsError(err, where);
      if (write && "delete" in write) return; // deleted meanwhile: already what the manifest asks for
      if (write && "update" in write) {
        // The config went away since the read; the next read plans a Put that creates it.
        throw new ResourceError(
          "InvokeConfigGone",
          `the event invoke config of ${name}:${qualifier} was deleted since it was read`,
          "transient",
          { cause: err },
        );
      }
      throw qualifier === LATEST
        ? new ResourceError(
            "FunctionNotFound",
            `function ${name} does not exist in ${resource.region}`,
            "terminal",
            { cause: err },
          )
        : new ResourceError(
            "QualifierNotFound",
            `function ${name} or its version/alias ${qualifier} does not exist`,
            "terminal",
            {
              cause: err,
            },
          );
    }
  },
};
