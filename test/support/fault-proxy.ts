import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { motoEndpoint, TEST_ACCOUNT } from "./aws.js";
import {
  type ApiCall,
  type CredentialFault,
  credentialErrorResponse,
  identify,
  lambdaError,
  queryError,
  serverErrorResponse,
  throttleResponse,
  type WireResponse,
} from "./aws-wire.js";

/** Selects requests by service (SigV4 signing name: lambda, sqs, events, …) and optionally operation. */
export interface Match {
  service?: string;
  operation?: string;
  /** The account the request acts in (see `RequestRecord.account`). */
  account?: string;
}

/**
 * How long a fault lasts: the next `count` matching requests, every matching
 * request for `forMs` after `set` (a burst over a time window), or whichever
 * ends first when both are given.
 */
export type Budget = { count: number; forMs?: number } | { count?: number; forMs: number };

/** The faults the `random` mode draws from. */
export type RandomFaultKind = "throttle" | "http500" | "http503" | "reset" | "timeout" | "slow";

export const RANDOM_FAULT_KINDS: readonly RandomFaultKind[] = [
  "throttle",
  "http500",
  "http503",
  "reset",
  "timeout",
  "slow",
];

export interface RandomFaults {
  /** Chance (0–1) that a matching request gets a fault. */
  probability: number;
  /** The faults to pick from, uniformly. */
  kinds: readonly RandomFaultKind[];
  /** The same seed and the same request order give the same faults. */
  seed: number;
  /** Only requests matching this are eligible (all by default). */
  match?: Match;
  /** Delay range of a `slow` fault; keep it below the client's timeout. @default { minMs: 200, maxMs: 800 } */
  slowMs?: { minMs: number; maxMs: number };
  /** A `timeout` that forwards answers this late (so AWS did the work; the client gave up). @default 5000 */
  lateMs?: number;
}

/**
 * Faults the proxy injects, each off unless set. Counted faults (`count`) are
 * used up one per matching request. Set with `proxy.set`, which merges; set a
 * fault to `undefined` to switch it off.
 */
export interface FaultSettings {
  /**
   * Lambda's shared control-plane quota: a token bucket over every Lambda call but GetFunction and Invoke,
   * one per account (AWS's quota is per account and region; the tests use one region).
   */
  lambdaQuota?: { rps: number; burst?: number };
  /**
   * STS AssumeRole answers AccessDenied, as AWS does for a role that does not exist or whose trust
   * policy does not admit the caller (`refuse`: role ARNs), or for an external ID other than the one
   * the role's trust policy names (`externalIds`: role ARN → the ID it requires). moto checks neither.
   */
  assumeRole?: { refuse?: string[]; externalIds?: Record<string, string> };
  /**
   * Assumed credentials expire this many ms after they are issued (the `Expiration` of AssumeRole's
   * answer), so refreshing can be seen without waiting STS's 15-minute minimum. moto never expires keys.
   */
  assumedExpiresInMs?: number;
  /** Matching requests are throttled the way their service throttles. */
  throttle?: Match & { service: string } & Budget;
  /** An Update/Delete of an ESM within N ms of its last successful Create/Update is ResourceInUseException. */
  esmInUseMs?: number;
  /**
   * Each UpdateFunctionConfiguration/Code keeps the function InProgress for N ms: reads say so and
   * another update is ResourceConflictException. The emulator does this (fidelity/function_updates.py,
   * window 0 by default); the proxy only passes N along and counts the conflicts.
   */
  functionConflictMs?: number;
  /** The next `count` PutTargets calls answer 200 with every entry failed (ConcurrentModificationException). */
  failedEntries?: { count: number };
  /** Matching requests answer this 5xx. */
  http5xx?: Match & { status: 500 | 503 } & Budget;
  /** Delay added before forwarding every request. */
  latencyMs?: number;
  /**
   * Extra delay per service/operation, uniform in [minMs, maxMs] (jitter); the
   * first entry that matches applies, on top of `latencyMs`. Not counted as a fault.
   */
  slow?: (Match & { minMs: number; maxMs: number })[];
  /** Matching requests get their connection destroyed without an answer. */
  dropConnections?: Match & Budget;
  /** Matching requests are refused for their credentials (unknown key, expired token) or permissions. */
  credentials?: Match & { service: "lambda" | "sts"; fault: CredentialFault } & Budget;
  /**
   * Matching requests time out on the client: `hang` (default) accepts the
   * request and never answers (until the client gives up); `late` forwards it,
   * so AWS does the work, and answers after `afterMs` (make it longer than the
   * client's timeout).
   */
  timeout?: Match & Budget & { mode?: "hang" | "late"; afterMs?: number };
  /** Each matching request gets one of `kinds` with `probability`, drawn from a seeded generator. */
  random?: RandomFaults;
}

