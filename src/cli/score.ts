/**
 * `tsallis-run score`: per-token log-probs of a JSONL file of texts or token ids under a model.
 *
 * Input lines are `{"text": ...}` (tokenised without adding special tokens) or `{"ids": [...]}`;
 * each output line repeats the input's fields and adds `"ids"` and `"logprobs"`, where
 * logprobs[t] = log p(ids[t+1] | ids[..t]) (so one fewer than ids). Sequences are scored in
 * batches of similar length up to a token budget; the output keeps the input order. The file is
 * checked whole before any scoring, and the output appears only once complete.
 */
import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Argv, CommandModule } from 'yargs';
import cliProgress from 'cli-progress';
import { UserError } from '../errors.js';
import { checkSequences } from '../experiment/input-limits.js';
import { loadModel } from '../model/checkpoint.js';
import { resolveCheckpointDir } from '../experiment/trainer-checkpoint.js';
import { resolveModelPath } from '../model/download.js';
import type { Tokenizer } from '../model/tokenizer.js';
import { Policy } from '../runtime/policy.js';
import { scoreBatches } from '../runtime/scoring.js';
import type { Device } from '../runtime/session.js';
import { writeFileAtomic, writeFully } from '../util/atomic-write.js';
import { integerFlag, MODEL_OPTION, pathFlag, type RuntimeArgs, withRuntimeOptions } from './options.js';

export interface ScoreArgs extends RuntimeArgs {
  model: string;
  input: string;
  out: string;
  batchTokens?: number;
}

/** One input line: its fields as given, and where it came from. */
export interface ScoreRecord {
  line: number;
  fields: Record<string, unknown>;
}

/** Reads and checks every line (JSON object with a text string or an ids list); blank lines are skipped. */
export async function readScoreInput(path: string, vocabSize: number): Promise<ScoreRecord[]> {
  let stream: ReadStream;
  try {
    stream = createReadStream(path, { encoding: 'utf8' });
    await new Promise<void>((resolve, reject) => {
      stream!.once('open', () => resolve());
      stream!.once('error', reject);
    });
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message;
    throw new UserError(`--input: cannot read ${path} (${reason})`);
  }
  const records: ScoreRecord[] = [];
  let line = 0;
  for await (const text of createInterface({ input: stream, crlfDelay: Infinity })) {
    line++;
    if (text.trim() === '') continue;
    records.push({ line, fields: parseLine(text, `${path}:${line}`, vocabSize) });
  }
  return records;
}

const EXPECTED = 'expected a JSON object with "text" (a string) or "ids" (a list of token ids)';

