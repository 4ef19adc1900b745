import { once } from "node:events";
import { connect } from "node:net";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  checkIntervalMs,
  MAX_BODY_BYTES,
  type ServerTimeouts,
  StatusServer,
  type StatusSource,
} from "../../../src/server/http.js";
import { call } from "../../support/http.js";

/** Sends raw bytes and collects everything the server answers until it closes the connection. */
async function raw(port: number, bytes: string): Promise<string> {
  const socket = connect(port, "127.0.0.1");
  await once(socket, "connect");
  const chunks: Buffer[] = [];
  socket.on("data", (c: Buffer) => chunks.push(c));
  // A reset after the answer (the server drops what it did not read) ends the exchange like a close.
  const closed = new Promise<void>((resolve) => {
    socket.on("close", () => resolve());
    socket.on("error", () => resolve());
  });
  socket.write(bytes);
  await closed;
  return Buffer.concat(chunks).toString();
}

/**
 * Sends bytes and then nothing more; resolves with what the server answered and
 * how long it kept the connection open (at most `capMs`, then the client gives up).
 */
async function stall(port: number, bytes: string, capMs: number): Promise<{ ms: number; answer: string }> {
  const socket = connect(port, "127.0.0.1");
  await once(socket, "connect");
  const chunks: Buffer[] = [];
  socket.on("data", (c: Buffer) => chunks.push(c));
  const started = performance.now();
  socket.write(bytes);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, capMs);
    const closed = () => {
      clearTimeout(timer);
      resolve();
    };
    socket.on("close", closed);
    socket.on("error", closed);
  });
  const ms = performance.now() - started;
  socket.destroy();
  return { ms, answer: Buffer.concat(chunks).toString() };
}

const INTERNALS = "TypeError: boom at /srv/retryctl/src/controller/status.ts:12:7";

class Source implements StatusSource {
  fail: "alive" | "readiness" | "status" | "metrics" | undefined;
  statusDoc: object = { resources: [] };
  alive() {
    if (this.fail === "alive") throw new TypeError(INTERNALS);
    return true;
  }
  readiness() {
    if (this.fail === "readiness") throw new TypeError(INTERNALS);
    return { ready: true, detail: "ok" };
  }
  status() {
    if (this.fail === "status") throw new TypeError(INTERNALS);
    return this.statusDoc;
  }
  async metrics() {
    if (this.fail === "metrics") throw new TypeError(INTERNALS);
    return { contentType: "text/plain; version=0.0.4; charset=utf-8", body: "up 1\n" };
  }
}

const PATHS = ["/healthz", "/readyz", "/metrics", "/status"];

