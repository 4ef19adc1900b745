import type { Argument, Command, Option } from "commander";
import { buildProgram } from "../../src/cli/program.js";

/** The file the reference is written to, and the command that writes it. */
export const CLI_DOC = "docs/cli.md";
export const REGENERATE = "npm run docs:cli";

/** Table cells hold one line; a pipe would end the cell. */
function cell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

function defaultOf(option: Option): string {
  if (option.mandatory) return "required";
  if (option.defaultValueDescription) return `\`${option.defaultValueDescription}\``;
  const value: unknown = option.defaultValue;
  if (value === undefined || value === false) return "";
  return `\`${typeof value === "string" ? value : JSON.stringify(value)}\``;
}

/** A Markdown table with its columns padded, as the repository's formatter (Biome) lays tables out. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)];
}

function optionRows(options: readonly Option[]): string[] {
  const rows = options
    .filter((o) => !o.hidden)
    .map((o) => [
      `\`${o.flags}\``,
      o.envVar ? `\`${o.envVar}\`` : "",
      defaultOf(o),
      o.argChoices ? o.argChoices.map((c) => `\`${c}\``).join(", ") : "",
      cell(o.description),
    ]);
  return table(["option", "environment", "default", "values", "what"], rows);
}

function argumentRows(args: readonly Argument[]): string[] {
  const rows = args.map((a) => [
    `\`${a.name()}${a.variadic ? "…" : ""}\``,
    a.required ? "yes" : "no",
    cell(a.description),
  ]);
  return table(["argument", "required", "what"], rows);
}

/** Commander descriptions are help-line fragments; the reference prints them as sentences. */
function sentence(text: string): string {
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
}

function commandSection(command: Command): string[] {
  const usage = `retryctl ${command.name()} ${command.usage()}`.trim();
  const lines = [
    `## \`retryctl ${command.name()}\``,
    "",
    sentence(command.description()),
    "",
    "```text",
    usage,
    "```",
    "",
  ];
  if (command.registeredArguments.length > 0) lines.push(...argumentRows(command.registeredArguments), "");
  const own = command.options.filter((o) => !o.hidden);
  if (own.length > 0) lines.push(...optionRows(own), "");
  return lines;
}

/**
 * The CLI reference, from the commander definition itself (src/cli/program.ts), so
 * flags, defaults, choices and environment variables never drift from `--help`.
 */
export function renderCliReference(): string {
  const program = buildProgram({ stdout: () => {}, stderr: () => {} }, () => {});
  const lines = [
    "# CLI reference",
    "",
    `<!-- Generated from src/cli/program.ts by \`${REGENERATE}\`: do not edit by hand; a test fails when this file is stale. -->`,
    "",
    `${sentence(program.description())} How to use the commands together — exit codes, regions, output, waiting — is in [Using the CLI](cli-guide.md).`,
    "",
    "```text",
    `retryctl ${program.usage()}`,
    "```",
    "",
    "## Global options",
    "",
    "Given before or after the command (`retryctl --region eu-west-1 diff DIR` or `retryctl diff DIR --region eu-west-1`). Every command also takes `-h, --help`; `retryctl --version` prints the version.",
    "",
    ...optionRows(program.options.filter((o) => o.long !== "--version")),
    "",
    "An option given on the command line wins over its environment variable.",
    "",
  ];
  for (const command of program.commands) lines.push(...commandSection(command));
  return `${lines.join("\n").trimEnd()}\n`;
}
