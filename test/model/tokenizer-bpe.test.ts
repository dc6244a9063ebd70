import { BYTE_TO_CHAR, preTokenize, toByteLevel, trainByteLevelBpe } from '../../src/model/tokenizer-bpe.js';

describe('byte-level spelling', () => {
  it('gives each of the 256 bytes its own visible character, keeping printable ASCII as is', () => {
    expect(new Set(BYTE_TO_CHAR).size).toBe(256);
    for (const char of BYTE_TO_CHAR) expect(char).toMatch(/^[^\s]$/u);
    expect(BYTE_TO_CHAR['A'.charCodeAt(0)]).toBe('A');
    expect(BYTE_TO_CHAR[0x20]).toBe('Ġ'); // GPT-2's spelling of a space
    expect(BYTE_TO_CHAR[0x0a]).toBe('Ċ');
  });

  it('spells text as one character per UTF-8 byte', () => {
    expect(toByteLevel(' hi\n')).toBe('ĠhiĊ');
    expect(Array.from(toByteLevel('é🙂'))).toHaveLength(2 + 4);
  });
});

describe('preTokenize', () => {
  it('splits words with their leading space, single digits, punctuation and whitespace runs', () => {
    expect(preTokenize("It's 2024, ok?\n\n  Yes")).toEqual([
      'It',
      "'s",
      ' ',
      '2',
      '0',
      '2',
      '4',
      ',',
      ' ok',
      '?\n\n',
      ' ',
      ' Yes',
    ]);
  });

  it('loses nothing: the pieces join back to the text', () => {
    const text = 'Mixed: café 日本 🙂\t\r\n  x=1.5e-3; ___ END';
    expect(preTokenize(text).join('')).toBe(text);
  });
});

describe('trainByteLevelBpe', () => {
  // Pre-tokens: "abab", "Ġabab", "Ġab". Pair counts: (a,b)=5, then (ab,ab)=2 ties with (Ġ,ab)=2
  // and goes first because "ab" sorts before "Ġ"; then (Ġ,ab)=1 ties with (Ġ,abab)=1.
  const corpus = 'abab abab ab';

  it('merges the most frequent pair first and breaks ties by the pair text', () => {
    const { merges, learnedTokens, corpusTokenCount } = trainByteLevelBpe(corpus, 100);
    expect(merges).toEqual([
      ['a', 'b'],
      ['ab', 'ab'],
      ['Ġ', 'ab'],
      ['Ġ', 'abab'],
    ]);
    expect(learnedTokens).toEqual(['ab', 'abab', 'Ġab', 'Ġabab']);
    expect(corpusTokenCount).toBe(3);
  });

  it('stops at the requested number of tokens, or when pairs get rarer than the minimum', () => {
    expect(trainByteLevelBpe(corpus, 1).merges).toEqual([['a', 'b']]);
    expect(trainByteLevelBpe(corpus, 100, 2).merges).toEqual([
      ['a', 'b'],
      ['ab', 'ab'],
    ]);
    expect(trainByteLevelBpe(corpus, 100, 2).corpusTokenCount).toBe(1 + 2 + 2);
  });

  it('counts a pre-token as often as it occurs', () => {
    // "Ġxy" three times outweighs "yz" once.
    expect(trainByteLevelBpe('yz xy xy xy', 1).merges).toEqual([['x', 'y']]);
    expect(trainByteLevelBpe('yz yz yz xy', 1).merges).toEqual([['y', 'z']]);
  });

  it('never merges across pre-token boundaries, so digits stay single', () => {
    const { learnedTokens } = trainByteLevelBpe('ab12cd 345 ef6 2024x '.repeat(20), 100);
    expect(learnedTokens.length).toBeGreaterThan(0);
    for (const token of learnedTokens) expect(token).not.toMatch(/\d/);
  });
});