describe("the HTTP surface, hardened", () => {
  let source: Source;
  let server: StatusServer;
  let port: number;
  let logged: string[];

  beforeEach(async () => {
    source = new Source();
    logged = [];
    server = new StatusServer(
      source,
      pino({ level: "error" }, { write: (l: string) => void logged.push(l) }),
    );
    ({ port } = await server.listen({ host: "127.0.0.1", port: 0 }));
  });
  afterEach(async () => {
    await server.close();
  });

  it("answers only GET and HEAD on its paths: 405 with Allow for any other method, 404 elsewhere", async () => {
    for (const path of PATHS) {
      for (const method of ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND"]) {
        const answer = await call(port, method, path);
        expect(answer.status, `${method} ${path}`).toBe(405);
        expect(answer.headers.allow).toBe("GET, HEAD");
      }
      expect((await call(port, "GET", path)).status, path).toBe(200);
      expect((await call(port, "HEAD", path)).status, path).toBe(200);
    }
    for (const path of ["/", "/status/", "/STATUS", "/metrics/x", "//status", "/debug/pprof"]) {
      expect((await call(port, "GET", path)).status, path).toBe(404);
    }
  });

  it("refuses a declared large body with 413 before the body is sent, and closes the connection", async () => {
    // 1 GiB declared, 10 bytes sent: the answer comes without waiting for (or reading) the rest.
    const answer = await raw(
      port,
      "POST /status HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741824\r\n\r\n0123456789",
    );
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer.toLowerCase()).toContain("connection: close");
    expect(answer).toContain("request body too large");
  });

  it("refuses a chunked body once it passes the cap", async () => {
    const chunk = "x".repeat(MAX_BODY_BYTES + 1);
    const answer = await raw(
      port,
      `POST /status HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${chunk.length.toString(16)}\r\n${chunk}\r\n`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
  });

  it("refuses huge headers with 431", async () => {
    // Just over the 16 KiB limit, sent in one write, so the server has read it all when it answers.
    const answer = await raw(
      port,
      `GET /status HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20 * 1024)}\r\n\r\n`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 431 /);
  });

  for (const fail of ["alive", "readiness", "status", "metrics"] as const) {
    it(`answers a generic 500 when ${fail}() fails, logs the error, leaks no internals`, async () => {
      source.fail = fail;
      const path = { alive: "/healthz", readiness: "/readyz", status: "/status", metrics: "/metrics" }[fail];
      const answer = await call(port, "GET", path);
      expect(answer.status).toBe(500);
      expect(answer.body).toBe("internal error\n");
      expect(answer.headers["content-type"]).toBe("text/plain; charset=utf-8");
      expect(logged.join("")).toContain("HTTP handler failed");
      expect(logged.join("")).toContain("boom");
    });
  }

  it("sets nosniff and no-store on every answer, errors included", async () => {
    source.fail = "metrics";
    const answers = [
      await call(port, "GET", "/status"),
      await call(port, "GET", "/nope"),
      await call(port, "POST", "/status"),
      await call(port, "GET", "/metrics"),
      await call(port, "POST", "/status", { body: "x".repeat(MAX_BODY_BYTES + 1) }),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 404, 405, 500, 413]);
    for (const answer of answers) {
      expect(answer.headers["x-content-type-options"]).toBe("nosniff");
      expect(answer.headers["cache-control"]).toBe("no-store");
    }
  });

  it("does not echo the request back: unknown paths and methods get fixed bodies", async () => {
    const probe = "/<script>alert(1)</script>";
    const answer = await call(port, "GET", probe);
    expect(answer.body).toBe("not found\n");
    expect((await call(port, "DELETE", "/status")).body).toBe("method not allowed\n");
  });

  it("scrubs credential-shaped text from what it serves", async () => {
    source.statusDoc = {
      message: "AWS said: x-amz-security-token:IQoJb3JpZ2luX2VjEXAMPLE Credential=AKIAIOSFODNN7EXAMPLE/2026",
    };
    const answer = await call(port, "GET", "/status");
    expect(answer.body).not.toContain("IQoJb3JpZ2luX2VjEXAMPLE");
    expect(answer.body).not.toContain("AKIAIOSFODNN7EXAMPLE");
    expect(JSON.parse(answer.body).message).toContain("[redacted]");
  });
});

describe("the HTTP surface's timeouts", () => {
  // Small limits so the test is quick; the check interval follows them as it does the defaults.
  const timeouts: ServerTimeouts = { headersMs: 400, requestMs: 800, keepAliveMs: 5_000 };
  // Generous for a loaded machine, far below Node's default 30 s check interval.
  const SLACK_MS = 1_000;
  let server: StatusServer;
  let port: number;

  beforeEach(async () => {
    server = new StatusServer(new Source(), pino({ level: "silent" }), timeouts);
    ({ port } = await server.listen({ host: "127.0.0.1", port: 0 }));
  });
  afterEach(async () => {
    await server.close();
  });

  it("closes a client that sends part of a request line and waits, within the headers timeout", async () => {
    const bound = timeouts.headersMs + checkIntervalMs(timeouts) + SLACK_MS;
    const { ms, answer } = await stall(port, "GET /sta", bound + 2_000);
    expect(ms).toBeLessThan(bound);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  });

  it("closes a client that sends the headers and part of the body, within the request timeout", async () => {
    const bound = timeouts.requestMs + checkIntervalMs(timeouts) + SLACK_MS;
    const { ms, answer } = await stall(
      port,
      "POST /status HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789",
      bound + 2_000,
    );
    expect(ms).toBeLessThan(bound);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  });

  it("checks connections at a tenth of the shorter limit, so the shipped 10 s / 15 s hold within 1 s", () => {
    expect(checkIntervalMs({ headersMs: 10_000, requestMs: 15_000, keepAliveMs: 5_000 })).toBe(1_000);
  });
});
