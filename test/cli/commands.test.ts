import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseGraphs, runExport } from '../../src/cli/export.js';
import { runInitModel } from '../../src/cli/init-model.js';
import { choiceFlag, formatYargsMessage, integerFlag } from '../../src/cli/options.js';
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

    await expect(runInitModel({ preset: 'tiny', out, seed: 3, dtype: 'f32', force: false })).rejects.toThrow(/--out: .* exists and is not an empty directory; pass --force/);
    // (--force replacing the directory is covered by saveModel's tests; re-drawing tiny's weights costs seconds under Jest.)

    const exported = join(root, 'export');
    const graphs = await runExport({ model: out, out: exported, embedWeights: false, graphs: ['score', 'train'], clip: false, kl: false });
    expect(graphs.map((g) => g.kind)).toEqual(['score', 'train']);
    expect((await readdir(exported)).sort()).toEqual(
      ['README.md', 'config.json', 'generation_config.json', 'score.onnx', 'tokenizer.json', 'tokenizer_config.json', 'train.onnx'],
    );
    const readme = await readFile(join(exported, 'README.md'), 'utf8');
    expect(readme).toContain('| `input_ids` | int64 | [B, T] |');
    expect(readme).toContain('| `model.embed_tokens.weight` | [1024, 128] |');
  });

  it('export reports a missing model directory as a user error', async () => {
    await expect(runExport({ model: join(root, 'nope'), out: join(root, 'e'), embedWeights: false, graphs: ['score'], clip: false, kl: false }))
      .rejects.toThrow(UserError);
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
    expect(() => integerFlag('seed', { min: 0, max: 10 })('11')).toThrow('--seed: expected an integer in [0, 10], got "11"');
    expect(choiceFlag('device', ['cpu', 'cuda', 'webgpu'] as const)('CUDA')).toBe('cuda');
    expect(() => choiceFlag('device', ['cpu', 'cuda', 'webgpu'] as const)('gpu')).toThrow('--device: expected one of cpu, cuda, webgpu, got "gpu"');
    expect(parseGraphs('score, train,score')).toEqual(['score', 'train']);
    expect(() => parseGraphs('score,eval')).toThrow('--graphs: expected a comma-separated list of score, train, got "eval"');
  });

  it.each([
    ['Invalid values:\n  Argument: device, Given: "gpu", Choices: "cpu", "cuda", "webgpu"', [], '--device: expected one of cpu, cuda, webgpu, got "gpu"'],
    ['Unknown argument: bogus', ['score', '--bogus', '1'], 'unknown option --bogus (see --help for the options of this command)'],
    ['Unknown arguments: x, bogus', ['score', '-x', '--bogus=1'], 'unknown options -x, --bogus (see --help for the options of this command)'],
    ['Unknown argument: extra', ['score', 'extra'], 'unknown command or argument "extra" (see --help)'],
    ['Missing required argument: model', [], 'missing required option --model'],
    ['Not enough arguments following: out', [], '--out: expected a value after the flag'],
    ['Did you mean score?', ['scor'], 'unknown command "scor"; did you mean score?'],
  ])('formatYargsMessage(%p) is one line naming the flag', (msg, argv, expected) => {
    expect(formatYargsMessage(msg, argv)).toBe(expected);
  });
});
