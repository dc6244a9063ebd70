import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { main } from '../../src/cli/main.js';
import { parseConfig } from '../../src/config/load.js';
import { loadRunInputs } from '../../src/experiment/run-inputs.js';
import { loadModel } from '../../src/model/checkpoint.js';
import { downloadModel, resolveModelPath } from '../../src/model/download.js';
import { deadUrl, FAKE_TOKEN, type FakeHub, type FakeRepo } from '../fixtures/fake-hub.js';
import { hubHarness } from '../fixtures/hub-env.js';

const tmp = mkdtempSync(join(tmpdir(), 'model-download-'));
const TINY = join(process.cwd(), 'models/tiny-base');
const tinyFiles: Record<string, Buffer> = Object.fromEntries(
  readdirSync(TINY).map((f) => [f, readFileSync(join(TINY, f))]),
);
const ID = 'tiny-org/tiny-base';

const REPOS: FakeRepo[] = [
  { type: 'model', name: ID, revisions: { main: tinyFiles, v1: { ...tinyFiles, 'README.md': '# v1\n' } } },
  { type: 'model', name: 'gated-org/tiny', gated: true, revisions: { main: tinyFiles } },
  { type: 'model', name: 'odd-org/not-a-model', revisions: { main: { 'README.md': 'no weights here\n' } } },
];

let hub: FakeHub;
const { startHub, freshHome, closeAll } = hubHarness(tmp);
const gitBlobId = (b: Buffer) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  hub = await startHub(REPOS);
});
afterAll(closeAll);

