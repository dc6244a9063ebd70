#!/usr/bin/env node
// A mini-task folder whose training split holds no (question, answer) pair twice and none that the test
// split holds: the first --n such records of --from's train.jsonl, in file order; validation and test
// copied unchanged. For the one-exposure warm runs (results/mini/README.md, "Warm start, each question
// once"). Usage: node data-scripts/disjoint-train.mjs --from DIR --n N --out DIR
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { from: { type: 'string' }, n: { type: 'string' }, out: { type: 'string' } } });
const n = Number(values.n);
if (!values.from || !values.out || !(Number.isInteger(n) && n > 0)) {
  console.error('usage: node data-scripts/disjoint-train.mjs --from DIR --n N --out DIR');
  process.exit(2);
}
const read = (split) =>
  readFileSync(join(values.from, `${split}.jsonl`), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
const key = (line) => {
  const r = JSON.parse(line);
  return JSON.stringify([r.question, r.answer]);
};
const testKeys = new Set(read('test').map(key));
const keptKeys = new Set();
const kept = [];
let overlapsTest = 0,
  repeats = 0;
for (const line of read('train')) {
  if (kept.length === n) break;
  const k = key(line);
  if (testKeys.has(k)) overlapsTest++;
  else if (keptKeys.has(k)) repeats++;
  else {
    keptKeys.add(k);
    kept.push(line);
  }
}
if (kept.length < n) {
  console.error(`only ${kept.length} disjoint training records in ${values.from}, ${n} asked for`);
  process.exit(1);
}
mkdirSync(values.out, { recursive: true });
writeFileSync(join(values.out, 'train.jsonl'), `${kept.join('\n')}\n`);
for (const split of ['validation', 'test'])
  copyFileSync(join(values.from, `${split}.jsonl`), join(values.out, `${split}.jsonl`));
const manifest = JSON.parse(readFileSync(join(values.from, 'manifest.json'), 'utf8'));
const note = {
  from: values.from,
  n,
  test_pairs: testKeys.size,
  skipped_test_overlap: overlapsTest,
  skipped_repeats: repeats,
};
writeFileSync(
  join(values.out, 'manifest.json'),
  `${JSON.stringify({ ...manifest, sizes: { ...manifest.sizes, train: n }, disjoint_train: note }, null, 2)}\n`,
);
console.log(JSON.stringify(note));
