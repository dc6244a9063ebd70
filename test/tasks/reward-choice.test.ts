import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileAnswerPattern, extractAnswerBy } from '../../src/tasks/extract.js';
import type { JsonlRecord } from '../../src/tasks/record.js';
import { f1Reward, lastNumber, loadScoring, numericReward, scoreCompletions } from '../../src/tasks/reward-choice.js';
import { loadRewardModule } from '../../src/tasks/reward-module.js';

const tmp = mkdtempSync(join(tmpdir(), 'reward-choice-'));
const mod = (name: string, text: string) => {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
};
const record = (answer: string, id = 'r1'): JsonlRecord => ({
  task: 'jsonl',
  id,
  question: 'q',
  context: '',
  answer,
  aliases: [],
  meta: { rationale: null, raw: { id, question: 'q', answer, unit: 'cm' } },
});

describe('answer extraction choices', () => {
  const c = '<think>\nThe sum is 4. Answer: 4?\n</think>\n\nSo \\boxed{4}.\n#### 42\nThe total is 42<|im_end|>ignored';
  it('tags: the study rules (Answer: line, then \\boxed, then the text after </think>)', () => {
    expect(extractAnswerBy('tags', c)).toBe('4');
  });
  it('pattern: the last match after </think>, its first group', () => {
    expect(extractAnswerBy('pattern', c, compileAnswerPattern('^#### *(\\d+)'))).toBe('42');
    expect(extractAnswerBy('pattern', '</think> no number', compileAnswerPattern('#### (\\d+)'))).toBe('');
    // No group: the whole match.
    expect(extractAnswerBy('pattern', '</think> 1 then 2', compileAnswerPattern('\\d'))).toBe('2');
  });
  it('last-line: the last non-empty line, cut at the end of turn', () => {
    expect(extractAnswerBy('last-line', c)).toBe('The total is 42');
    expect(extractAnswerBy('last-line', '<think>unclosed\nline two\n\n')).toBe('line two');
  });
  it('boxed: the last \\boxed{} (balanced braces), else nothing', () => {
    expect(extractAnswerBy('boxed', '</think> \\boxed{1} and \\boxed{\\frac{1}{2}}')).toBe('\\frac{1}{2}');
    expect(extractAnswerBy('boxed', '</think> 12')).toBe('');
  });
});

describe('built-in rewards', () => {
  it('numeric: the last number within the tolerance, relative to max(1, |gold|)', () => {
    expect(lastNumber('about $1,234.5 or -3/4')).toBe(-0.75);
    expect(numericReward('it is 72.0000001', ['72'])).toBe(1);
    expect(numericReward('it is 72.01', ['72'])).toBe(0);
    expect(numericReward('it is 72.01', ['72'], 1e-3)).toBe(1);
    expect(numericReward('no number', ['72'])).toBe(0);
    expect(numericReward('0.5', ['1/2'])).toBe(1);
  });
  it('f1: 1 when the token F1 reaches the threshold', () => {
    expect(f1Reward('the Eiffel Tower in Paris', ['Eiffel Tower'])).toBe(1); // F1 = 0.8
    expect(f1Reward('a tower', ['Eiffel Tower'])).toBe(1); // F1 = 2/3
    expect(f1Reward('a tower', ['Eiffel Tower'], 0.7)).toBe(0);
    expect(f1Reward('', [''])).toBe(0);
  });
  it('exact, relaxed, numeric and f1 through loadScoring, with aliases', async () => {
    const item = { golds: ['Paris', 'City of Light'] };
    const reward = async (name: string, p: string) => (await loadScoring('jsonl', { reward: name })).reward(item, p, p);
    expect(await reward('exact', 'paris')).toBe(1);
    expect(await reward('exact', 'in Paris')).toBe(0);
    expect(await reward('relaxed', 'in Paris')).toBe(1);
    expect(await reward('relaxed', '')).toBe(0);
    expect(await reward('f1', 'the city of light')).toBe(1);
    expect((await loadScoring('jsonl', { reward: 'numeric' })).checkGold(record('Paris'))).toMatch(/has no number/);
    await expect(loadScoring('jsonl', { reward: 'fuzzy' })).rejects.toThrow(
      /task\.reward: expected one of exact, relaxed, numeric, f1 or a path/,
    );
  });
  it('without a reward choice: the study rules (exact match, not chosen for evaluation)', async () => {
    const s = await loadScoring('hotpotqa', {});
    expect(s.chosen).toBe(false);
    expect(s.reward({ golds: ['The Beatles'] }, 'beatles', '')).toBe(1);
  });
});

describe('a reward module', () => {
  it('gets the whole record, the extracted answer and the completion; promises are awaited', async () => {
    const p = mod(
      'ok.mjs',
      'export default async function reward(record, prediction, completion) { return record.unit === "cm" && prediction === record.answer && completion.includes("</think>") ? 1 : 0.25; }',
    );
    const s = await loadScoring('jsonl', { reward: p, extract: 'last-line' });
    const items = [{ record: record('7'), golds: ['7'] }];
    const r = await scoreCompletions(s, items, [['<think>x</think>\n7', 'no close 7', '</think>\n8']]);
    expect(r.answers).toEqual([['7', 'no close 7', '8']]);
    expect(r.rewards).toEqual([[1, 0.25, 0.25]]);
    expect(s.chosen).toBe(true);
  });
  it('a missing file, a module without a default export, or one that does not load is an error naming it', async () => {
    await expect(loadRewardModule(join(tmp, 'nope.mjs'))).rejects.toThrow(
      /nope\.mjs: task\.reward: no such reward module/,
    );
    const named = mod('named.mjs', 'export function reward() { return 1; }');
    await expect(loadRewardModule(named)).rejects.toThrow(
      /named\.mjs: task\.reward: the module has no default export function/,
    );
    const broken = mod('broken.mjs', 'export default function ( {');
    await expect(loadRewardModule(broken)).rejects.toThrow(/broken\.mjs: task\.reward: cannot load the reward module/);
  });
  it('a value out of [0, 1], NaN, a non-number or a throw names the module and the record', async () => {
    const run = async (name: string, body: string) => {
      const fn = await loadRewardModule(mod(name, `export default function (record, prediction) { ${body} }`));
      return async () => fn({ answer: '1' }, 'rec-9', '1', '1');
    };
    await expect((await run('big.mjs', 'return 2;'))()).rejects.toThrow(
      /big\.mjs: reward of record "rec-9" is 2: expected a number in \[0, 1\]/,
    );
    await expect((await run('nan.mjs', 'return NaN;'))()).rejects.toThrow(/nan\.mjs: reward of record "rec-9" is NaN/);
    await expect((await run('str.mjs', 'return "1";'))()).rejects.toThrow(/str\.mjs: reward of record "rec-9" is "1"/);
    await expect((await run('throws.mjs', 'throw new Error("bad gold");'))()).rejects.toThrow(
      /throws\.mjs: the reward threw on record "rec-9": bad gold/,
    );
    await expect((await run('rejects.mjs', 'return Promise.reject(new Error("later"));'))()).rejects.toThrow(
      /rejects\.mjs: the reward threw on record "rec-9": later/,
    );
  });
});