function parseLine(text: string, where: string, vocabSize: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${where}: not valid JSON (${(err as Error).message}); ${EXPECTED}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new UserError(`${where}: ${EXPECTED}, got ${kindOf(value)}`);
  const fields = value as Record<string, unknown>;
  const hasText = 'text' in fields,
    hasIds = 'ids' in fields;
  if (hasText && hasIds) throw new UserError(`${where}: give "text" or "ids", not both`);
  if (!hasText && !hasIds) throw new UserError(`${where}: ${EXPECTED}; the object has neither`);
  if (hasText && typeof fields.text !== 'string')
    throw new UserError(`${where}: "text": expected a string, got ${kindOf(fields.text)}`);
  if (hasIds) {
    const ids = fields.ids;
    if (!Array.isArray(ids)) throw new UserError(`${where}: "ids": expected a list of token ids, got ${kindOf(ids)}`);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= vocabSize) {
        throw new UserError(
          `${where}: "ids"[${i}]: expected an integer token id in [0, ${vocabSize}), got ${JSON.stringify(id)}`,
        );
      }
    }
  }
  return fields;
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `a string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** A budget that keeps the [tokens, vocab] float32 logits near 1 GiB at most (and 16384 tokens). */
export function defaultBatchTokens(vocabSize: number): number {
  return Math.max(256, Math.min(16384, Math.floor(2 ** 28 / vocabSize)));
}

export interface ScoreOptions {
  batchTokens: number;
  padId: number;
  /** Called after each batch with the number of sequences done so far. */
  onProgress?: (done: number) => void;
}

/**
 * log-probs of every sequence (length - 1 values; none for sequences shorter than 2), in input order,
 * scored in batches of `batchTokens` (src/runtime/scoring.ts).
 */
export async function scoreSequences(
  policy: Pick<Policy, 'score'>,
  seqs: readonly (readonly number[])[],
  opts: ScoreOptions,
): Promise<Float32Array[]> {
  const out: Float32Array[] = seqs.map(() => new Float32Array(0));
  let done = seqs.filter((s) => s.length < 2).length;
  for await (const { rows, logprobs, length } of scoreBatches(policy, seqs, opts.padId, opts.batchTokens)) {
    const width = length - 1;
    rows.forEach((i, b) => {
      out[i] = Float32Array.from(logprobs.subarray(b * width, b * width + seqs[i]!.length - 1));
    });
    done += rows.length;
    opts.onProgress?.(done);
  }
  return out;
}

/** How many records are scored together (sorted by length within the group). */
const GROUP_SEQUENCES = 4096;

export interface ScoreRunResult {
  sequences: number;
  tokens: number;
  seconds: number;
}

/** What the command does, callable from tests. */
export async function runScore(a: ScoreArgs & { progress?: boolean }): Promise<ScoreRunResult> {
  const t0 = performance.now();
  const model = await loadModel((await resolveModelPath(await resolveCheckpointDir(a.model), '--model')).dir);
  const { config, tokenizer } = model;
  const records = await readScoreInput(a.input, config.vocabSize);
  // Texts are tokenised again when scored: cheap beside scoring, and only a group's ids are held at a time.
  await checkSequences(
    records.length,
    (i) => ({ prompt: idsOf(records[i]!, tokenizer).length }),
    { maxPositions: config.maxPositionEmbeddings },
    (indices) => indices.map((i) => `${a.input}:${records[i]!.line}`),
  );
  const policy = new Policy(config, model.weights, { device: a.device as Device, threads: a.threads });
  const batchTokens = a.batchTokens ?? defaultBatchTokens(config.vocabSize);

  const showProgress = a.progress ?? Boolean(process.stderr.isTTY);
  const bar = showProgress
    ? new cliProgress.SingleBar(
        {
          stream: process.stderr,
          format: 'score [{bar}] {value}/{total} sequences | {eta_formatted} left',
          etaBuffer: 50,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  bar?.start(records.length, 0);

  let tokens = 0;
  await mkdir(dirname(resolve(a.out)), { recursive: true });
  try {
    await writeFileAtomic(a.out, async (file) => {
      let position = 0;
      for (let first = 0; first < records.length; first += GROUP_SEQUENCES) {
        const group = records.slice(first, first + GROUP_SEQUENCES);
        const seqs = group.map((r) => idsOf(r, tokenizer));
        const logprobs = await scoreSequences(policy, seqs, {
          batchTokens,
          padId: tokenizer.padTokenId,
          onProgress: (n) => bar?.update(first + n),
        });
        const lines = group.map((r, i) => {
          tokens += seqs[i]!.length;
          return JSON.stringify({ ...r.fields, ids: seqs[i], logprobs: Array.from(logprobs[i]!, shortestFloat32) });
        });
        const bytes = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
        await writeFully(file, bytes, position);
        position += bytes.length;
      }
    });
  } finally {
    bar?.stop();
  }
  return { sequences: records.length, tokens, seconds: (performance.now() - t0) / 1000 };
}

/** The shortest decimal that reads back as the same float32 (JSON of a float32 otherwise spends 17 digits). */
export function shortestFloat32(x: number): number {
  if (!Number.isFinite(x)) return x;
  const fround = Math.fround;
  for (let p = 6; p < 9; p++) {
    const y = Number(x.toPrecision(p));
    if (fround(y) === x) return y;
  }
  return Number(x.toPrecision(9));
}

function idsOf(r: ScoreRecord, tokenizer: Tokenizer): number[] {
  return typeof r.fields.text === 'string'
    ? tokenizer.encode(r.fields.text, { addSpecialTokens: false })
    : (r.fields.ids as number[]);
}

export const scoreCommand: CommandModule<object, ScoreArgs> = {
  command: 'score',
  describe: 'Per-token log-probs of texts or token ids under a model (JSONL in, JSONL out)',
  builder: (y: Argv) =>
    withRuntimeOptions(
      y
        .option('model', MODEL_OPTION)
        .option('input', {
          type: 'string',
          demandOption: true,
          describe: 'JSONL: one {"text": ...} or {"ids": [...]} per line',
          coerce: pathFlag('input'),
        })
        .option('out', {
          type: 'string',
          demandOption: true,
          describe: 'JSONL: the input fields plus "ids" and "logprobs" (logprobs[t] = log p(ids[t+1] | ids[..t]))',
          coerce: pathFlag('out'),
        })
        .option('batch-tokens', {
          describe: 'Padded tokens per batch (default 16384, less for large vocabularies: about 1 GiB of logits)',
          coerce: integerFlag('batch-tokens', { min: 1 }),
        }),
    ) as unknown as Argv<ScoreArgs>,
  handler: async (a) => {
    const r = await runScore(a);
    process.stderr.write(
      `scored ${r.sequences} sequences (${r.tokens} tokens) in ${r.seconds.toFixed(1)}s -> ${a.out}\n`,
    );
  },
};
