import pino, { type DestinationStream, type Logger } from "pino";
import { scrubSecrets } from "./secrets.js";

/**
 * pino JSON logs. Anything that looks like a credential is redacted at the
 * source, so no code path can print one by accident: fields by name, and
 * credential values inside any string (an AWS error message quoting the signed
 * request) as each line is written.
 */
export function createLogger(level: string, destination: DestinationStream | number = 1): Logger {
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
      hooks: { streamWrite: scrubSecrets },
    },
    typeof destination === "number" ? pino.destination({ fd: destination, sync: true }) : destination,
  );
}
