import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes `path` so that a crash never leaves it half-written: the contents go to a temporary file
 * in the same directory (so the rename stays on one file system), which is flushed to disk and then
 * renamed over `path`. `contents` is either the bytes/text or a function that writes through the
 * file handle (for files too big to hold in memory at once).
 */
export async function writeFileAtomic(
  path: string,
  contents: string | Uint8Array | ((file: FileHandle) => Promise<void>),
): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  const file = await open(temp, 'wx');
  try {
    if (typeof contents === 'function') await contents(file);
    else await file.writeFile(contents);
    await file.sync();
  } catch (err) {
    await file.close().catch(() => {});
    await unlink(temp).catch(() => {});
    addErrorPath(err, path);
    throw err;
  }
  await file.close();
  try {
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw err;
  }
  await syncDirectory(dir);
}

/** Gives a file-system error that names no file (a failed write: ENOSPC) the path it concerns, for messages. */
export function addErrorPath(err: unknown, path: string): void {
  const e = err as NodeJS.ErrnoException | undefined;
  if (typeof e?.code === 'string' && e.path === undefined) e.path = path;
}

/** Makes renames and new entries in `dir` durable. Some platforms (Windows) cannot open a directory; skip there. */
export async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // best effort
  } finally {
    await handle?.close().catch(() => {});
  }
}

/** Flushes a file written by other means (copyFile) to disk. */
export async function syncFile(path: string): Promise<void> {
  const file = await open(path, 'r+');
  try {
    await file.sync();
  } finally {
    await file.close();
  }
}

/** Writes all of `bytes` at `position`, looping over partial writes. */
export async function writeFully(file: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await file.write(bytes, done, bytes.length - done, position + done);
    done += bytesWritten;
  }
}

export async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** The text of `path` (UTF-8), or null when there is no such file. */
export async function readTextIfExists(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * Puts the finished directory `ready` at `target`, replacing what is there: the old directory is moved
 * aside to `<target>.old-<pid>` first and removed last, so a crash leaves either the old or the new
 * directory, never a mix (a missing `target` beside its `.old-<pid>` is restored by
 * trainer-checkpoint.ts tidyCheckpoints). The parent is synced after each rename so the order holds
 * on disk too.
 */
export async function replaceDirectory(ready: string, target: string): Promise<void> {
  const parent = dirname(target);
  const old = `${target}.old-${process.pid}`;
  const hadOld = await pathExists(target);
  await syncDirectory(ready);
  if (hadOld) {
    await rm(old, { recursive: true, force: true });
    await rename(target, old);
    await syncDirectory(parent);
  }
  try {
    await rename(ready, target);
  } catch (err) {
    if (hadOld)
      await rename(old, target).then(
        () => syncDirectory(parent),
        () => {},
      );
    throw err;
  }
  await syncDirectory(parent);
  if (hadOld) await rm(old, { recursive: true, force: true });
}
