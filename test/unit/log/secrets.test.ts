import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "../../../src/log/logger.js";
import {
  MAX_REMEMBERED,
  REDACTED,
  rememberedSecrets,
  rememberSecret,
  scrubSecrets,
} from "../../../src/log/secrets.js";

const KEY_ID = "SENTINELKEYID0unit";
const SECRET = "SENTINEL/secret+key0unit";
const TOKEN = "SENTINELsessionTOKEN0unit//AAAA==";

const NAMES = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"] as const;
const saved = NAMES.map((name) => [name, process.env[name]] as const);
beforeEach(() => {
  process.env.AWS_ACCESS_KEY_ID = KEY_ID;
  process.env.AWS_SECRET_ACCESS_KEY = SECRET;
  process.env.AWS_SESSION_TOKEN = TOKEN;
});
afterEach(() => {
  for (const [name, value] of saved) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

/** What AWS sends back for a bad signature: the canonical request, with the token and the key ID in it. */
function signatureMismatch(keyId: string, token: string): string {
  return [
    "The request signature we calculated does not match the signature you provided.",
    "The Canonical String for this request should have been",
    `'POST\n/\n\nhost:sqs.us-east-1.amazonaws.com\nx-amz-date:20260101T000000Z\nx-amz-security-token:${token}\n'`,
    `Authorization: AWS4-HMAC-SHA256 Credential=${keyId}/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=${"ab12".repeat(16)}`,
  ].join("\n");
}

describe("scrubSecrets", () => {
  it("removes the credential values of the environment wherever they appear", () => {
    const out = scrubSecrets(`id ${KEY_ID} secret ${SECRET} token ${TOKEN} end`);
    expect(out).toBe(`id ${REDACTED} secret ${REDACTED} token ${REDACTED} end`);
  });

  it("removes what a quoted signed request carries, also for credentials it was never told about", () => {
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SESSION_TOKEN;
    const out = scrubSecrets(signatureMismatch("AKIAIOSFODNN7EXAMPLE", "IQoJb3JpZ2luX2VjEXAMPLETOKEN"));
    expect(out).not.toContain("AKIAIOSFODNN7EXAMPLE");
    expect(out).not.toContain("IQoJb3JpZ2luX2VjEXAMPLETOKEN");
    expect(out).not.toContain("ab12ab12");
    expect(out).toContain("The request signature we calculated does not match");
    expect(out).toContain(`x-amz-security-token:${REDACTED}`);
  });

  it("removes a remembered value (a token resolved from a profile or role) and leaves ordinary text alone", () => {
    rememberSecret("ProfileToken-0123456789");
    rememberSecret("short");
    expect(scrubSecrets("token ProfileToken-0123456789 is short")).toBe(`token ${REDACTED} is short`);
    expect(scrubSecrets("function orders-processor: throttled (429)")).toBe(
      "function orders-processor: throttled (429)",
    );
  });

  it("removes a secret the way JSON escapes it", () => {
    process.env.AWS_SECRET_ACCESS_KEY = 'quote"back\\slash0';
    expect(scrubSecrets(JSON.stringify({ m: 'x quote"back\\slash0 y' }))).toBe(`{"m":"x ${REDACTED} y"}`);
  });
});

describe("the logger", () => {
  it("writes no credential, whether in a field named like one or inside an error message", () => {
    const lines: string[] = [];
    const log = createLogger("trace", { write: (line: string) => void lines.push(line) });
    const err = Object.assign(new Error(signatureMismatch(KEY_ID, TOKEN)), {
      $metadata: { httpStatusCode: 403 },
    });
    log.error({ err, credentials: { accessKeyId: KEY_ID, secretAccessKey: SECRET } }, "AWS call failed");
    log.trace({ request: { headers: { authorization: `Credential=${KEY_ID}/x` } }, secret: SECRET }, "trace");
    const all = lines.join("");
    expect(lines).toHaveLength(2);
    for (const sentinel of [KEY_ID, SECRET, TOKEN]) expect(all).not.toContain(sentinel);
    expect(all).toContain("AWS call failed");
    expect(() => lines.map((l) => JSON.parse(l))).not.toThrow();
  });

  it("writes no credential in the text format either", () => {
    const lines: string[] = [];
    const log = createLogger("trace", { write: (line: string) => void lines.push(line) }, "text");
    const err = Object.assign(new Error(signatureMismatch(KEY_ID, TOKEN)), {
      $metadata: { httpStatusCode: 403 },
    });
    log.error({ err, credentials: { accessKeyId: KEY_ID, secretAccessKey: SECRET } }, "AWS call failed");
    log.warn(
      { kind: "QueueRedrivePolicy", name: "q", error: { code: "X", message: `bad ${SECRET}` } },
      "failed",
    );
    log.trace({ request: { headers: { authorization: `Credential=${KEY_ID}/x` } }, secret: SECRET }, "trace");
    const all = lines.join("");
    expect(lines).toHaveLength(3);
    for (const sentinel of [KEY_ID, SECRET, TOKEN]) expect(all).not.toContain(sentinel);
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d ERROR AWS call failed .*error Error: The request signature/);
    expect(lines[1]).toMatch(
      /^\d\d:\d\d:\d\d WARN failed QueueRedrivePolicy\/q error X: bad \[redacted\]\n$/,
    );
    expect(all).toContain(REDACTED);
  });
});

describe("remembered secrets", () => {
  it("stay bounded over 10,000 credential rotations and keep scrubbing the latest ones", () => {
    const keyId = (i: number) => `RotatedKeyId-${i}-0123`;
    const token = (i: number) => `RotatedSessionToken-${i}-0123456789abcdef`;
    const ROTATIONS = 10_000;
    for (let i = 0; i < ROTATIONS; i++) {
      // What each signed request remembers: the key ID and the session token (IRSA refreshes both).
      rememberSecret(token(i));
      rememberSecret(keyId(i));
      rememberSecret(token(i));
    }
    const kept = rememberedSecrets();
    expect(kept.length).toBeLessThanOrEqual(MAX_REMEMBERED);
    // Most recent first: the current credentials, then the previous rotation's.
    expect(kept.slice(0, 4)).toEqual([token(9_999), keyId(9_999), token(9_998), keyId(9_998)]);
    const last = ROTATIONS - 1;
    expect(scrubSecrets(`token ${token(last)} key ${keyId(last)}`)).toBe(`token ${REDACTED} key ${REDACTED}`);
    expect(scrubSecrets(`previous ${token(last - 1)}`)).toBe(`previous ${REDACTED}`);
    // The first rotations' values are forgotten (they are no longer scanned for on every line).
    expect(scrubSecrets(`old ${token(0)}`)).toBe(`old ${token(0)}`);
  });
});
