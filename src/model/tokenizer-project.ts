/**
 * The project's own small tokenizer for randomly initialised models: a byte-level BPE in Qwen's
 * format (same pre-tokenizer, single digits, ByteLevel decoder, <|im_start|>/<|im_end|> chat
 * format with <think> blocks), trained deterministically on src/model/tokenizer-corpus.txt.
 *
 * Id layout: 0-255 are the 256 bytes (id = byte value), then the learned tokens in the order the
 * merges created them, then the special tokens at the top of the range.
 */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BYTE_TO_CHAR, PRE_TOKENIZER_REGEX, trainByteLevelBpe } from './tokenizer-bpe.js';

/**
 * Qwen3's tokens and flags: <think> and </think> are added tokens but not "special", so decoding
 * with skipSpecialTokens keeps them, as it does for Qwen3. <|endoftext|> doubles as the pad token.
 */
export const PROJECT_SPECIAL_TOKENS = [
  { content: '<|endoftext|>', special: true },
  { content: '<|im_start|>', special: true },
  { content: '<|im_end|>', special: true },
  { content: '<think>', special: false },
  { content: '</think>', special: false },
] as const;

/**
 * Qwen3's chat template without tool calling. For conversations of system, user and assistant
 * turns it renders exactly what Qwen3's renders: reasoning (<think>...</think>) is kept only in
 * assistant turns after the last user turn, the final assistant turn always gets a <think> block,
 * and enable_thinking=false closes an empty one in the generation prompt.
 */
export const PROJECT_CHAT_TEMPLATE = String.raw`{%- if messages[0].role == 'system' %}
    {{- '<|im_start|>system\n' + messages[0].content + '<|im_end|>\n' }}
{%- endif %}
{%- set ns = namespace(found_user=false, last_query_index=messages|length - 1) %}
{%- for message in messages[::-1] %}
    {%- if not ns.found_user and message.role == 'user' %}
        {%- set ns.found_user = true %}
        {%- set ns.last_query_index = (messages|length - 1) - loop.index0 %}
    {%- endif %}
{%- endfor %}
{%- for message in messages %}
    {%- if message.role == 'user' or (message.role == 'system' and not loop.first) %}
        {{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>\n' }}
    {%- elif message.role == 'assistant' %}
        {%- set content = message.content %}
        {%- set reasoning_content = '' %}
        {%- if '</think>' in content %}
            {%- set reasoning_content = content.split('</think>')[0].rstrip('\n').split('<think>')[-1].lstrip('\n') %}
            {%- set content = content.split('</think>')[-1].lstrip('\n') %}
        {%- endif %}
        {%- if loop.index0 > ns.last_query_index and (loop.last or reasoning_content) %}
            {{- '<|im_start|>assistant\n<think>\n' + reasoning_content.strip('\n') + '\n</think>\n\n' + content.lstrip('\n') }}
        {%- else %}
            {{- '<|im_start|>assistant\n' + content }}
        {%- endif %}
        {{- '<|im_end|>\n' }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\n' }}
    {%- if enable_thinking is defined and enable_thinking is false %}
        {{- '<think>\n\n</think>\n\n' }}
    {%- endif %}
{%- endif %}`;

const BYTE_LEVEL = { add_prefix_space: false, trim_offsets: false, use_regex: false };

