/**
 * `data download`: a dataset's files (sources.ts) from the Hugging Face Hub into the Hugging Face cache that
 * the Python tools share (src/hub/: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub;
 * the Hub at $HF_ENDPOINT; a token from $HF_TOKEN), as datasets--owner--name/snapshots/<commit>/<path>.
 *  - The revision is resolved to a commit first, and every file is fetched at that commit
 *    (@huggingface/hub's downloadFileToCacheDir), so one download is one consistent snapshot;
 *    refs/<revision> is written last, once every file is there.
 *  - A dataset whose files are all in the cache is not fetched again and needs no network (`refresh` asks
 *    the Hub whether the revision has moved; files already cached are kept either way).
 *  - `data prepare` without --input reads the cached files (cachedDataset).
 */
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { cachedCommit, cachedFilesIn, isFile, repoFolder, snapshotDir, writeRef } from '../hub/cache.js';
import { HubClient } from '../hub/client.js';
import { DEFAULT_REVISION, validRepoName, validRevision, type HubRepo } from '../hub/id.js';
import { hubSettings, type HubOptions, type HubSettings } from '../hub/settings.js';
import type { TaskName } from '../tasks/record.js';
import { SHARD_NAME, SOURCES, type DatasetSource } from './sources.js';

export interface SourceOptions {
  /** Another repository or revision than the default source (same file layout). */
  repo?: string;
  revision?: string;
}

export interface DownloadOptions extends HubOptions, SourceOptions {
  /** Ask the Hub for the revision's current commit even when the cache has the files. */
  refresh?: boolean;
}

export type FileStatus = 'downloaded' | 'cached';

export interface DownloadReport {
  task: TaskName;
  repo: HubRepo;
  revision: string;
  commit: string;
  /** The snapshot folder. */
  dir: string;
  files: { path: string; local: string; status: FileStatus }[];
}

function sourceOf(task: TaskName, opts: SourceOptions): DatasetSource {
  const base = SOURCES[task];
  const source = { ...base, repo: opts.repo ?? base.repo, revision: opts.revision ?? base.revision };
  if (!validRepoName(source.repo))
    throw new UserError(`--repo ${source.repo}: expected a dataset repository owner/name`);
  if (!validRevision(source.revision))
    throw new UserError(`--revision ${source.revision}: expected a branch, a tag or a commit hash`);
  return source;
}

const datasetRepo = (source: DatasetSource): HubRepo => ({ type: 'dataset', name: source.repo });

const at = (source: DatasetSource) => `${source.repo}@${source.revision}`;

/** The source's files in the cache, when all are there: the revision's commit and the paths in the repository. */
async function cachedSource(
  source: DatasetSource,
  s: HubSettings,
): Promise<{ commit: string; paths: string[] } | null> {
  const repo = datasetRepo(source);
  const commit = await cachedCommit(s.cacheDir, repo, source.revision);
  if (!commit) return null;
  const snapshot = snapshotDir(s.cacheDir, repo, commit);
  const paths: string[] = [];
  for (const item of source.items) {
    if ('file' in item) {
      if (!(await isFile(join(snapshot, item.file)))) return null;
      paths.push(item.file);
    } else {
      // Shards are numbered from 0 without gaps.
      const names = (await cachedFilesIn(snapshot, item.shards)).filter((n) => SHARD_NAME.test(n));
      if (names.length === 0 || names.some((n, i) => Number(n.slice(0, n.indexOf('.'))) !== i)) return null;
      paths.push(...names.map((n) => `${item.shards}/${n}`));
    }
  }
  return { commit, paths };
}

/** The paths of the source's files at `commit`, as the Hub lists them. */
async function sourcePaths(client: HubClient, source: DatasetSource, commit: string): Promise<string[]> {
  const repo = datasetRepo(source);
  const files = source.items.flatMap((i) => ('file' in i ? [i.file] : []));
  const existing = files.length > 0 ? await client.existingPaths(repo, commit, files) : new Set<string>();
  const paths: string[] = [];
  for (const item of source.items) {
    if ('file' in item) {
      if (!existing.has(item.file)) throw new UserError(`${at(source)}: no file ${item.file}`);
      paths.push(item.file);
    } else {
      const shards = (await client.listDir(repo, commit, item.shards)).filter((p) =>
        SHARD_NAME.test(p.slice(p.lastIndexOf('/') + 1)),
      );
      if (shards.length === 0) throw new UserError(`${at(source)}: no parquet shards under ${item.shards}/`);
      paths.push(...shards);
    }
  }
  return paths;
}

/** Download a dataset's files (see sources.ts) into the Hugging Face cache. */
export async function downloadDataset(task: TaskName, opts: DownloadOptions = {}): Promise<DownloadReport> {
  const source = sourceOf(task, opts);
  const s = hubSettings(opts);
  const repo = datasetRepo(source);
  const report = (commit: string, files: DownloadReport['files']): DownloadReport => ({
    task,
    repo,
    revision: source.revision,
    commit,
    dir: snapshotDir(s.cacheDir, repo, commit),
    files,
  });
  if (!opts.refresh) {
    const cached = await cachedSource(source, s);
    if (cached) {
      const dir = snapshotDir(s.cacheDir, repo, cached.commit);
      return report(
        cached.commit,
        cached.paths.map((path) => ({ path, local: join(dir, path), status: 'cached' })),
      );
    }
  }
  if (s.offline)
    throw new UserError(
      `dataset ${at(source)} is not (whole) in the cache ${s.cacheDir}, and HF_HUB_OFFLINE is set: unset it to download`,
    );
  s.log(`dataset ${at(source)}: from ${s.endpoint} into ${repoFolder(s.cacheDir, repo)}`);
  const client = new HubClient(s);
  const commit = await client.commitOf(repo, source.revision);
  const files: DownloadReport['files'] = [];
  for (const path of await sourcePaths(client, source, commit)) {
    const { local, fetched } = await client.downloadFile(repo, commit, path);
    files.push({ path, local, status: fetched ? 'downloaded' : 'cached' });
  }
  await writeRef(s.cacheDir, repo, source.revision, commit);
  return report(commit, files);
}

/** The command that downloads a task's source, for messages. */
export function downloadCommand(task: TaskName, opts: SourceOptions = {}): string {
  const base = SOURCES[task];
  const extra = [
    opts.repo && opts.repo !== base.repo ? ` --repo ${opts.repo}` : '',
    opts.revision && opts.revision !== base.revision ? ` --revision ${opts.revision}` : '',
  ].join('');
  return `tsallis-run data download --task ${task}${extra}`;
}

/** A task's downloaded files, from the cache only (no network): what `data prepare` reads without --input. */
export async function cachedDataset(
  task: TaskName,
  opts: SourceOptions & Pick<HubOptions, 'cacheDir'> = {},
): Promise<{ dir: string; files: string[] }> {
  const source = sourceOf(task, opts);
  const s = hubSettings(opts);
  const cached = await cachedSource(source, s);
  if (!cached) {
    const rev = source.revision === DEFAULT_REVISION ? '' : ` (revision ${source.revision})`;
    throw new UserError(
      `${task}: the Hugging Face cache ${s.cacheDir} does not hold dataset ${source.repo}${rev}: run \`${downloadCommand(task, opts)}\` first, or give --input`,
    );
  }
  const dir = snapshotDir(s.cacheDir, datasetRepo(source), cached.commit);
  return { dir, files: cached.paths.map((p) => join(dir, p)) };
}
