#!/usr/bin/env node
// Writes the own-task example of the README ("Your own task"): a small GSM8K-like arithmetic task as
// configs/examples/arith/{train,validation,test}.jsonl (records {"id", "question", "answer", "rationale"},
// the answer a plain number) and its reward module configs/examples/arith/reward.mjs. Run it with
// ./bin/tsallis-run train --config configs/examples/arith.yaml. Usage: node data-scripts/make-example-task.mjs [OUT_DIR]
// (default configs/examples/arith). Deterministic and offline: the output is committed and regenerated bit for bit.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const out = process.argv[2] ?? 'configs/examples/arith';
const SIZES = { train: 40, validation: 12, test: 12 };

/** A small deterministic generator (mulberry32), so the files do not depend on Math.random. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = ['Ana', 'Ben', 'Chen', 'Dara', 'Eli', 'Fatima', 'Goran', 'Hana', 'Ivo', 'Jun'];
const THINGS = ['apples', 'pencils', 'stamps', 'marbles', 'books', 'shells'];

/** One word problem with its worked solution; `kind` picks the operation. */
function problem(next, kind) {
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));
  const who = NAMES[int(0, NAMES.length - 1)];
  const what = THINGS[int(0, THINGS.length - 1)];
  if (kind === 0) {
    const a = int(2, 30),
      b = int(2, 30);
    return {
      question: `${who} has ${a} ${what} and gets ${b} more. How many ${what} does ${who} have now?`,
      rationale: `${who} starts with ${a} and gets ${b}: ${a} + ${b} = ${a + b}.`,
      answer: a + b,
    };
  }
  if (kind === 1) {
    const a = int(10, 50),
      b = int(1, a - 1);
    return {
      question: `${who} has ${a} ${what} and gives away ${b}. How many ${what} are left?`,
      rationale: `${a} - ${b} = ${a - b}.`,
      answer: a - b,
    };
  }
  if (kind === 2) {
    const a = int(2, 9),
      b = int(2, 9);
    return {
      question: `${who} buys ${a} boxes with ${b} ${what} in each. How many ${what} is that?`,
      rationale: `${a} boxes of ${b}: ${a} x ${b} = ${a * b}.`,
      answer: a * b,
    };
  }
  const a = int(2, 9),
    b = int(2, 9),
    c = int(1, 9);
  return {
    question: `${who} buys ${a} bags with ${b} ${what} in each, then finds ${c} more. How many ${what} does ${who} have?`,
    rationale: `${a} x ${b} = ${a * b}, and ${a * b} + ${c} = ${a * b + c}.`,
    answer: a * b + c,
  };
}

const REWARD = `// The reward of the arith example (task.reward: configs/examples/arith/reward.mjs), written by
// data-scripts/make-example-task.mjs. Called once per rollout with the whole JSONL record, the extracted
// answer and the completion text; returns a number in [0, 1]. Here: 1 when the last number of the
// prediction equals the gold answer, else 0.
export default function reward(record, prediction) {
  const numbers = prediction.replace(/,/g, '').match(/-?\\d+(?:\\.\\d+)?/g);
  if (!numbers) return 0;
  return Number(numbers[numbers.length - 1]) === Number(record.answer) ? 1 : 0;
}
`;

mkdirSync(out, { recursive: true });
const next = rng(17);
let n = 0;
for (const [split, size] of Object.entries(SIZES)) {
  const lines = [];
  for (let i = 0; i < size; i++) {
    const p = problem(next, n % 4);
    lines.push(
      JSON.stringify({
        id: `arith-${String(n).padStart(3, '0')}`,
        question: p.question,
        answer: String(p.answer),
        rationale: p.rationale,
      }),
    );
    n++;
  }
  writeFileSync(join(out, `${split}.jsonl`), lines.join('\n') + '\n');
}
writeFileSync(join(out, 'reward.mjs'), REWARD);
console.log(
  `wrote ${out}: ${Object.entries(SIZES)
    .map(([s, k]) => `${s} ${k}`)
    .join(', ')} records, reward.mjs`,
);
