/**
 * Answer normalisation. `squadNormalize` reproduces the official HotPotQA / MuSiQue (SQuAD) function exactly,
 * Python string semantics included: lower-case; delete ASCII punctuation (Python's string.punctuation);
 * replace the words a / an / the (Python's Unicode \b word boundaries) with a space; split on Python whitespace
 * and join with single spaces. `normalizeFinqa` keeps what matters in numbers. `normalizeAnswer` picks per task;
 * it is the key for the exact-match reward, the relaxed match and majority voting.
 */
import type { AnswerTask } from './record.js';

const ASCII_PUNCTUATION = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');
/** The characters Python's str.split() treats as whitespace (str.isspace). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: \x1c-\x1f are whitespace to Python's str.split()
const PY_WHITESPACE = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u;
/** `\b(a|an|the)\b` with Python 3's Unicode word characters (letters, numbers, underscore). */
const ARTICLES = /(?<![\p{L}\p{N}_])(?:a|an|the)(?![\p{L}\p{N}_])/gu;

/** Python's `s.split()`: split on runs of whitespace, no empty pieces. */
export function pySplit(s: string): string[] {
  return s.split(PY_WHITESPACE).filter((t) => t !== '');
}

/** The official SQuAD / HotPotQA / MuSiQue answer normalisation. */
export function squadNormalize(s: string): string {
  let t = s.toLowerCase();
  let out = '';
  for (const ch of t) if (!ASCII_PUNCTUATION.has(ch)) out += ch;
  t = out.replace(ARTICLES, ' ');
  return pySplit(t).join(' ');
}

/**
 * FinQA answers are numbers, so punctuation must survive: lower-case; drop "$" and thousands commas;
 * collapse whitespace; join a number to its "%" ("14.1 %" -> "14.1%"); drop trailing full stops ("94." -> "94").
 */
export function normalizeFinqa(s: string): string {
  let t = s.toLowerCase().replace(/\$/g, '');
  t = t.replace(/(\d),(?=\d{3}(?!\d))/g, '$1');
  t = pySplit(t).join(' ');
  t = t.replace(/(\d)\s+%/g, '$1%');
  return t.replace(/\.+$/, '').trim();
}

/**
 * The normalisation each task uses before comparing or voting. A JSONL task uses FinQA's, which keeps
 * numbers intact ("3.5" stays "3.5"; SQuAD's would make it "35") and is otherwise a light clean-up.
 */
export function normalizeAnswer(task: AnswerTask, s: string): string {
  return task === 'finqa' || task === 'jsonl' ? normalizeFinqa(s) : squadNormalize(s);
}
