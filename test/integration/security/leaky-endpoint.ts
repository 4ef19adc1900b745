import { once } from "node:events";
import { createServer, type IncomingMessage, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { lambdaError } from "../../support/aws-wire.js";

/**
 * An endpoint in front of moto that answers requests naming `function` the way
 * AWS answers a bad signature: 403 `InvalidSignatureException` whose message
 * quotes the canonical request, so the session token and the access key ID of
 * the caller come back inside an SDK error message. Everything else is passed on.
 */
export class LeakyEndpoint {
  readonly #server: Server;
  hits = 0;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(upstream: string, functionName: string): Promise<LeakyEndpoint> {
    const target = new URL(upstream);
    let self: LeakyEndpoint | undefined;
    const server = createServer(async (req, res) => {
      const body = await readAll(req);
      if ((req.url ?? "").includes(`/functions/${functionName}/`)) {
        if (self) self.hits++;
        const reply = lambdaError("InvalidSignatureException", 403, quoteRequest(req, body));
        res.writeHead(reply.status, reply.headers);
        res.end(reply.body);
        return;
      }
      const headers = { ...req.headers, host: target.host, "content-length": String(body.length) };
      delete headers["transfer-encoding"];
      const forward = request(
        { hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      forward.on("error", () => res.destroy());
      forward.end(body);
    });
    self = new LeakyEndpoint(server);
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    return self;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** The shape of AWS's message: the canonical request with every signed header, then the string to sign. */
function quoteRequest(req: IncomingMessage, body: Buffer): string {
  const headers = Object.entries(req.headers)
    .map(([k, v]) => `${k}:${Array.isArray(v) ? v.join(",") : v}`)
    .join("\n");
  return [
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
    "The Canonical String for this request should have been",
    `'${req.method}\n${req.url}\n\n${headers}\n\n${body.length} bytes'`,
  ].join("\n");
}

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => resolve(Buffer.concat(chunks)));
    stream.on("error", reject);
  });
}
