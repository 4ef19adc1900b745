import { isAbsolute, relative, resolve, sep } from "node:path";

/**
 * A file path as compilers print it, so it can be opened from where the
 * command ran: relative to `cwd` when it lies below it, absolute otherwise.
 * Resolved lexically: a symlinked folder keeps its name, never its target's.
 */
export function displayPath(path: string, cwd: string): string {
  // `path` is what the file system reads: relative to the process's directory, whatever `cwd` says.
  const absolute = resolve(path);
  const rel = relative(cwd, absolute);
  const outside = rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel);
  const shown = rel === "" ? "." : outside ? absolute : rel;
  return shown.split(sep).join("/");
}
