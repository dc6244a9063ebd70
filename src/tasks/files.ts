/**
 * Reading the rows of a data file one at a time, each with its place ("train.json: element 12",
 * "dev.jsonl: line 5", "0000.parquet: row 7") so that a bad record can be reported precisely.
 * JSON arrays are streamed element by element (HotPotQA's train file is larger than the longest
 * string V8 can hold); parquet is read a row group at a time through hyparquet.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { UserError } from '../errors.js';

export interface Located {
  /** The parsed row. */
  value: unknown;
  /** Where it came from, for error messages. */
  where: string;
}

export type FileFormat = 'json' | 'jsonl' | 'parquet';

/** The format of a data file, from its extension. */
export function formatOf(path: string): FileFormat {
  if (/\.jsonl$/i.test(path)) return 'jsonl';
  if (/\.json$/i.test(path)) return 'json';
  if (/\.parquet$/i.test(path)) return 'parquet';
  throw new UserError(`${path}: unknown file type (expected .json, .jsonl or .parquet)`);
}

/** Every row of a .json (array), .jsonl or .parquet file. */
export function readRows(path: string): AsyncGenerator<Located> {
  const format = formatOf(path);
  if (format === 'json') return readJsonArray(path);
  if (format === 'jsonl') return readJsonl(path);
  return readParquet(path);
}

function openError(path: string, err: unknown): UserError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new UserError(`${path}: no such file`);
  if (code === 'EISDIR') return new UserError(`${path}: is a directory, expected a file`);
  return new UserError(`${path}: cannot read (${(err as Error).message})`);
}

/** One JSON object a line; blank lines are allowed (the official MuSiQue reader skips them too). */
export async function* readJsonl(path: string): AsyncGenerator<Located> {
  const stream = createReadStream(path, { encoding: 'utf8' });
  const opened = new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  });
  try {
    await opened;
  } catch (err) {
    throw openError(path, err);
  }
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n++;
    if (line.trim() === '') continue;
    const where = `${path}: line ${n}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new UserError(`${where}: malformed JSON (${(err as Error).message})`);
    }
    yield { value, where };
  }
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);
const [QUOTE, BACKSLASH, LBRACKET, RBRACKET, LBRACE, RBRACE, COMMA] = [0x22, 0x5c, 0x5b, 0x5d, 0x7b, 0x7d, 0x2c];

/**
 * The elements of a top-level JSON array, parsed one at a time. The scanner only finds where each
 * element starts and ends (tracking strings, escapes and nesting on bytes: UTF-8 continuation bytes
 * never equal an ASCII delimiter); each element is then handed to JSON.parse.
 */
export async function* readJsonArray(path: string): AsyncGenerator<Located> {
  const stream = createReadStream(path);
  let state: 'before' | 'between' | 'inside' | 'after' = 'before';
  let depth = 0; // nesting inside the current element
  let inString = false;
  let escaped = false;
  let parts: Buffer[] = [];
  let index = 0;
  let expectElement = true; // after '[' or ',': a value must come next (no trailing commas)
  const emit = (): Located => {
    const text = Buffer.concat(parts).toString('utf8');
    parts = [];
    const where = `${path}: element ${index}`;
    index++;
    try {
      return { value: JSON.parse(text), where };
    } catch (err) {
      throw new UserError(`${where}: malformed JSON (${(err as Error).message})`);
    }
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let start = state === 'inside' ? 0 : -1;
      for (let i = 0; i < chunk.length; i++) {
        const b = chunk[i]!;
        if (state === 'inside') {
          if (inString) {
            if (escaped) escaped = false;
            else if (b === BACKSLASH) escaped = true;
            else if (b === QUOTE) inString = false;
            continue;
          }
          if (b === QUOTE) {
            inString = true;
            continue;
          }
          if (b === LBRACE || b === LBRACKET) {
            depth++;
            continue;
          }
          if (b === RBRACE || b === RBRACKET) {
            if (depth > 0) {
              depth--;
              if (depth === 0) {
                parts.push(chunk.subarray(start, i + 1));
                yield emit();
                state = 'between';
                expectElement = false;
              }
              continue;
            }
            // a ']' at depth 0 ends a bare value (number, true, ...) and the array
          }
          if (depth === 0 && (b === COMMA || b === RBRACKET || WS.has(b))) {
            parts.push(chunk.subarray(start, i));
            yield emit();
            state = 'between';
            expectElement = false;
            i--; // let the 'between' state see this byte
          }
          continue;
        }
        if (WS.has(b)) continue;
        if (state === 'before') {
          if (b !== LBRACKET) throw new UserError(`${path}: expected a JSON array of records`);
          state = 'between';
          expectElement = true;
        } else if (state === 'between') {
          if (b === RBRACKET) {
            if (expectElement && index > 0) throw new UserError(`${path}: element ${index}: trailing comma`);
            state = 'after';
          } else if (b === COMMA) {
            if (expectElement) throw new UserError(`${path}: element ${index}: missing value before ','`);
            expectElement = true;
          } else {
            if (!expectElement) throw new UserError(`${path}: element ${index}: missing ',' between elements`);
            state = 'inside';
            start = i;
            depth = 0;
            inString = false;
            escaped = false;
            i--; // re-read the first byte of the element inside
          }
        } else {
          throw new UserError(`${path}: unexpected content after the closing ']'`);
        }
      }
      if (state === 'inside') parts.push(chunk.subarray(start));
    }
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw openError(path, err);
  }
  const end = state as string;
  if (end === 'before') throw new UserError(`${path}: empty file, expected a JSON array of records`);
  if (end !== 'after') throw new UserError(`${path}: ends inside element ${index} (file truncated?)`);
}

/** Convert parquet INT64 values (bigint) to numbers, recursively. */
function unBigInt(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(unBigInt);
  if (v && typeof v === 'object' && !(v instanceof Date) && !(v instanceof Uint8Array)) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = unBigInt(x);
    return o;
  }
  return v;
}

/** Rows of a parquet file as objects (struct columns become nested objects, lists arrays), a row group at a time. */
export async function* readParquet(path: string): AsyncGenerator<Located> {
  let file: Awaited<ReturnType<typeof asyncBufferFromFile>>;
  let metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>;
  try {
    file = await asyncBufferFromFile(path);
    metadata = await parquetMetadataAsync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code) throw openError(path, err);
    throw new UserError(`${path}: not a readable parquet file (${(err as Error).message})`);
  }
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    let rows: Record<string, unknown>[];
    try {
      rows = await parquetReadObjects({ file, metadata, rowStart, rowEnd });
    } catch (err) {
      throw new UserError(`${path}: rows ${rowStart}-${rowEnd - 1}: cannot decode (${(err as Error).message})`);
    }
    for (let i = 0; i < rows.length; i++) yield { value: unBigInt(rows[i]), where: `${path}: row ${rowStart + i}` };
    rowStart = rowEnd;
  }
}
