/** The synthetic mini-tasks: deterministic, structurally sound, answers derivable and scored correct by each task's own rules. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractAnswer } from '../../../src/tasks/extract.js';
import { executeProgram, tokenizeProgram } from '../../../src/tasks/finqa-program.js';
import { numericMatch } from '../../../src/tasks/finqa-numeric.js';
import { readAllTaskRecords } from '../../../src/tasks/readers.js';
import { exactMatchReward, relaxedMatch } from '../../../src/tasks/rewards.js';
import { scorePredictions } from '../../../src/tasks/score.js';
import { goldAnswers, taskRecordSchema } from '../../../src/tasks/record.js';
import {
  FINQA_OPS_OF,
  generateSplit,
  goldTarget,
  hotpotqaKind,
  splitSeed,
  SYNTHETIC_TASKS,
  writeSyntheticTask,
  type SyntheticRecord,
  type SyntheticTask,
} from '../../../src/tasks/synthetic/index.js';

const scoring = (t: SyntheticTask) => t.replace('mini-', '') as 'finqa' | 'hotpotqa' | 'musique';
const N = 150;
const records: Record<SyntheticTask, SyntheticRecord[]> = {
  'mini-finqa': generateSplit('mini-finqa', 'train', N, 0),
  'mini-hotpotqa': generateSplit('mini-hotpotqa', 'train', N, 0),
  'mini-musique': generateSplit('mini-musique', 'train', N, 0),
};

/** The paragraphs of a linearised context: [title, text]. */
function paragraphs(context: string): [string, string][] {
  return context.split('\n\n').map((p) => {
    const [head, ...rest] = p.split('\n');
    expect(head!.startsWith('Title: ')).toBe(true);
    return [head!.slice('Title: '.length), rest.join('\n')];
  });
}

