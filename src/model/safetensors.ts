/**
 * The safetensors format, read into and written from Float32Arrays.
 *
 * Layout: an 8-byte little-endian header length N, N bytes of JSON
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}`,
 * then the raw little-endian tensor data; offsets count from the end of the header.
 *
 * Reading converts every supported dtype to Float32: F32, F16 and BF16 exactly, F64 and the
 * integer/bool dtypes (I64, I32, I16, I8, U8, BOOL) by rounding to the nearest float32 (exact
 * for integers up to 2^24 in magnitude). Other dtypes (F8_*, U16, U32, U64, ...) are rejected
 * with an error naming the file, the tensor and the dtype. Writing produces F32, F16 or BF16.
 *
 * Files are handled tensor by tensor through a file descriptor and fixed-size chunks, so a
 * multi-GB file never sits in one Buffer and is never held twice in memory.
 */
import { endianness } from 'node:os';
import { mkdir, open, readFile, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { UserError } from '../errors.js';
import { writeFileAtomic, writeFully } from '../util/atomic-write.js';

export interface Tensor {
  shape: number[];
  data: Float32Array;
}

export type WriteDtype = 'F32' | 'F16' | 'BF16';

export interface WriteOptions {
  /** The on-disk dtype; F32 by default. */
  dtype?: WriteDtype;
  metadata?: Record<string, string>;
}

// Typed arrays use the host byte order and the format is little-endian; every platform Node
// ships for is little-endian, so rather than byte-swap everywhere we refuse to run elsewhere.
if (endianness() !== 'LE') throw new Error('safetensors: only little-endian hosts are supported');

const BYTES_PER_ELEMENT: Record<string, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};
/** The Python library's limit; a larger "header length" means a corrupt or foreign file. */
const MAX_HEADER_BYTES = 100_000_000;
/** Bytes per read/write call when converting; a multiple of every element size. */
const CHUNK_BYTES = 8 << 20;
/** Bytes per call when copying F32 straight between disk and a Float32Array. */
const DIRECT_CHUNK_BYTES = 1 << 30;

// ---------------------------------------------------------------------------------------------
// Element conversions. The scalar forms are exported for tests and for callers that need one value.

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** The float32 bit pattern of `x` (after rounding `x` to float32). */
function f32Bits(x: number): number {
  scratchF32[0] = x;
  return scratchU32[0]!;
}

function f32FromBits(bits: number): number {
  scratchU32[0] = bits;
  return scratchF32[0]!;
}

/** fp16 -> fp32 for all 65536 bit patterns (exact: every fp16 value is a float32 value). */
const F16_TO_F32 = (() => {
  const table = new Float32Array(65536);
  const bits = new Uint32Array(table.buffer);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exponent = (h >>> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    if (exponent === 0x1f)
      bits[h] = sign | 0x7f800000 | (mantissa << 13); // inf, or nan keeping its payload
    else if (exponent === 0)
      table[h] = (sign ? -1 : 1) * mantissa * 2 ** -24; // zero or subnormal
    else bits[h] = sign | ((exponent + 112) << 23) | (mantissa << 13); // rebias 15 -> 127
  }
  return table;
})();

export function f16BitsToF32(bits: number): number {
  return F16_TO_F32[bits & 0xffff]!;
}

export function bf16BitsToF32(bits: number): number {
  return f32FromBits((bits & 0xffff) << 16);
}

/** fp16 bits of `x`, rounded to nearest even; overflow gives inf, underflow subnormals or zero. */
export function f32ToF16Bits(x: number): number {
  return f32BitsToF16Bits(f32Bits(x));
}

/** bf16 bits of `x`, rounded to nearest even; NaN stays NaN. */
export function f32ToBf16Bits(x: number): number {
  return f32BitsToBf16Bits(f32Bits(x));
}

function f32BitsToF16Bits(b: number): number {
  const sign = (b >>> 16) & 0x8000;
  const exponent = (b >>> 23) & 0xff;
  const mantissa = b & 0x7fffff;
  if (exponent === 0xff) return mantissa === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mantissa >>> 13);
  const e = exponent - 112; // rebias 127 -> 15
  if (e >= 0x1f) return sign | 0x7c00;
  if (e > 0) {
    let h = (e << 10) | (mantissa >>> 13);
    const rest = mantissa & 0x1fff;
    // A carry out of the mantissa correctly bumps the exponent, and 65520 and up reach inf.
    if (rest > 0x1000 || (rest === 0x1000 && (h & 1) !== 0)) h++;
    return sign | h;
  }
  // Result is subnormal (or zero): value = full * 2^(e - 14) in units of the smallest subnormal 2^-24.
  if (e < -10) return sign; // below half the smallest subnormal
  const full = mantissa | 0x800000;
  const shift = 14 - e; // 14..24
  let h = full >>> shift;
  const rest = full & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  if (rest > half || (rest === half && (h & 1) !== 0)) h++; // may round up to the smallest normal, 0x400
  return sign | h;
}

