import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drawOrder, prepareSubsets } from '../../src/data/prepare.js';
import { parseSizes, PAPER_SIZES } from '../../src/data/sizes.js';
import { locateSplits, splitOfPath } from '../../src/data/splits.js';
import { writeHotpotParquet } from '../fixtures/write-parquet.js';

const FIX = join(process.cwd(), 'test/fixtures/tasks');
const tmp = mkdtempSync(join(tmpdir(), 'data-prepare-'));
const ids = (dir: string, subset: string) =>
  readFileSync(join(dir, `${subset}.jsonl`), 'utf8')
    .trim()
    .split('\n')
    .filter((l) => l)
    .map((l) => JSON.parse(l).id as string);
const manifest = (dir: string) => JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));

describe('sizes', () => {
  it('knows the paper sizes and parses TRAIN/VAL/TEST', () => {
    expect(parseSizes('paper', 'hotpotqa')).toEqual({ train: 9067, validation: 342, test: 343 });
    expect(PAPER_SIZES.finqa).toEqual({ train: 6145, validation: 872, test: 1132 });
    expect(PAPER_SIZES.musique).toEqual({ train: 9985, validation: 579, test: 445 });
    expect(parseSizes('200/50/0', 'finqa')).toEqual({ train: 200, validation: 50, test: 0 });
    expect(() => parseSizes('200/50', 'finqa')).toThrow(/--sizes: expected "paper" or TRAIN\/VAL\/TEST/);
  });
});

describe('finding the official splits', () => {
  it('tells splits from file names and leaves out files without answers', () => {
    expect(splitOfPath('hotpot_train_v1.1.json')).toBe('train');
    expect(splitOfPath('hotpot_dev_distractor_v1.json')).toBe('dev');
    expect(splitOfPath('hotpot_test_fullwiki_v1.json')).toBeNull();
    expect(splitOfPath('distractor/validation/0000.parquet')).toBe('dev');
    expect(splitOfPath('musique_ans_v1.0_test.jsonl')).toBe('test');
    expect(splitOfPath('musique_full_v1.0_dev.jsonl')).toBeNull();
    expect(splitOfPath('dev_test_singlehop_questions_v1.0.json')).toBeNull();
    expect(splitOfPath('private_test.json')).toBeNull();
    expect(splitOfPath('data.json')).toBeNull();
  });
  it('finds FinQA train/dev/test in a folder', async () => {
    const f = await locateSplits('finqa', [join(FIX, 'finqa')]);
    expect(f.train).toEqual([join(FIX, 'finqa/train.json')]);
    expect(f.dev).toEqual([join(FIX, 'finqa/dev.json')]);
    expect(f.test).toEqual([join(FIX, 'finqa/test.json')]);
  });
  it('refuses a file whose split cannot be told, and a split given in two formats', async () => {
    writeFileSync(join(tmp, 'data.json'), '[]');
    await expect(locateSplits('finqa', [join(tmp, 'data.json')])).rejects.toThrow(
      /--input .*data\.json: cannot tell which official split/,
    );
    expect((await locateSplits('finqa', [join(FIX, 'finqa/train.json')])).train).toHaveLength(1);
    await expect(locateSplits('finqa', [join(tmp, 'none')])).rejects.toThrow(
      /--input .*none: no such file or directory/,
    );
    const d = join(tmp, 'mixed');
    mkdirSync(join(d, 'train'), { recursive: true });
    copyFileSync(join(FIX, 'hotpotqa/hotpot_train_v1.1.json'), join(d, 'hotpot_train_v1.1.json'));
    writeHotpotParquet(join(FIX, 'hotpotqa/hotpot_train_v1.1.json'), join(d, 'train/0000.parquet'));
    await expect(locateSplits('hotpotqa', [d])).rejects.toThrow(/official train split is given in several formats/);
  });
});

