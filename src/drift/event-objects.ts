import { parseFunctionRef, queueName } from "../aws/arn.js";
import { busName } from "../kinds/event-target-retry-policy.js";
import { qualifierOf } from "../kinds/function-event-invoke-config.js";

type Params = Record<string, unknown>;
// biome-ignore lint/suspicious/noExplicitAny: each line reads the spec of its own kind.
type Spec = any;

/**
 * One write API and the managed kind it may change. `event` names the objects
 * the call touched (from its CloudTrail `requestParameters`, and
 * `responseElements` where only the answer names it); `manifest` names the
 * objects a manifest of `kind` manages, in the same terms (`resolved`: what its
 * last read resolved to, `Kind.resolvedIdentity`, such as a mapping's UUID). A
 * manifest is re-read when the two share a name, in the event's account and region.
 */
export interface DriftEventLine {
  kind: string;
  /** CloudTrail `eventSource`. */
  source: string;
  /** `eventName` prefixes: Lambda's carry API-version suffixes (`UpdateFunctionConfiguration20150331v2`). */
  events: readonly string[];
  event(request: Params, response: Params): string[];
  manifest(spec: Spec, resolved: string | undefined): string[];
}

/**
 * The write calls of every managed kind; a new kind adds its line here.
 * CloudTrail records `requestParameters` under the API's member names with a
 * lower-case first letter: SNS's own CloudTrail examples (SNS Developer Guide,
 * "Logging Amazon SNS API calls using CloudTrail") spell `topicArn`, and a
 * `Subscribe` record `subscriptionArn`; for Scheduler and Pipes (no example
 * entry in their guides) the members of the API reference, `Name` and
 * `GroupName` (a query parameter of DeleteSchedule), become `name` and `groupName`.
 */
export const DRIFT_EVENT_LINES: readonly DriftEventLine[] = [
  {
    kind: "FunctionDeadLetterConfig",
    source: "lambda.amazonaws.com",
    events: ["UpdateFunctionConfiguration"],
    event: (p) => [fnName(p.functionName)],
    manifest: (s) => [fnName(s.functionName)],
  },
  {
    kind: "FunctionEventInvokeConfig",
    source: "lambda.amazonaws.com",
    events: [
      "PutFunctionEventInvokeConfig",
      "UpdateFunctionEventInvokeConfig",
      "DeleteFunctionEventInvokeConfig",
    ],
    event: (p) => [
      `${fnName(p.functionName)}:${qualifierOf({ functionName: str(p.functionName), qualifier: optStr(p.qualifier) })}`,
    ],
    manifest: (s) => [`${fnName(s.functionName)}:${qualifierOf(s)}`],
  },
  {
    kind: "EventSourceMapping",
    source: "lambda.amazonaws.com",
    events: ["UpdateEventSourceMapping", "DeleteEventSourceMapping", "CreateEventSourceMapping"],
    // CloudTrail spells the mapping ID `uUID`; a create names it only in its answer.
    event: (p, r) => [mappingId(p), mappingId(r), mappingSource(p.functionName, p.eventSourceArn)],
    manifest: (s, resolved) => [
      mappingId({ uuid: s.uuid ?? resolved?.split("/").pop() }),
      mappingSource(s.functionName, s.eventSourceArn),
    ],
  },
  {
    kind: "QueueRedrivePolicy",
    source: "sqs.amazonaws.com",
    events: ["SetQueueAttributes"],
    event: (p) => [queueName(str(p.queueUrl))],
    manifest: (s) => [queueName(s.queue)],
  },
  {
    kind: "EventTargetRetryPolicy",
    source: "events.amazonaws.com",
    events: ["PutTargets", "RemoveTargets"],
    event: (p) => targetObjects(p),
    manifest: (s) => [
      `${busName(s.eventBusName)}/${s.rule}/${s.targetId}`,
      `${busName(s.eventBusName)}/${s.rule}/*`,
    ],
  },
  {
    kind: "SubscriptionRedrivePolicy",
    source: "sns.amazonaws.com",
    events: ["SetSubscriptionAttributes"],
    // A manifest named by topic and endpoint is matched through the ARN its last read resolved to.
    event: (p) => [str(p.subscriptionArn)],
    manifest: (s, resolved) => [s.subscriptionArn ?? resolved ?? ""],
  },
  {
    kind: "ScheduleRetryPolicy",
    source: "scheduler.amazonaws.com",
    // UpdateSchedule replaces the whole schedule, and so does a delete and create under the same name.
    events: ["UpdateSchedule", "CreateSchedule", "DeleteSchedule"],
    event: (p) => [scheduleObject(p.groupName, p.name)],
    manifest: (s) => [scheduleObject(s.groupName, s.scheduleName)],
  },
  {
    kind: "PipeRetryPolicy",
    source: "pipes.amazonaws.com",
    events: ["UpdatePipe"],
    event: (p) => [str(p.name)],
    manifest: (s) => [s.pipeName],
  },
];

/** The lines whose source and event name (by prefix) match a call. */
export function linesFor(source: string, eventName: string): DriftEventLine[] {
  return DRIFT_EVENT_LINES.filter(
    (l) => l.source === source && l.events.some((e) => eventName.startsWith(e)),
  );
}

/** The names an event gives, with the empty ones (a parameter the call did not carry) left out. */
export function eventObjects(line: DriftEventLine, request: Params, response: Params): Set<string> {
  return new Set(line.event(request, response).filter((n) => n !== ""));
}

function str(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function optStr(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function fnName(value: unknown): string {
  const s = str(value);
  return parseFunctionRef(s)?.name ?? s;
}

function mappingId(p: Params): string {
  const id = optStr(p.uUID) ?? optStr(p.uuid) ?? optStr(p.UUID);
  return id ? `uuid:${id}` : "";
}

/** A mapping by function (with its qualifier, as the mapping's FunctionArn keeps it) and source. */
function mappingSource(functionName: unknown, sourceArn: unknown): string {
  const ref = parseFunctionRef(str(functionName));
  const arn = str(sourceArn);
  if (!ref || arn === "") return "";
  const qualifier = ref.qualifier && ref.qualifier !== "$LATEST" ? `:${ref.qualifier}` : "";
  return `source:${ref.name}${qualifier}:${arn}`;
}

/** PutTargets names each target, RemoveTargets each ID; without either the whole rule may have changed. */
function targetObjects(p: Params): string[] {
  const rule = str(p.rule);
  if (rule === "") return [];
  const bus = busName(optStr(p.eventBusName));
  const ids: string[] = [];
  if (Array.isArray(p.targets)) {
    for (const t of p.targets) {
      const id = (t as { id?: unknown } | null)?.id;
      if (typeof id === "string") ids.push(id);
    }
  }
  if (Array.isArray(p.ids)) for (const id of p.ids) if (typeof id === "string") ids.push(id);
  return ids.length > 0 ? ids.map((id) => `${bus}/${rule}/${id}`) : [`${bus}/${rule}/*`];
}

/** A schedule by group (Scheduler's `default` when none is named) and name. */
function scheduleObject(group: unknown, name: unknown): string {
  const n = str(name);
  return n === "" ? "" : `${optStr(group) ?? "default"}/${n}`;
}
