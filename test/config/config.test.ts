import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configJsonSchema, configJsonSchemaText } from '../../src/config/json-schema.js';
import { loadConfig, parseConfig, parseOverride, resolvedConfigYaml } from '../../src/config/load.js';
import { algorithmOf, aggregationOf, lrScheduleOf, optimizerOf, scoringTask } from '../../src/config/schema.js';
import { configFields, configFieldsMarkdown, closest, editDistance } from '../../src/config/walk.js';
import { UserError } from '../../src/errors.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/config/', import.meta.url));

/** A valid config (GRPO on FinQA) with `extra` YAML lines appended, or its sections replaced via `over`. */
const BASE = 'model:\n  path: models/tiny\ntask:\n  name: finqa\nalgorithm:\n  name: grpo\n';
const GARL = 'model:\n  path: models/tiny\ntask:\n  name: finqa\nalgorithm:\n  name: garl\n  q: 0.5\n';
const PAFT = 'model:\n  path: models/tiny\ntask:\n  name: finqa\nalgorithm:\n  name: paft\n  q: 0.5\n';

function errorOf(text: string, overrides: string[] = []): string {
  try {
    parseConfig(text, 'configs/x.yaml', overrides);
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as Error).message;
  }
  throw new Error('expected the config to be rejected');
}

