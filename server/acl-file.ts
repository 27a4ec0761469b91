// The ACL file on Node: ACL LOAD reads it, ACL SAVE replaces it through a
// temporary file renamed over it (so a crash never leaves half a file), as
// Redis's ACLSaveToFile does. Errors carry the C library's wording, which
// Redis puts in its replies ("No such file or directory").
import { readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { AclFileError, type AclFiles } from "../runtime/acl.ts";

const STRERROR: Record<string, string> = {
  ENOENT: "No such file or directory",
  EACCES: "Permission denied",
  EISDIR: "Is a directory",
  ENOTDIR: "Not a directory",
  EROFS: "Read-only file system",
  ENOSPC: "No space left on device",
  EMFILE: "Too many open files",
};

function systemError(error: unknown): AclFileError {
  const code = (error as { code?: string }).code;
  return new AclFileError(code !== undefined ? STRERROR[code] ?? code : String(error));
}

export const nodeAclFiles: AclFiles = {
  read(path: string): string {
    try {
      return readFileSync(path, "latin1");
    } catch (error) {
      throw systemError(error);
    }
  },
  write(path: string, text: string): void {
    const temporary = `${path}.tmp-${process.pid}-${Date.now()}`;
    try {
      writeFileSync(temporary, text, { encoding: "latin1", mode: 0o644 });
      renameSync(temporary, path);
    } catch (error) {
      try { unlinkSync(temporary); } catch { /* it may not exist */ }
      throw systemError(error);
    }
  },
};
