/** The built CLI as a user runs it: exit codes and one-line messages. Builds dist/ first when it is missing or stale. */
import { commands } from '../../src/cli/commands.js';
import { cli, ensureBuilt } from './built-cli.js';

beforeAll(ensureBuilt, 120_000);

const noStack = (s: string) => expect(s).not.toMatch(/^\s+at /m);

it('--help lists every command', async () => {
  const r = await cli('--help');
  expect(r.code).toBe(0);
  for (const c of commands) expect(r.stdout).toContain(`tsallis-run ${String(c.command).split(' ')[0]}`);
  for (const name of ['init-model', 'score', 'export']) expect(r.stdout).toContain(`tsallis-run ${name}`);
});

it('an unknown flag exits 2 naming the flag', async () => {
  const r = await cli('score', '--model', 'm', '--input', 'i.jsonl', '--out', 'o.jsonl', '--bogus', '1');
  expect(r.code).toBe(2);
  expect(r.stderr.split('\n')[0]).toBe('tsallis-run: unknown option --bogus (see --help for the options of this command)');
  noStack(r.stderr);
});

it.each([
  ['--threads', 'zero', 'tsallis-run: --threads: expected a positive integer, got "zero"'],
  ['--device', 'gpu', 'tsallis-run: --device: expected one of cpu, cuda, webgpu, got "gpu"'],
])('a bad %s value exits 2 naming the flag and what was expected', async (flag, value, line) => {
  const r = await cli('score', '--model', 'm', '--input', 'i.jsonl', '--out', 'o.jsonl', flag, value);
  expect(r.code).toBe(2);
  expect(r.stderr.split('\n')[0]).toBe(line);
  noStack(r.stderr);
});

it('a directory that cannot be created exits 1 with one line naming it; --verbose adds the stack trace', async () => {
  // /sys refuses new directories: EPERM or EROFS for root, EACCES for other users, EROFS on macOS.
  const args = ['init-model', '--preset', 'tiny', '--out', '/sys/tsallis-run-test/m'];
  const r = await cli(...args);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/^tsallis-run: cannot create directory \/sys\/tsallis-run-test\S* \((read-only file system, EROFS|operation not permitted, EPERM|permission denied, EACCES)\); [^\n]+\n$/);
  const v = await cli(...args, '--verbose');
  expect(v.code).toBe(1);
  expect(v.stderr.split('\n')[0]).toBe(r.stderr.split('\n')[0]);
  expect(v.stderr).toMatch(/^\s+at /m);
});

it('--verbose also gives a user error its stack trace', async () => {
  const r = await cli('init-model', '--preset', 'tiny', '--out', 'src', '--verbose');
  expect(r.code).toBe(2);
  expect(r.stderr.split('\n')[0]).toBe('tsallis-run: --out: src exists and is not an empty directory; pass --force to replace it');
  expect(r.stderr).toMatch(/^\s+at /m);
});
