import { ResourceNotFoundException } from "@aws-sdk/client-lambda";
import pino from "pino";
import type { AwsClients } from "../../../src/aws/clients.js";
import type { KindContext } from "../../../src/kinds/kind.js";

export type Handler = (command: string, input: Record<string, unknown>) => unknown;

/** A KindContext whose LambdaClient records each command and answers through `handler`. */
export function fakeLambdaContext(handler: Handler) {
  const calls: { command: string; input: Record<string, unknown> }[] = [];
  const client = {
    async send(cmd: { constructor: { name: string }; input: Record<string, unknown> }) {
      const command = cmd.constructor.name.replace(/Command$/, "");
      calls.push({ command, input: cmd.input });
      return handler(command, cmd.input);
    },
  };
  const ctx: KindContext = {
    aws: { lambda: () => client } as unknown as AwsClients,
    log: pino({ level: "silent" }),
  };
  return { ctx, calls };
}

export const functionNotFound = () =>
  new ResourceNotFoundException({ message: "Function not found", $metadata: { httpStatusCode: 404 } });
