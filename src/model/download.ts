/**
 * Models from the Hugging Face Hub, in the cache the Python tools share (src/hub/):
 *  - downloadModel: `tsallis-run model download owner/name[@revision]`, the only way a model is fetched.
 *    A model already whole in the cache is not fetched again (no network) unless `refresh` asks the Hub
 *    whether the revision has moved.
 *  - resolveModelPath: what model.path (or --model) names. A path that exists is used as it is; otherwise
 *    an id `owner/name[@revision]` is looked up in the cache, offline, and gives its snapshot folder.
 *    Nothing is downloaded at run time: a model that is not cached is an error naming the command to run.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { UserError } from '../errors.js';
import { cachedCommit, isFile, refPath, repoFolder, snapshotDir } from '../hub/cache.js';
import { HubClient } from '../hub/client.js';
import { COMMIT, describeRepo, formatHubId, parseHubId, type HubId, type HubRepo } from '../hub/id.js';
import { hubSettings, type HubOptions } from '../hub/settings.js';

const REQUIRED = ['config.json', 'tokenizer.json', 'tokenizer_config.json'];

/** The files loadModel needs that `dir` lacks: config, tokenizer, and the weights (every shard an index names). */
export async function missingModelFiles(dir: string): Promise<string[]> {
  const missing: string[] = [];
  for (const f of REQUIRED) if (!(await isFile(join(dir, f)))) missing.push(f);
  const index = join(dir, 'model.safetensors.index.json');
  if (await isFile(index)) {
    let shards: string[] = [];
    try {
      const map =
        (JSON.parse(await readFile(index, 'utf8')) as { weight_map?: Record<string, string> }).weight_map ?? {};
      shards = [...new Set(Object.values(map))].sort();
    } catch {
      return [...missing, 'a readable model.safetensors.index.json'];
    }
    for (const f of shards) if (!(await isFile(join(dir, f)))) missing.push(f);
  } else if (!(await isFile(join(dir, 'model.safetensors')))) missing.push('model.safetensors');
  return missing;
}

function parseModelId(spec: string): HubId {
  const id = parseHubId(spec);
  if (!id)
    throw new UserError(
      `${spec}: not a Hugging Face model id (expected owner/name or owner/name@revision, e.g. Qwen/Qwen3-0.6B)`,
    );
  return id;
}

const modelRepo = (id: HubId): HubRepo => ({ type: 'model', name: id.name });

export interface ModelDownload {
  id: HubId;
  /** The snapshot folder: use it, or the id, as model.path. */
  dir: string;
  commit: string;
  status: 'downloaded' | 'cached';
}

/** Download a model (every file of the repository at the revision) into the cache. */
export async function downloadModel(
  spec: string,
  opts: HubOptions & { refresh?: boolean } = {},
): Promise<ModelDownload> {
  const id = parseModelId(spec);
  const s = hubSettings(opts);
  const repo = modelRepo(id);
  if (!opts.refresh) {
    const commit = await cachedCommit(s.cacheDir, repo, id.revision);
    const dir = commit && snapshotDir(s.cacheDir, repo, commit);
    if (commit && dir && (await missingModelFiles(dir)).length === 0) return { id, dir, commit, status: 'cached' };
  }
  if (s.offline)
    throw new UserError(
      `${describeRepo(repo)}${id.revision === 'main' ? '' : `@${id.revision}`} is not (whole) in the cache ${s.cacheDir}, and HF_HUB_OFFLINE is set: unset it to download`,
    );
  s.log(`${describeRepo(repo)}@${id.revision}: from ${s.endpoint} into ${repoFolder(s.cacheDir, repo)}`);
  const dir = await new HubClient(s).snapshot(repo, id.revision);
  const missing = await missingModelFiles(dir);
  if (missing.length > 0)
    throw new UserError(
      `${formatHubId(id)}: downloaded to ${dir}, which lacks ${missing.join(', ')}: not a model in Hugging Face layout that tsallis-run can load`,
    );
  return { id, dir, commit: basename(dir), status: 'downloaded' };
}

export interface ResolvedModel {
  /** The directory to load. */
  dir: string;
  /** Set when `dir` is a snapshot in the Hub cache. */
  hub?: { id: HubId; commit: string };
}

/**
 * model.path (or --model) to the directory to load: a path that exists wins; else a Hub id found in the
 * cache (offline); else the path as given, for loadModel's own message, unless it reads as a Hub id.
 * `what` names the setting in messages ("model.path", "--model").
 */
export async function resolveModelPath(
  spec: string,
  what: string,
  opts: Pick<HubOptions, 'cacheDir'> = {},
): Promise<ResolvedModel> {
  if (
    await stat(spec).then(
      () => true,
      () => false,
    )
  )
    return { dir: spec };
  const id = parseHubId(spec);
  if (!id) return { dir: spec };
  const s = hubSettings(opts);
  const repo = modelRepo(id);
  const command = `tsallis-run model download ${formatHubId(id)}`;
  const commit = await cachedCommit(s.cacheDir, repo, id.revision);
  if (!commit) {
    const looked = COMMIT.test(id.revision)
      ? snapshotDir(s.cacheDir, repo, id.revision)
      : refPath(s.cacheDir, repo, id.revision);
    throw new UserError(
      `${what} ${spec}: no such directory, and not a model in the Hugging Face cache (no ${looked}). ` +
        `Models are fetched only by an explicit download: run \`${command}\` (it uses HF_ENDPOINT and HF_TOKEN), ` +
        'or set HF_HOME / HF_HUB_CACHE to the cache that holds it',
    );
  }
  const dir = snapshotDir(s.cacheDir, repo, commit);
  const missing = await missingModelFiles(dir);
  if (missing.length > 0) {
    throw new UserError(
      `${what} ${spec}: the cached snapshot ${dir} lacks ${missing.join(', ')} (an interrupted download?): run \`${command}\` to complete it`,
    );
  }
  return { dir, hub: { id, commit } };
}
