/**
 * Every experiment config in configs/ (default.yaml, configs/mini/, configs/study/, and any other) loads and
 * validates without running: the schema accepts it and its prompt templates exist. The model and data that
 * default.yaml and the mini configs name are committed; the study configs (Qwen3-0.6B on the real datasets)
 * name a model directory and data that the user fetches, so for them the test checks the paths instead:
 * models/Qwen3-0.6B and data/<task>, where `data prepare` writes (data-scripts/fetch-dataset.sh).
 * default.yaml is the README's first command: cold start, GARL q = 0.75 on mini-FinQA.
 */
import { access, readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/load.js';
import { scoringTask, type Config } from '../../src/config/schema.js';
import { loadPromptTemplate } from '../../src/tasks/prompts.js';
import { SYNTHETIC_TASKS } from '../../src/tasks/synthetic/index.js';
import { TASKS } from '../../src/tasks/record.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CONFIGS = join(ROOT, 'configs');

/** Every .yaml under configs/ except the prompt templates. */
async function configFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (p !== join(CONFIGS, 'prompts')) out.push(...(await configFiles(p)));
    } else if (e.name.endsWith('.yaml') || e.name.endsWith('.yml')) out.push(p);
  }
  return out.sort();
}

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

const STARTS = ['cold', 'warm'];
const METHODS = ['grpo', 'garl-q0', 'garl-q0.25', 'garl-q0.5', 'garl-q0.75', 'garl-q1', 'paft-q0.25', 'paft-q0.75'];

/** The study's token budgets: total new tokens, of which 128 are kept for the answer. */
const STUDY_MAX_NEW_TOKENS: Record<string, number> = { finqa: 4096, hotpotqa: 3072, musique: 2048 };
const STUDY_MODEL = 'models/Qwen3-0.6B';

/** The settings the study fixes (paper.md), checked on a resolved study config. */
function checkStudyConfig(where: string, c: Config): void {
  const task = c.task.name;
  expect([where, c.model.path]).toEqual([where, STUDY_MODEL]);
  expect([where, c.task.data_dir]).toEqual([where, `data/${task}`]);
  expect([where, c.task.prompts]).toEqual([where, 'configs/prompts']);
  expect([where, c.device]).toEqual([where, 'cuda']);
  expect([where, c.rollout.m]).toEqual([where, 32]);
  const total = STUDY_MAX_NEW_TOKENS[task];
  expect([where, c.rollout]).toEqual([
    where,
    expect.objectContaining({
      max_new_tokens: total,
      thinking_budget: total! - 128,
      answer_budget: 128,
      temperature: 1,
    }),
  ]);
  expect([where, c.eval.samples, c.eval.split]).toEqual([where, 16, 'test']);
  // Best-validation-m@16 selection: validation during training, and after the last step.
  expect([where, c.train.eval_every > 0 && c.train.eval_every <= c.train.steps]).toEqual([where, true]);
  expect([where, c.train.micro_batch_tokens >= c.rollout.max_new_tokens]).toEqual([where, true]);
  const a = c.algorithm;
  if (a.name === 'paft') expect([where, a.k]).toEqual([where, 32]);
  if (a.name === 'grpo')
    expect([where, a]).toEqual([
      where,
      expect.objectContaining({ eps_low: 0.2, eps_high: 0.2, kl_beta: 0, aggregation: 'token-mean' }),
    ]);
  if (a.name === 'garl') expect([where, a.baseline, a.scale_by_mq]).toEqual([where, 'leave-one-out', true]);
  expect([where, c.output.dir]).toEqual([where, `results/runs/study/${c.name}`]);
}