describe.each(SYNTHETIC_TASKS.map((t) => [t]))('%s', (task) => {
  const rs = records[task];

  it('is deterministic from the seed, and a smaller size is a prefix', () => {
    expect(generateSplit(task, 'train', N, 0)).toEqual(rs);
    expect(generateSplit(task, 'train', 20, 0)).toEqual(rs.slice(0, 20));
    expect(JSON.stringify(generateSplit(task, 'train', 20, 1))).not.toEqual(JSON.stringify(rs.slice(0, 20)));
    expect(splitSeed(task, 'train', 0)).not.toBe(splitSeed(task, 'test', 0));
  });

  it('writes records the task readers accept (the rationale is ignored), with unique ids', async () => {
    const ids = new Set(rs.map((r) => r.id));
    expect(ids.size).toBe(rs.length);
    for (const r of rs) {
      const parsed = taskRecordSchema.safeParse(JSON.parse(JSON.stringify(r)));
      expect(parsed.success).toBe(true);
      expect(r.rationale.length).toBeGreaterThan(0);
      expect(r.task).toBe(scoring(task));
    }
    const dir = await mkdtemp(join(tmpdir(), 'synth-'));
    try {
      await writeSyntheticTask(task, dir, 3, { train: 5, validation: 2, test: 3 });
      const back = await readAllTaskRecords(scoring(task), join(dir, 'train.jsonl'));
      expect(back).toHaveLength(5);
      expect(back[0]).not.toHaveProperty('rationale');
      const raw = (await readFile(join(dir, 'train.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(raw[0].rationale).toEqual(generateSplit(task, 'train', 1, 3)[0]!.rationale);
      expect(JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'))).toMatchObject({
        task,
        seed: 3,
        sizes: { train: 5, validation: 2, test: 3 },
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('scores the gold target as correct under the task rules (exact match, relaxed match, official metrics)', () => {
    const t = scoring(task);
    const preds = rs.map((r) => {
      const completion = `${goldTarget({ task: t, answer: '{{answer}}', warm: { chat_template: true, enable_thinking: true, user: 'x' }, cold: { chat_template: true, enable_thinking: true, user: 'x' } }, r)}<|im_end|>`;
      const e = extractAnswer(completion);
      expect(e.closedThinking).toBe(true);
      expect(exactMatchReward(t, e.answer, goldAnswers(r))).toBe(1);
      expect(relaxedMatch(t, e.answer, goldAnswers(r))).toBe(true);
      return { id: r.id, answer: e.answer, program: null, where: r.id };
    });
    const s = scorePredictions(t, rs, preds);
    expect(s.n).toBe(rs.length);
    expect(s.em).toBe(1);
    if (t === 'finqa') expect(s.numeric_acc).toBe(1);
  });

  it('keeps the answer in the context or derivable from it, and the rationale ends at the answer', () => {
    for (const r of rs) {
      if (r.answer !== 'yes' && r.answer !== 'no' && r.task !== 'finqa')
        expect(r.context).toContain(r.answer.replace(/^the /, ''));
      if (r.answer !== 'yes' && r.answer !== 'no') expect(r.rationale).toContain(r.answer.replace(/%$/, ''));
    }
  });
});

describe('mini-FinQA', () => {
  const rs = records['mini-finqa'];

  it('has a table of three metrics over three years between the text, and programs of one to three operations that execute to exeAns', () => {
    const ops = new Set<number>();
    for (const r of rs) {
      if (r.task !== 'finqa') throw new Error('task');
      expect(r.meta.table).toHaveLength(4);
      for (const row of r.meta.table) expect(r.context).toContain(row.join(' | '));
      const tokens = tokenizeProgram(r.meta.program);
      const result = executeProgram(tokens, r.meta.table);
      expect(result).toEqual({ ok: true, value: r.meta.exeAns });
      const n = r.meta.program.split('),').length;
      expect(n).toBeGreaterThanOrEqual(1);
      expect(n).toBeLessThanOrEqual(3);
      ops.add(n);
      // Every number the program reads from the text is in the table.
      for (const m of r.meta.program.matchAll(/\((\d+), (\d+)\)/g)) {
        expect(r.meta.table.flat()).toEqual(expect.arrayContaining([m[1], m[2]]));
      }
      expect(numericMatch(r.answer, r.meta.exeAns)).toBe(true);
    }
    expect([...ops].sort()).toEqual([1, 2, 3]);
    expect(Object.values(FINQA_OPS_OF).sort()).toEqual([1, 1, 1, 2, 3, 3]);
  });

  it('writes percentage answers with a % sign and fractions in exeAns', () => {
    const pct = rs.filter((r) => r.answer.endsWith('%'));
    expect(pct.length).toBeGreaterThan(10);
    for (const r of pct) {
      if (r.task !== 'finqa') throw new Error('task');
      expect(Number(r.answer.slice(0, -1)) / 100).toBeCloseTo(r.meta.exeAns as number, 10);
    }
  });
});

describe('mini-HotPotQA', () => {
  const rs = records['mini-hotpotqa'];

  it('has eight to ten paragraphs, two supporting and the rest distractors, with unique titles', () => {
    for (const r of rs) {
      if (r.task !== 'hotpotqa') throw new Error('task');
      const ps = paragraphs(r.context);
      expect(ps.length).toBeGreaterThanOrEqual(8);
      expect(ps.length).toBeLessThanOrEqual(10);
      expect(new Set(ps.map((p) => p[0])).size).toBe(ps.length);
      expect(r.meta.supportingFacts).toHaveLength(2);
      const titles = ps.map((p) => p[0]);
      for (const [title] of r.meta.supportingFacts) expect(titles).toContain(title);
    }
  });

  it("has bridge questions (answer: the director's town) and comparisons (a name, or yes / no)", () => {
    const kinds = new Map<string, number>();
    for (const r of rs) {
      if (r.task !== 'hotpotqa') throw new Error('task');
      const kind = hotpotqaKind(r);
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      const ps = new Map(paragraphs(r.context));
      if (kind === 'bridge') {
        const film = /the director of (The .+) born\?/.exec(r.question)![1]!;
        const director = /A film by (\w+)\./.exec(ps.get(film)!)![1]!;
        expect(ps.get(director)).toContain(`Born in ${r.answer} in`);
      } else {
        const [, a, b] = (/^Who was born first, (\w+) or (\w+)\?$/.exec(r.question) ??
          /^Were (\w+) and (\w+) born in the same town\?$/.exec(r.question))!;
        const born = (n: string) => /Born in (\w+) in (\d+)\./.exec(ps.get(n!)!)!;
        if (kind === 'comparison-first') expect(r.answer).toBe(Number(born(a!)[2]) < Number(born(b!)[2]) ? a : b);
        else expect(r.answer).toBe(born(a!)[1] === born(b!)[1] ? 'yes' : 'no');
      }
    }
    expect(kinds.get('bridge')).toBeGreaterThan(40);
    expect(kinds.get('comparison-first')).toBeGreaterThan(15);
    expect(kinds.get('comparison-same')).toBeGreaterThan(15);
    const yes = rs.filter((r) => r.answer === 'yes').length;
    const no = rs.filter((r) => r.answer === 'no').length;
    expect(yes).toBeGreaterThan(5);
    expect(no).toBeGreaterThan(5);
  });
});

describe('mini-MuSiQue', () => {
  const rs = records['mini-musique'];

  it('has two- to four-hop chains whose supporting paragraphs lead to the answer, among distractors', () => {
    const hops = new Map<number, number>();
    for (const r of rs) {
      if (r.task !== 'musique') throw new Error('task');
      const h = r.meta.hops;
      hops.set(h, (hops.get(h) ?? 0) + 1);
      expect(r.id.startsWith(`${h}hop-`)).toBe(true);
      const ps = paragraphs(r.context);
      expect(ps.length).toBeGreaterThan(r.meta.supportingIdx.length);
      expect(r.meta.supportingIdx).toHaveLength(h);
      // Follow the chain through the context: teacher links, the birth town, then the region.
      const byTitle = new Map(ps);
      const teachers = (r.question.match(/the teacher of /g) ?? []).length;
      const region = r.question.startsWith('In which region');
      expect(teachers + 1 + (region ? 1 : 0)).toBe(h);
      let person = /(?:the teacher of )*(\w+) born\?$/.exec(r.question)![1]!;
      for (let i = 0; i < teachers; i++) person = /^Taught by (\w+),/.exec(byTitle.get(person)!)![1]!;
      const town = /born in (\w+)\.$/.exec(byTitle.get(person)!)![1]!;
      const answer = region ? /^A town in (.+)\.$/.exec(byTitle.get(town)!)![1]! : town;
      expect(answer).toBe(r.answer);
      expect(r.meta.supportingIdx.map((i) => ps[i]![0])[r.meta.supportingIdx.length - 1]).toBe(region ? town : person);
    }
    expect([...hops.keys()].sort()).toEqual([2, 3, 4]);
  });
});
