/**
 * Every experiment config in configs/ (default.yaml, configs/mini/, and any other) loads and validates
 * without running: the schema accepts it, its prompt templates exist, and the model and data it names are
 * committed. default.yaml is the README's first command: cold start, GARL q = 0.75 on mini-FinQA.
 */
import { access, readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, scoringTask } from '../../src/config/index.js';
import { loadPromptTemplate } from '../../src/tasks/prompts.js';
import { SYNTHETIC_TASKS } from '../../src/tasks/synthetic/index.js';

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

const exists = (p: string) => access(p).then(() => true, () => false);

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
      for (const start of ['cold', 'warm']) {
        for (const m of ['grpo', 'garl-q0', 'garl-q0.25', 'garl-q0.5', 'garl-q0.75', 'garl-q1', 'paft-q0.25', 'paft-q0.75']) {
          expect(mini).toContain(`mini/${task}-${start}-${m}.yaml`);
        }
      }
    }
  });

  it('every config loads and validates, and names a prompt template, a model and data that exist', async () => {
    const process_ = process.cwd();
    process.chdir(ROOT); // paths in configs are relative to the working directory (the repository root)
    try {
      const runNames = new Set<string>();
      for (const file of files) {
        const c = await loadConfig(file);
        const where = relative(ROOT, file);
        await expect(loadPromptTemplate(scoringTask(c.task.name), c.task.prompts)).resolves.toMatchObject({ task: scoringTask(c.task.name) });
        expect([where, await exists(join(c.model.path, 'config.json'))]).toEqual([where, true]);
        for (const split of ['train', 'validation', 'test']) expect([where, split, await exists(join(c.task.data_dir, `${split}.jsonl`))]).toEqual([where, split, true]);
        // Mini configs: the file name says what the config does.
        const m = /mini\/(mini-\w+)-(cold|warm)-(grpo|garl|paft)(?:-q([\d.]+))?\.yaml$/.exec(file);
        if (m) {
          expect(c.task.name).toBe(m[1]);
          expect(c.task.start).toBe(m[2]);
          expect(c.algorithm.name).toBe(m[3]);
          if (m[4] !== undefined) expect('q' in c.algorithm ? c.algorithm.q : undefined).toBe(Number(m[4]));
          expect(runNames.has(c.name)).toBe(false);
          runNames.add(c.name);
        }
      }
    } finally {
      process.chdir(process_);
    }
  });

  it('data-scripts/tiny-base-sft.yaml (the SFT run that makes models/tiny-base) validates too', async () => {
    const c = await loadConfig(join(ROOT, 'data-scripts/tiny-base-sft.yaml'));
    expect(c.algorithm).toMatchObject({ name: 'sft', data: 'results/runs/tiny-base/sft.jsonl' });
    expect(c.model).toMatchObject({ path: 'results/runs/tiny-base/init', save_dtype: 'bf16' });
    expect(c.threads).toBe(1);
  });

  it('default.yaml: cold start, GARL q = 0.75, mini-FinQA, the committed tiny base model and data, validation and a final test', async () => {
    const c = await loadConfig(join(CONFIGS, 'default.yaml'));
    expect(c.task).toMatchObject({ name: 'mini-finqa', start: 'cold', data_dir: 'data/mini-finqa', prompts: 'configs/prompts/mini' });
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
