import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseGraphs, runExport } from '../../src/cli/export.js';
import { runInitModel } from '../../src/cli/init-model.js';
import { commandLevel } from '../../src/cli/commands.js';
import {
  choiceFlag,
  deviceOption,
  formatYargsMessage,
  integerFlag,
  loadCommandConfig,
  threadsOption,
  type CommandLevel,
} from '../../src/cli/options.js';
import { trainConfig } from '../../src/cli/train.js';
import { UserError } from '../../src/errors.js';
import { loadModel } from '../../src/model/checkpoint.js';
import { readSafetensorsHeader } from '../../src/model/safetensors.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cli-commands-test-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('init-model and export handlers', () => {
  it('init-model writes a loadable tiny model in bf16, refuses to overwrite without --force; export writes the graphs and their README', async () => {
    const out = join(root, 'tiny');
    const line = await runInitModel({ preset: 'tiny', out, seed: 3, dtype: 'bf16', force: false });
    expect(line).toMatch(/^tiny: 0\.9M parameters \(bf16, seed 3\) written to /);
    const model = await loadModel(out);
    expect(model.config.hiddenSize).toBe(128);
    const header = await readSafetensorsHeader(join(out, 'model.safetensors'));
    expect(header.tensors.every((t) => t.dtype === 'BF16')).toBe(true);

    await expect(runInitModel({ preset: 'tiny', out, seed: 3, dtype: 'f32', force: false })).rejects.toThrow(
      /--out: .* exists and is not an empty directory; pass --force/,
    );
    // (--force replacing the directory is covered by saveModel's tests; re-drawing tiny's weights costs seconds under Jest.)

    const exported = join(root, 'export');
    const graphs = await runExport({
      model: out,
      out: exported,
      embedWeights: false,
      graphs: ['score', 'train'],
      clip: false,
      kl: false,
    });
    expect(graphs.map((g) => g.kind)).toEqual(['score', 'train']);
    expect((await readdir(exported)).sort()).toEqual([
      'README.md',
      'config.json',
      'generation_config.json',
      'score.onnx',
      'tokenizer.json',
      'tokenizer_config.json',
      'train.onnx',
    ]);
    const readme = await readFile(join(exported, 'README.md'), 'utf8');
    expect(readme).toContain('| `input_ids` | int64 | [B, T] |');
    expect(readme).toContain('| `model.embed_tokens.weight` | [1024, 128] |');
  });

  it('export reports a missing model directory as a user error', async () => {
    await expect(
      runExport({
        model: join(root, 'nope'),
        out: join(root, 'e'),
        embedWeights: false,
        graphs: ['score'],
        clip: false,
        kl: false,
      }),
    ).rejects.toThrow(UserError);
  });
});

describe('option parsing', () => {
  it.each([
    ['4', 4],
    [4, 4],
    [' 12 ', 12],
  ])('integerFlag accepts %p', (raw, n) => {
    expect(integerFlag('threads', { min: 1 })(raw)).toBe(n);
  });

  it.each([
    ['0', /--threads: expected a positive integer, got "0"/],
    ['abc', /--threads: expected a positive integer, got "abc"/],
    [2.5, /--threads: expected a positive integer, got 2.5/],
    ['', /--threads: expected a positive integer after the flag/],
    [true, /--threads: expected a positive integer after the flag/],
    [[2, 3], /--threads: expected one value, got 2/],
  ])('integerFlag rejects %p naming the flag', (raw, pattern) => {
    expect(() => integerFlag('threads', { min: 1 })(raw)).toThrow(pattern);
  });

  it('integerFlag with a range, choiceFlag and --graphs', () => {
    expect(() => integerFlag('seed', { min: 0, max: 10 })('11')).toThrow(
      '--seed: expected an integer in [0, 10], got "11"',
    );
    expect(choiceFlag('device', ['cpu', 'cuda', 'webgpu'] as const)('CUDA')).toBe('cuda');
    expect(() => choiceFlag('device', ['cpu', 'cuda', 'webgpu'] as const)('gpu')).toThrow(
      '--device: expected one of cpu, cuda, webgpu, got "gpu"',
    );
    expect(parseGraphs('score, train,score')).toEqual(['score', 'train']);
    expect(() => parseGraphs('score,eval')).toThrow(
      '--graphs: expected a comma-separated list of score, train, got "eval"',
    );
  });

  it.each([
    [
      'Invalid values:\n  Argument: device, Given: "gpu", Choices: "cpu", "cuda", "webgpu"',
      [],
      '--device: expected one of cpu, cuda, webgpu, got "gpu"',
    ],
    [
      'Unknown argument: bogus',
      ['score', '--bogus', '1'],
      'unknown option --bogus (see --help for the options of this command)',
    ],
    [
      'Unknown arguments: x, bogus',
      ['score', '-x', '--bogus=1'],
      'unknown options -x, --bogus (see --help for the options of this command)',
    ],
    ['Unknown argument: extra', ['score', 'extra'], 'unexpected argument "extra" (see --help)'],
    [
      'Invalid values:\n  Argument: a, Given: "x", Choices: "p", "q"\n  Argument: b, Given: 3, Choices: 1, 2',
      [],
      '--a: expected one of p, q, got "x"; --b: expected one of 1, 2, got 3',
    ],
    [
      'Missing argument values: out, model',
      [],
      '--out: expected a value after the flag; --model: expected a value after the flag',
    ],
    ['Arguments a and b are mutually exclusive', [], '--a and --b cannot be given together'],
    ['Missing dependent arguments:\n resume -> out', [], '--resume needs --out'],
    ['Missing required argument: model', [], 'missing required option --model'],
    ['Not enough arguments following: out', [], '--out: expected a value after the flag'],
    ['Did you mean score?', ['scor'], 'unknown command "scor"; did you mean score?'],
  ])('formatYargsMessage(%p) is one line naming the flag', (msg, argv, expected) => {
    expect(formatYargsMessage(msg, argv)).toBe(expected);
  });
});

