/**
 * Small durable-write helpers for run folders: a file is written, flushed to
 * the disk (`fsync`) and closed before anything refers to it, and a folder is
 * flushed after entries were renamed into it, so that a rename that made a
 * checkpoint visible survives a crash together with the files it points to.
 */
import { promises as fs } from 'fs';

/**
 * Write `data` to `file` (created or truncated) and fsync it before closing.
 * @throws the underlying `fs` error (e.g. ENOSPC, EACCES) — callers turn it into a user message
 */
export async function writeFileDurable(file: string, data: string | Uint8Array): Promise<void> {
  const fh = await fs.open(file, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    throw withPath(e, file);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/**
 * `e` with `path` set to `file` when it is an `fs` error without one (errors
 * of writes through a file handle name no file), so that messages can name it.
 */
export function withPath(e: unknown, file: string): unknown {
  if (e && typeof e === 'object' && 'code' in e && !(e as NodeJS.ErrnoException).path) (e as NodeJS.ErrnoException).path = file;
  return e;
}

/**
 * Flush a folder's entries (the names created or renamed in it) to the disk.
 * Best effort: platforms that cannot open a folder for syncing (Windows)
 * are skipped silently.
 */
export async function syncDir(dir: string): Promise<void> {
  let fh: fs.FileHandle | undefined;
  try {
    fh = await fs.open(dir, 'r');
    await fh.sync();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EACCES' && code !== 'EBADF') throw e;
  } finally {
    await fh?.close();
  }
}

/** True when `p` exists (any kind of entry). */
export async function exists(p: string): Promise<boolean> {
  return fs.stat(p).then(
    () => true,
    () => false,
  );
}
