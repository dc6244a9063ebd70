/** Input limits: a record too long for the model or a micro-batch is a UserError naming its file, line and id, before any work. */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCommand } from '../../src/cli/generate.js';
import { parseConfig } from '../../src/config/load.js';
import { UserError } from '../../src/errors.js';
import { runEvaluation } from '../../src/experiment/eval/run.js';
import { checkInputLimits, checkSequences, type InputLimits } from '../../src/experiment/input-limits.js';
import { promptIds } from '../../src/experiment/prompting.js';
import { loadSftPairs, loadSplit, loadTaskContext, type TaskContext } from '../../src/experiment/task-data.js';
import { loadTokenizer, type Tokenizer } from '../../src/model/tokenizer.js';
import { FIXTURES, scratchWithModel, type Scratch } from './helpers.js';

let s: Scratch;
let tok: Tokenizer;
let task: TaskContext;
let dataDir: string;
beforeAll(async () => {
  s = await scratchWithModel();
  tok = await loadTokenizer(s.model);
  dataDir = join(s.dir, 'task');
  await mkdir(dataDir);
  task = await loadTaskContext({
    task: { name: 'mini-hotpotqa', start: 'cold', prompts: join(FIXTURES, 'prompts'), data_dir: dataDir },
  });
});
afterAll(async () => s.cleanup());

/** The fixture's prompts hold only the question: its length sets the prompt's. */
const record = (id: string, question = 'What is 2+3?') =>
  JSON.stringify({
    task: 'hotpotqa',
    id,
    question,
    context: '',
    answer: '5',
    aliases: [],
    meta: { type: 'bridge', level: 'easy', supportingFacts: [] },
  });
const HUGE = 'lorem ipsum dolor sit amet '.repeat(1500);

/** A split file; the blank line 2 makes the second record line 3. */
async function writeSplit(split: string, lines: string[]): Promise<string> {
  const file = join(dataDir, `${split}.jsonl`);
  await writeFile(file, lines.join('\n') + '\n');
  return file;
}

const limits = (extra: Partial<InputLimits> = {}): InputLimits => ({
  tokenizer: tok,
  task,
  maxPositions: 8192,
  maxNewTokens: 112,
  ...extra,
});

