import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { motoEndpoint } from "./aws.js";
import {
  type ApiCall,
  identify,
  lambdaError,
  serverErrorResponse,
  throttleResponse,
  type WireResponse,
} from "./aws-wire.js";

/** Selects requests by service (SigV4 signing name: lambda, sqs, events, …) and optionally operation. */
export interface Match {
  service?: string;
  operation?: string;
}

/**
 * Faults the proxy injects, each off unless set. Counted faults (`count`) are
 * used up one per matching request. Set with `proxy.set`, which merges; set a
 * fault to `undefined` to switch it off.
 */
export interface FaultSettings {
  /** Lambda's shared control-plane quota: a token bucket over every Lambda call but GetFunction and Invoke. */
  lambdaQuota?: { rps: number; burst?: number };
  /** The next `count` matching requests are throttled the way their service throttles. */
  throttle?: Match & { service: string; count: number };
  /** An Update/Delete of an ESM within N ms of its last successful Create/Update is ResourceInUseException. */
  esmInUseMs?: number;
  /** An UpdateFunctionConfiguration/Code within N ms of the last successful one is ResourceConflictException. */
  functionConflictMs?: number;
  /** The next `count` PutTargets calls answer 200 with every entry failed (ConcurrentModificationException). */
  failedEntries?: { count: number };
  /** The next `count` matching requests answer this 5xx. */
  http5xx?: Match & { status: 500 | 503; count: number };
  /** Delay added before forwarding every request. */
  latencyMs?: number;
  /** The next `count` matching requests get their connection destroyed without an answer. */
  dropConnections?: Match & { count: number };
}

export type FaultKind =
  | "lambdaQuota"
  | "throttle"
  | "esmInUse"
  | "functionConflict"
  | "failedEntries"
  | "http5xx"
  | "dropConnections";

export interface RequestRecord {
  service: string;
  operation: string;
  region: string;
  /** Epoch ms when the request arrived. */
  at: number;
  /** HTTP status sent back (0 for a dropped connection). */
  status: number;
  /** The fault injected instead of forwarding, if any. */
  fault?: FaultKind;
}

export interface Injection {
  fault: FaultKind;
  service: string;
  operation: string;
  at: number;
}

const NO_QUOTA_OPERATIONS = new Set(["GetFunction", "Invoke", "InvokeAsync"]);

/**
 * An HTTP proxy between the SDK and moto that counts every call per service
 * and operation and injects, on demand, what AWS does under load and during
 * changes (testing.md, "A fault proxy"), in the wire format each service uses.
 */
export class FaultProxy {
  readonly #server: Server;
  readonly #target: URL;
  #faults: FaultSettings = {};
  #records: RequestRecord[] = [];
  #injections: Injection[] = [];
  #tokens = 0;
  #tokensAt = 0;
  // Per ESM UUID / function name: when the last successful change finished, and what it was.
  readonly #esmBusy = new Map<string, { until: number; state: "Creating" | "Updating" }>();
  readonly #functionBusy = new Map<string, number>();

  private constructor(server: Server, target: string) {
    this.#server = server;
    this.#target = new URL(target);
  }