export type FaultKind =
  | "lambdaQuota"
  | "throttle"
  | "esmInUse"
  | "functionConflict"
  | "failedEntries"
  | "http5xx"
  | "dropConnections"
  | "timeout"
  | "credentials"
  | "assumeRole"
  | "slow";

export interface RequestRecord {
  service: string;
  operation: string;
  region: string;
  /**
   * The account the request acts in: the one whose role issued its access key (learnt from the
   * AssumeRole answers that passed through), else the `x-moto-account-id` header, else the test account.
   */
  account: string;
  /** The object addressed (see ApiCall.resource), when the request names one. */
  resource?: string;
  /** Epoch ms when the request arrived. */
  at: number;
  /** HTTP status sent back (0 when no answer reached the client: dropped, hung, or too late). */
  status: number;
  /** The fault that decided the answer, if any (a `slow` one only delays it). */
  fault?: FaultKind;
  /** Delay the proxy added before answering (latency, jitter, a slow fault). */
  delayMs?: number;
  /** The fault the `random` mode picked for this request, if any. */
  random?: RandomFaultKind;
}

export interface Injection {
  fault: FaultKind;
  service: string;
  operation: string;
  at: number;
  /** Set when the `random` mode picked it. */
  random?: RandomFaultKind;
}

/** What the proxy does with a request instead of (or besides) a plain forward. */
type Action = { random?: RandomFaultKind } & (
  | { kind: FaultKind; respond: WireResponse }
  | { kind: FaultKind; drop: true }
  | { kind: "timeout"; hang: true }
  | { kind: "timeout"; lateMs: number }
  | { kind: "slow"; delayMs: number }
);

type BudgetedFault = "throttle" | "http5xx" | "dropConnections" | "timeout" | "credentials";

/** How long a hung request is held at most, should the client never give up. */
const HANG_CAP_MS = 120_000;

const NO_QUOTA_OPERATIONS = new Set(["GetFunction", "Invoke", "InvokeAsync"]);

