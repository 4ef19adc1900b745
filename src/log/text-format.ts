/**
 * The `--log-format text` line: pino's JSON record, rewritten for a person at a
 * terminal, e.g. `12:00:01 INFO drift repaired FunctionEventInvokeConfig/orders
 * maximumRetryAttempts: 0 -> 2`. Written by hand rather than with pino-pretty,
 * which is large and formats asynchronously in a worker: the text must leave
 * through the same synchronous write (and the same credential scrubbing) as JSON.
 */

export const LOG_FORMATS = ["json", "text"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Shown in the line's own shape, or shared by every line of a run (the revision is in the plan and the start line). */
const SHAPED = new Set(["level", "time", "msg", "kind", "name", "changes", "err", "error"]);
const CONTEXT = new Set(["app", "revision", "region", "action"]);

/** One pino JSON line (with its newline) as one text line (with its newline). */
export function formatTextLine(json: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const parts = [
    clock(record.time),
    String(record.level ?? "").toUpperCase(),
    oneLine(String(record.msg ?? "")),
  ];
  if (typeof record.kind === "string" && typeof record.name === "string")
    parts.push(`${record.kind}/${record.name}`);
  if (Array.isArray(record.changes) && record.changes.length > 0) parts.push(changes(record.changes));
  for (const [key, value] of Object.entries(record)) {
    if (SHAPED.has(key) || CONTEXT.has(key) || value === undefined || value === null) continue;
    parts.push(`${key}=${show(value)}`);
  }
  // Last, because a message runs to the end of the line.
  for (const key of ["error", "err"]) {
    const error = describeError(record[key]);
    if (error) parts.push(`error ${error}`);
  }
  return `${parts.filter((p) => p !== "").join(" ")}\n`;
}

/** `HH:MM:SS` in the machine's time zone, as a terminal user reads the clock. */
function clock(time: unknown): string {
  const date = new Date(typeof time === "string" || typeof time === "number" ? time : Number.NaN);
  if (Number.isNaN(date.getTime())) return "";
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

/** `field: actual -> desired`, as the plan prints them. */
function changes(list: unknown[]): string {
  return list
    .map((c) => {
      const { field, actual, desired } = (c ?? {}) as Record<string, unknown>;
      return `${String(field)}: ${json(actual)} -> ${json(desired)}`;
    })
    .join(", ");
}

/** A resource error (`{code, message}`) or a serialised Error (`{type, message}`) as `Code: message`. */
function describeError(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object") return oneLine(String(value));
  const { code, type, message } = value as Record<string, unknown>;
  if (typeof message !== "string") return show(value);
  const label = typeof code === "string" ? code : typeof type === "string" ? type : undefined;
  return oneLine(label ? `${label}: ${message}` : message);
}

function json(value: unknown): string {
  return value === undefined || value === null ? "null" : JSON.stringify(value);
}

/** Bare when it reads unambiguously after `key=`, else as JSON. */
function show(value: unknown): string {
  if (typeof value === "string" && /^[^\s"=]+$/.test(value)) return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return json(value);
}

function oneLine(text: string): string {
  return text.replace(/\r?\n/g, "\\n");
}
