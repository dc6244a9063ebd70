import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMetrics } from '../../src/cli/metrics.js';
import { scoreQuestion } from '../../src/experiment/eval/sampling-metrics.js';
import { writePredictions } from '../../src/run-dir/json.js';
import { readPredictions } from '../../src/tasks/predictions.js';

const FIX = join(process.cwd(), 'test/fixtures/tasks');
const tmp = mkdtempSync(join(tmpdir(), 'cli-metrics-'));
const file = (name: string, text: string) => {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
};
const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

describe('metrics on HotPotQA', () => {
  const gold = join(FIX, 'hotpotqa/hotpot_dev_distractor_v1.json');
  // gold answers: 0 Paris, 1 Rome, 2 Oslo, 3 yes, 4 Quito, 5 Cairo, 6 Delhi, 7 yes
  const answers: Record<string, string> = {
    '5a8dev0000': 'the Paris', // em 1, f1 1
    '5a8dev0001': 'Rome, Italy', // em 0, f1 2/3, relaxed
    '5a8dev0002': 'Bergen', // 0
    '5a8dev0003': 'yes it is', // em 0, f1 0 (yes rule), relaxed
    '5a8dev0004': 'Quito', // 1
    '5a8dev0005': 'Cairo', // 1
    '5a8dev0006': '', // 0
    // 5a8dev0007 missing
  };
  it('reads the official {"answer": {...}} file and averages over all gold records', async () => {
    const s = await runMetrics('hotpotqa', gold, file('hp.json', JSON.stringify({ answer: answers, sp: {} })));
    expect(s.format).toBe('hotpotqa-official');
    expect(s.n).toBe(8);
    expect(s.missing).toBe(1);
    expect(s.em).toBeCloseTo(3 / 8, 12);
    expect(s.f1).toBeCloseTo((3 + 2 / 3) / 8, 12);
    expect(s.relaxed).toBeCloseTo(5 / 8, 12);
  });
  it('gives the same numbers from the project {"id","answer"} JSONL, against a parquet-free prepared gold', async () => {
    const p = file('hp.jsonl', jsonl(Object.entries(answers).map(([id, answer]) => ({ id, answer }))));
    const s = await runMetrics('hotpotqa', gold, p);
    expect(s.format).toBe('project');
    expect(s.em).toBeCloseTo(3 / 8, 12);
    expect(s.f1).toBeCloseTo((3 + 2 / 3) / 8, 12);
  });
  it('scores the project\'s own eval predictions file by its vote ("no answer" as empty)', async () => {
    // One sample per question, so the vote is that answer; the empty one votes "no answer" (vote null).
    const records = Object.entries(answers).map(([id, answer]) =>
      scoreQuestion('hotpotqa', { id, answers: [answer], golds: ['x'], completions: [`<think>...</think> ${answer}`] }),
    );
    expect(records.find((r) => r.id === '5a8dev0006')!.vote).toBeNull();
    const p = join(tmp, 'test.predictions.jsonl');
    await writePredictions(p, records);
    const s = await runMetrics('hotpotqa', gold, p);
    expect(s).toMatchObject({ format: 'eval', n: 8, missing: 1 });
    expect(s.em).toBeCloseTo(3 / 8, 12);
    expect(s.f1).toBeCloseTo((3 + 2 / 3) / 8, 12);
    await expect(readPredictions(file('badvote.jsonl', jsonl([{ id: 'a', answers: ['x'], vote: 3 }])))).rejects.toThrow(
      /badvote\.jsonl: line 1: vote: expected a string or null/,
    );
  });
  it('counts predictions for unknown ids as extra and refuses duplicate ids', async () => {
    const s = await runMetrics('hotpotqa', gold, file('hp2.jsonl', jsonl([{ id: 'zzz', answer: 'x' }])));
    expect(s).toMatchObject({ n: 8, missing: 8, extra: 1, em: 0 });
    await expect(
      runMetrics(
        'hotpotqa',
        gold,
        file(
          'dup.jsonl',
          jsonl([
            { id: 'a', answer: 'x' },
            { id: 'a', answer: 'y' },
          ]),
        ),
      ),
    ).rejects.toThrow(/dup\.jsonl: line 2: duplicate id "a" \(first at .*line 1\)/);
  });
});

