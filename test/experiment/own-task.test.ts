/**
 * Issue 17's acceptance: a GSM8K-like JSONL task the project never saw, with a reward module, trains 2 GRPO
 * steps from models/tiny-base and evaluates; the module is called for every training rollout.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../src/config/load.js';
import { readMetricsCsv } from '../../src/run-dir/csv.js';
import { readEvalSummary } from '../../src/run-dir/json.js';
import { runPaths } from '../../src/run-dir/paths.js';
import { loadSplit, loadTaskContext } from '../../src/experiment/task-data.js';
import { runTraining } from '../../src/experiment/train.js';
import { renderPrompt } from '../../src/tasks/prompts.js';

const TINY = fileURLToPath(new URL('../../models/tiny-base', import.meta.url));
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'own-task-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

const problems = (split: string, n: number) =>
  Array.from({ length: n }, (_, i) => {
    const a = 3 + i,
      b = 2 * i + 1;
    return JSON.stringify({
      id: `${split}-${i}`,
      question: `A crate holds ${a} jars and ${b} more arrive. How many jars are there?`,
      answer: String(a + b),
      rationale: `${a} + ${b} = ${a + b}.`,
    });
  }).join('\n') + '\n';

describe('your own task', () => {
  it('trains 2 GRPO steps on a JSONL task with a reward module, called once per training rollout, and evaluates', async () => {
    const data = join(dir, 'sums');
    await mkdir(data, { recursive: true });
    for (const [split, n] of [
      ['train', 6],
      ['validation', 2],
      ['test', 3],
    ] as const)
      await writeFile(join(data, `${split}.jsonl`), problems(split, n));
    const calls = join(dir, 'calls.log');
    await writeFile(
      join(data, 'reward.mjs'),
      `import { appendFileSync } from 'node:fs';
export default function reward(record, prediction) {
  appendFileSync(${JSON.stringify(calls)}, JSON.stringify({ id: record.id, rationale: record.rationale }) + '\\n');
  return prediction.trim() === record.answer ? 1 : 0;
}
`,
    );
    const out = join(dir, 'run');
    const config = parseConfig(
      [
        `model: {path: ${JSON.stringify(TINY)}}`,
        'threads: 1',
        `task: {name: jsonl, data_dir: ${JSON.stringify(data)}, reward: ${JSON.stringify(join(data, 'reward.mjs'))}}`,
        'algorithm: {name: grpo}',
        'rollout: {m: 4, max_new_tokens: 24, answer_budget: 8}',
        'train: {steps: 2, questions_per_step: 2, micro_batch_tokens: 1024, eval_every: 0}',
        'optimizer: {lr: 0.0005}',
        'eval: {samples: 2}',
        `output: {dir: ${JSON.stringify(out)}}`,
      ].join('\n'),
      'own-task',
    );
    const lines = () =>
      (existsSync(calls) ? readFileSync(calls, 'utf8') : '')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { id: string; rationale: string });
    const perStep: { rollouts: number; calls: number }[] = [];
    const result = await runTraining(config, {
      console: false,
      progress: false,
      onStep: (_, r) => perStep.push({ rollouts: r.rollouts!.rollouts.flat().length, calls: lines().length }),
    });
    expect(result.completedSteps).toBe(2);
    // After each step, one call per rollout so far: 2 questions x 4 rollouts a step.
    expect(perStep).toEqual([
      { rollouts: 8, calls: 8 },
      { rollouts: 8, calls: 16 },
    ]);
    const all = lines();
    // Then the final test: 3 questions x 2 samples, each judged by the module.
    expect(all).toHaveLength(16 + 3 * 2);
    expect(all.slice(0, 16).every((c) => c.id.startsWith('train-') && /^\d+ \+ \d+ = \d+\.$/.test(c.rationale))).toBe(
      true,
    );
    expect(all.slice(16).every((c) => c.id.startsWith('test-'))).toBe(true);
    const p = runPaths(out);
    const rows = await readMetricsCsv(p.metrics);
    expect(rows.map((r) => r.mean_reward)).toEqual([expect.any(Number), expect.any(Number)]);
    expect(await readEvalSummary(p.evalSummary('test'))).toMatchObject({ split: 'test', n: 3, k: 2 });
  });
});

describe('own task: config, prompts, data', () => {
  const base = (task: string) => `model: {path: m}\ntask: ${task}\nalgorithm: {name: grpo}`;
  it('accepts the jsonl task keys and refuses those that do not fit', () => {
    const c = parseConfig(
      base(
        '{name: jsonl, fields: {question: problem, answer: solution}, answer_pattern: "#### *(.+)", extract: pattern, reward: numeric, numeric_tolerance: 0.001}',
      ),
      'c.yaml',
    );
    expect(c.task).toMatchObject({
      name: 'jsonl',
      data_dir: 'data/jsonl',
      fields: { question: 'problem', answer: 'solution' },
      reward: 'numeric',
    });
    expect(() => parseConfig(base('{name: hotpotqa, fields: {question: q}}'), 'c.yaml')).toThrow(
      /task\.fields: expected only with task\.name: jsonl/,
    );
    expect(() => parseConfig(base('{name: jsonl, extract: pattern}'), 'c.yaml')).toThrow(
      /task\.extract: expected task\.answer_pattern/,
    );
    expect(() => parseConfig(base('{name: jsonl, answer_pattern: "(unclosed"}'), 'c.yaml')).toThrow(
      /task\.answer_pattern: expected a valid/,
    );
    expect(() => parseConfig(base('{name: jsonl, fields: {questoin: q}}'), 'c.yaml')).toThrow(/questoin/);
    expect(() => parseConfig(base('{name: jsonl, f1_threshold: 0.3}'), 'c.yaml')).toThrow(
      /task\.f1_threshold: expected only with task\.reward: f1/,
    );
  });

  it('loads the default jsonl prompts; an empty context leaves no blank lines', async () => {
    const data = join(dir, 'gsm');
    await mkdir(data, { recursive: true });
    await writeFile(
      join(data, 'train.jsonl'),
      JSON.stringify({ problem: 'How many?', solution: 'Two and two.\n#### 4' }) + '\n',
    );
    const ctx = await loadTaskContext({
      task: {
        name: 'jsonl',
        start: 'cold',
        prompts: 'configs/prompts',
        data_dir: data,
        fields: { question: 'problem', answer: 'solution' },
        answer_pattern: '#### *(.+)',
        reward: 'numeric',
      },
    });
    const [r] = await loadSplit(ctx, 'train');
    expect(r).toMatchObject({ id: 'train-1', answer: '4', meta: { rationale: 'Two and two.' } });
    expect(renderPrompt(ctx.template, 'cold', r!).messages).toEqual([{ role: 'user', content: 'How many?' }]);
    expect(renderPrompt(ctx.template, 'warm', r!).messages[0]!.content).toMatch(
      /^Answer the question\. Use the text given with it, if any\.\n\nQuestion: How many\?\n\nThink/,
    );
    expect(renderPrompt(ctx.template, 'cold', { ...r!, context: 'Facts.' }).messages[0]!.content).toBe(
      'Facts.\n\nHow many?',
    );
    await writeFile(join(data, 'validation.jsonl'), JSON.stringify({ problem: 'Who?', solution: 'Ada' }) + '\n');
    await expect(loadSplit(ctx, 'validation')).rejects.toThrow(
      /validation\.jsonl: record 1 \(id "validation-1"\): answer: "Ada" has no number \(task\.reward: numeric\)/,
    );
    await expect(loadSplit(ctx, 'test')).rejects.toThrow(/test\.jsonl: no test split/);
  });
});