describe('data prepare', () => {
  it('draws FinQA subsets from train / dev / test, deterministic from the seed', async () => {
    const a = join(tmp, 'fa'),
      b = join(tmp, 'fb'),
      c = join(tmp, 'fc');
    const sizes = { train: 5, validation: 2, test: 3 };
    const m = await prepareSubsets({ task: 'finqa', inputs: [join(FIX, 'finqa')], outDir: a, sizes, seed: 7 });
    await prepareSubsets({ task: 'finqa', inputs: [join(FIX, 'finqa')], outDir: b, sizes, seed: 7 });
    await prepareSubsets({ task: 'finqa', inputs: [join(FIX, 'finqa')], outDir: c, sizes, seed: 8 });
    for (const s of ['train', 'validation', 'test']) expect(ids(a, s)).toEqual(ids(b, s));
    expect(ids(a, 'train')).not.toEqual(ids(c, 'train'));
    expect(ids(a, 'train')).toHaveLength(5);
    expect(ids(a, 'validation')).toHaveLength(2);
    expect(ids(a, 'test')).toHaveLength(3);
    expect(ids(a, 'train').every((id) => id.endsWith(`-train${id.split('-train')[1]}`))).toBe(true);
    expect(ids(a, 'validation').every((id) => /-dev\d$/.test(id))).toBe(true);
    expect(ids(a, 'test').every((id) => /-test\d$/.test(id))).toBe(true);
    expect(m.subsets.test).toMatchObject({ from: 'test', available: 4 });
    expect(manifest(a)).toEqual(JSON.parse(JSON.stringify(m)));
    expect(manifest(a).subsets.train.ids).toEqual(ids(a, 'train'));
  });
  it('draws HotPotQA validation and test from the official dev set, disjoint, with prefix-stable sizes', async () => {
    const a = join(tmp, 'ha'),
      b = join(tmp, 'hb');
    await prepareSubsets({
      task: 'hotpotqa',
      inputs: [join(FIX, 'hotpotqa')],
      outDir: a,
      sizes: { train: 4, validation: 3, test: 3 },
      seed: 1,
    });
    await prepareSubsets({
      task: 'hotpotqa',
      inputs: [join(FIX, 'hotpotqa')],
      outDir: b,
      sizes: { train: 6, validation: 3, test: 5 },
      seed: 1,
    });
    const [v, t] = [ids(a, 'validation'), ids(a, 'test')];
    expect([...v, ...t].every((id) => id.startsWith('5a8dev'))).toBe(true);
    expect(new Set([...v, ...t]).size).toBe(6);
    expect(ids(b, 'train').slice(0, 4)).toEqual(ids(a, 'train'));
    expect(ids(b, 'test').slice(0, 3)).toEqual(t);
    expect(manifest(a).subsets.test.from).toBe('dev');
  });
  it('draws the same ids from the JSON and from the parquet mirror (selection ignores file order and format)', async () => {
    const pqDir = join(tmp, 'hotpot-pq');
    mkdirSync(join(pqDir, 'distractor/train'), { recursive: true });
    mkdirSync(join(pqDir, 'distractor/validation'), { recursive: true });
    writeHotpotParquet(join(FIX, 'hotpotqa/hotpot_train_v1.1.json'), join(pqDir, 'distractor/train/0000.parquet'));
    writeHotpotParquet(
      join(FIX, 'hotpotqa/hotpot_dev_distractor_v1.json'),
      join(pqDir, 'distractor/validation/0000.parquet'),
    );
    const a = join(tmp, 'hj'),
      b = join(tmp, 'hp');
    const sizes = { train: 5, validation: 2, test: 2 };
    await prepareSubsets({ task: 'hotpotqa', inputs: [join(FIX, 'hotpotqa')], outDir: a, sizes, seed: 3 });
    await prepareSubsets({ task: 'hotpotqa', inputs: [pqDir], outDir: b, sizes, seed: 3 });
    for (const s of ['train', 'validation', 'test']) {
      expect(readFileSync(join(b, `${s}.jsonl`), 'utf8')).toBe(readFileSync(join(a, `${s}.jsonl`), 'utf8'));
    }
  });
  it('rebuilds exactly the subsets of a manifest with --ids', async () => {
    const a = join(tmp, 'ma'),
      b = join(tmp, 'mb');
    await prepareSubsets({
      task: 'musique',
      inputs: [join(FIX, 'musique')],
      outDir: a,
      sizes: { train: 4, validation: 2, test: 2 },
      seed: 11,
    });
    await prepareSubsets({
      task: 'musique',
      inputs: [join(FIX, 'musique')],
      outDir: b,
      sizes: { train: 1, validation: 1, test: 1 },
      seed: 99,
      idsFrom: join(a, 'manifest.json'),
    });
    for (const s of ['train', 'validation', 'test'])
      expect(readFileSync(join(b, `${s}.jsonl`), 'utf8')).toBe(readFileSync(join(a, `${s}.jsonl`), 'utf8'));
    expect(manifest(b).seed).toBe(11);
  });
  it('refuses sizes larger than the official split, and a missing split', async () => {
    await expect(
      prepareSubsets({
        task: 'musique',
        inputs: [join(FIX, 'musique')],
        outDir: join(tmp, 'x'),
        sizes: { train: 1, validation: 5, test: 4 },
        seed: 0,
      }),
    ).rejects.toThrow(/--sizes: validation 5 \+ test 4 = 9 records, but the official dev split has 8/);
    await expect(
      prepareSubsets({
        task: 'finqa',
        inputs: [join(FIX, 'finqa/train.json')],
        outDir: join(tmp, 'y'),
        sizes: { train: 1, validation: 1, test: 1 },
        seed: 0,
      }),
    ).rejects.toThrow(/no file for the official dev split of finqa/);
  });
  it('the draw order is a seeded shuffle of the sorted ids', () => {
    expect(drawOrder(['c', 'a', 'b'], 5, 'train')).toEqual(drawOrder(['b', 'c', 'a'], 5, 'train'));
    expect(drawOrder(['c', 'a', 'b'], 5, 'train').sort()).toEqual(['a', 'b', 'c']);
  });
});
