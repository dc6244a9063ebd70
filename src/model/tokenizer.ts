/**
 * Hugging Face tokenizers (tokenizer.json + tokenizer_config.json) behind one small interface:
 * encoding and decoding through @lenml/tokenizers, chat prompts through the config's Jinja
 * chat_template rendered with @huggingface/jinja.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Template } from '@huggingface/jinja';
import { TokenizerLoader } from '@lenml/tokenizers';
import { UserError } from '../errors.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatTemplateOptions {
  /** Append the opening of an assistant turn (`<|im_start|>assistant\n` for Qwen). Default false. */
  addGenerationPrompt?: boolean;
  /** Passed to the template as `enable_thinking`; left undefined, the template's own default applies (Qwen3: thinking on). */
  enableThinking?: boolean;
}

export interface Tokenizer {
  /** Token ids of `text`. Special tokens written in the text (e.g. `<|im_end|>`) become their single ids. */
  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[];
  /** Text of `ids`; ids with no token (e.g. the padding rows of a model's embedding) decode to nothing. */
  decode(ids: readonly number[], opts?: { skipSpecialTokens?: boolean }): string;
  /** Size of the id space: the largest id of the vocabulary or of an added token, plus one. */
  vocabSize: number;
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
  /**
   * Ids that end a generation: tokenizer_config's eos_token first, then `<|im_end|>` and
   * `<|endoftext|>` where the vocabulary has them (Qwen3's generation_config stops on both).
   */
  eosTokenIds: number[];
  /** tokenizer_config's pad_token, or the first end-of-sequence id when it names none. */
  padTokenId: number;
  thinkStartId: number | undefined;
  thinkEndId: number | undefined;
  /** Renders tokenizer_config's chat_template; the result is text to be encoded without adding special tokens. */
  applyChatTemplate(messages: readonly ChatMessage[], opts?: ChatTemplateOptions): string;
}

type JsonObject = Record<string, unknown>;

async function readJsonObject(path: string): Promise<JsonObject> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message;
    throw new UserError(`${path}: cannot read tokenizer file (${reason})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${path}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UserError(`${path}: expected a JSON object at the top level`);
  }
  return value as JsonObject;
}

/** A token named in tokenizer_config.json: a plain string, or an AddedToken object with `content`. */
function configTokenText(config: JsonObject, key: string): string | undefined {
  const value = config[key];
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as JsonObject).content === 'string') {
    return (value as JsonObject).content as string;
  }
  return undefined;
}

/** The template text: a single string, or the `default` entry of a list of named templates. */
function chatTemplateText(config: JsonObject): string | undefined {
  const value = config.chat_template;
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const named = value.find((t) => (t as JsonObject)?.name === 'default') as JsonObject | undefined;
    if (typeof named?.template === 'string') return named.template;
  }
  return undefined;
}

function checkTokenizerJson(json: JsonObject, path: string): void {
  const model = json.model as JsonObject | undefined;
  if (typeof model !== 'object' || model === null) throw new UserError(`${path}: missing "model"`);
  if (typeof model.vocab !== 'object' || model.vocab === null) throw new UserError(`${path}: missing "model.vocab"`);
  if (!Array.isArray(json.added_tokens))
    throw new UserError(`${path}: missing "added_tokens" (a list, possibly empty)`);
}

/** Loads the tokenizer in `dir` (tokenizer.json and tokenizer_config.json, Hugging Face layout). */
export async function loadTokenizer(dir: string): Promise<Tokenizer> {
  const jsonPath = join(dir, 'tokenizer.json');
  const configPath = join(dir, 'tokenizer_config.json');
  // Read together, but report a problem in a fixed order (tokenizer.json first): Promise.all would reject
  // with whichever read failed first in time, so the message would depend on the disk.
  const reads = await Promise.allSettled([readJsonObject(jsonPath), readJsonObject(configPath)]);
  for (const r of reads) if (r.status === 'rejected') throw r.reason;
  const [tokenizerJson, tokenizerConfig] = reads.map((r) => (r as PromiseFulfilledResult<JsonObject>).value) as [
    JsonObject,
    JsonObject,
  ];
  checkTokenizerJson(tokenizerJson, jsonPath);

  let inner: ReturnType<typeof TokenizerLoader.fromPreTrained>;
  try {
    inner = TokenizerLoader.fromPreTrained({ tokenizerJSON: tokenizerJson, tokenizerConfig });
  } catch (err) {
    throw new UserError(
      `${dir}: cannot build a tokenizer from tokenizer.json and tokenizer_config.json (${(err as Error).message})`,
    );
  }

  const idOf = (token: string | undefined) => (token === undefined ? undefined : inner.model.tokens_to_ids.get(token));
  let vocabSize = 0;
  for (const id of inner.model.tokens_to_ids.values()) vocabSize = Math.max(vocabSize, id + 1);

  const eosTokenIds = [
    ...new Set(
      [idOf(configTokenText(tokenizerConfig, 'eos_token')), idOf('<|im_end|>'), idOf('<|endoftext|>')].filter(
        (id): id is number => id !== undefined,
      ),
    ),
  ];
  if (eosTokenIds.length === 0) {
    throw new UserError(
      `${configPath}: no end-of-sequence token (eos_token is missing or not in the vocabulary, and there is no <|im_end|> or <|endoftext|>)`,
    );
  }
  const padName = configTokenText(tokenizerConfig, 'pad_token');
  const padTokenId = idOf(padName) ?? eosTokenIds[0]!;

  const templateText = chatTemplateText(tokenizerConfig);
  let template: Template | undefined;
  if (templateText !== undefined) {
    try {
      template = new Template(templateText);
    } catch (err) {
      throw new UserError(`${configPath}: chat_template does not parse (${(err as Error).message})`);
    }
  }
  // Templates may refer to the special tokens by name, as in transformers.
  const specialTokenNames: JsonObject = {};
  for (const key of ['bos_token', 'eos_token', 'unk_token', 'pad_token']) {
    const text = configTokenText(tokenizerConfig, key);
    if (text !== undefined) specialTokenNames[key] = text;
  }

  return {
    encode(text, { addSpecialTokens = false } = {}) {
      return inner.encode(text, { add_special_tokens: addSpecialTokens });
    },
    decode(ids, { skipSpecialTokens = false } = {}) {
      // The library throws on an empty list; an empty list is empty text.
      if (ids.length === 0) return '';
      return inner.decode([...ids], { skip_special_tokens: skipSpecialTokens });
    },
    vocabSize,
    tokenToId: (token) => idOf(token),
    idToToken: (id) => (Number.isInteger(id) && id >= 0 ? (inner.model.vocab[id] ?? undefined) : undefined),
    eosTokenIds,
    padTokenId,
    thinkStartId: idOf('<think>'),
    thinkEndId: idOf('</think>'),
    applyChatTemplate(messages, { addGenerationPrompt = false, enableThinking } = {}) {
      if (!template) throw new UserError(`${configPath}: no chat_template`);
      const context: JsonObject = {
        ...specialTokenNames,
        messages: messages.map((m) => ({ role: m.role, content: m.content })),
        add_generation_prompt: addGenerationPrompt,
      };
      if (enableThinking !== undefined) context.enable_thinking = enableThinking;
      return template.render(context);
    },
  };
}
