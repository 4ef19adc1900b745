#!/usr/bin/env node
import { runCli } from "./program.js";

const code = await runCli(process.argv.slice(2));
// Interrupted (128 + n), the result is printed: a timer of an SDK retry delay cut short must not hold the exit.
if (code >= 128) process.stdout.write("", () => process.exit(code));
else process.exitCode = code;
