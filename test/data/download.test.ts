import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { downloadDataset } from '../../src/data/download.js';
import { prepareSubsets } from '../../src/data/prepare.js';
import { main } from '../../src/cli/main.js';
import { deadUrl, startFakeHub, type FakeHub } from '../fixtures/fake-hub.js';
import { writeHotpotParquet } from '../fixtures/write-parquet.js';

const FIX = join(process.cwd(), 'test/fixtures/tasks');
const tmp = mkdtempSync(join(tmpdir(), 'data-download-'));
const read = (p: string) => readFileSync(p);

let hub: FakeHub;
const finqaFiles = {
  'TableQAKit/FinQA_retrieval/main/train.json': read(join(FIX, 'finqa/train.json')),
  'TableQAKit/FinQA_retrieval/main/dev.json': read(join(FIX, 'finqa/dev.json')),
  'TableQAKit/FinQA_retrieval/main/test.json': read(join(FIX, 'finqa/test.json')),
};

beforeAll(async () => {
  const pq = (name: string, src: string) => {
    const p = join(tmp, name);
    writeHotpotParquet(src, p);
    return read(p);
  };
  hub = await startFakeHub({
    ...finqaFiles,
    'dgslibisey/MuSiQue/main/musique_ans_v1.0_train.jsonl': read(join(FIX, 'musique/musique_ans_v1.0_train.jsonl')),
    'dgslibisey/MuSiQue/main/musique_ans_v1.0_dev.jsonl': read(join(FIX, 'musique/musique_ans_v1.0_dev.jsonl')),
    // the train split in two shards, as the Hub's parquet conversion does for large splits
    'hotpotqa/hotpot_qa/refs/convert/parquet/distractor/train/0000.parquet': pq('t0.parquet', join(FIX, 'hotpotqa/hotpot_train_v1.1.json')),
    'hotpotqa/hotpot_qa/refs/convert/parquet/distractor/train/0001.parquet': pq('t1.parquet', join(FIX, 'hotpotqa/hotpot_dev_distractor_v1.json')),
    'hotpotqa/hotpot_qa/refs/convert/parquet/distractor/validation/0000.parquet': pq('v0.parquet', join(FIX, 'hotpotqa/hotpot_dev_distractor_v1.json')),
  });
});
afterAll(() => hub.close());

describe('dataset download from the Hub (a local fake)', () => {
  it('downloads FinQA, then finds it complete without touching the network', async () => {
    const out = join(tmp, 'raw1');
    const r = await downloadDataset('finqa', { outDir: out, hubUrl: hub.url });
    expect(r.files.map((f) => [f.path, f.status])).toEqual([['train.json', 'downloaded'], ['dev.json', 'downloaded'], ['test.json', 'downloaded']]);
    expect(read(join(out, 'finqa/dev.json'))).toEqual(finqaFiles['TableQAKit/FinQA_retrieval/main/dev.json']);
    const before = hub.requests.length;
    const again = await downloadDataset('finqa', { outDir: out, hubUrl: await deadUrl() });
    expect(again.files.every((f) => f.status === 'cached')).toBe(true);
    expect(hub.requests.length).toBe(before);
  });

  it('resumes an interrupted download with a Range request from where it stopped', async () => {
    const out = join(tmp, 'raw2');
    hub.cutNext = 1000;
    await expect(downloadDataset('finqa', { outDir: out, hubUrl: hub.url })).rejects.toThrow(/lost the connection.*rerun/);
    const part = join(out, 'finqa/train.json.part');
    const have = statSync(part).size;
    expect(have).toBeGreaterThan(0);
    expect(have).toBeLessThan(finqaFiles['TableQAKit/FinQA_retrieval/main/train.json'].length);
    hub.requests.length = 0;
    const r = await downloadDataset('finqa', { outDir: out, hubUrl: hub.url });
    expect(r.files[0]).toMatchObject({ path: 'train.json', status: 'resumed' });
    expect(hub.requests).toContainEqual({ key: 'TableQAKit/FinQA_retrieval/main/train.json', range: `bytes=${have}-${finqaFiles['TableQAKit/FinQA_retrieval/main/train.json'].length - 1}` });
    expect(read(join(out, 'finqa/train.json'))).toEqual(finqaFiles['TableQAKit/FinQA_retrieval/main/train.json']);
    expect(existsSync(part)).toBe(false);
  });

  it('downloads HotPotQA parquet shards until the first missing one, and prepare reads them', async () => {
    const out = join(tmp, 'raw3');
    const r = await downloadDataset('hotpotqa', { outDir: out, hubUrl: hub.url });
    expect(r.files.map((f) => f.path)).toEqual(['distractor/train/0000.parquet', 'distractor/train/0001.parquet', 'distractor/validation/0000.parquet']);
    const m = await prepareSubsets({ task: 'hotpotqa', inputs: [join(out, 'hotpotqa')], outDir: join(tmp, 'hp'), sizes: { train: 15, validation: 4, test: 4 }, seed: 0 });
    expect(m.subsets.train.available).toBe(18);
    const cached = await downloadDataset('hotpotqa', { outDir: out, hubUrl: await deadUrl() });
    expect(cached.files.every((f) => f.status === 'cached')).toBe(true);
  });

  it('downloads MuSiQue and reports a missing file clearly', async () => {
    const r = await downloadDataset('musique', { outDir: join(tmp, 'raw4'), hubUrl: hub.url });
    expect(r.files).toHaveLength(2);
    await expect(downloadDataset('musique', { outDir: join(tmp, 'raw5'), hubUrl: hub.url, repo: 'someone/else' })).rejects.toThrow(/someone\/else@main: no file musique_ans_v1\.0_train\.jsonl/);
  });

  it('offline: a clear message, and the CLI exits non-zero', async () => {
    const url = await deadUrl();
    await expect(downloadDataset('musique', { outDir: join(tmp, 'raw6'), hubUrl: url })).rejects.toThrow(/cannot reach http:\/\/127\.0\.0\.1:\d+, or lost the connection \(ECONNREFUSED\).*are you offline\?/);
    const exit = jest.spyOn(process, 'exit').mockImplementation(((code: number) => {
      throw new Error(`exit ${code}`);
    }) as never);
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await expect(main(['data', 'download', '--task', 'musique', '--out', join(tmp, 'raw7'), '--hub-url', url])).rejects.toThrow('exit 2');
      expect(String(err.mock.calls.map((c) => c[0]).join(''))).toMatch(/tsallis-run: cannot reach .* are you offline\?/);
    } finally {
      exit.mockRestore();
      err.mockRestore();
    }
  });
});