describe('bad configs are rejected with the field and the expected value', () => {
  // [what, YAML text, overrides, message]
  const cases: [string, string, string[], RegExp][] = [
    [
      'q out of range',
      GARL.replace('q: 0.5', 'q: 1.5'),
      [],
      /configs\/x\.yaml:7:3: algorithm\.q: expected q to be in \[0, 1\], got 1\.5/,
    ],
    [
      'q not a number',
      GARL.replace('q: 0.5', 'q: high'),
      [],
      /algorithm\.q: expected a number in \[0, 1\] or a q schedule .*, got "high"/,
    ],
    [
      'q missing',
      GARL.replace('  q: 0.5\n', ''),
      [],
      /algorithm\.q: missing; expected a number in \[0, 1\] or a q schedule/,
    ],
    [
      'q schedule segment out of range',
      GARL,
      ['algorithm.q=[{until: 10, q: 1}, {q: 2}]'],
      /--set algorithm\.q=.*: algorithm\.q\.1\.q: expected q to be in \[0, 1\], got 2/,
    ],
    [
      'q schedule with until on the last segment',
      GARL,
      ['algorithm.q=[{until: 10, q: 1}, {until: 20, q: 0}]'],
      /algorithm\.q\.1\.until: expected the last segment to omit `until` \(it applies to every later step\)/,
    ],
    [
      'unknown algorithm',
      BASE.replace('name: grpo', 'name: garll'),
      [],
      /configs\/x\.yaml:6:3: algorithm\.name: expected one of "grpo", "rloo", "garl", "paft", "sft", got "garll" \(did you mean "garl"\?\)/,
    ],
    [
      'algorithm without a name',
      BASE.replace('  name: grpo\n', '  q: 1\n'),
      [],
      /algorithm\.name: missing; expected one of "grpo", "rloo", "garl", "paft", "sft"/,
    ],
    [
      'misspelt key',
      BASE + 'train:\n  stepz: 10\n',
      [],
      /configs\/x\.yaml:8:3: train\.stepz: unknown key \(did you mean "steps"\?\); expected one of: steps, /,
    ],
    [
      'misspelt section',
      BASE + 'optimiser:\n  lr: 1e-5\n',
      [],
      /configs\/x\.yaml:7:1: optimiser: unknown key \(did you mean "optimizer"\?\)/,
    ],
    [
      'key of another algorithm',
      BASE + '  q: 0.5\n',
      [],
      /algorithm\.q: unknown key \(it belongs to name: garl or name: paft\)/,
    ],
    [
      'adamw key under sgd',
      BASE + 'optimizer:\n  name: sgd\n  betas: [0.9, 0.99]\n',
      [],
      /optimizer\.betas: unknown key \(it belongs to name: adamw\)/,
    ],
    [
      'model missing',
      'task:\n  name: finqa\nalgorithm:\n  name: grpo\n',
      [],
      /configs\/x\.yaml:1:1: model: missing; expected a mapping/,
    ],
    [
      'model path empty',
      BASE.replace('path: models/tiny', 'path: ""'),
      [],
      /model\.path: expected a path to a Hugging Face model directory .*, got ""/,
    ],
    [
      'save dtype',
      BASE,
      ['model.save_dtype=fp8'],
      /--set model\.save_dtype=fp8: model\.save_dtype: expected one of "f32", "f16", "bf16", got "fp8"/,
    ],
    [
      'device',
      BASE + 'device: tpu\n',
      [],
      /configs\/x\.yaml:7:1: device: expected one of "cpu", "cuda", "webgpu", got "tpu"/,
    ],
    ['threads negative', BASE + 'threads: -1\n', [], /threads: expected an integer >= 0, got -1/],
    ['seed not an integer', BASE + 'seed: 1.5\n', [], /seed: expected an integer in \[0, 4294967295\], got 1\.5/],
    [
      'task name',
      BASE.replace('name: finqa', 'name: squad'),
      [],
      /task\.name: expected one of "finqa", "hotpotqa", "musique", "mini-finqa", "mini-hotpotqa", "mini-musique", "jsonl", got "squad"/,
    ],
    ['task start', BASE, ['task.start=hot'], /task\.start: expected one of "cold", "warm", got "hot"/],
    ['eps_high negative', BASE + '  eps_high: -0.1\n', [], /algorithm\.eps_high: expected a number >= 0, got -0\.1/],
    ['eps_low at 1', BASE + '  eps_low: 1\n', [], /algorithm\.eps_low: expected a number in \[0, 1\), got 1/],
    ['kl_beta a string', BASE + '  kl_beta: a lot\n', [], /algorithm\.kl_beta: expected a number >= 0, got "a lot"/],
    [
      'aggregation',
      BASE + '  aggregation: mean\n',
      [],
      /algorithm\.aggregation: expected one of "token-mean", "seq-mean-token-mean", "seq-sum", "group-mean", got "mean"/,
    ],
    [
      'scale_std yes (a string in YAML 1.2)',
      BASE + '  scale_std: yes\n',
      [],
      /algorithm\.scale_std: expected true or false, got "yes"/,
    ],
    [
      'garl baseline',
      GARL + '  baseline: mean\n',
      [],
      /algorithm\.baseline: expected one of "leave-one-out", "none", got "mean"/,
    ],
    ['paft k = 0', PAFT + '  k: 0\n', [], /algorithm\.k: expected an integer >= 1, got 0/],
    ['m = 0', BASE, ['rollout.m=0'], /rollout\.m: expected an integer >= 1, got 0/],
    [
      'grpo with m = 1',
      BASE,
      ['rollout.m=1'],
      /rollout\.m: expected an integer >= 2 for grpo \(a group of one has no advantage\), got 1/,
    ],
    ['temperature 0', BASE, ['rollout.temperature=0'], /rollout\.temperature: expected a number in \(0, 10\], got 0/],
    ['top_p above 1', BASE, ['rollout.top_p=1.5'], /rollout\.top_p: expected a number in \(0, 1\], got 1\.5/],
    [
      'budgets over max_new_tokens',
      BASE + 'rollout:\n  thinking_budget: 4000\n  max_new_tokens: 4096\n',
      [],
      /configs\/x\.yaml:8:3: rollout\.thinking_budget: expected thinking_budget \+ answer_budget <= max_new_tokens \(4096\), so at most 3968, got 4000 \+ 128/,
    ],
    [
      'answer budget over max_new_tokens',
      BASE + 'rollout:\n  answer_budget: 300\n  max_new_tokens: 256\n',
      [],
      /rollout\.answer_budget: expected at most rollout\.max_new_tokens \(256\), got 300/,
    ],
    ['steps = -1', BASE + 'train:\n  steps: -1\n', [], /train\.steps: expected an integer >= 0, got -1/],
    [
      'micro-batch smaller than a rollout',
      BASE,
      ['train.micro_batch_tokens=1024'],
      /train\.micro_batch_tokens: expected at least rollout\.max_new_tokens \(4096\) so that one rollout fits a micro-batch, got 1024/,
    ],
    [
      'eval_every beyond steps',
      BASE + 'train:\n  steps: 10\n  eval_every: 20\n',
      [],
      /train\.eval_every: expected at most train\.steps \(10\) or 0 \(never\), got 20/,
    ],
    [
      'warmup beyond steps',
      BASE + 'train:\n  steps: 10\n  eval_every: 5\noptimizer:\n  warmup_steps: 20\n',
      [],
      /configs\/x\.yaml:11:3: optimizer\.warmup_steps: expected at most train\.steps \(10\), got 20/,
    ],
    [
      'warmup = steps with a decay',
      BASE + 'train:\n  steps: 10\n  eval_every: 5\noptimizer:\n  warmup_steps: 10\n  decay: cosine\n',
      [],
      /optimizer\.warmup_steps: expected less than train\.steps \(10\) with a cosine decay, got 10/,
    ],
    [
      'min_lr above lr',
      BASE + 'optimizer:\n  lr: 1e-6\n  min_lr: 1e-5\n',
      [],
      /optimizer\.min_lr: expected at most optimizer\.lr \(0\.000001\), got 0\.00001/,
    ],
    [
      'beta2 = 1.5',
      BASE,
      ['optimizer.betas=[0.9, 1.5]'],
      /optimizer\.betas\.1: expected a number in \[0, 1\), got 1\.5/,
    ],
    [
      'betas not a pair',
      BASE + 'optimizer:\n  betas: 0.9\n',
      [],
      /optimizer\.betas: expected a list of two numbers in \[0, 1\), got 0\.9/,
    ],
    [
      'optimizer name',
      BASE + 'optimizer:\n  name: adam\n',
      [],
      /optimizer\.name: expected one of "adamw", "sgd", got "adam" \(did you mean "adamw"\?\)/,
    ],
    ['lr zero', BASE, ['optimizer.lr=0'], /optimizer\.lr: expected a number > 0, got 0/],
    ['eval samples', BASE + 'eval:\n  samples: 0\n', [], /eval\.samples: expected an integer >= 1, got 0/],
    ['eval split', BASE, ['eval.split=train'], /eval\.split: expected one of "validation", "test", got "train"/],
    [
      'run name with a slash',
      BASE + 'name: a/b\n',
      [],
      /name: expected a run name \(letters, digits, "\.", "_", "-"; no "\/" or spaces\), got "a\/b"/,
    ],
    ['output dir empty', BASE + 'output:\n  dir: ""\n', [], /output\.dir: expected a directory path, got ""/],
    ['section not a mapping', BASE + 'train: 100\n', [], /train: expected a mapping, got 100/],
    [
      'the file is a list',
      '- model\n- task\n',
      [],
      /configs\/x\.yaml: expected a mapping of config fields .*, got a list/,
    ],
    ['invalid YAML', 'model:\n  path: [unclosed\n', [], /configs\/x\.yaml:\d+:\d+: not valid YAML/],
    ['duplicate key', BASE + 'seed: 1\nseed: 2\n', [], /configs\/x\.yaml:8:1: not valid YAML: Map keys must be unique/],
    ['override without =', BASE, ['algorithm.q'], /--set algorithm\.q: expected key\.path=value/],
    [
      'override of an item of a list the file lacks',
      BASE,
      ['optimizer.betas.1=0.99'],
      /--set optimizer\.betas\.1=0\.99: optimizer\.betas is not in the config, so it has no item 1; set the whole list instead \(--set optimizer\.betas=\[\.\.\.\]\)/,
    ],
    [
      'override through a scalar',
      BASE,
      ['model.path.x=1'],
      /--set model\.path\.x=1: model\.path is not a mapping, so it has no key "x"/,
    ],
  ];

  it.each(cases)('%s', (_what, text, overrides, message) => {
    expect(errorOf(text, overrides)).toMatch(message);
  });

  it('reports every problem, one per line, in file order', () => {
    const lines = errorOf(BASE + 'train:\n  stepz: 3\n  steps: -1\nseed: -1\n').split('\n');
    expect(lines).toEqual([
      expect.stringMatching(/^configs\/x\.yaml:8:3: train\.stepz: unknown key/),
      expect.stringMatching(/^configs\/x\.yaml:9:3: train\.steps: expected an integer >= 0, got -1$/),
      expect.stringMatching(/^configs\/x\.yaml:10:1: seed: expected an integer in \[0, 4294967295\], got -1$/),
    ]);
  });

  it('names the file and the line when loading from disk', async () => {
    const path = join(FIXTURES, 'bad-q.yaml');
    await expect(loadConfig(path)).rejects.toThrow(`${path}:7:3: algorithm.q: expected q to be in [0, 1], got 1.5`);
    await expect(loadConfig(join(FIXTURES, 'absent.yaml'))).rejects.toThrow(
      /absent\.yaml: cannot read the config \(ENOENT\)/,
    );
  });

  it('blames the override, not the file, for a value the override supplied', () => {
    expect(errorOf(GARL, ['algorithm.q=2'])).toBe(
      '--set algorithm.q=2: algorithm.q: expected q to be in [0, 1], got 2',
    );
  });
});

