/**
 * TensorBoard event files: `<run>/events.out.tfevents.<unix seconds>.<host>.<pid>.<n>`, one per
 * training session. TensorBoard (and W&B's sync) reads them; opened on a sweep folder, each run
 * directory is a run and the shared tags overlay.
 *
 * The format is TFRecord framing around `tensorflow.Event` protobufs:
 *   record = uint64 length, uint32 masked crc32c(length), data, uint32 masked crc32c(data)  (little endian)
 *   Event  = wall_time double (1), step int64 (2), file_version string (3), summary (5), session_log (7)
 *   Summary.value (1) = tag string (1), simple_value float (2);  SessionLog.status (1), START = 1
 * The few fields needed are encoded by hand. Every record is appended with one write (O_APPEND), so a
 * crash leaves whole records, and at most a partial last one, which readers drop.
 *
 * Scalars are float32 (simple_value): a mean W below ~1e-45 reads as 0; the log W quantiles keep the scale.
 *
 * Resume: a resumed session writes a new file that starts with a SessionLog START at its first step;
 * TensorBoard's loaders that honour it drop the older file's points from that step on, the others
 * show the last value written for a repeated step. Either way the curves match metrics.csv.
 */
import { appendFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { addErrorPath } from '../util/atomic-write.js';
import { METRICS_COLUMNS, type MetricsRow, type ValidationRow } from '../run-dir/csv.js';

export const EVENTS_FILE_PREFIX = 'events.out.tfevents.';

/** Tags of metrics.csv columns; the others are `train/<column>`. */
const TRAIN_TAGS: Record<string, string> = {
  mean_reward: 'reward',
  mean_W: 'W',
  mean_rationale_tokens: 'rationale_tokens',
};

// ---------------------------------------------------------------------------------------------
// CRC32C (Castagnoli), masked as TensorFlow's record writer does.

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[i] = c >>> 0;
  }
  return table;
})();