describe('metrics on MuSiQue', () => {
  it('reads the official {"id","predicted_answer"} JSONL, takes the max over aliases, and leaves out unanswerable records', async () => {
    const lines = jsonl([
      { id: '2hop__dev0_1000', predicted_answer: 'R0', predicted_support_idxs: [0, 1], predicted_answerable: true }, // alias: 1 / 1
      {
        id: '3hop1__dev1_1001',
        predicted_answer: 'Region 1 in Europe',
        predicted_support_idxs: [],
        predicted_answerable: true,
      }, // 0 / 2/3
      { id: 'unanswerable__x', predicted_answer: 'whatever', predicted_support_idxs: [], predicted_answerable: false },
    ]);
    const goldRows = (await import('node:fs'))
      .readFileSync(join(FIX, 'musique/musique_ans_v1.0_dev.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .slice(0, 2)
      .map((l) => JSON.parse(l));
    const gold = file(
      'mq-gold.jsonl',
      jsonl([...goldRows, { ...goldRows[0], id: 'unanswerable__x', answerable: false }]),
    );
    const s = await runMetrics('musique', gold, file('mq.jsonl', lines));
    expect(s).toMatchObject({ format: 'musique-official', n: 2, missing: 0, unanswerable: 1, em: 0.5 });
    expect(s.f1).toBeCloseTo((1 + 2 / 3) / 2, 12);
    expect(s.relaxed).toBe(1);
  });
  it('names the line and field of a bad prediction', async () => {
    await expect(readPredictions(file('badp.jsonl', jsonl([{ id: 'a', predicted_answer: 3 }])))).rejects.toThrow(
      /badp\.jsonl: line 1: predicted_answer: expected a string/,
    );
    await expect(readPredictions(file('noid.jsonl', jsonl([{ answer: 'x' }])))).rejects.toThrow(
      /noid\.jsonl: line 1: id: expected a non-empty string/,
    );
    await expect(
      readPredictions(
        file(
          'mixed.jsonl',
          jsonl([
            { id: 'a', answer: 'x' },
            { id: 'b', predicted_answer: 'y' },
          ]),
        ),
      ),
    ).rejects.toThrow(/mixed\.jsonl: line 2: a musique-official row in a project file/);
  });
});

describe('metrics on FinQA', () => {
  const gold = join(FIX, 'finqa/test.json');
  // test records: 0 change (5000-4000)/4000 = 0.25 "25.0%"; 1 table_sum 5100+4090+3000 = 12190 "12190"; 2 greater "yes";
  // 3 change (5300-4270)/4270 = 1030/4270 = 0.241218... -> 0.24122 "24.1%"
  const ids = [
    'ABC/2009/page_0.pdf-test0',
    'ABC/2009/page_1.pdf-test1',
    'ABC/2009/page_2.pdf-test2',
    'ABC/2009/page_3.pdf-test3',
  ];
  it('executes official program predictions: exact equality with exe_ans after rounding', async () => {
    const preds = [
      { id: ids[0], predicted: ['subtract(', '5000', '4000', ')', 'divide(', '#0', '4000', ')', 'EOF'] }, // 0.25 correct
      { id: ids[1], predicted: ['table_sum(', 'revenue', 'none', ')', 'EOF'] }, // 12190 correct
      { id: ids[2], predicted: ['greater(', '4000', '5000', ')', 'EOF'] }, // "no": wrong
      { id: ids[3], predicted: ['divide(', '1030', '4270', ')', 'EOF'] }, // 0.24122 correct
    ];
    const s = await runMetrics('finqa', gold, file('fq.json', JSON.stringify(preds)));
    expect(s).toMatchObject({
      format: 'finqa-official',
      n: 4,
      exe_acc: 0.75,
      numeric_acc: 0.75,
      em: null,
      relaxed: null,
    });
  });
  it('grades free-form answers: execution accuracy on the rounded number, the tolerance match, EM and relaxed', async () => {
    const preds = jsonl([
      { id: ids[0], answer: '25%' }, // 0.25: exe yes, numeric yes, em no ("25.0%"), relaxed no
      { id: ids[1], answer: '$12,190' }, // exe yes, numeric yes, em yes, relaxed yes
      { id: ids[2], answer: 'Yes.' }, // exe yes, numeric yes, em yes, relaxed yes
      { id: ids[3], answer: '24.1%' }, // 0.241 != 0.24122: exe no; |0.241 - 0.24122| <= 0.0024: numeric yes; em yes; relaxed yes
    ]);
    const s = await runMetrics('finqa', gold, file('fq.jsonl', preds));
    expect(s).toMatchObject({ format: 'project', n: 4, exe_acc: 0.75, numeric_acc: 1, em: 0.75, relaxed: 0.75 });
  });
  it('executes a project answer written as a program', async () => {
    const s = await runMetrics(
      'finqa',
      gold,
      file('fq2.jsonl', jsonl([{ id: ids[3], answer: 'subtract(5300, 4270), divide(#0, 4270)' }])),
    );
    expect(s).toMatchObject({ n: 4, missing: 3, exe_acc: 0.25 });
  });
});
