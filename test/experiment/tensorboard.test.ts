/**
 * TensorBoard event files of a run, read back with a decoder written here from the format's
 * specification (TFRecord framing, masked CRC32C, protobuf wire format), sharing no code with the writer.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { METRICS_COLUMNS, readMetricsCsv, readValidationCsv } from '../../src/run-dir/csv.js';
import { runTraining } from '../../src/experiment/train.js';
import { scratchWithModel, testConfig, type Scratch } from './helpers.js';

// ---------------------------------------------------------------------------------------------
// The independent reader.

/** CRC32C bit by bit (reflected Castagnoli polynomial), no table. */
function crc32cBitwise(data: Uint8Array): number {
  let crc = ~0 >>> 0;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0x82f63b78 & -(crc & 1));
  }
  return ~crc >>> 0;
}

function unmask(masked: number): number {
  const rot = (masked - 0xa282ead8) >>> 0;
  return ((rot >>> 17) | (rot << 15)) >>> 0;
}

/** The records of a TFRecord file; throws on a bad CRC or a truncated record. */
function readRecords(file: Buffer): Buffer[] {
  const records: Buffer[] = [];
  let at = 0;
  while (at < file.length) {
    if (at + 12 > file.length) throw new Error(`truncated header at ${at}`);
    const lengthBytes = file.subarray(at, at + 8);
    if (unmask(file.readUInt32LE(at + 8)) !== crc32cBitwise(lengthBytes)) throw new Error(`bad length CRC at ${at}`);
    const length = Number(lengthBytes.readBigUInt64LE(0));
    const data = file.subarray(at + 12, at + 12 + length);
    if (data.length !== length || at + 16 + length > file.length) throw new Error(`truncated record at ${at}`);
    if (unmask(file.readUInt32LE(at + 12 + length)) !== crc32cBitwise(data)) throw new Error(`bad data CRC at ${at}`);
    records.push(data);
    at += 16 + length;
  }
  return records;
}

interface Field {
  field: number;
  wire: number;
  /** varint as a bigint; fixed32/fixed64 and length-delimited as bytes */
  value: bigint | Buffer;
}

/** Every field of a protobuf message, by the wire format alone. */
function walk(message: Buffer): Field[] {
  const fields: Field[] = [];
  let at = 0;
  const readVarint = () => {
    let v = 0n,
      shift = 0n;
    for (;;) {
      const b = message[at++]!;
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
      shift += 7n;
    }
  };
  const bytes = (n: number) => {
    const b = message.subarray(at, at + n);
    at += n;
    return b;
  };
  while (at < message.length) {
    const k = Number(readVarint());
    const field = k >>> 3,
      wire = k & 7;
    if (wire === 0) fields.push({ field, wire, value: readVarint() });
    else if (wire === 1) fields.push({ field, wire, value: bytes(8) });
    else if (wire === 5) fields.push({ field, wire, value: bytes(4) });
    else if (wire === 2) {
      const n = Number(readVarint());
      fields.push({ field, wire, value: bytes(n) });
    } else throw new Error(`wire type ${wire}`);
  }
  if (at !== message.length) throw new Error('message overruns its bytes');
  return fields;
}

interface DecodedEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  sessionStatus?: number;
  scalars: Map<string, number>;
}

function decodeEvent(data: Buffer): DecodedEvent {
  const e: DecodedEvent = { wallTime: NaN, step: 0, scalars: new Map() };
  for (const f of walk(data)) {
    if (f.field === 1 && f.wire === 1) e.wallTime = (f.value as Buffer).readDoubleLE(0);
    else if (f.field === 2 && f.wire === 0) e.step = Number(f.value);
    else if (f.field === 3 && f.wire === 2) e.fileVersion = (f.value as Buffer).toString('utf8');
    else if (f.field === 7 && f.wire === 2)
      e.sessionStatus = Number(walk(f.value as Buffer).find((s) => s.field === 1)?.value ?? 0n);
    else if (f.field === 5 && f.wire === 2) {
      for (const v of walk(f.value as Buffer).filter((s) => s.field === 1)) {
        const parts = walk(v.value as Buffer);
        const tag = (parts.find((p) => p.field === 1)!.value as Buffer).toString('utf8');
        const simple = parts.find((p) => p.field === 2 && p.wire === 5);
        if (simple) e.scalars.set(tag, (simple.value as Buffer).readFloatLE(0));
      }
    } else throw new Error(`unexpected Event field ${f.field} (wire ${f.wire})`);
  }
  return e;
}

async function readEvents(dir: string): Promise<{ files: string[]; events: DecodedEvent[][] }> {
  const files = (await readdir(dir)).filter((n) => n.startsWith('events.out.tfevents.')).sort();
  const events = await Promise.all(files.map(async (n) => readRecords(await readFile(join(dir, n))).map(decodeEvent)));
  return { files, events };
}