describe('good configs', () => {
  it('fills in every default', async () => {
    const c = await loadConfig(join(FIXTURES, 'minimal.yaml'));
    expect(c.name).toBe('mini-finqa-warm-grpo-seed0');
    expect(c.output.dir).toBe('results/runs/mini-finqa-warm-grpo-seed0');
    expect(c.model).toEqual({ path: 'models/tiny', save_dtype: 'f32' });
    expect(c.device).toBe('cpu');
    expect(c.task).toEqual({
      name: 'mini-finqa',
      data_dir: 'data/mini-finqa',
      start: 'warm',
      prompts: 'configs/prompts',
    });
    expect(c.algorithm).toEqual({
      name: 'grpo',
      eps_low: 0.2,
      eps_high: 0.2,
      kl_beta: 0,
      scale_std: true,
      std_eps: 1e-6,
      aggregation: 'token-mean',
    });
    expect(c.rollout).toEqual({
      m: 32,
      temperature: 1,
      top_p: 1,
      top_k: 0,
      thinking_budget: 224,
      answer_budget: 32,
      max_new_tokens: 256,
    });
    expect(c.train.steps).toBe(200);
    expect(c.optimizer).toEqual({
      name: 'adamw',
      lr: 1e-6,
      warmup_steps: 0,
      decay: 'constant',
      min_lr: 0,
      grad_clip: 1,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weight_decay: 0.01,
    });
    expect(c.eval).toEqual({
      samples: 16,
      temperature: 0.6,
      top_p: 0.95,
      top_k: 20,
      split: 'test',
      questions: 0,
      compare_base: false,
    });
  });

  it('keeps what the file sets and derives the rest', async () => {
    const c = await loadConfig(join(FIXTURES, 'garl-cold-finqa.yaml'));
    expect(c.name).toBe('garl-cold-finqa');
    expect(c.output.dir).toBe('results/table1/garl-cold-finqa');
    expect(c.algorithm).toEqual({ name: 'garl', q: 0.75, baseline: 'leave-one-out', scale_by_mq: true });
    expect(c.rollout.max_new_tokens).toBe(4096);
    expect(c.task.start).toBe('cold');
    expect(lrScheduleOf(c)).toEqual({ peakLr: 1e-6, warmupSteps: 10, decay: 'cosine', totalSteps: 100, minLr: 1e-7 });
  });

  it('derives the token budgets from whichever are given', () => {
    expect(parseConfig(BASE, 'x').rollout).toMatchObject({
      thinking_budget: 3968,
      answer_budget: 128,
      max_new_tokens: 4096,
    });
    expect(parseConfig(BASE, 'x', ['rollout.thinking_budget=100']).rollout).toMatchObject({
      thinking_budget: 100,
      answer_budget: 128,
      max_new_tokens: 228,
    });
    expect(parseConfig(BASE, 'x', ['rollout.max_new_tokens=1000', 'rollout.answer_budget=50']).rollout).toMatchObject({
      thinking_budget: 950,
      max_new_tokens: 1000,
    });
    expect(parseConfig(BASE.replace('finqa', 'musique'), 'x').rollout.max_new_tokens).toBe(2048);
  });

  it('reads overrides as YAML scalars and lists', () => {
    const a = parseConfig(GARL, 'x', ['algorithm.q=0.75']);
    expect(a.algorithm).toMatchObject({ name: 'garl', q: 0.75 });
    expect(a.name).toBe('finqa-warm-garl-q0.75-seed0');
    const b = parseConfig(GARL, 'x', ['algorithm.q=[{until: 10, q: 1}, {q: 0}]', 'seed=7']);
    expect(b.algorithm).toMatchObject({ q: [{ until: 10, q: 1 }, { q: 0 }] });
    expect(b.name).toBe('finqa-warm-garl-qsched-seed7');
    const c = parseConfig(BASE + 'optimizer:\n  betas: [0.9, 0.999]\n', 'x', [
      'optimizer.betas.1=0.99',
      'algorithm.scale_std=false',
      'output.dir=results/sweep/{name}',
      'name=run-1',
    ]);
    expect(c.optimizer).toMatchObject({ betas: [0.9, 0.99] });
    expect(c.algorithm).toMatchObject({ scale_std: false });
    expect(c.output.dir).toBe('results/sweep/run-1');
    expect(parseOverride('task.data_dir=data/a=b')).toEqual({
      text: 'task.data_dir=data/a=b',
      path: ['task', 'data_dir'],
      value: 'data/a=b',
    });
  });

  it('switches algorithm and optimizer by name, with their own defaults', () => {
    const c = parseConfig(BASE, 'x', [
      'algorithm.name=paft',
      'algorithm.q=0.25',
      'rollout.m=8',
      'optimizer.name=sgd',
      'optimizer.momentum=0.9',
    ]);
    expect(c.algorithm).toEqual({ name: 'paft', q: 0.25, k: 8, scale_by_mq: true });
    expect(c.optimizer).toEqual({
      name: 'sgd',
      lr: 1e-6,
      warmup_steps: 0,
      decay: 'constant',
      min_lr: 0,
      grad_clip: 1,
      momentum: 0.9,
      weight_decay: 0,
    });
    expect(algorithmOf(c)).toEqual({ name: 'paft', q: 0.25, k: 8, scaleByMq: true });
    expect(optimizerOf(c)).toEqual({ kind: 'sgd', momentum: 0.9, weightDecay: 0 });
  });

  it("maps to the objectives' and the optimizer's own types", () => {
    const g = parseConfig(BASE, 'x', ['algorithm.scale_std=false']);
    expect(algorithmOf(g)).toEqual({ name: 'grpo', scaleByStd: false, eps: 1e-6 });
    expect(aggregationOf(g)).toBe('token-mean');
    const garl = parseConfig(GARL, 'x');
    expect(algorithmOf(garl)).toEqual({ name: 'garl', q: 0.5, baseline: 'leave-one-out', scaleByMq: true });
    expect(aggregationOf(garl)).toBe('group-mean');
    expect(optimizerOf(garl)).toEqual({ kind: 'adamw', beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 });
    expect(scoringTask('mini-hotpotqa')).toBe('hotpotqa');
    expect(scoringTask('finqa')).toBe('finqa');
  });

  it('the resolved YAML parses back to the same config', () => {
    for (const [text, over] of [
      [BASE, []],
      [GARL, ['algorithm.q=[{until: 10, q: 1}, {q: 0}]']],
      [PAFT, ['optimizer.name=sgd']],
    ] as const) {
      const c = parseConfig(text, 'x', [...over]);
      const yaml = resolvedConfigYaml(c);
      expect(parseConfig(yaml, 'config.yaml')).toEqual(c);
    }
  });
});

