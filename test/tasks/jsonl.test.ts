import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileAnswerPattern } from '../../src/tasks/extract.js';
import { jsonlRecord, readJsonlTask } from '../../src/tasks/jsonl.js';

const tmp = mkdtempSync(join(tmpdir(), 'tasks-jsonl-'));
const file = (name: string, lines: unknown[]) => {
  const p = join(tmp, name);
  writeFileSync(p, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
  return p;
};
const GSM8K = compileAnswerPattern('#### *(.+)$');

describe('a JSONL task', () => {
  it('reads the project layout: id, question, answer, context, rationale, aliases; the raw object is kept', async () => {
    const row = {
      id: 'q1',
      question: 'What is 2 + 3?',
      answer: '5',
      context: 'Small sums.',
      rationale: '2 + 3 = 5.',
      aliases: ['five', 5],
      extra: [1, 2],
    };
    const [r] = await readJsonlTask(file('train.jsonl', [row]));
    expect(r).toEqual({
      task: 'jsonl',
      id: 'q1',
      question: 'What is 2 + 3?',
      answer: '5',
      context: 'Small sums.',
      aliases: ['five', '5'],
      meta: { rationale: '2 + 3 = 5.', raw: row },
    });
  });

  it('maps field names, so a MATH-like layout reads without conversion', () => {
    const r = jsonlRecord(
      { unique_id: 7, problem: 'Find x.', solution: '\\frac{1}{2}', steps: 'Solve it.' },
      'f: line 1',
      'train-1',
      {
        fields: { id: 'unique_id', question: 'problem', answer: 'solution', rationale: 'steps' },
      },
    );
    expect(r).toMatchObject({
      id: '7',
      question: 'Find x.',
      answer: '\\frac{1}{2}',
      context: '',
      aliases: [],
      meta: { rationale: 'Solve it.' },
    });
  });

  it('cuts GSM8K answers with the answer pattern; the text before the match becomes the rationale', async () => {
    const p = file('test.jsonl', [
      {
        question: 'Natalia sold 48 clips in April and half as many in May. How many in all?',
        answer: 'In May she sold 48/2 = 24.\nIn all 48 + 24 = 72.\n#### 72',
      },
      { question: 'Plain?', answer: '9' },
    ]);
    const [a, b] = await readJsonlTask(p, { answerPattern: GSM8K });
    expect(a).toMatchObject({
      id: 'test-1',
      answer: '72',
      meta: { rationale: 'In May she sold 48/2 = 24.\nIn all 48 + 24 = 72.' },
    });
    // No match: the answer field is the answer; ids default to <split>-<line>.
    expect(b).toMatchObject({ id: 'test-2', answer: '9', meta: { rationale: null } });
  });

  it('names the file, the line and the field (with its mapping) when a record is bad', async () => {
    await expect(readJsonlTask(file('a.jsonl', [{ id: 'x', answer: '1' }]))).rejects.toThrow(
      /a\.jsonl: line 1: question: missing \(fields: id, answer\)/,
    );
    await expect(
      readJsonlTask(file('b.jsonl', [{ id: 'x', question: 'q', answer: '1' }, { problem: 'q' }]), {
        fields: { question: 'problem', answer: 'solution' },
      }),
    ).rejects.toThrow(/b\.jsonl: line 1: problem \(task\.fields\.question\): missing/);
    await expect(readJsonlTask(file('c.jsonl', [{ question: 'q', answer: { v: 1 } }]))).rejects.toThrow(
      /c\.jsonl: line 1: answer: expected a string or a number/,
    );
    await expect(readJsonlTask(file('d.jsonl', [{ question: 'q', answer: '1', aliases: 'one' }]))).rejects.toThrow(
      /d\.jsonl: line 1: aliases: expected a list of strings/,
    );
    await expect(
      readJsonlTask(
        file('e.jsonl', [{ id: 'x', question: 'q', answer: '1' }, '', { id: 'x', question: 'r', answer: '2' }]),
      ),
    ).rejects.toThrow(/e\.jsonl: line 3: id: duplicate id "x" \(first at .*e\.jsonl: line 1\)/);
    await expect(readJsonlTask(file('f.jsonl', ['[1, 2]']))).rejects.toThrow(
      /f\.jsonl: line 1: expected a JSON object/,
    );
  });
});
