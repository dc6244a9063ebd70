/**
 * One-line messages for failures of the machine rather than of the program: a read-only or full
 * disk, missing permissions, too many open files, no memory (from the file system or ONNX Runtime).
 */

/** By error code: what went wrong, and what to try. */
const CODES: Record<string, [reason: string, advice: string]> = {
  EROFS: ['read-only file system', 'write to a writable directory (--out, output.dir)'],
  ENOSPC: ['no space left on device', 'free some space (old runs, checkpoints) or write to another disk'],
  EDQUOT: ['disk quota exceeded', 'free some space (old runs, checkpoints) or write to another disk'],
  EACCES: ['permission denied', 'check the permissions, or use another directory'],
  EPERM: ['operation not permitted', 'check the permissions, or use another directory'],
  EMFILE: ['too many open files', 'raise the limit (ulimit -n) or run fewer jobs at once'],
  ENOMEM: ['out of memory', 'run fewer jobs at once, or use a smaller model or batch'],
};

/** What the failed system call was doing, for "cannot <verb> <path>". */
const VERBS: Record<string, string> = {
  mkdir: 'create directory',
  open: 'open',
  read: 'read',
  write: 'write',
  writev: 'write',
  fsync: 'flush',
  rename: 'rename',
  copyfile: 'copy',
  unlink: 'remove',
  rmdir: 'remove',
  scandir: 'list',
  stat: 'inspect',
  lstat: 'inspect',
  mmap: 'map',
  spawn: 'start',
};

const ORT_ALLOCATION = /Failed to allocate memory(?: for requested buffer of size (\d+))?/;

/**
 * The one line (without the "tsallis-run: " prefix) for a system error, or null when `err` is not
 * one: a Node error whose code is in CODES (named with its path, or the operation when it has no
 * path), or an ONNX Runtime allocation failure. Causes (`err.cause`) are looked through.
 */
export function describeSystemError(err: unknown): string | null {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const line = describeOne(e);
    if (line !== null) return line;
  }
  return null;
}

function describeOne(err: Error): string | null {
  const { code, syscall, path, dest } = err as NodeJS.ErrnoException & { dest?: string };
  const known = typeof code === 'string' ? CODES[code] : undefined;
  if (known) {
    const [reason, advice] = known;
    const verb = syscall ? (VERBS[syscall] ?? syscall) : 'complete the operation';
    const what = path ? `${verb} ${path}${dest ? ` to ${dest}` : ''}` : verb;
    return `cannot ${what} (${reason}, ${code}); ${advice}`;
  }
  const ort = ORT_ALLOCATION.exec(err.message);
  if (ort) {
    const size = ort[1] ? ` (${formatBytes(Number(ort[1]))} requested)` : '';
    return `ONNX Runtime ran out of memory${size}; lower train.micro_batch_tokens or rollout.m, use a smaller model, or run fewer jobs at once`;
  }
  return null;
}

function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} bytes` : `${n.toFixed(1)} ${units[i]}`;
}