describe('model download into the Hugging Face cache (a local fake Hub)', () => {
  it('lays out models--owner--name with refs/main, snapshots/<commit> and blobs, contents intact, loadable', async () => {
    const home = freshHome();
    const r = await downloadModel(ID, { hubUrl: hub.url });
    const commit = hub.commit('model', ID, 'main');
    const repoDir = join(home, 'hub', 'models--tiny-org--tiny-base');
    expect(r).toMatchObject({ commit, status: 'downloaded', dir: join(repoDir, 'snapshots', commit) });
    expect(readFileSync(join(repoDir, 'refs', 'main'), 'utf8')).toBe(commit);
    expect(readdirSync(r.dir).sort()).toEqual(Object.keys(tinyFiles).sort());
    for (const [f, body] of Object.entries(tinyFiles)) {
      expect([f, readFileSync(join(r.dir, f)).equals(body)]).toEqual([f, true]);
      expect(lstatSync(join(r.dir, f)).isSymbolicLink()).toBe(true);
      // Blobs are named as the Python tools name them: the LFS sha256, else the git blob id.
      const blob = f.endsWith('.safetensors') ? sha256(body) : gitBlobId(body);
      expect(realpathSync(join(r.dir, f))).toBe(realpathSync(join(repoDir, 'blobs', blob)));
    }
    // The weights came through the LFS redirect.
    expect(hub.requests.some((q) => q.url.startsWith('/lfs/'))).toBe(true);
    const model = await loadModel(r.dir);
    expect(model.weights.size).toBeGreaterThan(0);
  });

  it('a second download and model.path as a Hub id work with the server stopped', async () => {
    freshHome();
    const own = await startHub(REPOS);
    const first = await downloadModel(ID, { hubUrl: own.url });
    await own.close();
    const seen = own.requests.length;
    const again = await downloadModel(ID, { hubUrl: own.url });
    expect(again).toEqual({ ...first, status: 'cached' });
    expect(await resolveModelPath(ID, 'model.path')).toEqual({
      dir: first.dir,
      hub: { id: { name: ID, revision: 'main' }, commit: first.commit },
    });
    // The whole load of a run, from a config that names the Hub id.
    const config = parseConfig(
      `model: {path: ${ID}}\ntask: {name: mini-finqa}\nalgorithm: {name: grpo}\nthreads: 1\n`,
      'hub-id.yaml',
    );
    const inputs = await loadRunInputs(config);
    expect(inputs.start.dir).toBe(first.dir);
    expect(inputs.model.hub?.commit).toBe(first.commit);
    expect(own.requests.length).toBe(seen);
  });

  it('HF_ENDPOINT is the Hub and HF_HUB_CACHE the cache when set', async () => {
    const home = freshHome({ HF_ENDPOINT: hub.url, HF_HUB_CACHE: join(tmp, 'hub-cache') });
    const before = hub.requests.length;
    const r = await downloadModel(ID);
    expect(r.dir).toBe(
      join(tmp, 'hub-cache', 'models--tiny-org--tiny-base', 'snapshots', hub.commit('model', ID, 'main')),
    );
    expect(hub.requests.length).toBeGreaterThan(before);
    expect(() => lstatSync(join(home, 'hub'))).toThrow();
    expect((await resolveModelPath(ID, 'model.path')).dir).toBe(r.dir);
  });

  it('owner/name@revision: a branch gets refs/<branch>; a commit hash needs no ref', async () => {
    const home = freshHome();
    const v1 = hub.commit('model', ID, 'v1');
    const r = await downloadModel(`${ID}@v1`, { hubUrl: hub.url });
    expect(r.commit).toBe(v1);
    expect(readFileSync(join(home, 'hub', 'models--tiny-org--tiny-base', 'refs', 'v1'), 'utf8')).toBe(v1);
    expect(readFileSync(join(r.dir, 'README.md'), 'utf8')).toBe('# v1\n');
    expect((await resolveModelPath(`${ID}@v1`, 'model.path')).dir).toBe(r.dir);
    expect((await resolveModelPath(`${ID}@${v1}`, 'model.path')).dir).toBe(r.dir);
    // main was never downloaded into this cache
    await expect(resolveModelPath(ID, 'model.path')).rejects.toThrow(/tsallis-run model download tiny-org\/tiny-base`/);
  });

  it('a path that exists wins over a Hub id; other paths are left to loadModel', async () => {
    freshHome();
    const cwd = process.cwd();
    const dir = join(tmp, 'cwd');
    mkdirSync(join(dir, ID), { recursive: true });
    process.chdir(dir);
    try {
      expect(await resolveModelPath(ID, 'model.path')).toEqual({ dir: ID });
    } finally {
      process.chdir(cwd);
    }
    expect(await resolveModelPath('models/tiny-base', 'model.path')).toEqual({ dir: 'models/tiny-base' });
    expect(await resolveModelPath('./no/such/dir', 'model.path')).toEqual({ dir: './no/such/dir' });
  });

  it('a model not in the cache is an error naming the download command, without touching the network', async () => {
    freshHome({ HF_ENDPOINT: hub.url });
    const before = hub.requests.length;
    await expect(resolveModelPath('Qwen/Qwen3-0.6B', 'model.path')).rejects.toThrow(
      /^model\.path Qwen\/Qwen3-0\.6B: no such directory, and not a model in the Hugging Face cache \(no .*models--Qwen--Qwen3-0\.6B\/refs\/main\)\. Models are fetched only by an explicit download: run `tsallis-run model download Qwen\/Qwen3-0\.6B`/,
    );
    const config = parseConfig(
      'model: {path: Qwen/Qwen3-0.6B@v2}\ntask: {name: mini-finqa}\nalgorithm: {name: grpo}\n',
      'x.yaml',
    );
    await expect(loadRunInputs(config)).rejects.toThrow(
      /model\.path Qwen\/Qwen3-0\.6B@v2: .*`tsallis-run model download Qwen\/Qwen3-0\.6B@v2`/,
    );
    expect(hub.requests.length).toBe(before);
  });
});

describe('model download errors', () => {
  it('an unknown repository or revision', async () => {
    freshHome();
    await expect(downloadModel('nobody/nothing', { hubUrl: hub.url })).rejects.toThrow(
      /^model nobody\/nothing: not found on http:\/\/127\.0\.0\.1:\d+ \(401\): check the id and the kind \(model or dataset\); if it is private or gated, set HF_TOKEN/,
    );
    freshHome({ HF_TOKEN: 'hf_some_other_token' });
    await expect(downloadModel('nobody/nothing', { hubUrl: hub.url })).rejects.toThrow(
      /^model nobody\/nothing: not found on .* \(404\)/,
    );
    await expect(downloadModel(`${ID}@nope`, { hubUrl: hub.url })).rejects.toThrow(
      /^model tiny-org\/tiny-base has no revision nope on /,
    );
    await expect(downloadModel('not an id', { hubUrl: hub.url })).rejects.toThrow(
      /^not an id: not a Hugging Face model id \(expected owner\/name or owner\/name@revision/,
    );
  });

  it('a gated repository: 401 without a token, 403 with one that has no access, a download with the right one', async () => {
    freshHome();
    await expect(downloadModel('gated-org/tiny', { hubUrl: hub.url })).rejects.toThrow(
      /^model gated-org\/tiny: .* refused access \(401 GatedRepo\): the repository is gated or private; set HF_TOKEN/,
    );
    freshHome({ HF_TOKEN: 'hf_no_access' });
    await expect(downloadModel('gated-org/tiny', { hubUrl: hub.url })).rejects.toThrow(
      /refused access \(403 GatedRepo\).*the token from \$HF_TOKEN has no access to it/,
    );
    freshHome({ HF_TOKEN: 'not-a-token' });
    await expect(downloadModel('gated-org/tiny', { hubUrl: hub.url })).rejects.toThrow(
      /^\$HF_TOKEN: not a Hugging Face access token/,
    );
    freshHome({ HF_TOKEN: FAKE_TOKEN });
    const before = hub.requests.length;
    const r = await downloadModel('gated-org/tiny', { hubUrl: hub.url });
    expect(r.status).toBe('downloaded');
    const sent = hub.requests.slice(before).filter((q) => !q.url.startsWith('/lfs/'));
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.every((q) => q.auth === `Bearer ${FAKE_TOKEN}`)).toBe(true);
  });

  it('offline with nothing cached, HF_HUB_OFFLINE, and a repository that is not a model', async () => {
    freshHome();
    await expect(downloadModel(ID, { hubUrl: await deadUrl() })).rejects.toThrow(
      /^cannot reach http:\/\/127\.0\.0\.1:\d+, or lost the connection \(ECONNREFUSED\), while fetching model tiny-org\/tiny-base: are you offline\?/,
    );
    freshHome({ HF_HUB_OFFLINE: '1' });
    const before = hub.requests.length;
    await expect(downloadModel(ID, { hubUrl: hub.url })).rejects.toThrow(
      /not \(whole\) in the cache .*HF_HUB_OFFLINE is set/,
    );
    expect(hub.requests.length).toBe(before);
    freshHome();
    await expect(downloadModel('odd-org/not-a-model', { hubUrl: hub.url })).rejects.toThrow(
      /lacks config\.json, tokenizer\.json, tokenizer_config\.json, model\.safetensors: not a model/,
    );
  });

  it('the CLI prints the snapshot folder on stdout and exits 2 on an error', async () => {
    freshHome();
    const out = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const exit = jest.spyOn(process, 'exit').mockImplementation(((code: number) => {
      throw new Error(`exit ${code}`);
    }) as never);
    try {
      await main(['model', 'download', ID, '--hub-url', hub.url]);
      expect(out.mock.calls.map((c) => String(c[0])).join('')).toBe(
        `${(await resolveModelPath(ID, 'model.path')).dir}\n`,
      );
      expect(err.mock.calls.map((c) => String(c[0])).join('')).toMatch(
        /downloading model\.safetensors \(1\.8 MB\)[\s\S]*use it as model\.path: tiny-org\/tiny-base/,
      );
      await expect(main(['model', 'download', 'nobody/nothing', '--hub-url', hub.url])).rejects.toThrow('exit 2');
      expect(err.mock.calls.map((c) => String(c[0])).join('')).toMatch(/tsallis-run: model nobody\/nothing: not found/);
    } finally {
      out.mockRestore();
      err.mockRestore();
      exit.mockRestore();
    }
  });
});