describe('the docs table', () => {
  it('has a row with a description for every field', () => {
    const rows = configFields();
    const paths = rows.map((r) => r.path);
    for (const p of [
      'model.path',
      'model.save_dtype',
      'device',
      'threads',
      'seed',
      'task.name',
      'task.data_dir',
      'task.start',
      'task.prompts',
      'algorithm[grpo].eps_high',
      'algorithm[grpo].kl_beta',
      'algorithm[garl].q',
      'algorithm[paft].k',
      'rollout.m',
      'rollout.thinking_budget',
      'train.micro_batch_tokens',
      'optimizer[adamw].betas',
      'optimizer[sgd].momentum',
      'eval.samples',
      'output.dir',
    ]) {
      expect(paths).toContain(p);
    }
    for (const r of rows) expect(r.description.length).toBeGreaterThan(0);
    const q = rows.find((r) => r.path === 'algorithm[garl].q')!;
    expect(q.expected).toMatch(/^a number in \[0, 1\] or a q schedule/);
    expect(rows.find((r) => r.path === 'rollout.m')).toEqual(
      expect.objectContaining({ expected: 'an integer >= 1', default: '32' }),
    );
    expect(configFieldsMarkdown()).toMatch(/^\| field \| expects \| default \| description \|\n/);
  });

  it('is what src/config/README.md shows', async () => {
    const readme = await readFile(fileURLToPath(new URL('../../src/config/README.md', import.meta.url)), 'utf8');
    expect(readme.endsWith(configFieldsMarkdown())).toBe(true);
  });
});