function f32BitsToBf16Bits(b: number): number {
  if ((b & 0x7fffffff) > 0x7f800000) return (b >>> 16) | 0x40; // NaN: keep it NaN (quiet) after truncation
  return (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
}

// ---------------------------------------------------------------------------------------------
// Reading

export interface SafetensorsEntry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  metadata: Record<string, string>;
  /** In file order (ascending data offset). */
  tensors: SafetensorsEntry[];
  /** Absolute file offset of the first data byte. */
  dataStart: number;
}

/** Reads and validates the header only: names, dtypes, shapes, metadata. */
export async function readSafetensorsHeader(path: string): Promise<SafetensorsHeader> {
  const file = await openForReading(path);
  try {
    return await readHeader(file, path);
  } finally {
    await file.close();
  }
}

/** Reads every tensor of a safetensors file as Float32. */
export async function readSafetensors(path: string): Promise<Map<string, Tensor>> {
  const file = await openForReading(path);
  try {
    const header = await readHeader(file, path);
    const tensors = new Map<string, Tensor>();
    const chunk = new Uint8Array(CHUNK_BYTES);
    for (const entry of header.tensors) {
      const data = new Float32Array(numel(entry.shape));
      const position = header.dataStart + entry.begin;
      const where = `${path}: tensor "${entry.name}"`;
      if (entry.dtype === 'F32') {
        await readDirect(file, new Uint8Array(data.buffer), position, where);
      } else {
        const size = BYTES_PER_ELEMENT[entry.dtype]!;
        const perChunk = CHUNK_BYTES / size;
        for (let first = 0; first < data.length; first += perChunk) {
          const count = Math.min(perChunk, data.length - first);
          await readFully(file, chunk.subarray(0, count * size), position + first * size, where);
          decode(entry.dtype, chunk.buffer, count, data, first);
        }
      }
      tensors.set(entry.name, { shape: entry.shape, data });
    }
    return tensors;
  } finally {
    await file.close();
  }
}

async function openForReading(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'r');
  } catch (err) {
    throw new UserError(`${path}: cannot open safetensors file (${(err as Error).message})`);
  }
}

async function readHeader(file: FileHandle, path: string): Promise<SafetensorsHeader> {
  const fileSize = (await file.stat()).size;
  if (fileSize < 8)
    throw new UserError(`${path}: not a safetensors file (${fileSize} bytes, shorter than the 8-byte header length)`);
  const lengthBytes = new Uint8Array(8);
  await readFully(file, lengthBytes, 0, path);
  const headerLength = new DataView(lengthBytes.buffer).getBigUint64(0, true);
  if (headerLength > BigInt(Math.min(MAX_HEADER_BYTES, fileSize - 8))) {
    throw new UserError(
      `${path}: header length ${headerLength} is larger than the file allows (${fileSize} bytes); the file is corrupt or not safetensors`,
    );
  }
  const headerBytes = new Uint8Array(Number(headerLength));
  await readFully(file, headerBytes, 8, path);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (err) {
    throw new UserError(`${path}: header is not valid JSON (${(err as Error).message})`);
  }
  const dataStart = 8 + headerBytes.length;
  return { ...parseHeader(json, path, fileSize - dataStart), dataStart };
}

