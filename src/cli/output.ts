/**
 * What every command shares: the one-line error with exit code 2 for bad
 * input, and writing an output file so that a failure never leaves a partial
 * file behind.
 */
import { randomBytes } from "node:crypto";
import { rmSync, writeFileSync, renameSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** An error in what the user gave: printed as one line, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * Writes through a temporary file in the same folder and renames it into
 * place, so the target is either the complete new document or untouched.
 */
export function writeFileAtomically(path: string, content: string | Uint8Array): void {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    writeFileSync(temporary, content, { flag: "wx" });
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    const reason = error instanceof Error && "code" in error ? describeFsError(String(error.code)) : String(error);
    throw new UsageError(`cannot write ${path}: ${reason}`);
  }
}

function describeFsError(code: string): string {
  switch (code) {
    case "ENOENT":
      return "its folder does not exist";
    case "EACCES":
    case "EPERM":
    case "EROFS":
      return "permission denied";
    case "EISDIR":
      return "it is a folder";
    case "ENOTDIR":
      return "a part of the path is not a folder";
    case "ENOSPC":
      return "no space left on the device";
    default:
      return code;
  }
}
