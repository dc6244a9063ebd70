/**
 * mini-MuSiQue: two- to four-hop chains over short paragraphs about people (who they studied under, where
 * they were born) and towns (the region they lie in), most of them distractors.
 *
 *   2 hops: "Where was the teacher of Ben born?"                      person -> teacher -> town
 *           "In which region was Ben born?"                            person -> town -> region
 *   3 hops: "In which region was the teacher of Ben born?"             person -> teacher -> town -> region
 *           "Where was the teacher of the teacher of Ben born?"        person -> teacher -> teacher -> town
 *   4 hops: "In which region was the teacher of the teacher of Ben born?"
 *
 * A person paragraph states both facts ("Title: Ben\nTaught by Sue, born in York."), a town
 * paragraph one ("Title: York\nA town in the Valley."). meta.hops is the chain length and
 * meta.supportingIdx the indices of the paragraphs the chain reads, in chain order.
 */
import type { Rng } from '../../util/rng.js';
import { lineariseParagraphs } from '../linearise.js';
import { intIn, people, REGIONS, sample, TOWNS, type SyntheticRecord } from './common.js';

interface Person {
  name: string;
  teacher: number;
  town: number;
}

/** One mini-MuSiQue record with `hops` hops (2 to 4, drawn when left out). */
export function generateMusique(rng: Rng, id: string, hops = intIn(rng, 2, 4)): SyntheticRecord {
  if (hops < 2 || hops > 4) throw new RangeError(`hops must be 2, 3 or 4, got ${hops}`);
  const nPeople = 6;
  const nTowns = 4;
  const names = people(rng, nPeople + 1);
  const towns = sample(rng, TOWNS, nTowns);
  const regions = sample(rng, REGIONS, nTowns);
  // Person i studied under person i+1 (the last under an extra name with no paragraph); towns at random.
  const persons: Person[] = Array.from({ length: nPeople }, (_, i) => ({
    name: names[i]!,
    teacher: i + 1,
    town: rng.int(nTowns),
  }));
  const teacherName = (p: Person) => names[p.teacher]!;

  // The chain: through `teachers` teacher links, then the birth town, then (with `region`) its region.
  const withRegion = hops === 4 || rng.int(2) === 0;
  const teachers = hops - 1 - (withRegion ? 1 : 0); // 0..2
  const start = rng.int(nPeople - teachers);
  const chainPeople = Array.from({ length: teachers + 1 }, (_, i) => start + i);
  const last = persons[chainPeople[chainPeople.length - 1]!]!;
  const town = last.town;

  const the = (n: number) => 'the teacher of '.repeat(n);
  const subject = `${the(teachers)}${persons[start]!.name}`;
  const question = withRegion ? `In which region was ${subject} born?` : `Where was ${subject} born?`;
  const answer = withRegion ? regions[town]! : towns[town]!;

  const steps: string[] = chainPeople
    .slice(0, -1)
    .map((i) => `${persons[i]!.name} was taught by ${teacherName(persons[i]!)}.`);
  steps.push(`${last.name} was born in ${towns[town]}.`);
  if (withRegion) steps.push(`${towns[town]} is in ${regions[town]}.`);
  const rationale = steps.join(' ');

  const personPara = (i: number) => ({
    title: persons[i]!.name,
    text: `Taught by ${teacherName(persons[i]!)}, born in ${towns[persons[i]!.town]}.`,
  });
  const townPara = (t: number) => ({ title: towns[t]!, text: `A town in ${regions[t]}.` });
  const gold = [...chainPeople.map(personPara), ...(withRegion ? [townPara(town)] : [])];
  const goldTitles = new Set(gold.map((p) => p.title));
  const pool = [...persons.map((_, i) => personPara(i)), ...towns.map((_, t) => townPara(t))].filter(
    (p) => !goldTitles.has(p.title),
  );
  const distractors = sample(rng, pool, Math.min(pool.length, intIn(rng, 7, 9) - gold.length));
  const all = rng.shuffle([...gold, ...distractors]);
  const supportingIdx = gold.map((g) => all.indexOf(g));
  return {
    task: 'musique',
    id: `${hops}hop-${id}`,
    question,
    context: lineariseParagraphs(all),
    answer,
    aliases: [],
    meta: { hops, answerable: true, supportingIdx },
    rationale,
  };
}
