// Writing run files safely: fsync before a rename makes the renamed file or folder complete after a crash,
// and a full disk, a quota or a permission problem becomes one line that names the path and the cause.
import fs from 'node:fs';
import path from 'node:path';
import { TtrlError } from './errors.js';

const CAUSES: Record<string, string> = {
  ENOSPC: 'no space left on device', EDQUOT: 'disk quota exceeded', EACCES: 'permission denied',
  EPERM: 'operation not permitted', EROFS: 'read-only file system', EIO: 'input/output error',
};

/** A write that failed for a reason outside ttrl (disk full, permissions): `where` is the path written. */
export class DiskError extends TtrlError {
  constructor(readonly where: string, readonly code: string) {
    super(`cannot write ${where}: ${CAUSES[code] ?? code} (${code})`);
  }
}

/** The DiskError for an fs error of a known cause, else null. */
export function diskErrorOf(e: unknown, where: string): DiskError | null {
  const err = e as NodeJS.ErrnoException | null;
  if (e instanceof DiskError) return e;
  if (!err || typeof err.code !== 'string' || !(err.code in CAUSES)) return null;
  return new DiskError(err.path ?? where, err.code);
}

/** Runs a write; a disk or permission failure becomes a DiskError naming `where` (or the failing path). */
export function onDisk<T>(where: string, fn: () => T): T {
  try { return fn(); } catch (e) { throw diskErrorOf(e, where) ?? e; }
}

/** Flushes a file or a folder (its entries) to the disk. */
export function fsyncPath(p: string): void {
  const fd = fs.openSync(p, 'r');
  try { fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
}

/** Flushes every file of a folder, then the folder itself. */
export function fsyncTree(dir: string): void {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) fsyncTree(path.join(dir, e.name));
    else if (e.isFile()) fsyncPath(path.join(dir, e.name));
  }
  fsyncPath(dir);
}
