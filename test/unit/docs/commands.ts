import type { CommanderError } from "commander";
import { buildProgram } from "../../../src/cli/program.js";
import { fences, inlineCode, type Located, readDoc } from "./markdown.js";

/** A `retryctl …` invocation found in the docs: its arguments, and whether it was inline code (a mention). */
export interface CommandLine extends Located {
  args: string[];
  inline: boolean;
}

const SHELL_LANGS = new Set(["sh", "bash", "shell", "console", "zsh"]);

/** Shell words of one command: quotes kept together, a `#` comment cut off; undefined for a line it cannot read. */
export function shellWords(line: string): string[][] {
  const commands: string[][] = [[]];
  let word: string | undefined;
  let quote: string | undefined;
  const flush = () => {
    if (word !== undefined) commands.at(-1)?.push(word);
    word = undefined;
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote) {
      if (c === quote) quote = undefined;
      else word = (word ?? "") + c;
    } else if (c === "'" || c === '"') {
      quote = c;
      word = word ?? "";
    } else if (c === "#" && word === undefined) {
      break;
    } else if (/\s/.test(c)) {
      flush();
    } else if (c === ">" || c === "<") {
      // A redirection and its target are not arguments: `2>&1`, `> file`, `<file`.
      if (word !== undefined && /^\d+$/.test(word)) word = undefined;
      flush();
      if (line[i + 1] === ">" || line[i + 1] === "&") i++;
      while (/\s/.test(line[i + 1] ?? "")) i++;
      while (i + 1 < line.length && !/[\s|&;()]/.test(line[i + 1] as string)) i++;
    } else if ("|&;()".includes(c)) {
      flush();
      if (commands.at(-1)?.length) commands.push([]);
    } else {
      word = (word ?? "") + c;
    }
  }
  flush();
  return commands.filter((c) => c.length > 0);
}

/** The retryctl arguments of a command's words, or undefined when the command is not retryctl. */
export function retryctlArgs(words: readonly string[]): string[] | undefined {
  let i = 0;
  while (i < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i] ?? "")) i++;
  const rest = words.slice(i);
  if (rest[0] === "retryctl") return rest.slice(1);
  if (rest[0] === "npx" && rest[1] === "retryctl") return rest.slice(2);
  if (rest[0] === "node" && /(^|\/)dist\/cli\/main\.js$/.test(rest[1] ?? "")) return rest.slice(2);
  // The image's entrypoint is the CLI: `docker run … registry.example.com/retryctl:0.1.0 validate /config`.
  if ((rest[0] === "docker" || rest[0] === "podman") && rest[1] === "run") {
    const image = rest.findIndex((w, i) => i > 1 && /^[^-][^=]*\/?retryctl(:[\w.-]+|@sha256:\w+)?$/.test(w));
    const args = image < 0 ? [] : rest.slice(image + 1);
    return args.length > 0 ? args : undefined;
  }
  return undefined;
}

/** Every retryctl command line in a doc: in shell blocks (a `console` block's `$ ` lines) and in inline code. */
export function commandLines(file: string, text = readDoc(file)): CommandLine[] {
  const out: CommandLine[] = [];
  for (const fence of fences(file, text)) {
    if (!SHELL_LANGS.has(fence.lang)) continue;
    for (let i = 0; i < fence.body.length; i++) {
      const start = i;
      let line = fence.body[i] ?? "";
      while (line.endsWith("\\") && i + 1 < fence.body.length)
        line = `${line.slice(0, -1)} ${fence.body[++i]}`;
      if (fence.lang === "console") {
        if (!/^\s*\$ /.test(line)) continue;
        line = line.replace(/^\s*\$ /, "");
      }
      for (const words of shellWords(line.replace(/^\s*\$ /, ""))) {
        const args = retryctlArgs(words);
        if (args) out.push({ file, line: fence.line + 1 + start, text: line.trim(), args, inline: false });
      }
    }
  }
  for (const span of inlineCode(file, text)) {
    if (!/^(npx )?retryctl /.test(span.text)) continue;
    for (const words of shellWords(span.text)) {
      const args = retryctlArgs(words);
      if (!args) continue;
      // Running text names alternatives as `retryctl diff/apply`: each one must be a command.
      const [first, ...rest] = args;
      const alternatives = first && /^[a-z]+(\/[a-z]+)+$/.test(first) ? first.split("/") : [first];
      for (const command of alternatives) {
        out.push({ ...span, args: command === undefined ? rest : [command, ...rest], inline: true });
      }
    }
  }
  return out;
}

/** Errors a mention in running text may leave out: `retryctl validate` names the command without its folder. */
const MENTION_GAPS = new Set(["commander.missingArgument", "commander.missingMandatoryOptionValue"]);

/** Parses the arguments with the CLI's own commander definition, every action replaced by a no-op. */
export async function parseWithCli(args: readonly string[], inline = false): Promise<string | undefined> {
  const sink = { stdout: () => {}, stderr: () => {} };
  const program = buildProgram(sink, () => {});
  for (const command of program.commands) command.action(() => {});
  try {
    await program.parseAsync([...args], { from: "user" });
    return undefined;
  } catch (err) {
    const e = err as CommanderError;
    if (e.code === "commander.helpDisplayed" || e.code === "commander.version") return undefined;
    if (inline && MENTION_GAPS.has(e.code)) return undefined;
    return e.message.replace(/^error: /, "");
  }
}
