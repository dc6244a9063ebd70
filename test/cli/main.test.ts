/** The built CLI as a user runs it: exit codes and one-line messages. Builds dist/ first when it is missing or stale. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commands } from '../../src/cli/commands.js';
import { cli, cliWithEnv, ensureBuilt } from './built-cli.js';

let root: string;
let config: string;
beforeAll(async () => {
  ensureBuilt();
  root = await mkdtemp(join(tmpdir(), 'cli-main-test-'));
  // Valid, but its model does not exist: a command that gets past its flags fails on the model.
  config = join(root, 'missing-model.yaml');
  await writeFile(
    config,
    `model: {path: ${join(root, 'no-model')}}\ntask: {name: mini-finqa}\nalgorithm: {name: grpo}\n`,
  );
}, 120_000);
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

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
  expect(r.stderr.split('\n')[0]).toBe(
    'tsallis-run: unknown option --bogus (see --help for the options of this command)',
  );
  noStack(r.stderr);
});

it.each([
  ['--threads', 'zero', 'tsallis-run: --threads: expected an integer >= 0, got "zero"'],
  ['--device', 'gpu', 'tsallis-run: --device: expected one of "cpu", "cuda", "webgpu", got "gpu"'],
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
  expect(r.stderr).toMatch(
    /^tsallis-run: cannot create directory \/sys\/tsallis-run-test\S* \((read-only file system, EROFS|operation not permitted, EPERM|permission denied, EACCES)\); [^\n]+\n$/,
  );
  const v = await cli(...args, '--verbose');
  expect(v.code).toBe(1);
  expect(v.stderr.split('\n')[0]).toBe(r.stderr.split('\n')[0]);
  expect(v.stderr).toMatch(/^\s+at /m);
});

it('--verbose also gives a user error its stack trace', async () => {
  const r = await cli('init-model', '--preset', 'tiny', '--out', 'src', '--verbose');
  expect(r.code).toBe(2);
  expect(r.stderr.split('\n')[0]).toBe(
    'tsallis-run: --out: src exists and is not an empty directory; pass --force to replace it',
  );
  expect(r.stderr).toMatch(/^\s+at /m);
});

const firstLine = (s: string) => s.split('\n')[0];

it.each(['train', 'eval', 'probe'])('%s --help lists --device and --threads', async (command) => {
  const r = await cli(command, '--help');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/--device\s+Execution provider; sets the config's device/);
  expect(r.stdout).toMatch(/--threads\s+Intra-op threads of onnxruntime; sets the config's threads \(0/);
});

it('train, eval and probe accept --threads 0 and --device cpu, each or both, and go on to the model', async () => {
  const model = `tsallis-run: ${join(root, 'no-model')}: not a model directory (it does not exist or is not a directory)`;
  for (const args of [
    ['train', '--config', config, '--out', join(root, 'run'), '--threads', '0'],
    ['probe', '--config', config, '--device', 'cpu'],
  ]) {
    const r = await cli(...args);
    expect([r.code, firstLine(r.stderr)]).toEqual([2, model]);
  }
  const e = await cli(
    'eval',
    '--config',
    config,
    '--checkpoint',
    join(root, 'no-checkpoint'),
    '--threads',
    '0',
    '--device',
    'cpu',
  );
  expect([e.code, firstLine(e.stderr)]).toEqual([
    2,
    `tsallis-run: ${join(root, 'no-checkpoint')}: not a model directory (it does not exist or is not a directory)`,
  ]);
});

it.each([
  [['train', '--config', 'x.yaml', '--threads', '-1'], 'tsallis-run: --threads: expected an integer >= 0, got -1'],
  [
    ['eval', '--config', 'x.yaml', '--checkpoint', 'c', '--device', 'tpu'],
    'tsallis-run: --device: expected one of "cpu", "cuda", "webgpu", got "tpu"',
  ],
])("a bad runtime flag on a config command is refused with the config's words: %p", async (args, line) => {
  const r = await cli(...args);
  expect([r.code, firstLine(r.stderr)]).toEqual([2, line]);
});

it.each([
  [
    [],
    'tsallis-run: expected a command, one of train, eval, probe, init-model, model, score, generate, export, data, metrics, report, theory',
  ],
  [['data'], 'tsallis-run: data: expected a subcommand, one of prepare, download, synth, sft-mix'],
  [['data', 'prep'], 'tsallis-run: unknown command "data prep"; did you mean data prepare?'],
  [['data', 'foo'], 'tsallis-run: unknown command "data foo" (expected one of prepare, download, synth, sft-mix)'],
  [['scor'], 'tsallis-run: unknown command "scor"; did you mean score?'],
  [['report'], 'tsallis-run: report: expected at least 1 argument, got 0 (tsallis-run report <dirs..>)'],
  [
    ['train', '--config', 'x.yaml', 'algorithm.q=0.5'],
    'tsallis-run: algorithm.q=0.5: set config fields with --set algorithm.q=0.5',
  ],
  [
    ['train', '--config', 'x.yaml', '--algorithm.q=0.5'],
    'tsallis-run: unknown option --algorithm.q: set config fields with --set algorithm.q=0.5',
  ],
  [['train', '--config', 'x.yaml', 'extra'], 'tsallis-run: unexpected argument "extra" to train (see --help)'],
  [
    ['data', 'prepare', '--task', 'x', '--input', 'a', '--out', 'b'],
    'tsallis-run: --task: expected one of finqa, hotpotqa, musique, got "x"',
  ],
])("yargs' messages come in the project's words: %p", async (args, line) => {
  const r = await cli(...args);
  expect(r.code).toBe(2);
  expect(r.stderr).toBe(`${line}\nRun with --help for usage.\n`);
});

it('help and messages are English under a German locale', async () => {
  const german = { LANG: 'de_DE.UTF-8', LC_ALL: 'de_DE.UTF-8', LC_MESSAGES: 'de_DE.UTF-8', LANGUAGE: 'de' };
  const help = await cliWithEnv(german, 'train', '--help');
  expect(help.code).toBe(0);
  expect(help.stdout).toContain('Options:');
  expect(help.stdout).toContain('Show help');
  expect(help.stdout).toContain('[required]');
  expect(help.stdout).not.toMatch(/Optionen|Hilfe|erforderlich|Standard/);
  const r = await cliWithEnv(german, 'data');
  expect(r.stderr).toBe(
    'tsallis-run: data: expected a subcommand, one of prepare, download, synth, sft-mix\nRun with --help for usage.\n',
  );
});