  /** Starts a proxy on a free loopback port forwarding to `target` (default: the test moto). */
  static async start(target: string = motoEndpoint()): Promise<FaultProxy> {
    let proxy: FaultProxy | undefined;
    const server = createServer((req, res) => {
      proxy?.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
        res.end(String(err));
      });
    });
    proxy = new FaultProxy(server, target);
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    return proxy;
  }

  /** The URL to give SDK clients (`testAwsClients({ endpoint: proxy.endpoint })`). */
  get endpoint(): string {
    const { port } = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** Merges fault settings; a key set to `undefined` switches that fault off. */
  set(faults: FaultSettings): void {
    const next: FaultSettings = { ...this.#faults };
    for (const [key, value] of Object.entries(faults) as [keyof FaultSettings, unknown][]) {
      if (value === undefined) delete next[key];
      else (next as Record<string, unknown>)[key] = typeof value === "object" ? { ...value } : value;
    }
    if (faults.lambdaQuota) {
      this.#tokens = faults.lambdaQuota.burst ?? faults.lambdaQuota.rps;
      this.#tokensAt = Date.now();
    }
    this.#faults = next;
  }

  /** The faults currently on (counted faults show what is left). */
  get faults(): Readonly<FaultSettings> {
    return this.#faults;
  }

  /** Requests seen per `service.operation`, injected faults included. */
  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.#records) {
      const key = `${r.service}.${r.operation}`;
      out[key] = (out[key] ?? 0) + 1;
    }
    return out;
  }

  /** Requests seen matching a service (and operation). */
  count(match: Match = {}): number {
    return this.#records.filter((r) => matches(match, r)).length;
  }

  /** Every request seen, in arrival order. */
  requests(): readonly RequestRecord[] {
    return this.#records;
  }

  /** Faults injected, per kind. */
  injected(): Record<FaultKind, number> {
    const out: Record<FaultKind, number> = {
      lambdaQuota: 0,
      throttle: 0,
      esmInUse: 0,
      functionConflict: 0,
      failedEntries: 0,
      http5xx: 0,
      dropConnections: 0,
    };
    for (const i of this.#injections) out[i.fault]++;
    return out;
  }

  /** Every injected fault, in order. */
  injections(): readonly Injection[] {
    return this.#injections;
  }

  /** The most requests matching `match` that arrived within any `windowMs` span (for rate assertions). */
  maxInWindow(match: Match = {}, windowMs = 1000): number {
    const times = this.#records.filter((r) => matches(match, r)).map((r) => r.at);
    let best = 0;
    let start = 0;
    for (let end = 0; end < times.length; end++) {
      while ((times[end] ?? 0) - (times[start] ?? 0) >= windowMs) start++;
      best = Math.max(best, end - start + 1);
    }
    return best;
  }

  /** Switches every fault off and forgets counts, injections and busy windows. */
  reset(): void {
    this.#faults = {};
    this.#records = [];
    this.#injections = [];
    this.#esmBusy.clear();
    this.#functionBusy.clear();
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve, reject) =>
      this.#server.close((err) => (err ? reject(err) : resolve())),
    );
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = Date.now();
    const body = await readAll(req);
    const call = identify(req.method ?? "GET", req.url ?? "/", req.headers, body);
    const record: RequestRecord = {
      service: call.service,
      operation: call.operation,
      region: call.region,
      at,
      status: 0,
    };
    this.#records.push(record);

    if (this.#faults.latencyMs) await sleep(this.#faults.latencyMs);

    const fault = this.#pickFault(call, body, at);
    if (fault) {
      record.fault = fault.kind;
      this.#injections.push({ fault: fault.kind, service: call.service, operation: call.operation, at });
      if (fault.response === "drop") {
        req.socket.destroy();
        return;
      }
      record.status = fault.response.status;
      send(res, fault.response);
      return;
    }

    const upstream = await this.#forward(req, body);
    const response = this.#afterForward(call, upstream);
    record.status = response.status;
    send(res, response);
  }

  #pickFault(
    call: ApiCall,
    body: Buffer,
    now: number,
  ): { kind: FaultKind; response: WireResponse | "drop" } | undefined {
    const f = this.#faults;
    if (f.dropConnections && f.dropConnections.count > 0 && matches(f.dropConnections, call)) {
      f.dropConnections.count--;
      return { kind: "dropConnections", response: "drop" };
    }
    if (f.http5xx && f.http5xx.count > 0 && matches(f.http5xx, call)) {
      f.http5xx.count--;
      return { kind: "http5xx", response: serverErrorResponse(call.service, f.http5xx.status) };
    }
    if (f.throttle && f.throttle.count > 0 && matches(f.throttle, call)) {
      f.throttle.count--;
      return { kind: "throttle", response: throttleResponse(call.service) };
    }
    if (f.lambdaQuota && call.service === "lambda" && !NO_QUOTA_OPERATIONS.has(call.operation)) {
      const retryAfter = this.#takeToken(f.lambdaQuota, now);
      if (retryAfter > 0) return { kind: "lambdaQuota", response: throttleResponse("lambda", retryAfter) };
    }
    if (f.esmInUseMs !== undefined && call.service === "lambda") {
      const uuid = call.params.UUID;
      const busy = uuid ? this.#esmBusy.get(uuid) : undefined;
      const verb = call.operation === "UpdateEventSourceMapping" ? "update" : "delete";
      if (busy && now < busy.until && /^(Update|Delete)EventSourceMapping$/.test(call.operation)) {
        const message = `Cannot ${verb} the event source mapping because it is in use.`;
        return { kind: "esmInUse", response: lambdaError("ResourceInUseException", 400, message) };
      }
    }
    if (f.functionConflictMs !== undefined && isFunctionUpdate(call.operation)) {
      const name = functionNameOf(call);
      const until = this.#functionBusy.get(name);
      if (until !== undefined && now < until) {
        const message = `The operation cannot be performed at this time. An update is in progress for resource: ${functionArn(call, name)}`;
        return { kind: "functionConflict", response: lambdaError("ResourceConflictException", 409, message) };
      }
    }
    if (
      f.failedEntries &&
      f.failedEntries.count > 0 &&
      call.service === "events" &&
      call.operation === "PutTargets"
    ) {
      f.failedEntries.count--;
      return { kind: "failedEntries", response: failedPutTargets(body) };
    }
    return undefined;
  }

  /** Returns 0 when a token was taken, else the whole seconds until one is available. */
  #takeToken(quota: { rps: number; burst?: number }, now: number): number {
    const capacity = quota.burst ?? quota.rps;
    this.#tokens = Math.min(capacity, this.#tokens + ((now - this.#tokensAt) / 1000) * quota.rps);
    this.#tokensAt = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - this.#tokens) / quota.rps));
  }

  #forward(req: IncomingMessage, body: Buffer): Promise<WireResponse> {
    return new Promise((resolve, reject) => {
      const headers = { ...req.headers, host: this.#target.host, "content-length": String(body.length) };
      delete headers["transfer-encoding"];
      delete headers.connection;
      const upstream = request(
        {
          hostname: this.#target.hostname,
          port: this.#target.port,
          method: req.method,
          path: req.url,
          headers,
        },
        (res) => {
          readAll(res).then((buf) => {
            const out: Record<string, string> = {};
            for (const [k, v] of Object.entries(res.headers)) {
              if (v === undefined || k === "connection" || k === "transfer-encoding") continue;
              out[k] = Array.isArray(v) ? v.join(", ") : v;
            }
            resolve({ status: res.statusCode ?? 502, headers: out, body: buf.toString("utf8") });
          }, reject);
        },
      );
      upstream.on("error", reject);
      upstream.end(body);
    });
  }

  /** Starts busy windows after successful changes and shows them in reads, as AWS does. */
  #afterForward(call: ApiCall, res: WireResponse): WireResponse {
    const ok = res.status >= 200 && res.status < 300;
    const now = Date.now();
    const f = this.#faults;
    if (call.service !== "lambda" || !ok) return res;

    if (f.esmInUseMs !== undefined) {
      if (call.operation === "CreateEventSourceMapping" || call.operation === "UpdateEventSourceMapping") {
        const state = call.operation === "CreateEventSourceMapping" ? "Creating" : "Updating";
        const parsed = parseJson(res.body);
        const uuid = typeof parsed?.UUID === "string" ? parsed.UUID : undefined;
        if (uuid && parsed) {
          this.#esmBusy.set(uuid, { until: now + f.esmInUseMs, state });
          parsed.State = state;
          return withBody(res, parsed);
        }
      }
      if (call.operation === "GetEventSourceMapping" || call.operation === "ListEventSourceMappings") {
        return this.#showEsmStates(res, now);
      }
    }

    if (f.functionConflictMs !== undefined) {
      const name = functionNameOf(call);
      if (isFunctionUpdate(call.operation)) {
        this.#functionBusy.set(name, now + f.functionConflictMs);
        return rewriteConfiguration(res, call.operation, "InProgress");
      }
      const until = this.#functionBusy.get(name);
      const readsConfig = call.operation === "GetFunction" || call.operation === "GetFunctionConfiguration";
      if (readsConfig && until !== undefined && now < until) {
        return rewriteConfiguration(res, call.operation, "InProgress");
      }
    }
    return res;
  }

  #showEsmStates(res: WireResponse, now: number): WireResponse {
    const parsed = parseJson(res.body);
    if (!parsed) return res;
    const mappings = Array.isArray(parsed.EventSourceMappings) ? parsed.EventSourceMappings : [parsed];
    let changed = false;
    for (const m of mappings as Record<string, unknown>[]) {
      const busy = typeof m.UUID === "string" ? this.#esmBusy.get(m.UUID) : undefined;
      if (busy && now < busy.until) {
        m.State = busy.state;
        changed = true;
      }
    }
    return changed ? withBody(res, parsed) : res;
  }
}