function parseHeader(json: unknown, path: string, dataLength: number): Omit<SafetensorsHeader, 'dataStart'> {
  if (!isPlainObject(json)) throw new UserError(`${path}: header must be a JSON object`);
  let metadata: Record<string, string> = {};
  const tensors: SafetensorsEntry[] = [];
  for (const [name, value] of Object.entries(json)) {
    if (name === '__metadata__') {
      if (!isPlainObject(value) || !Object.values(value).every((v) => typeof v === 'string')) {
        throw new UserError(`${path}: "__metadata__" must map strings to strings`);
      }
      metadata = value as Record<string, string>;
      continue;
    }
    const where = `${path}: tensor "${name}"`;
    if (!isPlainObject(value)) throw new UserError(`${where}: header entry must be an object`);
    const { dtype, shape, data_offsets: offsets } = value;
    if (typeof dtype !== 'string') throw new UserError(`${where}: missing dtype`);
    const size = BYTES_PER_ELEMENT[dtype];
    if (size === undefined) {
      throw new UserError(
        `${where}: dtype ${dtype} is not supported (supported: ${Object.keys(BYTES_PER_ELEMENT).join(', ')})`,
      );
    }
    if (!Array.isArray(shape) || !shape.every(isCount))
      throw new UserError(`${where}: shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0]! > offsets[1]!) {
      throw new UserError(
        `${where}: data_offsets must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(offsets)}`,
      );
    }
    const [begin, end] = offsets as [number, number];
    if (end > dataLength) {
      throw new UserError(
        `${where}: data ends at byte ${end} but the file has only ${dataLength} data bytes (truncated or corrupt)`,
      );
    }
    const expected = numel(shape) * size;
    if (end - begin !== expected) {
      throw new UserError(
        `${where}: shape [${shape.join(', ')}] of ${dtype} needs ${expected} bytes but data_offsets span ${end - begin}`,
      );
    }
    tensors.push({ name, dtype, shape: shape as number[], begin, end });
  }
  // Like the Python library: the tensors must tile the data section exactly, with no overlap or gap.
  tensors.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  for (const t of tensors) {
    if (t.begin !== covered) {
      throw new UserError(
        `${path}: tensor "${t.name}" starts at data byte ${t.begin}, expected ${covered} (tensors overlap or leave a gap)`,
      );
    }
    covered = t.end;
  }
  if (covered !== dataLength) {
    throw new UserError(`${path}: tensors cover ${covered} data bytes but the file has ${dataLength} (trailing bytes)`);
  }
  return { metadata, tensors };
}

function decode(dtype: string, bytes: ArrayBuffer, count: number, out: Float32Array, first: number): void {
  switch (dtype) {
    case 'F16': {
      const src = new Uint16Array(bytes, 0, count);
      for (let i = 0; i < count; i++) out[first + i] = F16_TO_F32[src[i]!]!;
      return;
    }
    case 'BF16': {
      const src = new Uint16Array(bytes, 0, count);
      const dst = new Uint32Array(out.buffer, out.byteOffset + first * 4, count);
      for (let i = 0; i < count; i++) dst[i] = src[i]! << 16;
      return;
    }
    case 'I64': {
      const src = new BigInt64Array(bytes, 0, count);
      for (let i = 0; i < count; i++) out[first + i] = Number(src[i]!);
      return;
    }
    case 'F64':
      copyNumbers(new Float64Array(bytes, 0, count), out, first);
      return;
    case 'I32':
      copyNumbers(new Int32Array(bytes, 0, count), out, first);
      return;
    case 'I16':
      copyNumbers(new Int16Array(bytes, 0, count), out, first);
      return;
    case 'I8':
      copyNumbers(new Int8Array(bytes, 0, count), out, first);
      return;
    case 'U8':
      copyNumbers(new Uint8Array(bytes, 0, count), out, first);
      return;
    case 'BOOL': {
      const src = new Uint8Array(bytes, 0, count);
      for (let i = 0; i < count; i++) out[first + i] = src[i] ? 1 : 0;
      return;
    }
    default:
      throw new Error(`unreachable: dtype ${dtype} passed validation`);
  }
}

function copyNumbers(src: ArrayLike<number>, out: Float32Array, first: number): void {
  for (let i = 0; i < src.length; i++) out[first + i] = src[i]!;
}

async function readDirect(file: FileHandle, bytes: Uint8Array, position: number, where: string): Promise<void> {
  for (let done = 0; done < bytes.length; done += DIRECT_CHUNK_BYTES) {
    const part = bytes.subarray(done, Math.min(bytes.length, done + DIRECT_CHUNK_BYTES));
    await readFully(file, part, position + done, where);
  }
}

async function readFully(file: FileHandle, bytes: Uint8Array, position: number, where: string): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesRead } = await file.read(bytes, done, bytes.length - done, position + done);
    if (bytesRead === 0)
      throw new UserError(`${where}: unexpected end of file at byte ${position + done} (file truncated)`);
    done += bytesRead;
  }
}

// ---------------------------------------------------------------------------------------------
// Writing

/**
 * Writes tensors in name order (byte-wise, as the Python library does for one dtype), with the
 * header padded by spaces so the data starts at a multiple of 8. The file appears atomically.
 */
export async function writeSafetensors(
  path: string,
  tensors: ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>,
  opts: WriteOptions = {},
): Promise<void> {
  const dtype = opts.dtype ?? 'F32';
  if (!['F32', 'F16', 'BF16'].includes(dtype)) {
    throw new Error(`writeSafetensors: dtype must be F32, F16 or BF16, got ${dtype}`);
  }
  const size = BYTES_PER_ELEMENT[dtype]!;
  const entries = sortedEntries(tensors);
  const headerParts: string[] = [];
  if (opts.metadata !== undefined) headerParts.push(`"__metadata__":${JSON.stringify(opts.metadata)}`);
  let offset = 0;
  for (const [name, tensor] of entries) {
    checkTensor(name, tensor);
    const bytes = tensor.data.length * size;
    // Built by hand rather than with JSON.stringify(object): object keys that look like integers would be reordered.
    headerParts.push(
      `${JSON.stringify(name)}:${JSON.stringify({ dtype, shape: tensor.shape, data_offsets: [offset, offset + bytes] })}`,
    );
    offset += bytes;
  }
  const json = new TextEncoder().encode(`{${headerParts.join(',')}}`);
  const header = new Uint8Array(8 + Math.ceil(json.length / 8) * 8).fill(0x20);
  new DataView(header.buffer).setBigUint64(0, BigInt(header.length - 8), true);
  header.set(json, 8);

  await writeFileAtomic(path, async (file) => {
    await writeFully(file, header, 0);
    let position = header.length;
    const chunk = new Uint16Array(CHUNK_BYTES / 2);
    for (const [, { data }] of entries) {
      if (dtype === 'F32') {
        const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
        for (let done = 0; done < bytes.length; done += DIRECT_CHUNK_BYTES) {
          await writeFully(
            file,
            bytes.subarray(done, Math.min(bytes.length, done + DIRECT_CHUNK_BYTES)),
            position + done,
          );
        }
      } else {
        const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
        const encode = dtype === 'F16' ? f32BitsToF16Bits : f32BitsToBf16Bits;
        for (let first = 0; first < bits.length; first += chunk.length) {
          const count = Math.min(chunk.length, bits.length - first);
          for (let i = 0; i < count; i++) chunk[i] = encode(bits[first + i]!);
          await writeFully(file, new Uint8Array(chunk.buffer, 0, count * 2), position + first * 2);
        }
      }
      position += data.length * size;
    }
  });
}

function sortedEntries(tensors: ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>): [string, Tensor][] {
  // A Map is recognised by its get method rather than instanceof, which fails across realms.
  const entries =
    typeof tensors.get === 'function'
      ? [...(tensors as ReadonlyMap<string, Tensor>).entries()]
      : Object.entries(tensors);
  return entries.sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

function checkTensor(name: string, tensor: Tensor): void {
  if (!tensor.shape.every(isCount) || numel(tensor.shape) !== tensor.data.length) {
    throw new Error(
      `tensor "${name}": shape [${tensor.shape.join(', ')}] does not match ${tensor.data.length} elements`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Hugging Face model directories

const SINGLE_FILE = 'model.safetensors';
const INDEX_FILE = 'model.safetensors.index.json';

export interface ModelWriteOptions extends WriteOptions {
  /** Split into shards of at most this many data bytes (one tensor larger than this gets a shard of its own). */
  maxShardBytes?: number;
}

/**
 * Reads `dir/model.safetensors`, or else the shards listed in `dir/model.safetensors.index.json`
 * (the same preference as transformers). Only the tensors named in the index's weight_map are kept.
 */
export async function readModelWeights(dir: string): Promise<Map<string, Tensor>> {
  const single = join(dir, SINGLE_FILE);
  if (await isFile(single)) return readSafetensors(single);
  const indexPath = join(dir, INDEX_FILE);
  if (!(await isFile(indexPath))) throw new UserError(`${dir}: found neither ${SINGLE_FILE} nor ${INDEX_FILE}`);
  const weightMap = await readWeightMap(indexPath);
  const namesByShard = new Map<string, string[]>();
  for (const [name, shard] of Object.entries(weightMap)) {
    if (!namesByShard.has(shard)) namesByShard.set(shard, []);
    namesByShard.get(shard)!.push(name);
  }
  const weights = new Map<string, Tensor>();
  for (const [shard, names] of namesByShard) {
    const shardPath = join(dir, shard);
    if (!(await isFile(shardPath)))
      throw new UserError(`${indexPath}: shard ${shard} (holding "${names[0]}") not found at ${shardPath}`);
    const tensors = await readSafetensors(shardPath);
    for (const name of names) {
      const tensor = tensors.get(name);
      if (tensor === undefined)
        throw new UserError(`${shardPath}: tensor "${name}" listed in ${indexPath} is missing from the shard`);
      weights.set(name, tensor);
    }
  }
  return weights;
}

async function readWeightMap(indexPath: string): Promise<Record<string, string>> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(indexPath, 'utf-8'));
  } catch (err) {
    throw new UserError(`${indexPath}: not valid JSON (${(err as Error).message})`);
  }
  const weightMap = isPlainObject(json) ? json.weight_map : undefined;
  if (!isPlainObject(weightMap)) throw new UserError(`${indexPath}: expected an object with a "weight_map" object`);
  for (const [name, shard] of Object.entries(weightMap)) {
    if (typeof shard !== 'string' || shard === '' || basename(shard) !== shard) {
      throw new UserError(
        `${indexPath}: weight_map["${name}"] must be a shard file name in the same directory, got ${JSON.stringify(shard)}`,
      );
    }
  }
  return weightMap as Record<string, string>;
}

/**
 * Writes `dir/model.safetensors`, or with `maxShardBytes` the Hugging Face sharded form
 * (`model-00001-of-0000N.safetensors` + index) when the tensors do not fit in one shard, as
 * transformers does. Files of the previous form left in `dir` are removed afterwards so the
 * directory reads back as what was just written. Each file is atomic, the set of files is not:
 * for a crash-proof checkpoint, write into a fresh directory and rename it into place.
 */
export async function writeModelWeights(
  dir: string,
  tensors: ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>,
  opts: ModelWriteOptions = {},
): Promise<void> {
  const dtype = opts.dtype ?? 'F32';
  const metadata = { format: 'pt', ...opts.metadata };
  await mkdir(dir, { recursive: true });
  const staleShards = await previousShards(dir);
  const entries = sortedEntries(tensors);
  const shards =
    opts.maxShardBytes === undefined ? [entries] : planShards(entries, opts.maxShardBytes, BYTES_PER_ELEMENT[dtype]!);

  if (shards.length <= 1) {
    await writeSafetensors(join(dir, SINGLE_FILE), new Map(entries), { dtype, metadata });
    await removeIfPresent([join(dir, INDEX_FILE), ...staleShards.map((s) => join(dir, s))]);
    return;
  }
  const weightMap: Record<string, string> = {};
  let totalSize = 0;
  const shardNames = shards.map((_, i) => `model-${pad5(i + 1)}-of-${pad5(shards.length)}.safetensors`);
  for (const [i, shard] of shards.entries()) {
    await writeSafetensors(join(dir, shardNames[i]!), new Map(shard), { dtype, metadata });
    for (const [name, tensor] of shard) {
      weightMap[name] = shardNames[i]!;
      totalSize += tensor.data.length * BYTES_PER_ELEMENT[dtype]!;
    }
  }
  const index = { metadata: { total_size: totalSize }, weight_map: weightMap };
  await writeFileAtomic(join(dir, INDEX_FILE), `${JSON.stringify(index, null, 2)}\n`);
  const fresh = new Set(shardNames);
  await removeIfPresent([join(dir, SINGLE_FILE), ...staleShards.filter((s) => !fresh.has(s)).map((s) => join(dir, s))]);
}

function planShards(entries: [string, Tensor][], maxShardBytes: number, size: number): [string, Tensor][][] {
  if (!(maxShardBytes > 0)) throw new Error(`maxShardBytes must be positive, got ${maxShardBytes}`);
  const shards: [string, Tensor][][] = [];
  let current: [string, Tensor][] = [];
  let currentBytes = 0;
  for (const entry of entries) {
    const bytes = entry[1].data.length * size;
    if (current.length > 0 && currentBytes + bytes > maxShardBytes) {
      shards.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(entry);
    currentBytes += bytes;
  }
  if (current.length > 0) shards.push(current);
  return shards;
}

/** Shard files named by an existing index, if any (an unreadable index names none). */
async function previousShards(dir: string): Promise<string[]> {
  try {
    return [...new Set(Object.values(await readWeightMap(join(dir, INDEX_FILE))))];
  } catch {
    return [];
  }
}

async function removeIfPresent(paths: string[]): Promise<void> {
  for (const path of paths) {
    await unlink(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
}

// ---------------------------------------------------------------------------------------------

function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function isCount(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function pad5(n: number): string {
  return String(n).padStart(5, '0');
}
