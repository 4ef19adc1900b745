import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { scrubSecrets } from "../log/secrets.js";
import { jsonChunks } from "./json-chunks.js";
import type { ListenAddress } from "./listen.js";

/** What the HTTP surface reads; it never changes anything (design §3). */
export interface StatusSource {
  /** The controller loop is running. */
  alive(): boolean;
  readiness(): { ready: boolean; detail: string };
  /** The `/status` document. */
  status(): object;
  /** Prometheus text exposition and its content type. */
  metrics(): Promise<{ contentType: string; body: string }>;
}

/** Requests to a read-only surface carry no body worth reading. */
export const MAX_BODY_BYTES = 1024;
const ALLOW = "GET, HEAD";

type Handler = (source: StatusSource) => Promise<Reply> | Reply;

interface Reply {
  status: number;
  contentType: string;
  /** Text, or chunks written as they come (no content-length: chunked encoding). */
  body: string | Iterable<string>;
}

const text = (status: number, body: string): Reply => ({
  status,
  contentType: "text/plain; charset=utf-8",
  body: `${body}\n`,
});

const ROUTES: Record<string, Handler> = {
  "/healthz": (s) => (s.alive() ? text(200, "ok") : text(503, "controller loop stopped")),
  "/readyz": (s) => {
    const { ready, detail } = s.readiness();
    return ready ? text(200, "ok") : text(503, `not ready: ${detail}`);
  },
  "/metrics": async (s) => {
    const { contentType, body } = await s.metrics();
    return { status: 200, contentType, body };
  },
  "/status": (s) => ({
    status: 200,
    contentType: "application/json; charset=utf-8",
    body: jsonChunks(s.status() as Record<string, unknown>),
  }),
};

/** How long a client may take; probes and scrapes are quick, so slow or idle clients must not pin sockets. */
export interface ServerTimeouts {
  /** Until the request's headers are complete. */
  headersMs: number;
  /** Until the whole request (headers and body) is received. */
  requestMs: number;
  /** An idle keep-alive connection. */
  keepAliveMs: number;
}

export const DEFAULT_TIMEOUTS: ServerTimeouts = { headersMs: 10_000, requestMs: 15_000, keepAliveMs: 5_000 };

/**
 * Node enforces the headers and request timeouts only when it checks its
 * connections (every 30 s by default), so a 10 s limit held up to 40 s:
 * checking at a tenth of the shorter limit keeps each within 10 % of itself.
 */
export function checkIntervalMs(t: ServerTimeouts): number {
  return Math.max(10, Math.floor(Math.min(t.headersMs, t.requestMs) / 10));
}

/** The controller's HTTP surface on node:http: health, readiness, metrics and status, all read-only. */
export class StatusServer {
  readonly #server: Server;
  readonly #source: StatusSource;
  readonly #log: Logger;

  constructor(source: StatusSource, log: Logger, timeouts: ServerTimeouts = DEFAULT_TIMEOUTS) {
    this.#source = source;
    this.#log = log;
    this.#server = createServer(
      {
        maxHeaderSize: 16 * 1024,
        headersTimeout: timeouts.headersMs,
        requestTimeout: timeouts.requestMs,
        keepAliveTimeout: timeouts.keepAliveMs,
        connectionsCheckingInterval: checkIntervalMs(timeouts),
      },
      (req, res) => this.#handle(req, res),
    );
  }

  listen(address: ListenAddress): Promise<ListenAddress> {
    return new Promise((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(address.port, address.host, () => {
        this.#server.off("error", reject);
        const info = this.#server.address() as AddressInfo;
        resolve({ host: info.address, port: info.port });
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.#server.listening) return resolve();
      this.#server.close(() => resolve());
      this.#server.closeIdleConnections();
      // Give answers being written a moment, then drop whatever is left.
      setTimeout(() => this.#server.closeAllConnections(), 1_000).unref();
    });
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > MAX_BODY_BYTES) {
      // Answer before a byte of the body is read; `connection: close` then drops the socket, body unread.
      void this.#send(req, res, text(413, "request body too large"), { connection: "close" });
      return;
    }
    let received = 0;
    let rejected = false;
    req.on("data", (chunk: Buffer) => {
      received += chunk.length;
      if (received > MAX_BODY_BYTES && !rejected) {
        rejected = true;
        void this.#send(req, res, text(413, "request body too large"), { connection: "close" });
      }
    });
    req.on("end", () => {
      if (!rejected) void this.#route(req, res);
    });
    req.on("error", () => res.destroy());
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = pathOf(req.url);
    const handler = ROUTES[path];
    if (!handler) return this.#send(req, res, text(404, "not found"));
    if (req.method !== "GET" && req.method !== "HEAD") {
      return this.#send(req, res, text(405, "method not allowed"), { allow: ALLOW });
    }
    try {
      await this.#send(req, res, await handler(this.#source));
    } catch (err) {
      this.#log.error({ err, path }, "HTTP handler failed");
      if (res.headersSent) res.destroy();
      else await this.#send(req, res, text(500, "internal error"));
    }
  }

  async #send(
    req: IncomingMessage,
    res: ServerResponse,
    reply: Reply,
    headers: Record<string, string> = {},
  ): Promise<void> {
    if (res.headersSent) return;
    const common = {
      "content-type": reply.contentType,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      ...headers,
    };
    // Status messages quote AWS errors; the engine scrubs them already, this is the last line of defence.
    if (typeof reply.body === "string") {
      const body = Buffer.from(scrubSecrets(reply.body), "utf8");
      res.writeHead(reply.status, { ...common, "content-length": body.length });
      res.end(req.method === "HEAD" ? undefined : body);
      return;
    }
    res.writeHead(reply.status, common);
    if (req.method !== "HEAD") {
      for (const chunk of reply.body) {
        if (res.destroyed) return;
        // Each chunk holds whole JSON values, so a secret is never split between two of them.
        if (!res.write(scrubSecrets(chunk))) await once(res, "drain");
      }
    }
    res.end();
  }
}

function pathOf(url: string | undefined): string {
  try {
    return new URL(url ?? "/", "http://localhost").pathname;
  } catch {
    return "";
  }
}
