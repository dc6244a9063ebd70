/**
 * A small, deterministic byte-level BPE trainer (GPT-2 / Qwen style) for the project's own tokenizer.
 *
 * Text is split into pre-tokens by PRE_TOKENIZER_REGEX (Qwen2's pattern: words with an optional
 * leading space or punctuation mark, single digits, punctuation runs, whitespace runs), each
 * pre-token's UTF-8 bytes are mapped to printable characters (BYTE_TO_CHAR), and merges are
 * learned within pre-tokens only.
 */

/**
 * Qwen2/Qwen3's pre-tokenizer pattern with its `(?i:'s|'t|...)` group spelled out case by case,
 * because JavaScript regexes have no inline case-insensitive groups. The same string goes into
 * tokenizer.json, so training and encoding split text identically (Rust's regex accepts it too).
 */
export const PRE_TOKENIZER_REGEX =
  "'(?:[sS]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/**
 * GPT-2's reversible byte -> character table: printable Latin-1 bytes map to themselves, the
 * rest (controls, space, 0x7f-0xa0, 0xad) to U+0100 onwards, so that every token is a string of
 * visible characters and a space is spelled 'Ġ'.
 */
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const isPrintable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const table: string[] = [];
  let next = 0x100;
  for (let b = 0; b < 256; b++) table.push(String.fromCodePoint(isPrintable(b) ? b : next++));
  return table;
})();

const utf8 = new TextEncoder();

/** Splits text the way a `Split` pre-tokenizer with behaviour `Isolated` does: matches and the gaps between them. */
export function preTokenize(text: string): string[] {
  const pieces: string[] = [];
  let end = 0;
  for (const match of text.matchAll(new RegExp(PRE_TOKENIZER_REGEX, 'gu'))) {
    if (match.index > end) pieces.push(text.slice(end, match.index));
    if (match[0].length > 0) pieces.push(match[0]);
    end = match.index + match[0].length;
  }
  if (end < text.length) pieces.push(text.slice(end));
  return pieces;
}

/** The byte-level spelling of a string: one character per UTF-8 byte. */
export function toByteLevel(text: string): string {
  let out = '';
  for (const byte of utf8.encode(text)) out += BYTE_TO_CHAR[byte];
  return out;
}

export interface BpeTrainingResult {
  /** Learned merges, highest priority first. */
  merges: [string, string][];
  /** The tokens the merges created, in the order they first appeared (two merges can spell the same token). */
  learnedTokens: string[];
  /** Number of tokens the training corpus encodes to with these merges. */
  corpusTokenCount: number;
}

interface Word {
  symbols: string[];
  count: number;
}

/** A max-heap of candidate merges, ordered by count, ties broken by the pair's text so training is deterministic. */
class PairHeap {
  private items: { count: number; left: string; right: string }[] = [];

  push(count: number, left: string, right: string): void {
    this.items.push({ count, left, right });
    let i = this.items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): { count: number; left: string; right: string } | undefined {
    const top = this.items[0];
    const last = this.items.pop();
    if (this.items.length > 0 && last) {
      this.items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1,
          r = l + 1;
        let best = i;
        if (l < this.items.length && this.before(l, best)) best = l;
        if (r < this.items.length && this.before(r, best)) best = r;
        if (best === i) break;
        this.swap(i, best);
        i = best;
      }
    }
    return top;
  }

  private before(i: number, j: number): boolean {
    const a = this.items[i]!,
      b = this.items[j]!;
    if (a.count !== b.count) return a.count > b.count;
    if (a.left !== b.left) return a.left < b.left;
    return a.right < b.right;
  }

  private swap(i: number, j: number): void {
    [this.items[i], this.items[j]] = [this.items[j]!, this.items[i]!];
  }
}

// Byte-level symbols never contain a space, so a space separates the two halves of a pair key.
const pairKey = (left: string, right: string) => `${left} ${right}`;

/**
 * Learns merges from `corpus` until they have created `maxLearnedTokens` new tokens. Each step
 * merges the most frequent adjacent pair (counted over all pre-tokens, weighted by how often each
 * pre-token occurs); ties go to the pair whose text sorts first. Training stops early when no pair
 * occurring at least `minPairCount` times is left, so a small corpus yields fewer tokens than asked for.
 */
export function trainByteLevelBpe(corpus: string, maxLearnedTokens: number, minPairCount = 1): BpeTrainingResult {
  const wordCounts = new Map<string, number>();
  for (const piece of preTokenize(corpus)) {
    const word = toByteLevel(piece);
    wordCounts.set(word, (wordCounts.get(word) ?? 0) + 1);
  }
  const words: Word[] = [...wordCounts].map(([word, count]) => ({ symbols: Array.from(word), count }));

  const pairCounts = new Map<string, number>();
  const wordsWithPair = new Map<string, Set<number>>();
  const addPairs = (wordIndex: number, sign: 1 | -1, changed: Set<string>) => {
    const { symbols, count } = words[wordIndex]!;
    for (let i = 0; i + 1 < symbols.length; i++) {
      const key = pairKey(symbols[i]!, symbols[i + 1]!);
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + sign * count);
      if (sign > 0) {
        let set = wordsWithPair.get(key);
        if (!set) {
          set = new Set();
          wordsWithPair.set(key, set);
        }
        set.add(wordIndex);
      }
      changed.add(key);
    }
  };

  const heap = new PairHeap();
  const pushCurrent = (keys: Set<string>) => {
    for (const key of keys) {
      const count = pairCounts.get(key)!;
      const [left, right] = key.split(' ') as [string, string];
      if (count > 0) heap.push(count, left, right);
    }
  };
  const initial = new Set<string>();
  words.forEach((_, i) => addPairs(i, 1, initial));
  pushCurrent(initial);

  const merges: [string, string][] = [];
  const learnedTokens: string[] = [];
  const knownTokens = new Set(BYTE_TO_CHAR);
  const mergedKeys = new Set<string>();
  while (learnedTokens.length < maxLearnedTokens) {
    const best = heap.pop();
    if (!best || best.count < minPairCount) break;
    const key = pairKey(best.left, best.right);
    if (pairCounts.get(key) !== best.count) continue; // stale entry: the count changed since it was pushed
    // A pair can only come back if another merge re-created one of its tokens; list each merge once
    // so that its rank stays unambiguous.
    if (!mergedKeys.has(key)) merges.push([best.left, best.right]);
    mergedKeys.add(key);
    const merged = best.left + best.right;
    if (!knownTokens.has(merged)) {
      knownTokens.add(merged);
      learnedTokens.push(merged);
    }

    const changed = new Set<string>();
    for (const wordIndex of wordsWithPair.get(key) ?? []) {
      addPairs(wordIndex, -1, changed);
      const old = words[wordIndex]!.symbols;
      const symbols: string[] = [];
      for (let i = 0; i < old.length; i++) {
        if (i + 1 < old.length && old[i] === best.left && old[i + 1] === best.right) {
          symbols.push(merged);
          i++;
        } else {
          symbols.push(old[i]!);
        }
      }
      words[wordIndex]!.symbols = symbols;
      addPairs(wordIndex, 1, changed);
    }
    wordsWithPair.delete(key);
    pushCurrent(changed);
  }

  const corpusTokenCount = words.reduce((sum, w) => sum + w.symbols.length * w.count, 0);
  return { merges, learnedTokens, corpusTokenCount };
}