describe('checkInputLimits', () => {
  it('names the file, line 3 and id of a 20,000-token prompt, with the positions it needs', async () => {
    const file = await writeSplit('train', [record('a'), '', record('big', HUGE), record('c')]);
    const records = await loadSplit(task, 'train');
    const n = promptIds(tok, task.template, task.mode, records[1]!).length;
    expect(n).toBeGreaterThan(20000);
    const err = await checkInputLimits({ kind: 'questions', file, records }, limits()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    const fmt = (x: number) => x.toLocaleString('en-US');
    expect((err as Error).message).toBe(
      `${file}: line 3 (id big): the prompt is ${fmt(n)} tokens: with rollout.max_new_tokens 112 it needs ${fmt(n + 112)} positions, more than the model's max_position_embeddings 8,192`,
    );
  });

  it('passes records that fit, and counts max_new_tokens against the positions', async () => {
    const file = await writeSplit('validation', [record('a'), record('b', 'lorem ipsum '.repeat(20))]);
    const records = await loadSplit(task, 'validation');
    await expect(checkInputLimits({ kind: 'questions', file, records }, limits())).resolves.toBeUndefined();
    const longest = Math.max(...records.map((r) => promptIds(tok, task.template, task.mode, r).length));
    await expect(
      checkInputLimits({ kind: 'questions', file, records }, limits({ maxNewTokens: 8192 - longest })),
    ).resolves.toBeUndefined();
    await expect(
      checkInputLimits({ kind: 'questions', file, records }, limits({ maxNewTokens: 8193 - longest })),
    ).rejects.toThrow(/: line 2 \(id b\): .*more than the model's max_position_embeddings/);
  });

  it('holds trained sequences to train.micro_batch_tokens, and not eval prompts', async () => {
    const file = await writeSplit('train', [record('a'), record('b', 'lorem ipsum '.repeat(100))]);
    const records = await loadSplit(task, 'train');
    await expect(checkInputLimits({ kind: 'questions', file, records }, limits())).resolves.toBeUndefined();
    await expect(
      checkInputLimits({ kind: 'questions', file, records }, limits({ microBatchTokens: 256 })),
    ).rejects.toThrow(
      /: line 2 \(id b\): the prompt is [\d,]+ tokens: with rollout.max_new_tokens 112 it needs [\d,]+ tokens in one sequence, more than train.micro_batch_tokens 256$/,
    );
  });

  it('SFT: the target counts, for records and {prompt, target} pairs', async () => {
    const file = await writeSplit('train', [record('a'), record('b')]);
    const records = await loadSplit(task, 'train');
    // SFT has no generation: max_new_tokens does not count.
    await expect(
      checkInputLimits({ kind: 'sft-records', file, records }, limits({ maxNewTokens: 100000 })),
    ).resolves.toBeUndefined();
    const pairsFile = join(s.dir, 'sft.jsonl');
    await writeFile(
      pairsFile,
      [
        JSON.stringify({ id: 's1', prompt: 'Hi', target: 'hello' }),
        JSON.stringify({ prompt: 'Hi', target: HUGE }),
      ].join('\n\n'),
    );
    const pairs = await loadSftPairs(pairsFile);
    await expect(checkInputLimits({ kind: 'sft-pairs', file: pairsFile, pairs }, limits())).rejects.toThrow(
      new RegExp(
        `^${pairsFile}: line 3 \\(id 3\\): the prompt is [\\d,]+ tokens and the target [\\d,]+: together [\\d,]+ positions, more than the model's max_position_embeddings 8,192$`,
      ),
    );
  });

  it('lists up to 5 offenders and counts the rest', async () => {
    const file = await writeSplit(
      'train',
      Array.from({ length: 8 }, (_, i) => record(`r${i}`, i === 0 ? '' : 'lorem ipsum '.repeat(50))),
    );
    const records = await loadSplit(task, 'train');
    const err = (await checkInputLimits(
      { kind: 'questions', file, records },
      limits({ maxPositions: 200, maxNewTokens: 16 }),
    ).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toMatch(/^7 inputs do not fit the model: /);
    for (const i of [1, 2, 3, 4, 5]) expect(err.message).toContain(`${file}: line ${i + 1} (id r${i}): `);
    expect(err.message).not.toContain('(id r6)');
    expect(err.message).toMatch(/; and 2 more$/);
  });
});

describe('checkSequences', () => {
  it('asks for places only when something does not fit', async () => {
    let asked = 0;
    const places = (indices: number[]) => {
      asked++;
      return indices.map((i) => `--prompt ${i + 1}`);
    };
    const after = { tokens: 128, setting: '--max-new-tokens' };
    await checkSequences(2, (i) => ({ prompt: [10, 8064][i]!, after }), { maxPositions: 8192 }, places);
    expect(asked).toBe(0);
    await expect(
      checkSequences(2, (i) => ({ prompt: [10, 8065][i]!, after }), { maxPositions: 8192 }, places),
    ).rejects.toThrow('--prompt 2: the prompt is 8,065 tokens: with --max-new-tokens 128 it needs 8,193 positions');
  });
});

describe('eval', () => {
  it('refuses a split with a too long record before any evaluation work', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'limits-eval-'));
    try {
      await writeFile(join(dir, 'test.jsonl'), [record('a'), '', record('big', HUGE)].join('\n') + '\n');
      const out = join(dir, 'out');
      const config = parseConfig(
        [
          `model: {path: ${JSON.stringify(s.model)}}`,
          `task: {name: mini-hotpotqa, start: cold, data_dir: ${JSON.stringify(dir)}, prompts: ${JSON.stringify(join(FIXTURES, 'prompts'))}}`,
          'algorithm: {name: grpo}',
          'rollout: {m: 4, max_new_tokens: 16, answer_budget: 4}',
          `output: {dir: ${JSON.stringify(out)}}`,
        ].join('\n'),
        'test-config',
        [],
      );
      const err = await runEvaluation(config, { checkpoint: s.model, split: 'test', samples: 16 }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(UserError);
      expect((err as Error).message).toMatch(
        new RegExp(
          `^${join(dir, 'test.jsonl')}: line 3 \\(id big\\): .*more than the model's max_position_embeddings 8,192$`,
        ),
      );
      expect(await readdir(dir)).toEqual(['test.jsonl']); // nothing written
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('generate', () => {
  it('refuses a --prompt that does not fit with --max-new-tokens, before any generation', async () => {
    const args = {
      model: s.model,
      prompt: ['hi', HUGE],
      chat: false,
      thinking: true,
      n: 1,
      maxNewTokens: 128,
      temperature: 1,
      topP: 1,
      topK: 0,
      seed: 0,
      json: false,
      device: 'cpu',
      threads: 1,
    };
    await expect(
      generateCommand.handler(args as unknown as Parameters<typeof generateCommand.handler>[0]),
    ).rejects.toThrow(
      /^--prompt 2: the prompt is [\d,]+ tokens: with --max-new-tokens 128 it needs [\d,]+ positions, more than the model's max_position_embeddings 8,192$/,
    );
  });
});
