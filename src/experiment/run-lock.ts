/**
 * The run lock: `<run>/run.lock`, created exclusively (O_EXCL) by the process that trains in the run
 * directory and removed when it stops, so that two `train` (or `train --resume`) never write one run.
 * It holds the owner's pid, host and start time. A lock whose process is gone (same host, no such pid)
 * is stale, left by a killed run: it is taken over. A lock of another host cannot be checked from
 * here and is never taken over; the message says how to remove it by hand.
 */
import { readFile, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../errors.js';

export const RUN_LOCK_FILE = 'run.lock';

export interface RunLockOwner {
  pid: number;
  host: string;
  started: string;
}

export interface RunLock {
  path: string;
  /** The owner this lock replaced because its process was gone, if any. */
  tookOverFrom: RunLockOwner | null;
  release(): Promise<void>;
}

/** Whether process `pid` exists on this host (signal 0 checks without sending anything). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by another user
  }
}

/** The owner recorded in a lock file, or null when it is unreadable (being written, or not ours). */
export async function readRunLock(path: string): Promise<RunLockOwner | null> {
  try {
    const o = JSON.parse(await readFile(path, 'utf8')) as Partial<RunLockOwner>;
    return Number.isInteger(o.pid) && typeof o.host === 'string'
      ? { pid: o.pid!, host: o.host, started: String(o.started ?? '') }
      : null;
  } catch {
    return null;
  }
}

/** Whether a lock owner is a live process, as far as this host can tell (another host's lock counts as live). */
export function ownerAlive(owner: RunLockOwner): boolean {
  return owner.host !== hostname() || processAlive(owner.pid);
}

/** Takes the lock of run directory `dir`, or throws a UserError naming the process that holds it. */
export async function acquireRunLock(dir: string): Promise<RunLock> {
  const path = join(dir, RUN_LOCK_FILE);
  const me: RunLockOwner = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
  let tookOverFrom: RunLockOwner | null = null;
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFile(path, JSON.stringify(me) + '\n', { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = await readRunLock(path);
    if (owner && ownerAlive(owner)) {
      throw new UserError(
        `${dir}: the run is in use by process ${owner.pid} on ${owner.host} (since ${owner.started}); ` +
          `wait for it or stop it` +
          (owner.host === hostname() ? '' : `, or delete ${path} if that process is gone`),
      );
    }
    // Unreadable twice in a row (not a lock being written), or its process is gone: take it over.
    if (owner === null && attempt === 0) {
      await new Promise((r) => setTimeout(r, 100));
      continue;
    }
    if (attempt > 3) throw new UserError(`${path}: could not take over the stale run lock; delete it and retry`);
    tookOverFrom = owner;
    await unlink(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
  let released = false;
  return {
    path,
    tookOverFrom,
    release: async () => {
      if (released) return;
      released = true;
      const owner = await readRunLock(path);
      if (owner?.pid === me.pid && owner.host === me.host) await unlink(path).catch(() => {});
    },
  };
}
