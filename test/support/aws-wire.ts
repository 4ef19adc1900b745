import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

/** Which AWS API a request is: service from the SigV4 credential scope, operation from the protocol. */
export interface ApiCall {
  service: string;
  region: string;
  operation: string;
  /** Path parameters of Lambda rest-json calls, decoded (FunctionName, UUID, …). */
  params: Record<string, string>;
  /**
   * The object the call addresses, when one can be told from the request:
   * `function:<name>[:<qualifier>]`, `esm:<uuid>`, `queue:<name>`,
   * `rule:<bus>/<rule>[/<target ids>]`, `subscription:<arn>`, `scheduler:<name>`,
   * `pipes:<name>`, `role:<role ARN>` for STS AssumeRole (so tests can count calls per resource).
   */
  resource?: string;
}

// Lambda rest-json routes (method, path template → operation), from the SDK's own operation list.
const LAMBDA_ROUTES: [string, string, string][] = [
  ["GET", "/2015-03-31/functions/", "ListFunctions"],
  ["POST", "/2015-03-31/functions", "CreateFunction"],
  ["GET", "/2015-03-31/functions/{FunctionName}", "GetFunction"],
  ["DELETE", "/2015-03-31/functions/{FunctionName}", "DeleteFunction"],
  ["GET", "/2015-03-31/functions/{FunctionName}/configuration", "GetFunctionConfiguration"],
  ["PUT", "/2015-03-31/functions/{FunctionName}/configuration", "UpdateFunctionConfiguration"],
  ["PUT", "/2015-03-31/functions/{FunctionName}/code", "UpdateFunctionCode"],
  ["POST", "/2015-03-31/functions/{FunctionName}/versions", "PublishVersion"],
  ["GET", "/2015-03-31/functions/{FunctionName}/versions", "ListVersionsByFunction"],
  ["POST", "/2015-03-31/functions/{FunctionName}/aliases", "CreateAlias"],
  ["GET", "/2015-03-31/functions/{FunctionName}/aliases", "ListAliases"],
  ["GET", "/2015-03-31/functions/{FunctionName}/aliases/{Name}", "GetAlias"],
  ["PUT", "/2015-03-31/functions/{FunctionName}/aliases/{Name}", "UpdateAlias"],
  ["DELETE", "/2015-03-31/functions/{FunctionName}/aliases/{Name}", "DeleteAlias"],
  ["POST", "/2015-03-31/functions/{FunctionName}/invocations", "Invoke"],
  ["POST", "/2014-11-13/functions/{FunctionName}/invoke-async", "InvokeAsync"],
  ["GET", "/2015-03-31/functions/{FunctionName}/policy", "GetPolicy"],
  ["POST", "/2015-03-31/functions/{FunctionName}/policy", "AddPermission"],
  ["DELETE", "/2015-03-31/functions/{FunctionName}/policy/{StatementId}", "RemovePermission"],
  ["POST", "/2015-03-31/event-source-mappings", "CreateEventSourceMapping"],
  ["GET", "/2015-03-31/event-source-mappings", "ListEventSourceMappings"],
  ["GET", "/2015-03-31/event-source-mappings/{UUID}", "GetEventSourceMapping"],
  ["PUT", "/2015-03-31/event-source-mappings/{UUID}", "UpdateEventSourceMapping"],
  ["DELETE", "/2015-03-31/event-source-mappings/{UUID}", "DeleteEventSourceMapping"],
  ["PUT", "/2019-09-25/functions/{FunctionName}/event-invoke-config", "PutFunctionEventInvokeConfig"],
  ["POST", "/2019-09-25/functions/{FunctionName}/event-invoke-config", "UpdateFunctionEventInvokeConfig"],
  ["GET", "/2019-09-25/functions/{FunctionName}/event-invoke-config", "GetFunctionEventInvokeConfig"],
  ["DELETE", "/2019-09-25/functions/{FunctionName}/event-invoke-config", "DeleteFunctionEventInvokeConfig"],
  ["GET", "/2019-09-25/functions/{FunctionName}/event-invoke-config/list", "ListFunctionEventInvokeConfigs"],
  ["PUT", "/2017-10-31/functions/{FunctionName}/concurrency", "PutFunctionConcurrency"],
  ["DELETE", "/2017-10-31/functions/{FunctionName}/concurrency", "DeleteFunctionConcurrency"],
  ["GET", "/2019-09-30/functions/{FunctionName}/concurrency", "GetFunctionConcurrency"],
  ["GET", "/2017-03-31/tags/{Resource}", "ListTags"],
  ["POST", "/2017-03-31/tags/{Resource}", "TagResource"],
  ["DELETE", "/2017-03-31/tags/{Resource}", "UntagResource"],
  ["GET", "/2016-08-19/account-settings", "GetAccountSettings"],
];