/** tag -> step -> value, later events replacing earlier ones (as TensorBoard shows them). */
function scalarsByTag(events: DecodedEvent[]): Map<string, Map<number, number>> {
  const byTag = new Map<string, Map<number, number>>();
  for (const e of events)
    for (const [tag, v] of e.scalars) byTag.set(tag, (byTag.get(tag) ?? new Map()).set(e.step, v));
  return byTag;
}

// ---------------------------------------------------------------------------------------------

let s: Scratch;
beforeAll(async () => {
  s = await scratchWithModel(5);
});
afterAll(async () => s.cleanup());

const quiet = { console: false, progress: false };
const extra = ['train.steps=4', 'train.eval_every=2'];
const TAG: Record<string, string> = {
  mean_reward: 'train/reward',
  mean_W: 'train/W',
  mean_rationale_tokens: 'train/rationale_tokens',
};
const tagOf = (column: string) => TAG[column] ?? `train/${column}`;

/** Every non-empty metrics.csv and validation.csv cell is a scalar at its step, equal to float32. */
async function expectMatchesCsv(dir: string, byTag: Map<string, Map<number, number>>): Promise<void> {
  const metrics = await readMetricsCsv(join(dir, 'metrics.csv'));
  expect(metrics.map((r) => r.step)).toEqual([1, 2, 3, 4]);
  for (const row of metrics) {
    for (const c of METRICS_COLUMNS) {
      if (c === 'step') continue;
      const got = byTag.get(tagOf(c))?.get(row.step);
      if (row[c] === null) expect(got).toBeUndefined();
      else expect([c, row.step, got]).toEqual([c, row.step, Math.fround(row[c]!)]);
    }
  }
  const validation = await readValidationCsv(join(dir, 'validation.csv'));
  expect(validation.map((r) => r.step)).toEqual([2, 4]);
  for (const row of validation) {
    for (const c of ['p1', 'p16', 'm16'] as const)
      expect(byTag.get(`validation/${c}`)?.get(row.step)).toBe(Math.fround(row[c]));
  }
  expect([...byTag.get('validation/m16')!.keys()].sort()).toEqual([2, 4]);
}

describe('TensorBoard event files', () => {
  it('the reference CRC32C check value', () => {
    expect(crc32cBitwise(Buffer.from('123456789'))).toBe(0xe3069283);
  });

  it('a 4-step run: valid records, file_version first, a scalar per metrics.csv and validation.csv cell', async () => {
    const dir = join(s.dir, 'garl');
    const t0 = Date.now() / 1000;
    await runTraining(testConfig(s, 'garl', dir, extra), quiet);
    const { files, events } = await readEvents(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(new RegExp(`^events\\.out\\.tfevents\\.\\d{10}\\..+\\.${process.pid}\\.\\d+$`));
    const [first, ...rest] = events[0]!;
    expect(first!.fileVersion).toBe('brain.Event:2');
    expect(rest[0]).toMatchObject({ step: 1, sessionStatus: 1 }); // steps count from 1
    for (const e of events[0]!) expect(e.wallTime).toBeGreaterThanOrEqual(Math.floor(t0));

    const byTag = scalarsByTag(events[0]!);
    for (const tag of [
      'train/reward',
      'train/loss',
      'train/grad_norm',
      'train/lr',
      'train/W',
      'train/tokens_per_s',
      'train/no_success_share',
      'train/rationale_tokens',
    ]) {
      expect([tag, [...(byTag.get(tag)?.keys() ?? [])]]).toEqual([tag, [1, 2, 3, 4]]);
    }
    expect(byTag.has('train/kl')).toBe(false); // GARL has no KL term: empty cells are not written
    await expectMatchesCsv(dir, byTag);
  });

  it('a resumed run writes a second file starting at its first step; together they match the CSVs', async () => {
    const dir = join(s.dir, 'garl-resumed');
    await runTraining(testConfig(s, 'garl', dir, [...extra, 'train.checkpoint_every=1']), {
      ...quiet,
      stopAfterSteps: 2,
    });
    await runTraining(testConfig(s, 'garl', dir, [...extra, 'train.checkpoint_every=1']), { ...quiet, resume: true });
    const { files, events } = await readEvents(dir);
    expect(files).toHaveLength(2);
    const second = events.findIndex((evs) => evs.some((e) => e.sessionStatus === 1 && e.step === 3));
    expect(second).toBeGreaterThanOrEqual(0);
    const ordered = [...events.filter((_, i) => i !== second), events[second]!];
    await expectMatchesCsv(dir, scalarsByTag(ordered.flat()));
  });
});
