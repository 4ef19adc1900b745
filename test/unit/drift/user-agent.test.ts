import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { ListFunctionsCommand } from "@aws-sdk/client-lambda";
import { GetQueueUrlCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AwsClients } from "../../../src/aws/clients.js";
import { RateLimiter } from "../../../src/aws/rate-limiter.js";
import { USER_AGENT, VERSION } from "../../../src/version.js";

// CloudTrail records the User-Agent header as the event's userAgent: retryctl's own writes are
// told apart by it (design §10), so every client from the one factory must send it.
describe("retryctl's SDK clients", () => {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    res.writeHead(400, { "content-type": "application/x-amz-json-1.0" });
    res.end(JSON.stringify({ __type: "InvalidParameterValue", message: "no" }));
  });
  let endpoint = "";
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it(`send ${USER_AGENT} in the user agent of every service`, async () => {
    expect(USER_AGENT).toBe(`retryctl/${VERSION}`);
    const aws = new AwsClients({ endpoint, limiter: new RateLimiter(), maxAttempts: 1 });
    await aws
      .lambda("us-east-1")
      .send(new ListFunctionsCommand({}))
      .catch(() => undefined);
    await aws
      .sqs("eu-west-1")
      .send(new GetQueueUrlCommand({ QueueName: "q" }))
      .catch(() => undefined);
    aws.destroy();
    expect(seen).toHaveLength(2);
    for (const headers of seen) {
      const agents = `${headers["user-agent"] ?? ""} ${headers["x-amz-user-agent"] ?? ""}`;
      expect(agents).toContain(USER_AGENT);
    }
  });
});
