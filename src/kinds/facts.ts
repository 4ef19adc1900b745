/** Facts kinds share through `Kind.provides` for lint across manifests. */

/** Failed asynchronous events of this function go somewhere (an onFailure destination or a DLQ). */
export function failurePathFact(region: string, functionName: string): string {
  return `failure-path:${region}/${functionName}`;
}
