/** data-scripts/disjoint-train.mjs: a training split with no (question, answer) of the test split and none twice. */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './built-cli.js';

const run = promisify(execFile);
const script = join(ROOT, 'data-scripts/disjoint-train.mjs');
const record = (id: string, question: string, answer: string, context = id) =>
  JSON.stringify({ task: 'hotpotqa', id, question, answer, context });

async function fixture(dir: string) {
  const from = join(dir, 'from');
  await mkdir(from);
  const test = [record('t0', 'Who?', 'Ann'), record('t1', 'Where?', 'York')];
  const train = [
    record('a', 'Who?', 'Ann', 'another context'), // the test's pair: skipped
    record('b', 'Who?', 'Bob'), // same question, other answer: kept
    record('c', 'When?', '1970'),
    record('d', 'When?', '1970', 'another context'), // a repeat of c: skipped
    record('e', 'Where?', 'Bath'),
    record('f', 'Why?', 'rain'),
  ];
  await writeFile(join(from, 'test.jsonl'), `${test.join('\n')}\n`);
  await writeFile(join(from, 'validation.jsonl'), `${record('v', 'Which?', 'x')}\n`);
  await writeFile(join(from, 'train.jsonl'), `${train.join('\n')}\n`);
  await writeFile(join(from, 'manifest.json'), JSON.stringify({ task: 'mini-hotpotqa', sizes: { train: 6 } }));
  return from;
}

it('keeps the first N training records whose (question, answer) is neither in the test split nor kept already', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'disjoint-'));
  try {
    const from = await fixture(dir);
    const out = join(dir, 'out');
    await run(process.execPath, [script, '--from', from, '--n', '3', '--out', out]);
    const ids = (await readFile(join(out, 'train.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).id);
    expect(ids).toEqual(['b', 'c', 'e']);
    expect(await readFile(join(out, 'test.jsonl'), 'utf8')).toBe(await readFile(join(from, 'test.jsonl'), 'utf8'));
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
    expect(manifest.sizes.train).toBe(3);
    expect(manifest.disjoint_train).toMatchObject({ n: 3, test_pairs: 2, skipped_test_overlap: 1, skipped_repeats: 1 });
    // Asking for more than there are fails and says how many there were.
    await expect(run(process.execPath, [script, '--from', from, '--n', '5', '--out', out])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('only 4 disjoint training records'),
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