// Scheduler and Pipes rest-json routes used by retryctl and the tests' seeding (the SDKs' operation lists).
const REST_ROUTES: Record<string, [string, string, string][]> = {
  scheduler: [
    ["GET", "/schedules/{Name}", "GetSchedule"],
    ["PUT", "/schedules/{Name}", "UpdateSchedule"],
    ["POST", "/schedules/{Name}", "CreateSchedule"],
    ["DELETE", "/schedules/{Name}", "DeleteSchedule"],
    ["GET", "/schedules", "ListSchedules"],
  ],
  pipes: [
    ["GET", "/v1/pipes/{Name}", "DescribePipe"],
    ["PUT", "/v1/pipes/{Name}", "UpdatePipe"],
    ["POST", "/v1/pipes/{Name}", "CreatePipe"],
    ["DELETE", "/v1/pipes/{Name}", "DeletePipe"],
    ["GET", "/v1/pipes", "ListPipes"],
  ],
};

function compile(routes: [string, string, string][]) {
  return routes.map(([method, template, operation]) => {
    const names: string[] = [];
    const source = template
      .replace(/\/$/, "")
      .split("/")
      .map((part) => {
        const m = /^\{(\w+)\}$/.exec(part);
        if (!m?.[1]) return part.replace(/[.*+?^$()|[\]\\-]/g, "\\$&");
        names.push(m[1]);
        return "([^/]+)";
      })
      .join("/");
    return { method, re: new RegExp(`^${source}/?$`), names, operation };
  });
}

const COMPILED = compile(LAMBDA_ROUTES);
const REST_COMPILED = new Map(
  Object.entries(REST_ROUTES).map(([service, routes]) => [service, compile(routes)]),
);

function lambdaOperation(
  method: string,
  path: string,
  routes = COMPILED,
): { operation: string; params: Record<string, string> } {
  for (const route of routes) {
    if (route.method !== method) continue;
    const m = route.re.exec(path);
    if (!m) continue;
    const params: Record<string, string> = {};
    route.names.forEach((name, i) => {
      params[name] = decodeURIComponent(m[i + 1] ?? "");
    });
    return { operation: route.operation, params };
  }
  return { operation: `Unknown(${method} ${path})`, params: {} };
}

/** Service and region from `Authorization: AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request`. */
export function credentialScope(headers: IncomingHttpHeaders): { service: string; region: string } {
  const auth = headers.authorization ?? "";
  const m = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(auth);
  return { region: m?.[1] ?? "unknown", service: m?.[2] ?? "unknown" };
}

/** Identifies the API call; `body` is needed only for query-protocol services (IAM, STS). */
export function identify(method: string, url: string, headers: IncomingHttpHeaders, body: Buffer): ApiCall {
  const { service, region } = credentialScope(headers);
  const [path = "/", query = ""] = url.split("?");
  if (service === "lambda") {
    const call: ApiCall = { service, region, ...lambdaOperation(method, path) };
    const resource = lambdaResource(call.params, new URLSearchParams(query).get("Qualifier"));
    if (resource) call.resource = resource;
    return call;
  }
  const rest = REST_COMPILED.get(service);
  if (rest) {
    const call: ApiCall = { service, region, ...lambdaOperation(method, path, rest) };
    if (call.params.Name) call.resource = `${service}:${call.params.Name}`;
    return call;
  }
  const target = headers["x-amz-target"];
  if (typeof target === "string" && target.includes(".")) {
    const call: ApiCall = {
      service,
      region,
      operation: target.slice(target.lastIndexOf(".") + 1),
      params: {},
    };
    const resource = jsonResource(service, body);
    if (resource) call.resource = resource;
    return call;
  }
  const form = new URLSearchParams(body.toString("utf8"));
  const action = form.get("Action");
  const call: ApiCall = { service, region, operation: action ?? `Unknown(${method} ${path})`, params: {} };
  const subscription = service === "sns" ? form.get("SubscriptionArn") : null;
  if (subscription) call.resource = `subscription:${subscription}`;
  const role = action === "AssumeRole" ? form.get("RoleArn") : null;
  if (role) call.resource = `role:${role}`;
  return call;
}