describe('configs/', () => {
  let files: string[] = [];
  beforeAll(async () => {
    files = await configFiles(CONFIGS);
  });

  it('holds default.yaml and the 48 mini experiments (3 tasks x cold/warm x GRPO, GARL at 5 q, PAFT at 2 q)', async () => {
    const names = files.map((f) => relative(CONFIGS, f));
    expect(names).toContain('default.yaml');
    const mini = names.filter((n) => n.startsWith('mini/'));
    expect(mini).toHaveLength(48);
    for (const task of SYNTHETIC_TASKS) {
      for (const start of STARTS) {
        for (const m of METHODS) {
          expect(mini).toContain(`mini/${task}-${start}-${m}.yaml`);
        }
      }
    }
  });

  it('holds the 48 study experiments (FinQA, HotPotQA, MuSiQue x cold/warm x GRPO, GARL at 5 q, PAFT at 2 q)', async () => {
    const study = files.map((f) => relative(CONFIGS, f)).filter((n) => n.startsWith('study/'));
    const expected = TASKS.flatMap((task) =>
      STARTS.flatMap((start) => METHODS.map((m) => `study/${task}-${start}-${m}.yaml`)),
    );
    expect(expected).toHaveLength(48);
    expect([...study].sort()).toEqual([...expected].sort());
  });

  it('every config loads and validates and names a prompt template; committed configs name a model and data that exist', async () => {
    const process_ = process.cwd();
    process.chdir(ROOT); // paths in configs are relative to the working directory (the repository root)
    try {
      const runNames = new Set<string>();
      let studied = 0;
      for (const file of files) {
        const c = await loadConfig(file);
        const where = relative(ROOT, file);
        await expect(loadPromptTemplate(scoringTask(c.task.name), c.task.prompts)).resolves.toMatchObject({
          task: scoringTask(c.task.name),
        });
        if (where.startsWith('configs/study/')) {
          // The model and the prepared data are fetched by the user (configs/study/README.md), not committed.
          checkStudyConfig(where, c);
          studied++;
        } else {
          expect([where, await exists(join(c.model.path, 'config.json'))]).toEqual([where, true]);
          for (const split of ['train', 'validation', 'test'])
            expect([where, split, await exists(join(c.task.data_dir, `${split}.jsonl`))]).toEqual([where, split, true]);
        }
        // Mini and study configs: the file name says what the config does.
        const m = /(?:mini|study)\/((?:mini-)?\w+)-(cold|warm)-(grpo|garl|paft)(?:-q([\d.]+))?\.yaml$/.exec(file);
        if (m) {
          expect([where, c.task.name]).toEqual([where, m[1]]);
          expect([where, c.task.start]).toEqual([where, m[2]]);
          expect([where, c.algorithm.name]).toEqual([where, m[3]]);
          if (m[4] !== undefined)
            expect([where, 'q' in c.algorithm ? c.algorithm.q : undefined]).toEqual([where, Number(m[4])]);
          expect([where, runNames.has(c.name)]).toEqual([where, false]);
          runNames.add(c.name);
        }
      }
      expect(studied).toBe(48);
    } finally {
      process.chdir(process_);
    }
  });

  it('study configs point at data/<task>, where data-scripts/fetch-dataset.sh has `data prepare` write the subsets', async () => {
    const script = await readFile(join(ROOT, 'data-scripts/fetch-dataset.sh'), 'utf8');
    expect(script).toContain('data="${DATA_DIR:-$root/data}"');
    expect(script).toMatch(/data prepare --task "\$task" .*--out "\$data\/\$task"/);
    const c = await loadConfig(join(CONFIGS, 'study/finqa-cold-garl-q0.75.yaml'));
    expect(c.task.data_dir).toBe('data/finqa');
  });

  it('data-scripts/tiny-base-sft.yaml (the SFT run that makes models/tiny-base) validates too', async () => {
    const c = await loadConfig(join(ROOT, 'data-scripts/tiny-base-sft.yaml'));
    expect(c.algorithm).toMatchObject({ name: 'sft', data: 'results/runs/tiny-base/sft.jsonl' });
    expect(c.model).toMatchObject({ path: 'results/runs/tiny-base/init', save_dtype: 'bf16' });
    expect(c.threads).toBe(1);
  });

  it('default.yaml: cold start, GARL q = 0.75, mini-FinQA, the committed tiny base model and data, validation and a final test', async () => {
    const c = await loadConfig(join(CONFIGS, 'default.yaml'));
    expect(c.task).toMatchObject({
      name: 'mini-finqa',
      start: 'cold',
      data_dir: 'data/mini-finqa',
      prompts: 'configs/prompts/mini',
    });
    expect(c.algorithm).toMatchObject({ name: 'garl', q: 0.75 });
    expect(c.model.path).toBe('models/tiny-base');
    expect(c.device).toBe('cpu');
    expect(c.train.eval_every).toBeGreaterThan(0);
    expect(c.train.eval_every).toBeLessThan(c.train.steps);
    expect(c.eval).toMatchObject({ samples: 16, split: 'test' });
    // The committed base model is small (a few MB in bf16).
    const bytes = (await stat(join(ROOT, 'models/tiny-base/model.safetensors'))).size;
    expect(bytes).toBeLessThan(8 * 1024 * 1024);
    const hf = JSON.parse(await readFile(join(ROOT, 'models/tiny-base/config.json'), 'utf8'));
    expect(hf).toMatchObject({ model_type: 'qwen3', torch_dtype: 'bfloat16' });
  });
});
