/**
 * The answer of a completion. The model thinks between <think> and </think>, then answers.
 *  1. Cut the completion at the first end-of-turn token (<|im_end|>, <|endoftext|>, ...).
 *  2. With a </think>: the text after the last </think>; inside it an "Answer: X" line (last one) or a
 *     \boxed{X} (last one) wins, otherwise the whole text is the answer.
 *  3. Without </think> (the thinking never closed): an "Answer: X" line, else a \boxed{X}, else the last
 *     non-empty line.
 *  4. Trim, and unwrap markdown emphasis or back-ticks around the whole answer.
 */

export const END_OF_TURN_TOKENS = ['<|im_end|>', '<|endoftext|>', '<|eot_id|>', '<|end_of_text|>', '<|end|>', '</s>'];

export type ExtractionSource = 'after-think' | 'answer-line' | 'boxed' | 'last-line' | 'empty';

export interface Extraction {
  answer: string;
  /** Which rule produced it (for diagnostics). */
  source: ExtractionSource;
  /** Whether the completion closed its thinking with </think>. */
  closedThinking: boolean;
}

const ANSWER_LINE =
  /^[ \t>#*_]*(?:final[ \t]+answer|answer)[ \t]*[*_]*[ \t]*[:：][ \t]*(?:[*_]+[ \t]*)?(.*?)[ \t]*$/gim;

/** Text after the last "Answer:" / "Final answer:" label at the start of a line, or null. */
function answerLine(text: string): string | null {
  let last: string | null = null;
  for (const m of text.matchAll(ANSWER_LINE)) if (m[1]!.replace(/[*_ \t]/g, '') !== '') last = m[1]!;
  return last;
}

/** Content of the last \boxed{...} (balanced braces), or null. */
function boxed(text: string): string | null {
  const at = text.lastIndexOf('\\boxed{');
  if (at < 0) return null;
  let depth = 0;
  const start = at + '\\boxed{'.length;
  for (let i = start; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}') {
      if (depth === 0) return text.slice(start, i);
      depth--;
    }
  }
  return null;
}

/** Trim and unwrap **x**, __x__, *x*, `x` around the whole answer. */
function clean(s: string): string {
  let t = s.trim();
  for (;;) {
    const m = /^(\*\*|__|\*|_|`)([\s\S]+)\1$/.exec(t);
    if (!m) return t;
    t = m[2]!.trim();
  }
}

/** Cut `text` at the first of `stops`. */
export function cutAtStop(text: string, stops: readonly string[] = END_OF_TURN_TOKENS): string {
  let end = text.length;
  for (const s of stops) {
    const i = text.indexOf(s);
    if (i >= 0 && i < end) end = i;
  }
  return text.slice(0, end);
}

/** The answer of one completion (see the module comment for the rules). */
export function extractAnswer(completion: string, stops: readonly string[] = END_OF_TURN_TOKENS): Extraction {
  const text = cutAtStop(completion, stops);
  const close = text.lastIndexOf('</think>');
  const closedThinking = close >= 0;
  const body = closedThinking ? text.slice(close + '</think>'.length) : text.replace(/^\s*<think>/, '');
  const line = answerLine(body);
  if (line !== null) return { answer: clean(line), source: 'answer-line', closedThinking };
  const box = boxed(body);
  if (box !== null) return { answer: clean(box), source: 'boxed', closedThinking };
  if (closedThinking) {
    const a = clean(body);
    return { answer: a, source: a === '' ? 'empty' : 'after-think', closedThinking };
  }
  const lines = body
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (lines.length === 0) return { answer: '', source: 'empty', closedThinking };
  return { answer: clean(lines[lines.length - 1]!), source: 'last-line', closedThinking };
}

/**
 * The extraction rules a task can choose (task.extract). `tags` is the study's (extractAnswer above);
 * the others read the answer text (after the last </think>, or the whole completion when the thinking never
 * closed) and give "" when they find nothing:
 *   pattern    the last match of task.answer_pattern: its first capture group, else the whole match;
 *   last-line  the last non-empty line;
 *   boxed      the content of the last \boxed{...}.
 */
export const EXTRACT_RULES = ['tags', 'pattern', 'last-line', 'boxed'] as const;
export type ExtractRule = (typeof EXTRACT_RULES)[number];

/** A user's answer pattern as a RegExp: global (every match is seen) and multiline (^ and $ match at lines). */
export function compileAnswerPattern(source: string): RegExp {
  return new RegExp(source, 'gm');
}

/** The last match of `pattern` in `text`: its first capture group when that group took part, else the whole match. */
export function lastMatch(pattern: RegExp, text: string): string | null {
  let last: RegExpExecArray | null = null;
  for (const m of text.matchAll(pattern)) last = m;
  if (last === null) return null;
  return last[1] ?? last[0];
}

/** The answer of a completion under `rule` (`pattern` needs the compiled task.answer_pattern). */
export function extractAnswerBy(
  rule: ExtractRule,
  completion: string,
  pattern?: RegExp,
  stops: readonly string[] = END_OF_TURN_TOKENS,
): string {
  if (rule === 'tags') return extractAnswer(completion, stops).answer;
  const text = cutAtStop(completion, stops);
  const close = text.lastIndexOf('</think>');
  const body = close >= 0 ? text.slice(close + '</think>'.length) : text.replace(/^\s*<think>/, '');
  if (rule === 'boxed') return clean(boxed(body) ?? '');
  if (rule === 'last-line') {
    const lines = body
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '');
    return clean(lines[lines.length - 1] ?? '');
  }
  if (!pattern) throw new Error('extraction by pattern needs task.answer_pattern');
  return clean(lastMatch(pattern, body) ?? '');
}
