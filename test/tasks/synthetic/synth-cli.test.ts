/** `data synth` / `data sft-mix` helpers: size and part parsing, and the SFT mixture (deterministic, disjoint from the splits). */
import { fileURLToPath } from 'node:url';
import { parseSftPart, parseSyntheticSizes, sftMixture, withoutLastStep } from '../../../src/cli/synth.js';
import { UserError } from '../../../src/errors.js';
import { DECOY_ANSWER, generateSplit } from '../../../src/tasks/synthetic/index.js';

const PROMPTS = fileURLToPath(new URL('../../../configs/prompts/mini/', import.meta.url));

describe('synth CLI helpers', () => {
  it('parses sizes and parts, and names the flag when they are wrong', () => {
    expect(parseSyntheticSizes('10/2/3')).toEqual({ train: 10, validation: 2, test: 3 });
    expect(() => parseSyntheticSizes('10/2')).toThrow(UserError);
    expect(() => parseSyntheticSizes('10/0/3')).toThrow(/--sizes/);
    expect(parseSftPart('mini-musique:cold:7')).toEqual({ task: 'mini-musique', mode: 'cold', n: 7, answer: 'gold' });
    expect(parseSftPart('mini-musique:cold:7:decoy')).toEqual({
      task: 'mini-musique',
      mode: 'cold',
      n: 7,
      answer: 'decoy',
    });
    expect(parseSftPart('mini-finqa:cold:7:unfinished')).toEqual({
      task: 'mini-finqa',
      mode: 'cold',
      n: 7,
      answer: 'unfinished',
    });
    expect(() => parseSftPart('mini-finqa:cold:7:wrong')).toThrow(/ANSWER gold \(default\), decoy or unfinished/);
    expect(() => parseSftPart('mini-finqa:cold:7:decoy:x')).toThrow(/--part/);
    expect(() => parseSftPart('finqa:warm:7')).toThrow(/--part/);
    expect(() => parseSftPart('mini-finqa:hot:7')).toThrow(/--part/);
    expect(() => parseSftPart('mini-finqa:warm:x')).toThrow(/--part/);
  });

  it('mixes pairs deterministically: prompt in the chosen mode, target = <think> rationale </think> answer', async () => {
    const parts = [
      parseSftPart('mini-finqa:warm:4'),
      parseSftPart('mini-finqa:cold:3'),
      parseSftPart('mini-hotpotqa:warm:2'),
    ];
    const a = await sftMixture(parts, PROMPTS, 5);
    expect(await sftMixture(parts, PROMPTS, 5)).toEqual(a);
    expect(a).toHaveLength(9);
    expect(new Set(a.map((p) => p.id)).size).toBe(9);
    const sft = generateSplit('mini-finqa', 'sft', 7, 5);
    const warm = a.filter((p) => p.id.startsWith('mini-finqa') && p.id.endsWith('-warm'));
    const cold = a.filter((p) => p.id.startsWith('mini-finqa') && p.id.endsWith('-cold'));
    expect(warm).toHaveLength(4);
    expect(cold).toHaveLength(3);
    for (const p of warm) expect(p.prompt.startsWith('Calculate the answer')).toBe(true);
    for (const p of cold) {
      const r = sft.find((x) => p.id === `${x.id}-cold`)!;
      expect(p.prompt).toBe(`${r.context}\n\n${r.question}`);
      expect(p.target).toBe(`<think>\n${r.rationale}\n</think>\n\n${r.answer}`);
    }
    // The SFT records never repeat the train split's.
    const train = new Set(generateSplit('mini-finqa', 'train', 50, 5).map((r) => r.context));
    for (const r of sft) expect(train.has(r.context)).toBe(false);
  });

  it('"decoy" parts keep the gold rationale and end with an answer the relaxed match never counts', async () => {
    for (const task of ['mini-finqa', 'mini-hotpotqa', 'mini-musique'] as const) {
      const pairs = await sftMixture([parseSftPart(`${task}:cold:200:decoy`)], PROMPTS, 3);
      const sft = new Map(generateSplit(task, 'sft', 200, 3).map((r) => [`${r.id}-cold-decoy`, r]));
      expect(pairs).toHaveLength(200);
      for (const p of pairs) {
        const r = sft.get(p.id)!;
        expect(p.target).toBe(`<think>\n${r.rationale}\n</think>\n\n${DECOY_ANSWER}`);
        expect(DECOY_ANSWER.includes(r.answer.toLowerCase())).toBe(false);
      }
    }
  });

  it('"unfinished" parts stop the rationale one step short (its answer no longer stated) and end with the decoy', async () => {
    expect(withoutLastStep('revenue was 50, 34 and 12. 50 + 34 = 84. 84 + 12 = 96. 96 / 3 = 32.')).toBe(
      'revenue was 50, 34 and 12. 50 + 34 = 84. 84 + 12 = 96.',
    );
    expect(withoutLastStep('x is 12.5. y = 2.5 + 1.')).toBe('x is 12.5.');
    expect(withoutLastStep('One step only.')).toBe('One step only.');
    for (const task of ['mini-finqa', 'mini-hotpotqa', 'mini-musique'] as const) {
      const pairs = await sftMixture([parseSftPart(`${task}:cold:100:unfinished`)], PROMPTS, 4);
      const sft = new Map(generateSplit(task, 'sft', 100, 4).map((r) => [`${r.id}-cold-unfinished`, r]));
      expect(pairs).toHaveLength(100);
      let shorter = 0;
      for (const p of pairs) {
        const r = sft.get(p.id)!;
        const thinking = p.target.slice('<think>\n'.length, p.target.indexOf('\n</think>'));
        expect(r.rationale.startsWith(thinking)).toBe(true);
        if (thinking.length < r.rationale.length) shorter++;
        expect(p.target.endsWith(`</think>\n\n${DECOY_ANSWER}`)).toBe(true);
      }
      expect(shorter).toBe(100); // every mini rationale has at least two steps
    }
  });
});
