import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readAllTaskRecords } from '../../src/tasks/readers.js';
import { readRows } from '../../src/tasks/files.js';
import { hotpotqaRecord } from '../../src/tasks/hotpotqa.js';
import { UserError } from '../../src/errors.js';
import { writeFinqaParquet, writeHotpotParquet } from '../fixtures/write-parquet.js';

const FIX = join(process.cwd(), 'test/fixtures/tasks');
const tmp = mkdtempSync(join(tmpdir(), 'tasks-readers-'));
const file = (name: string, text: string) => {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
};

describe('FinQA readers', () => {
  it('reads the official JSON into records with the linearised table and the gold program', async () => {
    const recs = await readAllTaskRecords('finqa', join(FIX, 'finqa/train.json'));
    expect(recs).toHaveLength(9);
    const r = recs[0]!;
    expect(r).toMatchObject({
      id: 'ABC/2009/page_0.pdf-train0',
      task: 'finqa',
      question: 'what was the percentage change in revenue from 2008 to 2009?',
      answer: '25.0%',
      aliases: [],
    });
    expect(r.meta).toMatchObject({ program: 'subtract(5000, 4000), divide(#0, 4000)', exeAns: 0.25 });
    expect(r.context).toBe(
      'company train-0 reported results for fiscal 2009 .\namounts are in millions .\n\n' +
        ' | 2009 | 2008 | 2007\nrevenue | $5,000 | $4,000 | $ 3,000\nmargin | 12% | 11% | (5)\n\n' +
        'see note 7 for details .',
    );
    expect(recs[2]!.meta).toMatchObject({ exeAns: 'yes' });
  });
  it('reads the flattened parquet mirror to the same records', async () => {
    const pq = join(tmp, 'finqa-train.parquet');
    writeFinqaParquet(join(FIX, 'finqa/train.json'), pq);
    expect(await readAllTaskRecords('finqa', pq)).toEqual(
      await readAllTaskRecords('finqa', join(FIX, 'finqa/train.json')),
    );
  });
  it('names the element and field of a bad record', async () => {
    const p = file(
      'bad-finqa.json',
      JSON.stringify([
        { id: 'a', pre_text: [], post_text: [], table: [], qa: { question: 'q', answer: '1' } },
        { id: 'b', pre_text: 'oops', post_text: [], table: [], qa: { question: 'q' } },
      ]),
    );
    await expect(readAllTaskRecords('finqa', p)).rejects.toThrow(
      /bad-finqa\.json: element 1: pre_text: .*expected array/,
    );
  });
  it('refuses a record without any gold answer (the private test file)', async () => {
    const p = file(
      'private.json',
      JSON.stringify([{ id: 'a', pre_text: [], post_text: [], table: [], qa: { question: 'q' } }]),
    );
    await expect(readAllTaskRecords('finqa', p)).rejects.toThrow(/element 0: qa\.answer: no gold answer/);
  });
});

describe('HotPotQA readers', () => {
  it('reads the official JSON: paragraphs as "Title: T" blocks, sentences joined as written', async () => {
    const recs = await readAllTaskRecords('hotpotqa', join(FIX, 'hotpotqa/hotpot_dev_distractor_v1.json'));
    expect(recs).toHaveLength(8);
    expect(recs[0]).toEqual({
      id: '5a8dev0000',
      task: 'hotpotqa',
      question: 'Which capital lies near Town dev 0?',
      context:
        'Title: Town dev 0\nTown dev 0 is a small town. It lies near Paris.\n\nTitle: Paris\nParis is a capital city. It has a river.\n\nTitle: Distractor\nThis paragraph is unrelated.',
      answer: 'Paris',
      aliases: [],
      meta: {
        type: 'bridge',
        level: 'easy',
        supportingFacts: [
          ['Town dev 0', 1],
          ['Paris', 0],
        ],
      },
    });
    expect(recs[3]).toMatchObject({ answer: 'yes', meta: { type: 'comparison' } });
  });
  it('reads the Hub parquet (structs of parallel lists, INT64 sentence ids) to the same records', async () => {
    const pq = join(tmp, 'hotpot-dev.parquet');
    writeHotpotParquet(join(FIX, 'hotpotqa/hotpot_dev_distractor_v1.json'), pq);
    expect(await readAllTaskRecords('hotpotqa', pq)).toEqual(
      await readAllTaskRecords('hotpotqa', join(FIX, 'hotpotqa/hotpot_dev_distractor_v1.json')),
    );
  });
  it('reports parallel lists of different lengths, and bad fields, with the place', async () => {
    const row = { id: 'x', question: 'q', answer: 'a', context: { title: ['T', 'U'], sentences: [['s']] } };
    expect(() => hotpotqaRecord(row, 'f.parquet: row 4')).toThrow(
      /f\.parquet: row 4: context: title has 2 entries but sentences has 1/,
    );
    const broken = file(
      'hotpot-missing.json',
      JSON.stringify([{ _id: 'x', question: 'q', answer: 'a', supporting_facts: [], context: [['T', 's']] }]),
    );
    await expect(readAllTaskRecords('hotpotqa', broken)).rejects.toThrow(
      /hotpot-missing\.json: element 0: context\.0\.1: .*expected array/,
    );
  });
});