/** Read by the emulator's function-update patch: how long the update stays InProgress. */
const UPDATE_WINDOW_HEADER = "x-retryctl-update-window-ms";

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
  /** Per account: Lambda quota tokens and when they were last topped up. */
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  /** Access key ID → account, from AssumeRole answers. */
  readonly #keyAccounts = new Map<string, string>();
  /** Access key ID → when it expires (epoch ms), for keys whose life `assumedExpiresInMs` set. */
  readonly #keyExpiry = new Map<string, number>();
  // Per ESM UUID: when the last successful change finished, and what it was.
  readonly #esmBusy = new Map<string, { until: number; state: "Creating" | "Updating" }>();
  /** End of each time-boxed (`forMs`) fault. */
  readonly #until = new Map<BudgetedFault, number>();
  #random: (() => number) | undefined;
  #inflight = 0;
  readonly #idleWaiters: (() => void)[] = [];

  private constructor(server: Server, target: string) {
    this.#server = server;
    this.#target = new URL(target);
  }

  /** Starts a proxy on a free loopback port forwarding to `target` (default: the test moto). */
  static async start(target: string = motoEndpoint()): Promise<FaultProxy> {
    let proxy: FaultProxy | undefined;
    const server = createServer((req, res) => {
      proxy?.track(
        proxy.handle(req, res).catch((err: unknown) => {
          if (res.destroyed) return;
          if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
          res.end(String(err));
        }),
      );
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
    const now = Date.now();
    for (const [key, value] of Object.entries(faults) as [keyof FaultSettings, unknown][]) {
      if (value === undefined) delete next[key];
      else (next as Record<string, unknown>)[key] = copy(value);
    }
    for (const key of ["throttle", "http5xx", "dropConnections", "timeout", "credentials"] as const) {
      if (!(key in faults)) continue;
      const forMs = faults[key]?.forMs;
      if (forMs === undefined) this.#until.delete(key);
      else this.#until.set(key, now + forMs);
    }
    if (faults.lambdaQuota) this.#buckets.clear();
    if ("random" in faults) {
      const random = faults.random;
      if (random) checkRandom(random);
      this.#random = random ? seededRandom(random.seed) : undefined;
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

  /** Faults injected, per kind (random ones included, under the kind they are). */
  injected(): Record<FaultKind, number> {
    const out: Record<FaultKind, number> = {
      lambdaQuota: 0,
      throttle: 0,
      esmInUse: 0,
      functionConflict: 0,
      failedEntries: 0,
      http5xx: 0,
      dropConnections: 0,
      timeout: 0,
      credentials: 0,
      assumeRole: 0,
      slow: 0,
    };
    for (const i of this.#injections) out[i.fault]++;
    return out;
  }

  /** Faults the `random` mode injected, per random kind. */
  injectedRandom(): Record<RandomFaultKind, number> {
    const out = Object.fromEntries(RANDOM_FAULT_KINDS.map((k) => [k, 0])) as Record<RandomFaultKind, number>;
    for (const i of this.#injections) if (i.random) out[i.random]++;
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

  /** Requests the proxy is still handling (forwarding, delaying, holding). */
  get inflight(): number {
    return this.#inflight;
  }

  /**
   * Resolves once no request is being handled, e.g. after a client was killed:
   * what it had sent has then reached AWS (or never will).
   */
  idle(): Promise<void> {
    if (this.#inflight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  private track(handling: Promise<void>): void {
    this.#inflight++;
    void handling.finally(() => {
      this.#inflight--;
      if (this.#inflight === 0) for (const wake of this.#idleWaiters.splice(0)) wake();
    });
  }

  /** Switches every fault off and forgets counts, injections and busy windows. */
  reset(): void {
    this.#faults = {};
    this.#buckets.clear();
    this.#keyExpiry.clear();
    this.#records = [];
    this.#injections = [];
    this.#esmBusy.clear();
    this.#until.clear();
    this.#random = undefined;
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
      account: this.#accountOf(req.headers),
      at,
      status: 0,
    };
    if (call.resource) record.resource = call.resource;
    this.#records.push(record);

    const delay = (this.#faults.latencyMs ?? 0) + jitterFor(this.#faults.slow, call);
    if (delay > 0) {
      record.delayMs = delay;
      await sleep(delay);
    }

    // Counted faults may select by account (Match.account), which the call alone does not carry.
    let action =
      this.#expired(req.headers, call, at) ??
      this.#pickCounted({ ...call, account: record.account }, at) ??
      this.#pickRandom(call);
    if (action && "delayMs" in action) {
      this.#inject(record, action, call, at);
      record.delayMs = (record.delayMs ?? 0) + action.delayMs;
      await sleep(action.delayMs);
      action = undefined;
    }
    // After any delay: the quota bucket and busy windows are about when the request reaches "AWS".
    action ??= this.#pickStateful(call, body, Date.now(), record.account);

    if (action) this.#inject(record, action, call, at);
    if (action && "drop" in action) {
      req.socket.destroy();
      return;
    }
    if (action && "hang" in action) {
      await closedOrAfter(res, HANG_CAP_MS);
      if (!res.destroyed) req.socket.destroy();
      return;
    }
    if (action && "respond" in action) {
      if (res.destroyed) return;
      record.status = action.respond.status;
      send(res, action.respond);
      return;
    }

    const conflictMs = this.#faults.functionConflictMs;
    const functionUpdate = conflictMs !== undefined && isFunctionUpdate(call.operation);
    // The emulator keeps the function InProgress for this long (test/backend/fidelity/function_updates.py).
    const extra: Record<string, string> = functionUpdate
      ? { [UPDATE_WINDOW_HEADER]: String(conflictMs) }
      : {};
    const upstream = await this.#forward(req, body, extra);
    if (functionUpdate && upstream.status === 409) {
      this.#inject(record, { kind: "functionConflict", respond: upstream }, call, at);
    }
    const response = this.#afterForward(call, upstream, body);
    if (action && "lateMs" in action) await closedOrAfter(res, at + action.lateMs - Date.now());
    // The client gave up meanwhile (its timeout, or the process died): AWS did the work, no answer arrived.
    if (res.destroyed) return;
    record.status = response.status;
    send(res, response);
  }

  #inject(record: RequestRecord, action: Action, call: ApiCall, at: number): void {
    const { kind, random } = action;
    const injection: Injection = { fault: kind, service: call.service, operation: call.operation, at };
    if (random) {
      injection.random = random;
      record.random = random;
    }
    this.#injections.push(injection);
    if (kind !== "slow") record.fault = kind;
  }

  /** Takes one unit of a budgeted fault if it applies to this request now. */
  #take(key: BudgetedFault, fault: (Match & Budget) | undefined, call: ApiCall, now: number): boolean {
    if (!fault || !matches(fault, call)) return false;
    const until = this.#until.get(key);
    if (until !== undefined && now >= until) return false;
    if (fault.count !== undefined) {
      if (fault.count <= 0) return false;
      fault.count--;
    }
    return true;
  }

  #pickCounted(call: ApiCall & { account: string }, now: number): Action | undefined {
    const f = this.#faults;
    if (this.#take("dropConnections", f.dropConnections, call, now)) {
      return { kind: "dropConnections", drop: true };
    }
    if (f.timeout && this.#take("timeout", f.timeout, call, now)) {
      return f.timeout.mode === "late"
        ? { kind: "timeout", lateMs: f.timeout.afterMs ?? 5_000 }
        : { kind: "timeout", hang: true };
    }
    if (f.http5xx && this.#take("http5xx", f.http5xx, call, now)) {
      return { kind: "http5xx", respond: serverErrorResponse(call.service, f.http5xx.status) };
    }
    if (this.#take("throttle", f.throttle, call, now)) {
      return { kind: "throttle", respond: throttleResponse(call.service) };
    }
    if (f.credentials && this.#take("credentials", f.credentials, call, now)) {
      return {
        kind: "credentials",
        respond: credentialErrorResponse(f.credentials.service, f.credentials.fault),
      };
    }
    return undefined;
  }

  /** Three draws per eligible request, used or not, so the sequence depends only on the seed and the order. */
  #pickRandom(call: ApiCall): Action | undefined {
    const r = this.#faults.random;
    const next = this.#random;
    if (!r || !next || r.kinds.length === 0 || !matches(r.match ?? {}, call)) return undefined;
    const [hit, which, param] = [next(), next(), next()];
    if (hit >= r.probability) return undefined;
    const kind = r.kinds[Math.floor(which * r.kinds.length)] as RandomFaultKind;
    return { ...randomAction(kind, call.service, param, r), random: kind };
  }

  #pickStateful(call: ApiCall, body: Buffer, now: number, account: string): Action | undefined {
    const f = this.#faults;
    if (f.lambdaQuota && call.service === "lambda" && !NO_QUOTA_OPERATIONS.has(call.operation)) {
      const retryAfter = this.#takeToken(f.lambdaQuota, now, account);
      if (retryAfter > 0) return { kind: "lambdaQuota", respond: throttleResponse("lambda", retryAfter) };
    }
    if (f.assumeRole && call.service === "sts" && call.operation === "AssumeRole") {
      const input = new URLSearchParams(body.toString("utf8"));
      const role = input.get("RoleArn") ?? "";
      const required = f.assumeRole.externalIds?.[role];
      const refused =
        f.assumeRole.refuse?.includes(role) ||
        (required !== undefined && input.get("ExternalId") !== required);
      if (refused) {
        const message = `User: arn:aws:iam::${account}:user/hub is not authorized to perform: sts:AssumeRole on resource: ${role}`;
        return { kind: "assumeRole", respond: queryError("AccessDenied", 403, message) };
      }
    }
    if (f.esmInUseMs !== undefined && call.service === "lambda") {
      const uuid = call.params.UUID;
      const busy = uuid ? this.#esmBusy.get(uuid) : undefined;
      const verb = call.operation === "UpdateEventSourceMapping" ? "update" : "delete";
      if (busy && now < busy.until && /^(Update|Delete)EventSourceMapping$/.test(call.operation)) {
        const message = `Cannot ${verb} the event source mapping because it is in use.`;
        return { kind: "esmInUse", respond: lambdaError("ResourceInUseException", 400, message) };
      }
    }
    if (
      f.failedEntries &&
      f.failedEntries.count > 0 &&
      call.service === "events" &&
      call.operation === "PutTargets"
    ) {
      f.failedEntries.count--;
      return { kind: "failedEntries", respond: failedPutTargets(body) };
    }
    return undefined;
  }

  /** Returns 0 when a token of the account's bucket was taken, else the whole seconds until one is available. */
  #takeToken(quota: { rps: number; burst?: number }, now: number, account: string): number {
    const capacity = quota.burst ?? quota.rps;
    const bucket = this.#buckets.get(account) ?? { tokens: capacity, at: now };
    this.#buckets.set(account, bucket);
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) / 1000) * quota.rps);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / quota.rps));
  }

  /** A request signed with an assumed key past the expiry this proxy gave it is refused, as AWS does. */
  #expired(headers: IncomingMessage["headers"], call: ApiCall, now: number): Action | undefined {
    const key = /Credential=([^/,\s]+)\//.exec(headers.authorization ?? "")?.[1];
    const expires = key === undefined ? undefined : this.#keyExpiry.get(key);
    if (expires === undefined || now < expires) return undefined;
    const service = call.service === "lambda" ? "lambda" : "sts";
    return { kind: "credentials", respond: credentialErrorResponse(service, "expired") };
  }

  #accountOf(headers: IncomingMessage["headers"]): string {
    const key = /Credential=([^/,\s]+)\//.exec(headers.authorization ?? "")?.[1];
    const learnt = key === undefined ? undefined : this.#keyAccounts.get(key);
    if (learnt) return learnt;
    const header = headers["x-moto-account-id"];
    return typeof header === "string" ? header : TEST_ACCOUNT;
  }

  /** Learns which account an assumed access key acts in; shortens its life when asked to. */
  #afterAssumeRole(res: WireResponse, body: Buffer): WireResponse {
    const role = new URLSearchParams(body.toString("utf8")).get("RoleArn") ?? "";
    const account = /^arn:[^:]+:iam::(\d{12}):/.exec(role)?.[1];
    const key = /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(res.body)?.[1];
    if (account && key) this.#keyAccounts.set(key, account);
    const expiresIn = this.#faults.assumedExpiresInMs;
    if (expiresIn === undefined) return res;
    const expires = Date.now() + expiresIn;
    if (key) this.#keyExpiry.set(key, expires);
    const expiration = new Date(expires).toISOString();
    return {
      ...res,
      body: res.body.replace(/<Expiration>[^<]*<\/Expiration>/, `<Expiration>${expiration}</Expiration>`),
    };
  }

  #forward(req: IncomingMessage, body: Buffer, extra: Record<string, string> = {}): Promise<WireResponse> {
    return new Promise((resolve, reject) => {
      const headers = {
        ...req.headers,
        ...extra,
        host: this.#target.host,
        "content-length": String(body.length),
      };
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
  #afterForward(call: ApiCall, res: WireResponse, body: Buffer): WireResponse {
    const ok = res.status >= 200 && res.status < 300;
    const now = Date.now();
    const f = this.#faults;
    if (ok && call.service === "sts" && call.operation === "AssumeRole")
      return this.#afterAssumeRole(res, body);
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

function matches(match: Match, call: { service: string; operation: string; account?: string }): boolean {
  return (
    (match.service === undefined || match.service === call.service) &&
    (match.operation === undefined || match.operation === call.operation) &&
    (match.account === undefined || match.account === call.account)
  );
}

function isFunctionUpdate(operation: string): boolean {
  return operation === "UpdateFunctionConfiguration" || operation === "UpdateFunctionCode";
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
  // The client may have given up (timed out) meanwhile.
  if (res.destroyed) return;
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
    // A client that dies mid-request (SIGKILL) closes without an end: nothing to forward.
    stream.on("close", () => reject(new Error("connection closed before the request was complete")));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function randomAction(kind: RandomFaultKind, service: string, param: number, r: RandomFaults): Action {
  switch (kind) {
    case "throttle":
      return { kind: "throttle", respond: throttleResponse(service) };
    case "http500":
      return { kind: "http5xx", respond: serverErrorResponse(service, 500) };
    case "http503":
      return { kind: "http5xx", respond: serverErrorResponse(service, 503) };
    case "reset":
      return { kind: "dropConnections", drop: true };
    case "timeout":
      // Half never answer, half answer after AWS has done the work: both look alike to the client.
      return param < 0.5 ? { kind: "timeout", hang: true } : { kind: "timeout", lateMs: r.lateMs ?? 5_000 };
    case "slow": {
      const { minMs, maxMs } = r.slowMs ?? { minMs: 200, maxMs: 800 };
      return { kind: "slow", delayMs: Math.round(minMs + param * (maxMs - minMs)) };
    }
  }
}

/** Resolves when the client closed the connection, or after `ms`, whichever comes first. */
function closedOrAfter(res: ServerResponse, ms: number): Promise<void> {
  if (res.destroyed || res.socket?.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      res.off("close", done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    res.on("close", done);
  });
}

function jitterFor(slow: FaultSettings["slow"], call: ApiCall): number {
  const rule = slow?.find((s) => matches(s, call));
  if (!rule) return 0;
  return Math.round(rule.minMs + Math.random() * (rule.maxMs - rule.minMs));
}

/** mulberry32: a small, fast generator whose whole state is the seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function checkRandom(r: RandomFaults): void {
  if (!(r.probability >= 0 && r.probability <= 1)) {
    throw new RangeError(`random.probability must be between 0 and 1, got ${r.probability}`);
  }
  for (const kind of r.kinds) {
    if (!RANDOM_FAULT_KINDS.includes(kind)) throw new RangeError(`unknown random fault kind ${String(kind)}`);
  }
}

function copy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copy);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copy(v)]));
  }
  return value;
}
