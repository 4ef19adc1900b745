import { constants } from "node:fs";
import { open } from "node:fs/promises";

/** Larger files are refused: a manifest is a few KiB; a huge file is a mistake or an attack. */
export const MAX_FILE_BYTES = 1024 * 1024;

export type FileContent =
  | { ok: true; bytes: Uint8Array; text: string }
  | { ok: false; message: string; vanished?: boolean; bytes?: Uint8Array; size?: number };

const utf8 = new TextDecoder("utf-8", { fatal: true });

function tooLarge(size: number): string {
  return `file is ${size} bytes; manifest files are limited to ${MAX_FILE_BYTES} bytes (1 MiB)`;
}

/** Reads one manifest file as UTF-8 text, refusing what is not a small regular text file. */
export async function readManifestFile(path: string): Promise<FileContent> {
  let bytes: Uint8Array;
  try {
    // O_NONBLOCK: a FIFO named *.yaml must not hang the loader waiting for a writer.
    const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const info = await handle.stat();
      if (!info.isFile()) return { ok: false, message: "not a regular file; skipped" };
      if (info.size > MAX_FILE_BYTES) {
        return { ok: false, size: info.size, message: tooLarge(info.size) };
      }
      bytes = await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { ok: false, vanished: true, message: "file disappeared while being read" };
    if (code === "EACCES" || code === "EPERM")
      return { ok: false, message: "file cannot be read: permission denied" };
    return {
      ok: false,
      message: `file cannot be read: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  if (bytes.length > MAX_FILE_BYTES) {
    return { ok: false, size: bytes.length, message: tooLarge(bytes.length) };
  }
  if (bytes.includes(0)) {
    return { ok: false, bytes, message: "binary file (it contains NUL bytes); manifests must be UTF-8 text" };
  }
  try {
    return { ok: true, bytes, text: utf8.decode(bytes) };
  } catch {
    return { ok: false, bytes, message: "not valid UTF-8 text; manifests must be UTF-8" };
  }
}