describe('MuSiQue reader', () => {
  it('reads JSONL with aliases, hop counts and supporting paragraphs', async () => {
    const recs = await readAllTaskRecords('musique', join(FIX, 'musique/musique_ans_v1.0_dev.jsonl'));
    expect(recs).toHaveLength(8);
    expect(recs[1]).toEqual({
      id: '3hop1__dev1_1001',
      task: 'musique',
      question: 'In which region was Person 1 born?',
      context:
        'Title: Person 1\nPerson 1 was born in Village 1.\n\nTitle: Village 1\nVillage 1 is in Region 1.\n\nTitle: Noise\nUnrelated text.',
      answer: 'Region 1',
      aliases: ['R1', 'the region 1'],
      meta: { hops: 3, answerable: true, supportingIdx: [0, 1] },
    });
  });
  it('names the line of malformed JSON and of a bad field', async () => {
    const good = JSON.stringify({
      id: '2hop__1',
      paragraphs: [],
      question: 'q',
      answer: 'a',
      answer_aliases: [],
      answerable: true,
    });
    await expect(readAllTaskRecords('musique', file('m1.jsonl', `${good}\n\n{"id": "x",\n`))).rejects.toThrow(
      /m1\.jsonl: line 3: malformed JSON/,
    );
    await expect(
      readAllTaskRecords(
        'musique',
        file('m2.jsonl', `${good}\n{"id": "2hop__2", "paragraphs": [], "question": "q", "answer": 5}\n`),
      ),
    ).rejects.toThrow(/m2\.jsonl: line 2: answer: .*expected string/);
  });
});

describe('file handling', () => {
  it('streams JSON arrays and reports truncation, non-arrays, and missing commas', async () => {
    const rows = async (p: string) => {
      const out: unknown[] = [];
      for await (const r of readRows(p)) out.push(r.value);
      return out;
    };
    expect(await rows(file('ok.json', ' [ 1, "a]", {"b": [2, {}]}, [], null ]\n'))).toEqual([
      1,
      'a]',
      { b: [2, {}] },
      [],
      null,
    ]);
    expect(await rows(file('empty-array.json', '[]'))).toEqual([]);
    await expect(rows(file('t.json', '[{"id": "a"}, {"id": "b"'))).rejects.toThrow(
      /t\.json: ends inside element 1 \(file truncated\?\)/,
    );
    await expect(rows(file('o.json', '{"id": "a"}'))).rejects.toThrow(/o\.json: expected a JSON array/);
    await expect(rows(file('c.json', '[{"id": "a"} {"id": "b"}]'))).rejects.toThrow(/c\.json: element 1: missing ','/);
    await expect(rows(file('tc.json', '[1, 2,]'))).rejects.toThrow(/tc\.json: element 2: trailing comma/);
    await expect(rows(file('bad.json', '[{"id": tru}]'))).rejects.toThrow(/bad\.json: element 0: malformed JSON/);
    await expect(rows(file('e.json', ''))).rejects.toThrow(/e\.json: empty file/);
  });
  it('handles strings with brackets, braces, escaped quotes and multi-byte characters', async () => {
    const rec = {
      id: '2hop__é"]}',
      paragraphs: [{ idx: 0, title: '[t]', paragraph_text: 'x}{"\\', is_supporting: true }],
      question: 'q ]',
      answer: 'ü',
      answer_aliases: [],
    };
    const recs = await readAllTaskRecords(
      'musique',
      file('s.json', `[ ${JSON.stringify(rec)} ,\n${JSON.stringify({ ...rec, id: 'b' })} ]`),
    );
    expect(recs.map((r) => r.id)).toEqual(['2hop__é"]}', 'b']);
    expect(recs[0]!.answer).toBe('ü');
  });
  it('reads elements that span read chunks (a file of several hundred kilobytes)', async () => {
    const recs = Array.from({ length: 3000 }, (_, i) => ({ id: `r${i}`, text: 'ünïcødé ]}{ '.repeat(10 + (i % 7)) }));
    const out: unknown[] = [];
    for await (const r of readRows(file('big.json', JSON.stringify(recs)))) out.push(r.value);
    expect(out).toEqual(recs);
  });
  it('errors on a missing file and an unknown extension, as UserErrors', async () => {
    await expect(readAllTaskRecords('musique', join(tmp, 'nope.jsonl'))).rejects.toThrow(UserError);
    await expect(readAllTaskRecords('musique', join(tmp, 'nope.jsonl'))).rejects.toThrow(/no such file/);
    await expect(readAllTaskRecords('musique', file('x.csv', ''))).rejects.toThrow(/unknown file type/);
  });
  it('reads prepared records back and checks their task', async () => {
    const recs = await readAllTaskRecords('musique', join(FIX, 'musique/musique_ans_v1.0_dev.jsonl'));
    const p = file('prepared.jsonl', recs.map((r) => JSON.stringify(r)).join('\n') + '\n');
    expect(await readAllTaskRecords('musique', p)).toEqual(recs);
    await expect(readAllTaskRecords('hotpotqa', p)).rejects.toThrow(
      /prepared\.jsonl: line 1: task: this is a musique record, expected hotpotqa/,
    );
  });
});
