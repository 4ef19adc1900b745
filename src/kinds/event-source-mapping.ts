import { UpdateEventSourceMappingCommand } from "@aws-sdk/client-lambda";
import { functionName, parseFunctionRef } from "../aws/arn.js";
import { classifyAwsError, isNotFound, ResourceError } from "../aws/errors.js";
import { identityPlace, type NamedAccount, specAccount } from "./account.js";
import {
  defaultsFor,
  type EventSourceMappingActual,
  type EventSourceMappingSpec,
  eventSourceMappingSpecSchema,
  fieldsFor,
  invalidForSource,
  isStream,
  type ManagedField,
  normalisedSpec,
  sourceIssues,
  sourceTypeOf,
  updateInput,
} from "./event-source-mapping-model.js";
import { readMappings } from "./event-source-mapping-read.js";
import { diffManagedFields } from "./fields.js";
import type { Kind, LintWarning } from "./kind.js";
import { present, scopeOf } from "./scope.js";

export type { EventSourceMappingActual, EventSourceMappingSpec } from "./event-source-mapping-model.js";

/** States in which Lambda refuses an update with ResourceInUseException. */
const IN_MOTION = new Set(["Creating", "Updating", "Enabling", "Disabling", "Deleting"]);

/** A function reference as a stable key: name plus qualifier, `$LATEST` being no qualifier (as when matching). */
function functionKey(functionName: string): string {
  const ref = parseFunctionRef(functionName);
  if (!ref) return functionName;
  return ref.qualifier === undefined || ref.qualifier === "$LATEST"
    ? ref.name
    : `${ref.name}:${ref.qualifier}`;
}

/** The mapping lives in its function's account (its source may be another account's queue or stream). */
function ownAccount(spec: EventSourceMappingSpec): NamedAccount | undefined {
  const account = parseFunctionRef(spec.functionName)?.account;
  return account === undefined ? undefined : { account, field: "functionName" };
}

const unbounded = (v: number | null | undefined) => v === undefined || v === null || v === -1;

function lint(spec: EventSourceMappingSpec): LintWarning[] {
  const source = sourceTypeOf(spec.eventSourceArn);
  // A uuid-only manifest has no source until it is read; read validates it then.
  if (!source) return [];
  const warnings: LintWarning[] = [];
  if (isStream(source) && typeof spec.onFailure !== "string") {
    warnings.push({
      code: "StreamNoFailureDestination",
      message:
        "stream mapping without an onFailure destination: records Lambda gives up on are dropped without a trace; " +
        "set onFailure to an SQS queue, SNS topic or S3 bucket ARN",
      path: spec.onFailure === null ? ["onFailure"] : [],
    });
  }
  if (isStream(source) && unbounded(spec.maximumRetryAttempts) && unbounded(spec.maximumRecordAgeInSeconds)) {
    const field = ["maximumRetryAttempts", "maximumRecordAgeInSeconds"].find(
      (f) => spec[f as ManagedField] !== undefined,
    );
    warnings.push({
      code: "StreamUnboundedRetries",
      message:
        "unlimited retries and unlimited record age (-1, the default): a poison record blocks its shard until it " +
        "expires from the stream; set maximumRetryAttempts or maximumRecordAgeInSeconds",
      path: field ? [field] : [],
    });
  }
  const window = spec.maximumBatchingWindowInSeconds;
  if (source === "sqs" && typeof spec.batchSize === "number" && spec.batchSize > 10 && window === undefined) {
    warnings.push({
      code: "SqsBatchSizeNeedsWindow",
      message:
        "batchSize above 10 on SQS needs maximumBatchingWindowInSeconds of at least 1, which this manifest " +
        "leaves to AWS; set it here so the update does not depend on the mapping's current window",
      path: ["batchSize"],
    });
  }
  return warnings;
}

export const eventSourceMapping: Kind<EventSourceMappingSpec, EventSourceMappingActual> = {
  kind: "EventSourceMapping",
  specSchema: eventSourceMappingSpecSchema,

  identity(spec, region) {
    const place = identityPlace(region, specAccount({ ownAccount }, spec));
    if (spec.uuid !== undefined) return `${place}/${spec.uuid}`;
    return `${place}/${functionKey(spec.functionName)}/${spec.eventSourceArn}`;
  },

  ownAccount,

  resolvedIdentity(actual, resource) {
    // By uuid or by function and source, one mapping is one UUID.
    return `${resource.region}/${actual.uuid}`;
  },

  peerScope(spec, region) {
    // By uuid or by source, a manifest names its function too (a mapping of another function is MappingMismatch).
    return `${region}/${functionName(spec.functionName)}`;
  },

  actualScope(actual) {
    // A uuid-only manifest names its source only through the mapping read.
    return scopeOf({ functions: [actual.functionArn], refs: [actual.eventSourceArn] });
  },

  readGroup(spec, region) {
    // Mappings named by source are found in the region's listing (one page per 100);
    // a uuid-only manifest is read by its own GetEventSourceMapping.
    return spec.eventSourceArn !== undefined ? region : `${region}/${spec.uuid}`;
  },

  failureDestinations(spec) {
    return present([spec.onFailure]);
  },

  scope(spec) {
    // An SQS source queue counts as a queue; a uuid-only manifest names no source until it is read.
    return scopeOf({ functions: [spec.functionName], refs: [spec.eventSourceArn, spec.onFailure] });
  },

  lint,

  read(ctx, resources) {
    return readMappings(ctx, resources);
  },

  diff(spec, actual) {
    const issues = sourceIssues(spec, actual.source);
    if (issues.length > 0) throw invalidForSource(actual, issues);
    return diffManagedFields(
      normalisedSpec(spec),
      actual.view,
      fieldsFor(actual.source),
      defaultsFor(actual.source),
    );
  },

  creates() {
    return false;
  },

  async apply(ctx, resource, actual, changes) {
    if (IN_MOTION.has(actual.state)) {
      throw new ResourceError("ResourceInUse", `mapping ${actual.uuid} is ${actual.state}`, "waiting");
    }
    const input = updateInput(actual.uuid, changes);
    if (Object.keys(input).length === 1) return;
    try {
      await ctx.aws.lambda(resource.region).send(new UpdateEventSourceMappingCommand(input));
    } catch (err) {
      if (isNotFound(err)) {
        throw new ResourceError("MappingNotFound", `mapping ${actual.uuid} no longer exists`, "terminal", {
          cause: err,
        });
      }
      throw classifyAwsError(err, `updating event source mapping ${actual.uuid}`);
    }
  },
};