describe('the JSON Schema (configs/config.schema.json)', () => {
  const CONFIGS = fileURLToPath(new URL('../../configs/', import.meta.url));

  it('is the committed file (regenerate with npm run config-schema)', async () => {
    expect(await readFile(join(CONFIGS, 'config.schema.json'), 'utf8')).toBe(configJsonSchemaText());
  });

  it('describes the config as written: fields with defaults are optional', () => {
    const s = configJsonSchema();
    expect(s.required).toEqual(['model', 'task', 'algorithm']);
    expect(s.properties!.rollout!.required).toBeUndefined();
    expect(s.properties!.rollout!.properties!.m).toEqual(
      expect.objectContaining({ default: 32, 'x-expected': 'an integer >= 1' }),
    );
    expect(s.properties!.optimizer!.default).toEqual({});
  });

  it('is named by the configs users copy, by a path that reaches it', async () => {
    for (const f of ['default.yaml', 'examples/arith.yaml']) {
      const text = await readFile(join(CONFIGS, f), 'utf8');
      const m = /^# yaml-language-server: \$schema=(\S+)\n/.exec(text);
      expect(m).not.toBeNull();
      expect(resolve(dirname(join(CONFIGS, f)), m![1]!)).toBe(join(CONFIGS, 'config.schema.json'));
    }
  });
});

describe('did you mean', () => {
  it('suggests near keys only', () => {
    expect(editDistance('stpes', 'steps')).toBe(1);
    expect(closest('stepz', ['steps', 'seed'])).toBe('steps');
    expect(closest('optimiser', ['optimizer', 'output'])).toBe('optimizer');
    expect(closest('banana', ['steps', 'seed'])).toBeUndefined();
    expect(closest('warm', ['warmup_steps'])).toBe('warmup_steps');
  });
});
