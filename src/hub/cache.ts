/**
 * The Hugging Face cache, read without the network. Its layout (shared with the Python tools):
 *
 *   <cache>/models--Qwen--Qwen3-0.6B/            (datasets--owner--name for a dataset)
 *     refs/main                                   the commit hash the revision "main" pointed to when fetched
 *     snapshots/<commit>/config.json ...          the repository's files at that commit (links into blobs/)
 *     blobs/<etag>                                each file's content once, named by its git or LFS hash
 *
 * A revision that is a commit hash needs no ref: its snapshot folder is looked up directly.
 */
import { readFile, readdir, stat, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { UserError } from '../errors.js';
import { COMMIT, validRevision, type HubRepo } from './id.js';

/** models--owner--name or datasets--owner--name. */
export function repoFolder(cacheDir: string, repo: HubRepo): string {
  return join(cacheDir, [`${repo.type}s`, ...repo.name.split('/')].join('--'));
}

export function refPath(cacheDir: string, repo: HubRepo, revision: string): string {
  if (!validRevision(revision))
    throw new UserError(`revision ${JSON.stringify(revision)}: expected a branch, a tag or a commit hash`);
  return join(repoFolder(cacheDir, repo), 'refs', revision);
}

export function snapshotDir(cacheDir: string, repo: HubRepo, commit: string): string {
  return join(repoFolder(cacheDir, repo), 'snapshots', commit);
}

async function isDir(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/** A file (or a link to one that exists). */
export async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

/** The commit a revision stands for in the cache, when its snapshot folder is there; else null. */
export async function cachedCommit(cacheDir: string, repo: HubRepo, revision: string): Promise<string | null> {
  let commit = revision;
  if (!COMMIT.test(revision)) {
    try {
      commit = (await readFile(refPath(cacheDir, repo, revision), 'utf8')).trim();
    } catch {
      return null;
    }
    if (!COMMIT.test(commit)) return null;
  }
  return (await isDir(snapshotDir(cacheDir, repo, commit))) ? commit : null;
}

/** Record that `revision` points to `commit` (refs/<revision>), as the Python tools do. */
export async function writeRef(cacheDir: string, repo: HubRepo, revision: string, commit: string): Promise<void> {
  if (revision === commit) return;
  const path = refPath(cacheDir, repo, revision);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, commit);
}

/** The names of a snapshot folder's entries under `dir` (files and links to files), or [] when it has none. */
export async function cachedFilesIn(snapshot: string, dir: string): Promise<string[]> {
  try {
    const names = await readdir(join(snapshot, dir));
    const files: string[] = [];
    for (const n of names) if (await isFile(join(snapshot, dir, n))) files.push(n);
    return files.sort();
  } catch {
    return [];
  }
}
