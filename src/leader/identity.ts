import { randomUUID } from "node:crypto";
import { hostname } from "node:os";

/**
 * This process's holderIdentity: the pod name (HOSTNAME in a pod) and a random
 * suffix, as controller-runtime makes it, so a restarted pod with the same name
 * is a new candidate and never mistakes its predecessor's lease for its own.
 */
export function holderIdentity(env: NodeJS.ProcessEnv = process.env): string {
  return `${env.HOSTNAME || hostname()}_${randomUUID()}`;
}
