import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { cachedDataset, downloadDataset } from '../../src/data/download.js';
import { prepareSubsets } from '../../src/data/prepare.js';
import { main } from '../../src/cli/main.js';
import { deadUrl, type FakeHub, type FakeRepo } from '../fixtures/fake-hub.js';
import { hubHarness } from '../fixtures/hub-env.js';
import { writeHotpotParquet } from '../fixtures/write-parquet.js';

const FIX = join(process.cwd(), 'test/fixtures/tasks');
const tmp = mkdtempSync(join(tmpdir(), 'data-download-'));
const read = (p: string) => readFileSync(p);

const finqa = {
  'train.json': read(join(FIX, 'finqa/train.json')),
  'dev.json': read(join(FIX, 'finqa/dev.json')),
  'test.json': read(join(FIX, 'finqa/test.json')),
  'README.md': '# not downloaded\n',
};
const musique = {
  'musique_ans_v1.0_train.jsonl': read(join(FIX, 'musique/musique_ans_v1.0_train.jsonl')),
  'musique_ans_v1.0_dev.jsonl': read(join(FIX, 'musique/musique_ans_v1.0_dev.jsonl')),
};

let repos: FakeRepo[];
let hub: FakeHub;
const { startHub, freshHome, closeAll } = hubHarness(tmp);

beforeAll(async () => {
  const pq = (name: string, src: string) => {
    const p = join(tmp, name);
    writeHotpotParquet(src, p);
    return read(p);
  };
  repos = [
    { type: 'dataset', name: 'TableQAKit/FinQA_retrieval', revisions: { main: finqa } },
    { type: 'dataset', name: 'dgslibisey/MuSiQue', revisions: { main: musique } },
    {
      type: 'dataset',
      name: 'someone/else',
      revisions: { main: { 'musique_ans_v1.0_dev.jsonl': musique['musique_ans_v1.0_dev.jsonl'] } },
    },
    {
      type: 'dataset',
      name: 'hotpotqa/hotpot_qa',
      revisions: {
        main: { 'README.md': '# the parquet files are on refs/convert/parquet\n' },
        'refs/convert/parquet': {
          // the train split in two shards, as the Hub's parquet conversion does for large splits
          'distractor/train/0000.parquet': pq('t0.parquet', join(FIX, 'hotpotqa/hotpot_train_v1.1.json')),
          'distractor/train/0001.parquet': pq('t1.parquet', join(FIX, 'hotpotqa/hotpot_dev_distractor_v1.json')),
          'distractor/train/notes.txt': 'not a shard\n',
          'distractor/validation/0000.parquet': pq('v0.parquet', join(FIX, 'hotpotqa/hotpot_dev_distractor_v1.json')),
          'fullwiki/validation/0000.parquet': pq('f0.parquet', join(FIX, 'hotpotqa/hotpot_dev_distractor_v1.json')),
        },
      },
    },
  ];
  // Pages of two entries: the listing's Link: rel="next" is followed.
  hub = await startHub(repos, { pageSize: 2 });
});
afterAll(closeAll);