/** Shorthand for `FaultProxy.start`. */
export function startFaultProxy(target?: string): Promise<FaultProxy> {
  return FaultProxy.start(target);
}

function matches(match: Match, call: { service: string; operation: string }): boolean {
  return (
    (match.service === undefined || match.service === call.service) &&
    (match.operation === undefined || match.operation === call.operation)
  );
}

function isFunctionUpdate(operation: string): boolean {
  return operation === "UpdateFunctionConfiguration" || operation === "UpdateFunctionCode";
}

/** The bare function name, whatever form the path used (name, ARN, partial ARN, `:qualifier`). */
function functionNameOf(call: ApiCall): string {
  const ref = call.params.FunctionName ?? "";
  const rest = ref.includes(":function:") ? (ref.split(":function:")[1] ?? "") : ref;
  return rest.split(":")[0] ?? rest;
}

function functionArn(call: ApiCall, name: string): string {
  return `arn:aws:lambda:${call.region}:123456789012:function:${name}`;
}

function failedPutTargets(body: Buffer): WireResponse {
  const input = parseJson(body.toString("utf8"));
  const targets = Array.isArray(input?.Targets) ? (input.Targets as { Id?: string }[]) : [];
  const entries = targets.map((t) => ({
    TargetId: t.Id,
    ErrorCode: "ConcurrentModificationException",
    ErrorMessage: "Another operation is in progress for this rule. Try again later.",
  }));
  return {
    status: 200,
    headers: { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": randomUUID() },
    body: JSON.stringify({ FailedEntryCount: entries.length, FailedEntries: entries }),
  };
}

function rewriteConfiguration(res: WireResponse, operation: string, status: string): WireResponse {
  const parsed = parseJson(res.body);
  if (!parsed) return res;
  const config = (operation === "GetFunction" ? parsed.Configuration : parsed) as
    | Record<string, unknown>
    | undefined;
  if (!config) return res;
  config.LastUpdateStatus = status;
  return withBody(res, parsed);
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === "object" ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function withBody(res: WireResponse, body: unknown): WireResponse {
  return { ...res, body: JSON.stringify(body) };
}

function send(res: ServerResponse, wire: WireResponse): void {
  const payload = Buffer.from(wire.body, "utf8");
  const headers: Record<string, string> = { ...wire.headers, "content-length": String(payload.length) };
  // moto leaks a pseudo-header `status`; AWS sends no such header.
  delete headers.status;
  res.writeHead(wire.status, headers);
  res.end(payload);
}

function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => resolve(Buffer.concat(chunks)));
    stream.on("error", reject);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
