import pMap from "p-map";
import { ResourceError } from "../aws/errors.js";
import type { GlobalOptions } from "../cli/context.js";
import { openOneShot } from "../cli/one-shot.js";
import { formatWarning } from "../cli/output.js";
import type { Io } from "../cli/program.js";
import { scrubSecrets } from "../log/secrets.js";
import { explainDocument, explainExitCode } from "./document.js";
import { explainFunction } from "./explain.js";
import { explainMermaid } from "./mermaid.js";
import type { FunctionExplanation } from "./model.js";
import { ExplainReads } from "./reads.js";
import { explainTargets, mixesAccounts, oncePerFunction } from "./targets.js";
import { explainText } from "./text.js";

export type ExplainFormat = "text" | "json" | "mermaid";

export interface ExplainOptions extends Omit<GlobalOptions, "output"> {
  /** `--output`: text, json or mermaid. */
  format?: ExplainFormat;
  /** `--function`: only this function (name or ARN). */
  function?: string;
  progressIntervalMs?: number;
}

/** Functions read at once; the rate limiter sets the pace of their calls. */
const FUNCTION_CONCURRENCY = 8;

/**
 * `retryctl explain DIR`: reads AWS (never writes) and prints every failure
 * path of every function the manifests name; resolves to the exit code of
 * design §9 (0, 2 when a path drops events, 1 on any error).
 */
export async function runExplain(dir: string, io: Io, options: ExplainOptions): Promise<number> {
  const session = await openOneShot(dir, io, options);
  const { waits, aws, guard } = session;
  try {
    // The functions fleet policies match are explained too (design §9): the same discovery as diff's.
    const load = await session.resolve();
    const named = explainTargets(load.manifests, options.function);
    if (options.function !== undefined && named.length === 0) {
      throw new Error(`no manifest or fleet policy in ${dir} names function ${options.function}`);
    }
    // One sts:GetCallerIdentity, only when a function named by an ARN of the hub's account may also be named by name.
    const targets = mixesAccounts(named) ? oncePerFunction(named, await session.callerAccount()) : named;
    const reads = new ExplainReads();
    const functions = await pMap(
      targets,
      async (t): Promise<FunctionExplanation> => {
        const progress = {
          key: `${t.account ?? ""}/${t.region}/${t.functionName}`,
          label: `function ${t.functionName}`,
        };
        waits.step(progress, "reading");
        try {
          const placed = await guard.place(t.via);
          if (placed instanceof ResourceError) {
            return {
              account: t.account ?? null,
              region: t.region,
              functionName: t.functionName,
              functionArn: null,
              paths: [],
              uninspected: [],
              error: { code: placed.code, message: scrubSecrets(placed.message) },
            };
          }
          return await explainFunction(reads.for(placed.aws ?? aws, t.region), t);
        } finally {
          waits.done(progress);
        }
      },
      { concurrency: FUNCTION_CONCURRENCY },
    );
    const doc = explainDocument(functions, load.errors);
    if (options.format === "json") io.stdout(`${JSON.stringify(doc, null, 2)}\n`);
    else if (options.format === "mermaid") io.stdout(explainMermaid(doc));
    else {
      for (const w of load.warnings) io.stderr(`${formatWarning(w)}\n`);
      io.stdout(explainText(doc));
    }
    return explainExitCode(doc);
  } finally {
    session.close();
  }
}