function lambdaResource(params: Record<string, string>, qualifier: string | null): string | undefined {
  if (params.UUID) return `esm:${params.UUID}`;
  const ref = params.FunctionName;
  if (!ref) return undefined;
  const rest = ref.includes(":function:") ? (ref.split(":function:")[1] ?? "") : ref;
  const [name = rest, inName] = rest.split(":");
  const q = inName ?? qualifier ?? undefined;
  return q ? `function:${name}:${q}` : `function:${name}`;
}

function jsonResource(service: string, body: Buffer): string | undefined {
  let input: Record<string, unknown>;
  try {
    input = JSON.parse(body.toString("utf8") || "{}") as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (service === "sqs") {
    const url = typeof input.QueueUrl === "string" ? input.QueueUrl : undefined;
    const name = url ? url.replace(/\/+$/, "").split("/").pop() : input.QueueName;
    return typeof name === "string" ? `queue:${name}` : undefined;
  }
  if (service === "events" && typeof input.Rule === "string") {
    const bus = typeof input.EventBusName === "string" ? input.EventBusName : "default";
    const ids = Array.isArray(input.Targets)
      ? (input.Targets as { Id?: unknown }[]).map((t) => String(t.Id))
      : Array.isArray(input.Ids)
        ? (input.Ids as unknown[]).map(String)
        : [];
    return ids.length > 0 ? `rule:${bus}/${input.Rule}/${ids.join(",")}` : `rule:${bus}/${input.Rule}`;
  }
  return undefined;
}

/** A complete HTTP response the proxy sends instead of (or after) moto's. */
export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function requestId(): string {
  return randomUUID();
}

/** Lambda rest-json error: the shape's status, `X-Amzn-ErrorType`, body with the model's member casing. */
export function lambdaError(
  type: string,
  status: number,
  message: string,
  extra: { headers?: Record<string, string>; body?: Record<string, unknown> } = {},
): WireResponse {
  // ResourceNotFound, ResourceInUse and Service spell the member `Message`; the others `message`.
  const capital = ["ResourceNotFoundException", "ResourceInUseException", "ServiceException"].includes(type);
  const body = {
    ...extra.body,
    Type: status >= 500 ? "Service" : "User",
    [capital ? "Message" : "message"]: message,
  };
  return {
    status,
    headers: {
      "content-type": "application/json",
      "x-amzn-errortype": type,
      "x-amzn-requestid": requestId(),
      ...extra.headers,
    },
    body: JSON.stringify(body),
  };
}

/** awsJson 1.0 / 1.1 error; SQS (query-compatible) also names its legacy code in `x-amzn-query-error`. */
export function jsonError(
  service: string,
  type: string,
  status: number,
  message: string,
  queryCode?: string,
): WireResponse {
  const sqs = service === "sqs";
  const headers: Record<string, string> = {
    "content-type": sqs ? "application/x-amz-json-1.0" : "application/x-amz-json-1.1",
    "x-amzn-requestid": requestId(),
  };
  if (sqs && queryCode) headers["x-amzn-query-error"] = queryCode;
  const fullType = sqs ? `com.amazonaws.sqs#${type}` : type;
  return { status, headers, body: JSON.stringify({ __type: fullType, message }) };
}

/** rest-json (Scheduler, Pipes) error: the shape's status, `x-amzn-errortype`, `{ message }`. */
export function restJsonError(type: string, status: number, message: string): WireResponse {
  return {
    status,
    headers: {
      "content-type": "application/json",
      "x-amzn-errortype": type,
      "x-amzn-requestid": requestId(),
    },
    body: JSON.stringify({ message }),
  };
}

/** AWS query-protocol (IAM, STS, SNS) XML error. */
export function queryError(code: string, status: number, message: string): WireResponse {
  const id = requestId();
  return {
    status,
    headers: { "content-type": "text/xml", "x-amzn-requestid": id },
    body: `<ErrorResponse><Error><Type>${status >= 500 ? "Receiver" : "Sender"}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${id}</RequestId></ErrorResponse>`,
  };
}

const QUERY_SERVICES = new Set(["iam", "sts", "sns"]);

/** The throttling error each service sends (aws-reference.md §6.1, §0). */
export function throttleResponse(service: string, retryAfterSeconds = 1): WireResponse {
  if (service === "lambda") {
    return lambdaError("TooManyRequestsException", 429, "Rate exceeded", {
      headers: { "retry-after": String(retryAfterSeconds) },
      body: { Reason: "CallerRateLimitExceeded" },
    });
  }
  if (service === "sqs") {
    return jsonError("sqs", "RequestThrottled", 403, "Request is throttled.", "RequestThrottled;Sender");
  }
  if (QUERY_SERVICES.has(service)) return queryError("Throttling", 400, "Rate exceeded");
  if (REST_COMPILED.has(service)) return restJsonError("ThrottlingException", 429, "Rate exceeded");
  // The tagging API's own throttling shape (its API reference's GetResources errors).
  if (service === "tagging") return jsonError(service, "ThrottledException", 400, "Rate exceeded");
  return jsonError(service, "ThrottlingException", 400, "Rate exceeded");
}

/** A 500 or 503 in the service's protocol. */
export function serverErrorResponse(service: string, status: 500 | 503): WireResponse {
  const message = status === 500 ? "Internal error" : "Service unavailable";
  if (service === "lambda") {
    return lambdaError(status === 500 ? "ServiceException" : "ServiceUnavailableException", status, message);
  }
  if (service === "sqs") {
    return status === 500
      ? jsonError("sqs", "InternalError", 500, message, "InternalError;Receiver")
      : jsonError("sqs", "ServiceUnavailable", 503, message, "ServiceUnavailable;Receiver");
  }
  if (QUERY_SERVICES.has(service))
    return queryError(status === 500 ? "InternalFailure" : "ServiceUnavailable", status, message);
  if (REST_COMPILED.has(service))
    return restJsonError(
      status === 500 ? "InternalServerException" : "ServiceUnavailableException",
      status,
      message,
    );
  return jsonError(
    service,
    status === 500 ? "InternalException" : "ServiceUnavailableException",
    status,
    message,
  );
}

/** What is wrong with the request's credentials, as AWS answers it. */
export type CredentialFault = "unknown-key" | "expired" | "denied";

/**
 * AWS's answer to a request signed with an unknown access key, with expired
 * session credentials, or by an identity without the permission: Lambda's
 * rest-json 403s and STS's query-protocol errors (`ExpiredToken` is a 400 there).
 * Not among the recordings of aws-recorded-behaviour.md: codes and statuses as
 * the AWS API references list them (Lambda's errors, the common errors of the
 * query APIs), so the SDK classifies them as it would against AWS.
 */
export function credentialErrorResponse(service: "lambda" | "sts", fault: CredentialFault): WireResponse {
  const invalid = "The security token included in the request is invalid.";
  const expired = "The security token included in the request is expired";
  const denied = (action: string) =>
    `User: arn:aws:sts::123456789012:assumed-role/ops/session is not authorized to perform: ${action} because no identity-based policy allows the ${action} action`;
  if (service === "lambda") {
    if (fault === "unknown-key") return lambdaError("UnrecognizedClientException", 403, invalid);
    if (fault === "expired") return lambdaError("ExpiredTokenException", 403, expired);
    return lambdaError("AccessDeniedException", 403, denied("lambda:ListFunctionEventInvokeConfigs"));
  }
  if (fault === "unknown-key") return queryError("InvalidClientTokenId", 403, invalid);
  if (fault === "expired") return queryError("ExpiredToken", 400, expired);
  return queryError("AccessDenied", 403, denied("sts:GetCallerIdentity"));
}
