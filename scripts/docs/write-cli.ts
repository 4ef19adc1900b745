import { writeFileSync } from "node:fs";
import { CLI_DOC, renderCliReference } from "./cli-reference.js";

// Run from the repository root (npm run docs:cli).
writeFileSync(CLI_DOC, renderCliReference());
process.stderr.write(`wrote ${CLI_DOC}\n`);