describe('command-line messages', () => {
  const level = (path: string[], subcommands: string[] = [], takesSet = false, usage?: string): CommandLevel => ({
    path,
    subcommands,
    takesSet,
    usage,
  });

  it('commandLevel follows the command words of the command line', () => {
    expect(commandLevel([])).toMatchObject({ path: [], takesSet: false });
    expect(commandLevel(['--verbose', 'data', 'prep']).path).toEqual(['data']);
    expect(commandLevel(['data', 'prep']).subcommands).toEqual(['prepare', 'download', 'synth', 'sft-mix']);
    expect(commandLevel(['data', 'synth', '--task', 'all'])).toEqual({
      path: ['data', 'synth'],
      usage: 'synth',
      subcommands: [],
      takesSet: false,
    });
    expect(commandLevel(['train', '--config', 'data', 'a=1'])).toEqual({
      path: ['train'],
      usage: 'train',
      subcommands: [],
      takesSet: true,
    });
    expect(commandLevel(['score', 'x']).takesSet).toBe(false);
  });

  it.each([
    [
      'Did you mean prepare?',
      ['data', 'prep'],
      level(['data'], ['prepare', 'download']),
      'unknown command "data prep"; did you mean data prepare?',
    ],
    [
      'Not enough non-option arguments: got 0, need at least 1',
      [],
      level([], ['train', 'eval']),
      'expected a command, one of train, eval',
    ],
    [
      'Not enough non-option arguments: got 0, need at least 1',
      ['data'],
      level(['data'], ['prepare', 'download']),
      'data: expected a subcommand, one of prepare, download',
    ],
    [
      'Not enough non-option arguments: got 0, need at least 1',
      ['data', 'x'],
      level(['data'], ['prepare', 'download']),
      'unknown command "data x" (expected one of prepare, download)',
    ],
    [
      'Not enough non-option arguments: got 0, need at least 1',
      ['report'],
      level(['report'], [], false, 'report <dirs..>'),
      'report: expected at least 1 argument, got 0 (tsallis-run report <dirs..>)',
    ],
    [
      'Too many non-option arguments: got 3, maximum of 1',
      ['x'],
      level(['x']),
      'x: expected at most 1 argument, got 3',
    ],
    [
      'Unknown argument: foo',
      ['foo'],
      level([], ['train', 'eval']),
      'unknown command "foo" (expected one of train, eval)',
    ],
    [
      'Unknown argument: algorithm.q=0.5',
      ['train', 'algorithm.q=0.5'],
      level(['train'], [], true),
      'algorithm.q=0.5: set config fields with --set algorithm.q=0.5',
    ],
    [
      'Unknown argument: algorithm.q=0.5',
      ['score', 'algorithm.q=0.5'],
      level(['score']),
      'unexpected argument "algorithm.q=0.5" to score (see --help)',
    ],
    [
      'Unknown argument: algorithm',
      ['train', '--algorithm.q=1'],
      level(['train'], [], true),
      'unknown option --algorithm.q: set config fields with --set algorithm.q=1',
    ],
    [
      'Unknown arguments: bogus, seed=1',
      ['train', '--bogus', 'seed=1'],
      level(['train'], [], true),
      'unknown option --bogus (see --help for the options of this command); seed=1: set config fields with --set seed=1',
    ],
    ['Unknown command: x', [], level([], ['train']), 'unknown command "x" (expected one of train)'],
  ])('formatYargsMessage(%p, %p) at a level', (msg, argv, at, expected) => {
    expect(formatYargsMessage(msg, argv, at)).toBe(expected);
  });

  it("--threads and --device take what the config's threads and device take, in its words", () => {
    const threads = threadsOption.coerce!;
    const device = deviceOption.coerce!;
    expect([threads(0), threads('0'), threads(' 8 ')]).toEqual([0, 0, 8]);
    expect(device('CUDA')).toBe('cuda');
    expect(() => threads(-1)).toThrow('--threads: expected an integer >= 0, got -1');
    expect(() => threads('2.5')).toThrow('--threads: expected an integer >= 0, got "2.5"');
    expect(() => threads(true)).toThrow('--threads: expected an integer >= 0 after the flag');
    expect(() => device('gpu')).toThrow('--device: expected one of "cpu", "cuda", "webgpu", got "gpu"');
  });

  it("--device and --threads override the config's fields as --set would; left out, the config's apply", async () => {
    const path = join(root, 'runtime.yaml');
    await writeFile(
      path,
      'model: {path: m}\ntask: {name: mini-finqa}\nalgorithm: {name: grpo}\ndevice: cuda\nthreads: 2\n',
    );
    expect(await loadCommandConfig({ config: path })).toMatchObject({ device: 'cuda', threads: 2 });
    expect(await loadCommandConfig({ config: path, device: 'cpu', threads: 0 })).toMatchObject({
      device: 'cpu',
      threads: 0,
    });
    const c = await trainConfig({ config: path, set: ['threads=4'], device: 'webgpu', out: join(root, 'run') });
    expect(c).toMatchObject({ device: 'webgpu', threads: 4, output: { dir: join(root, 'run') } });
  });
});
