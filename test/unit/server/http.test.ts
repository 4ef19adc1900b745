import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StatusServer, type StatusSource } from "../../../src/server/http.js";
import { parseListen } from "../../../src/server/listen.js";
import { call } from "../../support/http.js";

class FakeState implements StatusSource {
  live = true;
  isReady = false;
  failStatus = false;
  alive() {
    return this.live;
  }
  readiness() {
    return { ready: this.isReady, detail: "reconciling revision abc: 2 of 3 resources not reconciled yet" };
  }
  status() {
    if (this.failStatus) throw new Error("secret internals at /some/file.ts:12");
    return {
      revision: "abc",
      mode: "enforce",
      lastSyncTime: null,
      resources: [{ kind: "Widget", name: "a", status: "Synced" }],
      manifestErrors: [],
    };
  }
  async metrics() {
    return { contentType: "text/plain; version=0.0.4; charset=utf-8", body: "retryctl_workqueue_depth 0\n" };
  }
}

describe("StatusServer", () => {
  let state: FakeState;
  let server: StatusServer;
  let port: number;

  beforeEach(async () => {
    state = new FakeState();
    server = new StatusServer(state, pino({ level: "silent" }));
    ({ port } = await server.listen({ host: "127.0.0.1", port: 0 }));
  });
  afterEach(async () => {
    await server.close();
  });

  it("answers /healthz while the loop is alive, 503 once it stopped", async () => {
    expect(await call(port, "GET", "/healthz")).toMatchObject({ status: 200, body: "ok\n" });
    state.live = false;
    expect((await call(port, "GET", "/healthz")).status).toBe(503);
  });

  it("turns /readyz from 503 (with the reason) to 200", async () => {
    const before = await call(port, "GET", "/readyz");
    expect(before.status).toBe(503);
    expect(before.body).toContain("2 of 3 resources not reconciled yet");
    state.isReady = true;
    expect((await call(port, "GET", "/readyz")).status).toBe(200);
  });

  it("serves /status as JSON and /metrics as Prometheus text", async () => {
    const status = await call(port, "GET", "/status?pretty=1");
    expect(status.status).toBe(200);
    expect(status.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(JSON.parse(status.body)).toEqual(state.status());
    const metrics = await call(port, "GET", "/metrics");
    expect(metrics.headers["content-type"]).toContain("version=0.0.4");
    expect(metrics.body).toBe("retryctl_workqueue_depth 0\n");
  });

  it("answers HEAD with headers only", async () => {
    const head = await call(port, "HEAD", "/healthz");
    expect(head.status).toBe(200);
    expect(Number(head.headers["content-length"])).toBeGreaterThan(0);
    expect(head.body).toBe("");
    const status = await call(port, "HEAD", "/status");
    expect(status.status).toBe(200);
    expect(status.headers["content-type"]).toMatch(/^application\/json/);
    expect(status.body).toBe("");
  });

  it("streams /status (chunked, no content-length) as the same JSON", async () => {
    const answer = await call(port, "GET", "/status");
    expect(answer.headers["transfer-encoding"]).toBe("chunked");
    expect(answer.headers["content-length"]).toBeUndefined();
    expect(JSON.parse(answer.body)).toEqual(JSON.parse(JSON.stringify(state.status())));
  });

  it("refuses anything but GET and HEAD with 405 and an Allow header", async () => {
    for (const method of ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"]) {
      const answer = await call(port, method, "/status");
      expect(answer.status, method).toBe(405);
      expect(answer.headers.allow).toBe("GET, HEAD");
    }
  });

  it("answers 404 for unknown paths", async () => {
    expect((await call(port, "GET", "/")).status).toBe(404);
    expect((await call(port, "GET", "/status/extra")).status).toBe(404);
    expect((await call(port, "POST", "/nope")).status).toBe(404);
  });

  it("rejects a request body over the cap", async () => {
    const answer = await call(port, "POST", "/status", { body: "x".repeat(10_000) });
    expect(answer.status).toBe(413);
  });

  it("answers 500 without internals when a handler fails", async () => {
    state.failStatus = true;
    const answer = await call(port, "GET", "/status");
    expect(answer.status).toBe(500);
    expect(answer.body).toBe("internal error\n");
  });
});

describe("parseListen", () => {
  it("reads host:port, [v6]:port and :port", () => {
    expect(parseListen("0.0.0.0:8080")).toEqual({ host: "0.0.0.0", port: 8080 });
    expect(parseListen("localhost:0")).toEqual({ host: "localhost", port: 0 });
    expect(parseListen("[::1]:9090")).toEqual({ host: "::1", port: 9090 });
    expect(parseListen(":8080")).toEqual({ host: "0.0.0.0", port: 8080 });
  });

  it("rejects what is not an address", () => {
    for (const bad of ["8080", "host:", "host:99999", "a:b:c", ""]) {
      expect(() => parseListen(bad), bad).toThrow(/invalid listen address/);
    }
  });
});
