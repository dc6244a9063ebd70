/** describeSystemError: a full or read-only disk, missing permissions or memory become one line naming the path or the operation. */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeSystemError } from '../../src/cli/system-errors.js';
import { UserError } from '../../src/errors.js';
import { writeFileAtomic } from '../../src/util/atomic-write.js';

/** An error as Node's fs raises it. */
function sysError(code: string, syscall: string, path?: string, dest?: string): NodeJS.ErrnoException {
  const where = path ? ` '${path}'${dest ? ` -> '${dest}'` : ''}` : '';
  return Object.assign(new Error(`${code}: something, ${syscall}${where}`), {
    code,
    syscall,
    errno: -1,
    ...(path && { path }),
    ...(dest && { dest }),
  });
}

it.each([
  [
    'EROFS in mkdir',
    sysError('EROFS', 'mkdir', 'results/x'),
    'cannot create directory results/x (read-only file system, EROFS); write to a writable directory (--out, output.dir)',
  ],
  [
    'ENOSPC in write',
    sysError('ENOSPC', 'write'),
    'cannot write (no space left on device, ENOSPC); free some space (old runs, checkpoints) or write to another disk',
  ],
  [
    'EACCES in open',
    sysError('EACCES', 'open', '/data/m/config.json'),
    'cannot open /data/m/config.json (permission denied, EACCES); check the permissions, or use another directory',
  ],
  [
    'EMFILE in open',
    sysError('EMFILE', 'open', 'a.jsonl'),
    'cannot open a.jsonl (too many open files, EMFILE); raise the limit (ulimit -n) or run fewer jobs at once',
  ],
  [
    'ENOSPC in rename',
    sysError('ENOSPC', 'rename', 'a.tmp', 'a'),
    'cannot rename a.tmp to a (no space left on device, ENOSPC); free some space (old runs, checkpoints) or write to another disk',
  ],
  [
    'ENOMEM in spawn',
    sysError('ENOMEM', 'spawn'),
    'cannot start (out of memory, ENOMEM); run fewer jobs at once, or use a smaller model or batch',
  ],
])('%s', (_, err, line) => {
  expect(describeSystemError(err)).toBe(line);
});

it('looks through causes', () => {
  const err = new Error('saving the checkpoint failed', { cause: sysError('EROFS', 'mkdir', 'results/x') });
  expect(describeSystemError(err)).toMatch(/^cannot create directory results\/x \(read-only file system, EROFS\)/);
});

it('an ONNX Runtime allocation failure', () => {
  const err = new Error(
    "Non-zero status code returned while running MatMul node. Name:'/MatMul' Status Message: Failed to allocate memory for requested buffer of size 2147483648",
  );
  expect(describeSystemError(err)).toBe(
    'ONNX Runtime ran out of memory (2.0 GiB requested); lower train.micro_batch_tokens or rollout.m, use a smaller model, or run fewer jobs at once',
  );
  expect(describeSystemError(new Error('Failed to allocate memory'))).toMatch(/^ONNX Runtime ran out of memory; /);
});

it.each([
  ['a missing file', sysError('ENOENT', 'open', 'x')],
  ['a bug', new TypeError('x is undefined')],
  ['a user error', new UserError('--out: expected a path')],
  ['not an error', 'EROFS'],
])('%s is not a system error', (_, err) => {
  expect(describeSystemError(err)).toBeNull();
});

it('a failed write through writeFileAtomic names the file it was writing and leaves no temporary file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'system-errors-test-'));
  try {
    const path = join(dir, 'summary.json');
    const err = await writeFileAtomic(path, async () => {
      throw sysError('ENOSPC', 'write');
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(describeSystemError(err)).toBe(
      `cannot write ${path} (no space left on device, ENOSPC); free some space (old runs, checkpoints) or write to another disk`,
    );
    expect(await readdir(dir)).toEqual([]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