describe('dataset download into the Hugging Face cache (a local fake Hub)', () => {
  it('lays out datasets--owner--name/snapshots/<commit> and refs/main; a second run works with the server stopped', async () => {
    const home = freshHome();
    const own = await startHub(repos);
    const r = await downloadDataset('finqa', { hubUrl: own.url });
    const commit = own.commit('dataset', 'TableQAKit/FinQA_retrieval', 'main');
    const repoDir = join(home, 'hub', 'datasets--TableQAKit--FinQA_retrieval');
    expect(r).toMatchObject({ commit, revision: 'main', dir: join(repoDir, 'snapshots', commit) });
    expect(r.files.map((f) => [f.path, f.status])).toEqual([
      ['train.json', 'downloaded'],
      ['dev.json', 'downloaded'],
      ['test.json', 'downloaded'],
    ]);
    expect(readFileSync(join(repoDir, 'refs', 'main'), 'utf8')).toBe(commit);
    expect(readdirSync(r.dir).sort()).toEqual(['dev.json', 'test.json', 'train.json']);
    for (const f of ['train.json', 'dev.json', 'test.json'] as const)
      expect([f, read(join(r.dir, f)).equals(finqa[f])]).toEqual([f, true]);

    await own.close();
    const seen = own.requests.length;
    const again = await downloadDataset('finqa', { hubUrl: own.url });
    expect(again).toEqual({ ...r, files: r.files.map((f) => ({ ...f, status: 'cached' })) });
    expect(await cachedDataset('finqa')).toEqual({ dir: r.dir, files: r.files.map((f) => f.local) });
    expect(own.requests.length).toBe(seen);
  });

  it('HotPotQA: parquet shards of refs/convert/parquet from a paged listing; prepare reads them from the cache, offline', async () => {
    const home = freshHome();
    const r = await downloadDataset('hotpotqa', { hubUrl: hub.url });
    const commit = hub.commit('dataset', 'hotpotqa/hotpot_qa', 'refs/convert/parquet');
    expect(r.commit).toBe(commit);
    expect(r.files.map((f) => f.path)).toEqual([
      'distractor/train/0000.parquet',
      'distractor/train/0001.parquet',
      'distractor/validation/0000.parquet',
    ]);
    // As huggingface_hub writes it: refs/<revision>, the revision's slashes as folders.
    expect(
      readFileSync(join(home, 'hub', 'datasets--hotpotqa--hotpot_qa', 'refs', 'refs', 'convert', 'parquet'), 'utf8'),
    ).toBe(commit);
    expect(hub.requests.some((q) => /\/tree\/.*cursor=2/.test(q.url))).toBe(true);
    const cached = await downloadDataset('hotpotqa', { hubUrl: await deadUrl() });
    expect(cached.files.map((f) => [f.path, f.status])).toEqual(r.files.map((f) => [f.path, 'cached']));
    const { files } = await cachedDataset('hotpotqa');
    const m = await prepareSubsets({
      task: 'hotpotqa',
      inputs: files,
      outDir: join(tmp, 'hp'),
      sizes: { train: 15, validation: 4, test: 4 },
      seed: 0,
    });
    expect(m.subsets.train.available).toBe(18);
  });

  it('an interrupted file leaves nothing half-written in the snapshot; the rerun completes it', async () => {
    freshHome();
    hub.cutNext = 1000;
    await expect(downloadDataset('finqa', { hubUrl: hub.url })).rejects.toThrow(/lost the connection.*rerun/);
    const commit = hub.commit('dataset', 'TableQAKit/FinQA_retrieval', 'main');
    const repoDir = join(process.env.HF_HOME!, 'hub', 'datasets--TableQAKit--FinQA_retrieval');
    expect(existsSync(join(repoDir, 'snapshots', commit, 'train.json'))).toBe(false);
    expect(existsSync(join(repoDir, 'refs', 'main'))).toBe(false);
    await expect(cachedDataset('finqa')).rejects.toThrow(/run `tsallis-run data download --task finqa` first/);
    const r = await downloadDataset('finqa', { hubUrl: hub.url });
    expect(read(join(r.dir, 'train.json')).equals(finqa['train.json'])).toBe(true);
    expect(readdirSync(join(repoDir, 'blobs')).filter((b) => b.endsWith('.incomplete'))).toEqual([]);
  });

  it('MuSiQue; a repository without the files, or unknown, is reported clearly', async () => {
    freshHome();
    const r = await downloadDataset('musique', { hubUrl: hub.url });
    expect(r.files).toHaveLength(2);
    await expect(downloadDataset('musique', { hubUrl: hub.url, repo: 'someone/else' })).rejects.toThrow(
      /^someone\/else@main: no file musique_ans_v1\.0_train\.jsonl$/,
    );
    await expect(downloadDataset('musique', { hubUrl: hub.url, repo: 'nobody/nothing' })).rejects.toThrow(
      /^dataset nobody\/nothing: not found on .*set HF_TOKEN/,
    );
    await expect(downloadDataset('hotpotqa', { hubUrl: hub.url, revision: 'main' })).rejects.toThrow(
      /^hotpotqa\/hotpot_qa@main: no parquet shards under distractor\/train\/$/,
    );
    await expect(downloadDataset('musique', { hubUrl: hub.url, repo: '../../etc' })).rejects.toThrow(
      /^--repo \.\.\/\.\.\/etc: expected a dataset repository owner\/name$/,
    );
    await expect(downloadDataset('musique', { hubUrl: hub.url, revision: '../x' })).rejects.toThrow(
      /^--revision \.\.\/x: expected a branch, a tag or a commit hash$/,
    );
  });

  it('offline with nothing cached: a clear message, and the CLI exits 2; HF_ENDPOINT is honoured', async () => {
    freshHome();
    const url = await deadUrl();
    await expect(downloadDataset('musique', { hubUrl: url })).rejects.toThrow(
      /^cannot reach http:\/\/127\.0\.0\.1:\d+, or lost the connection \(ECONNREFUSED\), while fetching dataset dgslibisey\/MuSiQue: are you offline\?/,
    );
    const exit = jest.spyOn(process, 'exit').mockImplementation(((code: number) => {
      throw new Error(`exit ${code}`);
    }) as never);
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const stderr = () => err.mock.calls.map((c) => String(c[0])).join('');
    try {
      await expect(main(['data', 'download', '--task', 'musique', '--hub-url', url])).rejects.toThrow('exit 2');
      expect(stderr()).toMatch(/tsallis-run: cannot reach .* are you offline\?/);
      await expect(main(['data', 'download', '--task', 'musique', '--out', 'data/raw'])).rejects.toThrow('exit 2');
      expect(stderr()).toMatch(/--out: data download now keeps the files in the Hugging Face cache/);
      await expect(main(['data', 'prepare', '--task', 'musique', '--out', join(tmp, 'mq')])).rejects.toThrow('exit 2');
      expect(stderr()).toMatch(
        /musique: the Hugging Face cache .* does not hold dataset dgslibisey\/MuSiQue: run `tsallis-run data download --task musique` first, or give --input/,
      );
      // With HF_ENDPOINT pointing at the fake Hub, the same commands download and prepare.
      process.env.HF_ENDPOINT = hub.url;
      await main(['data', 'download', '--task', 'musique']);
      await main(['data', 'prepare', '--task', 'musique', '--out', join(tmp, 'mq'), '--sizes', '5/2/2']);
      expect(stderr()).toMatch(/musique: reading .*datasets--dgslibisey--MuSiQue\/snapshots\//);
      expect(
        readFileSync(join(tmp, 'mq', 'train.jsonl'), 'utf8')
          .trim()
          .split('\n'),
      ).toHaveLength(5);
    } finally {
      exit.mockRestore();
      err.mockRestore();
    }
  });
});
