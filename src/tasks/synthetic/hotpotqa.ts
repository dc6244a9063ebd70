/**
 * mini-HotPotQA: eight to ten one-sentence paragraphs about films and the people who directed them, two
 * of them supporting and the rest distractors, and a question of one of HotPotQA's two types:
 *
 * Paragraphs are as short as they can be (the title names the subject: "Title: Ben\nBorn in York in
 * 1950."), so that about ten of them fit the tiny model's budget.
 *
 * - bridge:     "In which town was the director of The Red Gate born?" (film paragraph -> person paragraph)
 * - comparison: "Who was born first, Ben or Sue?" (a name), or
 *               "Were Ben and Sue born in the same town?" (yes / no).
 *
 * Distractors are films and directors of the same kind (other films by the bridge's director never appear,
 * so the answer is unique). meta.supportingFacts holds [title, 0] for the two supporting paragraphs.
 */
import type { Rng } from '../../util/rng.js';
import { lineariseParagraphs } from '../linearise.js';
import { intIn, people, sample, TOWNS, type SyntheticRecord } from './common.js';

const ADJECTIVES = [
  'Red',
  'Silver',
  'Long',
  'Quiet',
  'Last',
  'Green',
  'Cold',
  'Golden',
  'Hidden',
  'Broken',
  'Open',
  'Dark',
] as const;
const NOUNS = [
  'Gate',
  'River',
  'Road',
  'House',
  'Bridge',
  'Garden',
  'Winter',
  'Harbor',
  'Field',
  'Tower',
  'Market',
  'Storm',
] as const;

export const HOTPOTQA_KINDS = ['bridge', 'comparison-first', 'comparison-same'] as const;
export type HotpotqaKind = (typeof HOTPOTQA_KINDS)[number];

interface Person {
  name: string;
  town: string;
  year: number;
}
interface Film {
  title: string;
  year: number;
  director: Person;
}

function personText(p: Person): string {
  return `Born in ${p.town} in ${p.year}.`;
}
function filmText(f: Film): string {
  return `A film by ${f.director.name}.`;
}

/** One mini-HotPotQA record with `paragraphs` paragraphs (8 to 10 by default). */
export function generateHotpotqa(rng: Rng, id: string, paragraphs = intIn(rng, 8, 10)): SyntheticRecord {
  // Half bridge, a quarter of each comparison kind.
  const u = rng.int(4);
  const kind: HotpotqaKind = u < 2 ? 'bridge' : u === 2 ? 'comparison-first' : 'comparison-same';
  const nPeople = 6;
  const names = people(rng, nPeople);
  const towns = sample(rng, TOWNS, nPeople);
  const years = sample(
    rng,
    Array.from({ length: 50 }, (_, i) => 1930 + i),
    nPeople,
  );
  const persons: Person[] = names.map((name, i) => ({ name, town: towns[i]!, year: years[i]! }));
  const titles = sample(rng, ADJECTIVES, nPeople).map(
    (a, i) => `${a} ${NOUNS[(i + rng.int(NOUNS.length)) % NOUNS.length]}`,
  );
  // Each person directed at most one film here (film i by person i).
  const films: Film[] = persons.map((p, i) => ({ title: titles[i]!, year: p.year + intIn(rng, 25, 45), director: p }));

  let question: string;
  let answer: string;
  let rationale: string;
  let type: 'bridge' | 'comparison';
  const gold: { title: string; text: string }[] = [];
  const a = persons[0]!;
  const b = persons[1]!;
  if (kind === 'bridge') {
    type = 'bridge';
    const f = films[0]!;
    question = `In which town was the director of The ${f.title} born?`;
    answer = a.town;
    gold.push({ title: `The ${f.title}`, text: filmText(f) }, { title: a.name, text: personText(a) });
    rationale = `The ${f.title} was directed by ${a.name}. ${a.name} was born in ${a.town}.`;
  } else if (kind === 'comparison-first') {
    type = 'comparison';
    question = `Who was born first, ${a.name} or ${b.name}?`;
    const first = a.year < b.year ? a : b;
    answer = first.name;
    gold.push({ title: a.name, text: personText(a) }, { title: b.name, text: personText(b) });
    rationale = `${a.name} was born in ${a.year}. ${b.name} was born in ${b.year}. ${first.name} was born first.`;
  } else {
    type = 'comparison';
    if (rng.int(2) === 0) b.town = a.town; // half the answers are yes
    question = `Were ${a.name} and ${b.name} born in the same town?`;
    answer = a.town === b.town ? 'yes' : 'no';
    gold.push({ title: a.name, text: personText(a) }, { title: b.name, text: personText(b) });
    rationale = `${a.name} was born in ${a.town}. ${b.name} was born in ${b.town}. So the answer is ${answer}.`;
  }

  // Distractors: the other people and films (never a second paragraph on a gold title).
  const goldTitles = new Set(gold.map((p) => p.title));
  const pool: { title: string; text: string }[] = [];
  for (let i = 0; i < nPeople; i++) {
    const p = persons[i]!;
    const f = films[i]!;
    if (!goldTitles.has(p.name)) pool.push({ title: p.name, text: personText(p) });
    // A film by a bridge's director would give a second path to the answer: leave film 0 out.
    if (!goldTitles.has(`The ${f.title}`) && !(kind === 'bridge' && i === 0))
      pool.push({ title: `The ${f.title}`, text: filmText(f) });
  }
  const distractors = sample(rng, pool, Math.min(pool.length, paragraphs - gold.length));
  const all = rng.shuffle([...gold, ...distractors]);
  const context = lineariseParagraphs(all);
  return {
    task: 'hotpotqa',
    id,
    question,
    context,
    answer,
    aliases: [],
    meta: { type, level: 'easy', supportingFacts: gold.map((p) => [p.title, 0] as [string, number]) },
    rationale,
  };
}

/** Which of the three kinds a record is (for tests and statistics). */
export function hotpotqaKind(r: SyntheticRecord): HotpotqaKind {
  if (r.task !== 'hotpotqa') throw new Error('not a hotpotqa record');
  if (r.meta.type === 'bridge') return 'bridge';
  return r.answer === 'yes' || r.answer === 'no' ? 'comparison-same' : 'comparison-first';
}
