/**
 * Scrubs AWS credentials out of text that leaves the process (log lines,
 * `/status`, CLI output). Redacting fields by name is not enough: an AWS error
 * message can quote the signed request (a `SignatureDoesNotMatch` answer
 * carries the canonical request, with `x-amz-security-token` and the access
 * key ID in the credential scope), and pino cannot see inside a string.
 */

export const REDACTED = "[redacted]";

/** The credential variables of the SDK's default chain whose values are scrubbed wherever they appear. */
const CREDENTIAL_ENV = [
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_SECURITY_TOKEN",
];

/** Shorter values would scrub ordinary words; real keys are 16+ characters. */
const MIN_SECRET_LENGTH = 8;

/**
 * Remembered values kept: the current key ID and session token and those of a
 * few rotations before them (a request signed just before a rotation can still
 * fail after it). Unbounded, an hourly IRSA refresh would grow the set scanned
 * on every log line forever.
 */
export const MAX_REMEMBERED = 8;

/** Most recently remembered last (a Set keeps insertion order); the oldest is evicted first. */
const remembered = new Set<string>();

const PATTERNS: readonly RegExp[] = [
  // Access key IDs: long-term (AKIA) and temporary (ASIA) keys.
  /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g,
  // SigV4 pieces, in headers, query strings and quoted canonical requests.
  /(x-amz-security-token["']?\s*[:=]\s*["']?)[^\s"'&,]+/gi,
  /(X-Amz-Credential=)[^\s"'&]+/gi,
  /(X-Amz-Signature=)[0-9a-f]+/gi,
  /(Credential=)[^\s,"']+/g,
  /(Signature=)[0-9a-f]{16,}/g,
];

/** Scrubs this value wherever it appears from now on (e.g. a token the SDK resolved from a profile or a role). */
export function rememberSecret(value: string | undefined): void {
  if (!value || value.length < MIN_SECRET_LENGTH) return;
  // Every signed request remembers its credentials again: moving them to the end keeps the current ones.
  remembered.delete(value);
  remembered.add(value);
  for (const oldest of remembered) {
    if (remembered.size <= MAX_REMEMBERED) break;
    remembered.delete(oldest);
  }
}

/** The remembered values, most recent first. */
export function rememberedSecrets(): string[] {
  return [...remembered].reverse();
}

function knownSecrets(): string[] {
  const values = new Set(remembered);
  for (const name of CREDENTIAL_ENV) {
    const value = process.env[name];
    if (value && value.length >= MIN_SECRET_LENGTH) values.add(value);
  }
  // Longest first, so a token that contains a shorter secret is scrubbed whole.
  return [...values].sort((a, b) => b.length - a.length);
}

/** The text with every known credential value and every credential-shaped token replaced by `[redacted]`. */
export function scrubSecrets(text: string): string {
  let out = text;
  for (const secret of knownSecrets()) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    // JSON output escapes `/` in no case but does escape `"` and `\`; a secret with those appears escaped.
    const escaped = JSON.stringify(secret).slice(1, -1);
    if (escaped !== secret && out.includes(escaped)) out = out.split(escaped).join(REDACTED);
  }
  for (const pattern of PATTERNS) {
    out = out.replace(pattern, (_match, prefix?: string) =>
      typeof prefix === "string" ? `${prefix}${REDACTED}` : REDACTED,
    );
  }
  return out;
}