export interface HfAddedToken {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

/** The tokenizer.json we write (Hugging Face tokenizers format, BPE model). */
export interface ProjectTokenizerJson {
  version: string;
  truncation: null;
  padding: null;
  added_tokens: HfAddedToken[];
  normalizer: null;
  pre_tokenizer: object;
  post_processor: object;
  decoder: object;
  model: {
    type: 'BPE';
    dropout: null;
    unk_token: null;
    continuing_subword_prefix: string;
    end_of_word_suffix: string;
    fuse_unk: boolean;
    byte_fallback: boolean;
    ignore_merges: boolean;
    vocab: Record<string, number>;
    merges: [string, string][];
  };
}

export interface ProjectTokenizer {
  tokenizerJson: ProjectTokenizerJson;
  tokenizerConfig: Record<string, unknown>;
  /** The real size of the id space; below the requested size when the corpus runs out of merges. */
  vocabSize: number;
}

export interface ProjectTokenizerOptions {
  /** Requested size of the id space, special tokens included. */
  vocabSize: number;
  /** Training text; defaults to the committed corpus (src/model/tokenizer-corpus.txt). */
  corpus?: string;
}

// Resolves to src/model/ both from src/model/*.ts and from the compiled dist/model/*.js.
const CORPUS_URL = new URL('../../src/model/tokenizer-corpus.txt', import.meta.url);

export function readProjectCorpus(): string {
  return readFileSync(CORPUS_URL, 'utf8');
}

/**
 * Builds the project tokenizer with at most `vocabSize` ids. Merges are learned until the
 * vocabulary is full; pairs seen only once are merged too, after all more frequent ones, so the
 * requested size is reached whenever the corpus holds enough distinct text (it does for 8192).
 */
export function buildProjectTokenizer({
  vocabSize,
  corpus = readProjectCorpus(),
}: ProjectTokenizerOptions): ProjectTokenizer {
  const minimum = BYTE_TO_CHAR.length + PROJECT_SPECIAL_TOKENS.length;
  if (!Number.isInteger(vocabSize) || vocabSize < minimum) {
    throw new RangeError(
      `tokenizer vocabSize must be an integer >= ${minimum} (256 bytes + special tokens), got ${vocabSize}`,
    );
  }
  const { merges, learnedTokens } = trainByteLevelBpe(corpus, vocabSize - minimum);

  const vocab: Record<string, number> = {};
  [...BYTE_TO_CHAR, ...learnedTokens].forEach((token, id) => (vocab[token] = id));
  const firstSpecialId = BYTE_TO_CHAR.length + learnedTokens.length;
  const addedTokens: HfAddedToken[] = PROJECT_SPECIAL_TOKENS.map(({ content, special }, i) => ({
    id: firstSpecialId + i,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special,
  }));

  const tokenizerJson: ProjectTokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    // No normalizer (Qwen has NFC), so that every string, normalized or not, decodes back to itself.
    normalizer: null,
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: PRE_TOKENIZER_REGEX }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', ...BYTE_LEVEL },
      ],
    },
    post_processor: { type: 'ByteLevel', ...BYTE_LEVEL },
    decoder: { type: 'ByteLevel', ...BYTE_LEVEL },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };

  const tokenizerConfig: Record<string, unknown> = {
    add_bos_token: false,
    add_prefix_space: false,
    added_tokens_decoder: Object.fromEntries(addedTokens.map(({ id, ...token }) => [String(id), token])),
    additional_special_tokens: ['<|im_start|>', '<|im_end|>'],
    bos_token: null,
    chat_template: PROJECT_CHAT_TEMPLATE,
    clean_up_tokenization_spaces: false,
    eos_token: '<|im_end|>',
    errors: 'replace',
    model_max_length: 32768,
    pad_token: '<|endoftext|>',
    split_special_tokens: false,
    tokenizer_class: 'Qwen2Tokenizer',
    unk_token: null,
  };

  return { tokenizerJson, tokenizerConfig, vocabSize: firstSpecialId + PROJECT_SPECIAL_TOKENS.length };
}

/** Builds the project tokenizer and writes tokenizer.json and tokenizer_config.json into `dir`. */
export async function writeProjectTokenizer(dir: string, options: ProjectTokenizerOptions): Promise<ProjectTokenizer> {
  const built = buildProjectTokenizer(options);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(built.tokenizerJson, null, 2) + '\n');
  await writeFile(join(dir, 'tokenizer_config.json'), JSON.stringify(built.tokenizerConfig, null, 2) + '\n');
  return built;
}