export function crc32c(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

export function maskedCrc32c(data: Uint8Array): number {
  const crc = crc32c(data);
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
}

/** One TFRecord: the framing around `data`. */
export function tfRecord(data: Uint8Array): Buffer {
  const header = Buffer.alloc(12);
  header.writeBigUInt64LE(BigInt(data.length), 0);
  header.writeUInt32LE(maskedCrc32c(header.subarray(0, 8)), 8);
  const footer = Buffer.alloc(4);
  footer.writeUInt32LE(maskedCrc32c(data), 0);
  return Buffer.concat([header, data, footer]);
}

// ---------------------------------------------------------------------------------------------
// Protobuf encoding of the Event fields used here.

function varint(value: number): Buffer {
  if (!(Number.isSafeInteger(value) && value >= 0))
    throw new RangeError(`varint: expected a non-negative integer, got ${value}`);
  const bytes: number[] = [];
  let v = value;
  while (v >= 0x80) {
    bytes.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  bytes.push(v);
  return Buffer.from(bytes);
}

const key = (field: number, wireType: number) => varint(field * 8 + wireType);
const lengthDelimited = (field: number, payload: Buffer) =>
  Buffer.concat([key(field, 2), varint(payload.length), payload]);

function scalarValue(tag: string, value: number): Buffer {
  const f = Buffer.alloc(4);
  f.writeFloatLE(value, 0);
  return lengthDelimited(1, Buffer.concat([lengthDelimited(1, Buffer.from(tag, 'utf8')), key(2, 5), f]));
}

type EventBody = { fileVersion: string } | { scalars: [string, number][] } | { sessionStart: true };

export function encodeEvent(wallTime: number, step: number, body: EventBody): Buffer {
  const time = Buffer.alloc(8);
  time.writeDoubleLE(wallTime, 0);
  const parts = [key(1, 1), time, key(2, 0), varint(step)];
  if ('fileVersion' in body) parts.push(lengthDelimited(3, Buffer.from(body.fileVersion, 'utf8')));
  else if ('scalars' in body)
    parts.push(lengthDelimited(5, Buffer.concat(body.scalars.map(([tag, v]) => scalarValue(tag, v)))));
  else parts.push(lengthDelimited(7, Buffer.concat([key(1, 0), varint(1)])));
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------------------------
// The writer.

let filesOpened = 0;

export class EventsWriter {
  private constructor(readonly path: string) {}

  /** Creates a new events file in `dir` for a session whose first step is `startStep` (steps count from 1). */
  static async open(dir: string, startStep: number): Promise<EventsWriter> {
    const now = Date.now() / 1000;
    const first = Buffer.concat([
      tfRecord(encodeEvent(now, 0, { fileVersion: 'brain.Event:2' })),
      tfRecord(encodeEvent(now, startStep, { sessionStart: true })),
    ]);
    for (;;) {
      const path = join(dir, `${EVENTS_FILE_PREFIX}${Math.floor(now)}.${hostname()}.${process.pid}.${filesOpened++}`);
      try {
        await writeFile(path, first, { flag: 'wx' });
        return new EventsWriter(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
        addErrorPath(err, path);
        throw err;
      }
    }
  }

  /** One event with a scalar per tag; null and undefined values are left out. */
  async scalars(step: number, values: Iterable<[string, number | null | undefined]>): Promise<void> {
    const scalars = [...values].filter((e): e is [string, number] => typeof e[1] === 'number');
    if (scalars.length === 0) return;
    try {
      await appendFile(this.path, tfRecord(encodeEvent(Date.now() / 1000, step, { scalars })));
    } catch (err) {
      addErrorPath(err, this.path);
      throw err;
    }
  }

  /** A metrics.csv row as `train/...` scalars. */
  metrics(row: MetricsRow): Promise<void> {
    const columns = METRICS_COLUMNS.filter((c) => c !== 'step');
    return this.scalars(
      row.step,
      columns.map((c) => [`train/${TRAIN_TAGS[c] ?? c}`, row[c]]),
    );
  }

  /** A validation.csv row as `validation/p1`, `validation/p16`, `validation/m16`. */
  validation(row: ValidationRow): Promise<void> {
    return this.scalars(row.step, [
      ['validation/p1', row.p1],
      ['validation/p16', row.p16],
      ['validation/m16', row.m16],
    ]);
  }
}

// ---------------------------------------------------------------------------------------------
// Renumbering (renumber-run.ts): an events file of an earlier version, whose steps counted from 0.

/** Reads a protobuf varint at `at`: its value and the offset after it. */
function readVarint(bytes: Uint8Array, at: number): [number, number] {
  let value = 0,
    scale = 1;
  for (;;) {
    if (at >= bytes.length) throw new RangeError('varint runs past the end of the message');
    const b = bytes[at++]!;
    value += (b & 0x7f) * scale;
    if (!(b & 0x80)) return [value, at];
    scale *= 0x80;
  }
}

/**
 * An events file with the step of every scalar and session-start event moved by `by` (the file-version
 * event keeps its step 0); the other fields are copied byte for byte. A partial last record (a crash
 * mid-write) is dropped, as readers drop it.
 */
export function shiftEventSteps(file: Uint8Array, by: number): Buffer {
  const out: Buffer[] = [];
  const buf = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  for (let at = 0; at + 12 <= buf.length; ) {
    const length = Number(buf.readBigUInt64LE(at));
    if (at + 16 + length > buf.length) break;
    out.push(tfRecord(shiftEventStep(buf.subarray(at + 12, at + 12 + length), by)));
    at += 16 + length;
  }
  return Buffer.concat(out);
}

/** One Event message with its step (field 2) moved by `by` when it carries a summary (5) or a session log (7). */
function shiftEventStep(event: Buffer, by: number): Buffer {
  const parts: Buffer[] = [];
  let step: number | null = null;
  let shifts = false;
  for (let at = 0; at < event.length; ) {
    const start = at;
    const [k, afterKey] = readVarint(event, at);
    const field = Math.floor(k / 8),
      wire = k % 8;
    if (wire === 0) [, at] = readVarint(event, afterKey);
    else if (wire === 1) at = afterKey + 8;
    else if (wire === 5) at = afterKey + 4;
    else if (wire === 2) {
      const [n, afterLength] = readVarint(event, afterKey);
      at = afterLength + n;
    } else throw new RangeError(`events file: wire type ${wire} in an event`);
    if (at > event.length) throw new RangeError('events file: a field runs past the end of its event');
    if (field === 2 && wire === 0) step = readVarint(event, afterKey)[0];
    else parts.push(event.subarray(start, at));
    if (field === 5 || field === 7) shifts = true;
  }
  if (step === null) return Buffer.from(event);
  // Field order as encodeEvent writes it: wall_time first, then the step, then the rest.
  const stepField = Buffer.concat([key(2, 0), varint(shifts ? step + by : step)]);
  return Buffer.concat([...parts.slice(0, 1), stepField, ...parts.slice(1)]);
}
