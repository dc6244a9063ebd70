import { mkdtemp, readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bf16BitsToF32,
  f16BitsToF32,
  f32ToBf16Bits,
  f32ToF16Bits,
  readModelWeights,
  readSafetensors,
  readSafetensorsHeader,
  writeModelWeights,
  writeSafetensors,
  type Tensor,
} from '../../src/model/safetensors.js';
import { writeFileAtomic } from '../../src/util/atomic-write.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'safetensors-test-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A safetensors file assembled from a header string and raw bytes, independently of writeSafetensors. */
function rawFile(header: string, data: number[]): Buffer {
  const json = Buffer.from(header, 'utf-8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, json, Buffer.from(data)]);
}

function tensor(shape: number[], values: number[]): Tensor {
  return { shape, data: Float32Array.from(values) };
}

function randomValues(n: number, seed: number, scale: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * 2 * scale;
  }
  return out;
}

describe('fp16 conversion', () => {
  it('encodes hand-worked values with round-to-nearest-even', () => {
    expect(f32ToF16Bits(1.0)).toBe(0x3c00);
    expect(f32ToF16Bits(-2.0)).toBe(0xc000);
    expect(f32ToF16Bits(-0)).toBe(0x8000);
    expect(f32ToF16Bits(65504)).toBe(0x7bff); // largest finite
    expect(f32ToF16Bits(65519)).toBe(0x7bff); // below the midpoint to 65536
    expect(f32ToF16Bits(65520)).toBe(0x7c00); // the midpoint: 0x7bff is odd, so it rounds up, to inf
    expect(f32ToF16Bits(1e6)).toBe(0x7c00);
    expect(f32ToF16Bits(2 ** -14)).toBe(0x0400); // smallest normal, 6.1035e-5
    expect(f32ToF16Bits(6.1e-5)).toBe(0x03ff); // 6.1e-5 * 2^24 = 1023.4 -> largest subnormal
    expect(f32ToF16Bits(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(f32ToF16Bits(2 ** -25)).toBe(0x0000); // half of it: tie, to even (zero)
    expect(f32ToF16Bits(1.5 * 2 ** -25)).toBe(0x0001); // above half
    expect(f32ToF16Bits(3 * 2 ** -25)).toBe(0x0002); // 1.5 units: tie between 1 and 2, to even
    expect(f32ToF16Bits(1 + 2 ** -11)).toBe(0x3c00); // halfway between 1 and 1+2^-10: to even
    expect(f32ToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // halfway between 0x3c01 and 0x3c02: to even
    expect(f32ToF16Bits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01); // just above halfway
    expect(f32ToF16Bits(Infinity)).toBe(0x7c00);
    expect(f32ToF16Bits(-Infinity)).toBe(0xfc00);
    const nan = f32ToF16Bits(NaN);
    expect(nan & 0x7c00).toBe(0x7c00);
    expect(nan & 0x03ff).not.toBe(0);
  });

  it('decodes hand-worked bit patterns', () => {
    expect(f16BitsToF32(0x3c00)).toBe(1);
    expect(f16BitsToF32(0xc000)).toBe(-2);
    expect(f16BitsToF32(0x7bff)).toBe(65504);
    expect(f16BitsToF32(0x0400)).toBe(2 ** -14);
    expect(f16BitsToF32(0x03ff)).toBe(1023 * 2 ** -24);
    expect(f16BitsToF32(0x0001)).toBe(2 ** -24);
    expect(f16BitsToF32(0x8001)).toBe(-(2 ** -24));
    expect(Object.is(f16BitsToF32(0x8000), -0)).toBe(true);
    expect(f16BitsToF32(0x3555)).toBe(0.25 * (1 + 341 / 1024)); // exponent 13, mantissa 0x155
    expect(f16BitsToF32(0x7c00)).toBe(Infinity);
    expect(f16BitsToF32(0xfc00)).toBe(-Infinity);
    expect(f16BitsToF32(0x7e00)).toBeNaN();
    expect(f16BitsToF32(0x7c01)).toBeNaN();
  });

  it('decodes and re-encodes every non-NaN bit pattern to itself', () => {
    for (let h = 0; h < 65536; h++) {
      if ((h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0) continue;
      if (f32ToF16Bits(f16BitsToF32(h)) !== h) throw new Error(`0x${h.toString(16)} does not round-trip`);
    }
  });
});

describe('bf16 conversion', () => {
  it('encodes hand-worked values with round-to-nearest-even', () => {
    expect(f32ToBf16Bits(1.0)).toBe(0x3f80);
    expect(f32ToBf16Bits(-2.0)).toBe(0xc000);
    expect(f32ToBf16Bits(65504)).toBe(0x4780); // f32 0x477fe000: low half 0xe000 rounds up, to 65536
    expect(f32ToBf16Bits(1 + 2 ** -8)).toBe(0x3f80); // tie, to even
    expect(f32ToBf16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82); // tie between 0x3f81 and 0x3f82, to even
    expect(f32ToBf16Bits(1 + 2 ** -8 + 2 ** -20)).toBe(0x3f81); // just above the tie
    expect(f32ToBf16Bits(2 ** -133)).toBe(0x0001); // smallest bf16 subnormal
    expect(f32ToBf16Bits(3.4028234663852886e38)).toBe(0x7f80); // f32 max overflows to inf
    expect(f32ToBf16Bits(Infinity)).toBe(0x7f80);
    expect(f32ToBf16Bits(-Infinity)).toBe(0xff80);
    expect(bf16BitsToF32(f32ToBf16Bits(NaN))).toBeNaN();
    // a NaN whose payload sits only in the low 16 bits must not truncate to inf
    const f = new Float32Array(new Uint32Array([0x7f800001]).buffer);
    expect(bf16BitsToF32(f32ToBf16Bits(f[0]!))).toBeNaN();
  });

  it('decodes hand-worked bit patterns', () => {
    expect(bf16BitsToF32(0x3f80)).toBe(1);
    expect(bf16BitsToF32(0xc000)).toBe(-2);
    expect(bf16BitsToF32(0x4049)).toBe(2 * (1 + 73 / 128)); // 3.140625
    expect(bf16BitsToF32(0x0001)).toBe(2 ** -133);
    expect(bf16BitsToF32(0xff80)).toBe(-Infinity);
    expect(bf16BitsToF32(0x7fc0)).toBeNaN();
  });
});

describe('readSafetensors', () => {
  it('reads a file built byte by byte, with every supported dtype and unaligned offsets', async () => {
    const header = JSON.stringify({
      __metadata__: { format: 'pt' },
      half: { dtype: 'F16', shape: [2, 2], data_offsets: [0, 8] },
      brain: { dtype: 'BF16', shape: [3], data_offsets: [8, 14] },
      scalar: { dtype: 'F32', shape: [], data_offsets: [14, 18] },
      ids: { dtype: 'I64', shape: [2], data_offsets: [18, 34] },
      mask: { dtype: 'BOOL', shape: [3], data_offsets: [34, 37] },
      small: { dtype: 'I8', shape: [1], data_offsets: [37, 38] },
      empty: { dtype: 'F32', shape: [0, 4], data_offsets: [38, 38] },
    });
    const data = [
      0x00,
      0x3c,
      0x00,
      0xc0,
      0xff,
      0x7b,
      0x01,
      0x00, // F16 1, -2, 65504, 2^-24
      0x80,
      0x3f,
      0x49,
      0x40,
      0x80,
      0xff, // BF16 1, 3.140625, -inf
      0x00,
      0x00,
      0x00,
      0x3f, // F32 0.5
      7,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0xfd,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff, // I64 7, -3
      1,
      0,
      1, // BOOL
      0xfb, // I8 -5
    ];
    const path = join(dir, 'hand.safetensors');
    await writeFile(path, rawFile(header, data));
    const t = await readSafetensors(path);
    expect([...t.keys()].sort()).toEqual(['brain', 'empty', 'half', 'ids', 'mask', 'scalar', 'small']);
    expect(t.get('half')).toEqual({ shape: [2, 2], data: Float32Array.from([1, -2, 65504, 2 ** -24]) });
    expect(t.get('brain')).toEqual({ shape: [3], data: Float32Array.from([1, 3.140625, -Infinity]) });
    expect(t.get('scalar')).toEqual({ shape: [], data: Float32Array.from([0.5]) });
    expect(t.get('ids')).toEqual({ shape: [2], data: Float32Array.from([7, -3]) });
    expect(t.get('mask')).toEqual({ shape: [3], data: Float32Array.from([1, 0, 1]) });
    expect(t.get('small')).toEqual({ shape: [1], data: Float32Array.from([-5]) });
    expect(t.get('empty')).toEqual({ shape: [0, 4], data: new Float32Array(0) });
    expect((await readSafetensorsHeader(path)).metadata).toEqual({ format: 'pt' });
  });

  it('rejects an unsupported dtype, naming the file, tensor and dtype', async () => {
    const path = join(dir, 'u16.safetensors');
    await writeFile(path, rawFile('{"w":{"dtype":"U16","shape":[1],"data_offsets":[0,2]}}', [1, 0]));
    await expect(readSafetensors(path)).rejects.toThrow(`${path}: tensor "w": dtype U16 is not supported`);
  });

  it('names the file and tensor when the data is truncated', async () => {
    const path = join(dir, 'cut.safetensors');
    await writeSafetensors(path, { a: tensor([2], [1, 2]), z: tensor([3], [1, 2, 3]) });
    await truncate(path, (await readFile(path)).length - 2);
    await expect(readSafetensors(path)).rejects.toThrow(
      `${path}: tensor "z": data ends at byte 20 but the file has only 18 data bytes`,
    );
  });

  it('reports bad header JSON, an oversized header length and an empty file', async () => {
    const bad = join(dir, 'bad.safetensors');
    await writeFile(bad, rawFile('{"w": {"dtype": "F32",', []));
    await expect(readSafetensors(bad)).rejects.toThrow(`${bad}: header is not valid JSON`);
    const huge = join(dir, 'huge.safetensors');
    const bytes = rawFile('{}', []);
    bytes.writeBigUInt64LE(1000n);
    await writeFile(huge, bytes);
    await expect(readSafetensors(huge)).rejects.toThrow(`${huge}: header length 1000 is larger than the file allows`);
    const empty = join(dir, 'empty.safetensors');
    await writeFile(empty, Buffer.alloc(3));
    await expect(readSafetensors(empty)).rejects.toThrow(`${empty}: not a safetensors file`);
    await expect(readSafetensors(join(dir, 'absent.safetensors'))).rejects.toThrow('absent.safetensors: cannot open');
  });

  it('reports offsets past the end, shape/offset mismatches and overlaps, naming the tensor', async () => {
    const cases: [string, number[], string][] = [
      [
        '{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}',
        [0, 0, 0, 0],
        'tensor "w": data ends at byte 8 but the file has only 4 data bytes',
      ],
      [
        '{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}',
        new Array(8).fill(0),
        'tensor "w": shape [3] of F32 needs 12 bytes but data_offsets span 8',
      ],
      [
        '{"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}',
        new Array(8).fill(0),
        'tensor "w": data_offsets must be [begin, end]',
      ],
      [
        '{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}',
        new Array(8).fill(0),
        'tensor "w": shape must be a list of non-negative integers',
      ],
      [
        '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}',
        new Array(8).fill(0),
        'tensor "b" starts at data byte 4, expected 8',
      ],
      [
        '{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}',
        new Array(8).fill(0),
        'tensors cover 4 data bytes but the file has 8',
      ],
    ];
    for (const [i, [header, data, message]] of cases.entries()) {
      const path = join(dir, `case${i}.safetensors`);
      await writeFile(path, rawFile(header, data));
      await expect(readSafetensors(path)).rejects.toThrow(`${path}: ${message}`);
    }
  });
});

describe('writeSafetensors', () => {
  it('pads the header with spaces to a multiple of 8 and lays tensors out in byte-wise name order', async () => {
    const path = join(dir, 'layout.safetensors');
    const tensors = new Map<string, Tensor>([
      ['9', tensor([1], [9])],
      ['b', tensor([2], [1, 2])],
      ['10', tensor([1, 1], [10])],
      ['a', tensor([], [0.25])],
    ]);
    await writeSafetensors(path, tensors, { metadata: { format: 'pt' } });
    const bytes = await readFile(path);
    const headerLength = Number(bytes.readBigUInt64LE(0));
    expect(headerLength % 8).toBe(0);
    const headerText = bytes.subarray(8, 8 + headerLength).toString('utf-8');
    const json = headerText.trimEnd();
    expect(headerText.slice(json.length)).toMatch(/^ *$/);
    expect(headerText.length - json.length).toBeLessThan(8);
    // "10" < "9" < "a" < "b" byte-wise; insertion order of the header keys follows the same order
    expect([...json.matchAll(/"([^"]+)":\{"dtype"/g)].map((m) => m[1])).toEqual(['10', '9', 'a', 'b']);
    const header = JSON.parse(json);
    expect(header.__metadata__).toEqual({ format: 'pt' });
    expect(header['10']).toEqual({ dtype: 'F32', shape: [1, 1], data_offsets: [0, 4] });
    expect(header['9']).toEqual({ dtype: 'F32', shape: [1], data_offsets: [4, 8] });
    expect(header.a).toEqual({ dtype: 'F32', shape: [], data_offsets: [8, 12] });
    expect(header.b).toEqual({ dtype: 'F32', shape: [2], data_offsets: [12, 20] });
    const data = bytes.subarray(8 + headerLength);
    expect(data.length).toBe(20);
    expect([0, 4, 8, 12, 16].map((o) => data.readFloatLE(o))).toEqual([10, 9, 0.25, 1, 2]);
  });

  it('writes F16 and BF16 bits as the scalar encoders give them', async () => {
    const values = [1, -2, 65504, 6.1e-5, 1 + 3 * 2 ** -11, 1e6];
    for (const dtype of ['F16', 'BF16'] as const) {
      const path = join(dir, `${dtype}.safetensors`);
      await writeSafetensors(path, { w: tensor([values.length], values) }, { dtype });
      const bytes = await readFile(path);
      const data = bytes.subarray(8 + Number(bytes.readBigUInt64LE(0)));
      const encode = dtype === 'F16' ? f32ToF16Bits : f32ToBf16Bits;
      expect(values.map((_, i) => data.readUInt16LE(2 * i))).toEqual(values.map(encode));
    }
  });

  it('round-trips each dtype with the expected precision, across read/write chunk boundaries', async () => {
    // 9 MB as F16/BF16, more than one 8 MB conversion chunk. Element loops run slowly under Jest's
    // module sandbox, so the data is a random block tiled natively and checked on a sample.
    const n = 4_500_001;
    const block = randomValues(65536, 7, 100);
    block[0] = 0;
    block[1] = -1e-6; // F16 subnormal
    const original = new Float32Array(n);
    for (let at = 0; at < n; at += block.length) original.set(block.subarray(0, Math.min(block.length, n - at)), at);
    const sample = [
      ...Array.from({ length: 4000 }, (_, k) => k * 1123),
      ...Array.from({ length: 20 }, (_, k) => 4_194_294 + k),
      n - 1,
    ];
    for (const [dtype, relative] of [
      ['F32', 0],
      ['F16', 2 ** -11],
      ['BF16', 2 ** -8],
    ] as const) {
      const path = join(dir, `rt-${dtype}.safetensors`);
      await writeSafetensors(path, { w: { shape: [n], data: original }, b: tensor([2], [3, 4]) }, { dtype });
      const back = (await readSafetensors(path)).get('w')!;
      expect(back.shape).toEqual([n]);
      if (dtype === 'F32') {
        expect(Buffer.compare(Buffer.from(back.data.buffer), Buffer.from(original.buffer))).toBe(0);
        continue;
      }
      const roundTrip =
        dtype === 'F16' ? (x: number) => f16BitsToF32(f32ToF16Bits(x)) : (x: number) => bf16BitsToF32(f32ToBf16Bits(x));
      let worst = 0;
      for (const i of sample) {
        expect(back.data[i]).toBe(roundTrip(original[i]!));
        // relative error bounds hold in the normal range; fp16 below 2^-14 has absolute spacing 2^-24
        if (Math.abs(original[i]!) >= 2 ** -14)
          worst = Math.max(worst, Math.abs(back.data[i]! - original[i]!) / Math.abs(original[i]!));
      }
      expect(worst).toBeLessThanOrEqual(relative);
      expect(worst).toBeGreaterThan(relative / 2); // rounding really happened
      expect(back.data[0]).toBe(0);
      expect(Math.abs(back.data[1]! + 1e-6)).toBeLessThanOrEqual(dtype === 'F16' ? 2 ** -25 : 1e-6 * 2 ** -8);
    }
  });

  it('rejects a tensor whose shape does not match its data', async () => {
    await expect(writeSafetensors(join(dir, 'x.safetensors'), { w: tensor([2, 2], [1, 2, 3]) })).rejects.toThrow(
      'tensor "w": shape [2, 2] does not match 3 elements',
    );
  });

  it('never leaves a half-written file: a failed write keeps the old contents and no temp file', async () => {
    const path = join(dir, 'model.safetensors');
    await writeFile(path, 'old contents');
    await expect(
      writeFileAtomic(path, async (file) => {
        await file.write(Buffer.from('partial new conte'));
        throw new Error('disk on fire');
      }),
    ).rejects.toThrow('disk on fire');
    expect(await readFile(path, 'utf-8')).toBe('old contents');
    expect(await readdir(dir)).toEqual(['model.safetensors']);
  });
});

describe('model directories', () => {
  const weights = (): Map<string, Tensor> =>
    new Map([
      ['model.embed_tokens.weight', { shape: [4, 3], data: randomValues(12, 1, 1) }],
      ['model.norm.weight', tensor([3], [1, 1, 1])],
      ['model.layers.0.mlp.up_proj.weight', { shape: [3, 3], data: randomValues(9, 2, 1) }],
      ['lm_head.weight', { shape: [4, 3], data: randomValues(12, 3, 1) }],
    ]);

  it('writes and reads a single model.safetensors with format metadata', async () => {
    await writeModelWeights(dir, weights(), { dtype: 'F32' });
    expect(await readdir(dir)).toEqual(['model.safetensors']);
    expect(await readModelWeights(dir)).toEqual(weights());
    expect((await readSafetensorsHeader(join(dir, 'model.safetensors'))).metadata).toEqual({ format: 'pt' });
  });

  it('shards by size with a Hugging Face index, reads it back, and switches back to one file cleanly', async () => {
    // sorted: lm_head (48 B), embed_tokens (48 B), layers.0 (36 B), norm (12 B); at most 60 B per shard
    await writeModelWeights(dir, weights(), { dtype: 'F32', maxShardBytes: 60 });
    expect((await readdir(dir)).sort()).toEqual([
      'model-00001-of-00003.safetensors',
      'model-00002-of-00003.safetensors',
      'model-00003-of-00003.safetensors',
      'model.safetensors.index.json',
    ]);
    const index = JSON.parse(await readFile(join(dir, 'model.safetensors.index.json'), 'utf-8'));
    expect(index).toEqual({
      metadata: { total_size: 144 },
      weight_map: {
        'lm_head.weight': 'model-00001-of-00003.safetensors',
        'model.embed_tokens.weight': 'model-00002-of-00003.safetensors',
        'model.layers.0.mlp.up_proj.weight': 'model-00003-of-00003.safetensors',
        'model.norm.weight': 'model-00003-of-00003.safetensors',
      },
    });
    expect(await readModelWeights(dir)).toEqual(weights());

    // everything fits in one shard: a single file, as transformers writes it; the old shards and index go
    await writeModelWeights(dir, weights(), { maxShardBytes: 1e9 });
    expect(await readdir(dir)).toEqual(['model.safetensors']);
    expect(await readModelWeights(dir)).toEqual(weights());
  });

  it('reads a hand-written index over shards written separately, keeping only listed tensors', async () => {
    await writeSafetensors(
      join(dir, 'part-a.safetensors'),
      { x: tensor([2], [1, 2]), unlisted: tensor([1], [5]) },
      { dtype: 'BF16' },
    );
    await writeSafetensors(join(dir, 'part-b.safetensors'), { y: tensor([1], [3]) }, { dtype: 'F16' });
    const index = { metadata: { total_size: 6 }, weight_map: { x: 'part-a.safetensors', y: 'part-b.safetensors' } };
    await writeFile(join(dir, 'model.safetensors.index.json'), JSON.stringify(index));
    expect(await readModelWeights(dir)).toEqual(
      new Map([
        ['x', tensor([2], [1, 2])],
        ['y', tensor([1], [3])],
      ]),
    );
  });

  it('names the file when a directory, shard, tensor or index is missing or malformed', async () => {
    await expect(readModelWeights(dir)).rejects.toThrow(
      `${dir}: found neither model.safetensors nor model.safetensors.index.json`,
    );
    const indexPath = join(dir, 'model.safetensors.index.json');
    await writeFile(indexPath, '{"weight_map": ');
    await expect(readModelWeights(dir)).rejects.toThrow(`${indexPath}: not valid JSON`);
    await writeFile(indexPath, '{"weight_map": {"x": "../elsewhere.safetensors"}}');
    await expect(readModelWeights(dir)).rejects.toThrow(`${indexPath}: weight_map["x"] must be a shard file name`);
    await writeFile(indexPath, '{"weight_map": {"x": "gone.safetensors"}}');
    await expect(readModelWeights(dir)).rejects.toThrow(`${indexPath}: shard gone.safetensors (holding "x") not found`);
    await writeSafetensors(join(dir, 'gone.safetensors'), { other: tensor([1], [1]) });
    await expect(readModelWeights(dir)).rejects.toThrow(
      `${join(dir, 'gone.safetensors')}: tensor "x" listed in ${indexPath} is missing`,
    );
  });
});
