import pino, { type DestinationStream, type Logger } from "pino";
import { scrubSecrets } from "./secrets.js";
import { formatTextLine, type LogFormat } from "./text-format.js";

/**
 * pino logs, as JSON lines or as text lines (`format`). Anything that looks
 * like a credential is redacted at the source, so no code path can print one by
 * accident: fields by name, and credential values inside any string (an AWS
 * error message quoting the signed request) as each line is written, in either
 * format.
 */
export function createLogger(
  level: string,
  destination: DestinationStream | number = 1,
  format: LogFormat = "json",
): Logger {
  return pino(
    {
      level,
      base: { app: "retryctl" },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          "accessKeyId",
          "secretAccessKey",
          "sessionToken",
          "credentials",
          "*.accessKeyId",
          "*.secretAccessKey",
          "*.sessionToken",
          "*.credentials",
          "headers.authorization",
          "*.headers.authorization",
        ],
        censor: "[redacted]",
      },
      formatters: { level: (label) => ({ level: label }) },
      // The text is made from the scrubbed JSON and scrubbed again: undoing JSON's escapes must not reveal anything.
      hooks: {
        streamWrite:
          format === "text" ? (line) => scrubSecrets(formatTextLine(scrubSecrets(line))) : scrubSecrets,
      },
    },
    typeof destination === "number" ? pino.destination({ fd: destination, sync: true }) : destination,
  );
}
