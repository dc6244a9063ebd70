/**
 * Downloading dataset files from the Hugging Face Hub with @huggingface/hub: resumable and cached.
 *  - A finished file is recorded in <out>/<task>/.download.json (etag and size); a later run that finds the
 *    file with that size does not touch the network (use `force` to fetch again).
 *  - A file being downloaded grows as <dest>.part next to <dest>.part.json (its etag); a rerun asks the Hub
 *    for the rest with a Range request when the etag has not changed, and starts over when it has.
 *  - Without a network (or with the Hub unreachable) the download fails with a UserError that says so.
 * The Hub's address is `hubUrl`, else $HF_ENDPOINT, else https://huggingface.co; a token comes from $HF_TOKEN.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { downloadFile, fileDownloadInfo, HubApiError, type FileDownloadInfoOutput } from '@huggingface/hub';
import { UserError } from '../errors.js';
import type { TaskName } from '../tasks/record.js';
import { shardPath, SOURCES, type DatasetSource } from './sources.js';

export const DEFAULT_HUB_URL = 'https://huggingface.co';

export interface HubOptions {
  /** The Hub's address (default $HF_ENDPOINT or https://huggingface.co). */
  hubUrl?: string;
  /** An access token (default $HF_TOKEN). */
  accessToken?: string;
  log?: (line: string) => void;
}

export interface FileRef {
  repo: string;
  revision: string;
  path: string;
}

export type FileStatus = 'downloaded' | 'resumed' | 'cached';

function hubUrlOf(opts: HubOptions): string {
  return (opts.hubUrl ?? process.env.HF_ENDPOINT ?? DEFAULT_HUB_URL).replace(/\/+$/, '');
}

const NETWORK_CODES = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET'];

/** Turn a failure of a Hub call into a UserError that says what to do. */
function hubError(err: unknown, ref: FileRef, hubUrl: string): Error {
  if (err instanceof UserError) return err;
  if (err instanceof HubApiError) {
    const hint = err.statusCode === 401 || err.statusCode === 403 ? ' (a gated or private repository: set HF_TOKEN)' : '';
    return new UserError(`${ref.repo}@${ref.revision}/${ref.path}: the Hub answered ${err.statusCode}${hint}: ${err.message}`);
  }
  const e = err as Error & { cause?: { code?: string; message?: string }; code?: string };
  const code = e.cause?.code ?? e.code;
  if ((code && NETWORK_CODES.includes(code)) || /fetch failed|network|socket|terminated/i.test(e.message ?? '')) {
    return new UserError(
      `cannot reach ${hubUrl}, or lost the connection (${code ?? e.message}), while fetching ${ref.repo}/${ref.path}: are you offline? ` +
        'Check the connection (or set HF_ENDPOINT to a mirror) and rerun; finished files are kept and a partial file resumes.',
    );
  }
  return err as Error;
}

async function sizeOf(path: string): Promise<number | null> {
  try {
    return (await stat(path)).size;
  } catch {
    return null;
  }
}

async function readJson<T>(path: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return null;
  }
}

/** What the Hub says about a file (size, etag, url), or null when it does not exist. */
export async function hubFileInfo(ref: FileRef, opts: HubOptions = {}): Promise<FileDownloadInfoOutput | null> {
  const hubUrl = hubUrlOf(opts);
  try {
    return await fileDownloadInfo({
      repo: { type: 'dataset', name: ref.repo },
      path: ref.path,
      revision: ref.revision,
      hubUrl,
      accessToken: opts.accessToken ?? process.env.HF_TOKEN,
    });
  } catch (err) {
    throw hubError(err, ref, hubUrl);
  }
}

/**
 * Download one file to `dest`, resuming a partial download. `info` is what hubFileInfo returned.
 * Returns whether the file was fetched whole or resumed.
 */
export async function downloadToFile(ref: FileRef, info: FileDownloadInfoOutput, dest: string, opts: HubOptions = {}): Promise<FileStatus> {
  const hubUrl = hubUrlOf(opts);
  const part = `${dest}.part`, partMeta = `${dest}.part.json`;
  await mkdir(dirname(dest), { recursive: true });
  let offset = 0;
  const meta = await readJson<{ etag: string; size: number }>(partMeta);
  const have = await sizeOf(part);
  if (have !== null && meta && meta.etag === info.etag && meta.size === info.size && have <= info.size) offset = have;
  else {
    await rm(part, { force: true });
    await writeFile(partMeta, JSON.stringify({ etag: info.etag, size: info.size }) + '\n');
  }
  if (offset < info.size) {
    opts.log?.(`${offset ? 'resuming' : 'downloading'} ${ref.repo}/${ref.path} (${(info.size / 1e6).toFixed(1)} MB${offset ? `, from byte ${offset}` : ''})`);
    try {
      const blob = await downloadFile({
        repo: { type: 'dataset', name: ref.repo },
        path: ref.path,
        revision: ref.revision,
        hubUrl,
        accessToken: opts.accessToken ?? process.env.HF_TOKEN,
        downloadInfo: info,
        xet: false,
      });
      if (!blob) throw new UserError(`${ref.repo}/${ref.path}: not found on the Hub`);
      const body = (offset > 0 ? blob.slice(offset) : blob).stream() as unknown as NodeReadableStream;
      await pipeline(Readable.fromWeb(body), createWriteStream(part, { flags: offset > 0 ? 'a' : 'w' }));
    } catch (err) {
      throw hubError(err, ref, hubUrl);
    }
  }
  const got = (await sizeOf(part)) ?? 0;
  if (got !== info.size) {
    throw new UserError(`${ref.repo}/${ref.path}: incomplete download (${got} of ${info.size} bytes); rerun to resume`);
  }
  await rename(part, dest);
  await rm(partMeta, { force: true });
  return offset > 0 ? 'resumed' : 'downloaded';
}

export interface DownloadOptions extends HubOptions {
  /** The folder to download into; files go to <outDir>/<task>/<path in the repository>. */
  outDir: string;
  /** Another repository or revision than the default source (same file layout). */
  repo?: string;
  revision?: string;
  /** Fetch again even when the files are recorded as complete. */
  force?: boolean;
}

interface Record_ {
  repo: string;
  revision: string;
  files: Record<string, { etag: string; size: number }>;
  shards: Record<string, number>;
}

export interface DownloadReport {
  task: TaskName;
  dir: string;
  files: { path: string; local: string; status: FileStatus }[];
}

/** Download a dataset's files (see sources.ts) into <outDir>/<task>/. */
export async function downloadDataset(task: TaskName, opts: DownloadOptions): Promise<DownloadReport> {
  const base = SOURCES[task];
  const source: DatasetSource = { ...base, repo: opts.repo ?? base.repo, revision: opts.revision ?? base.revision };
  const dir = join(opts.outDir, task);
  await mkdir(dir, { recursive: true });
  const recordPath = join(dir, '.download.json');
  let record = opts.force ? null : await readJson<Record_>(recordPath);
  if (record && (record.repo !== source.repo || record.revision !== source.revision)) record = null;
  const rec: Record_ = record ?? { repo: source.repo, revision: source.revision, files: {}, shards: {} };
  const saveRecord = () => writeFile(recordPath, JSON.stringify(rec, null, 1) + '\n');
  const report: DownloadReport = { task, dir, files: [] };

  const fetchOne = async (path: string, known?: FileDownloadInfoOutput | null): Promise<boolean> => {
    const local = join(dir, path);
    const done = rec.files[path];
    if (done && (await sizeOf(local)) === done.size) {
      report.files.push({ path, local, status: 'cached' });
      return true;
    }
    const ref = { repo: source.repo, revision: source.revision, path };
    const info = known === undefined ? await hubFileInfo(ref, opts) : known;
    if (!info) return false;
    const status = await downloadToFile(ref, info, local, opts);
    rec.files[path] = { etag: info.etag, size: info.size };
    await saveRecord();
    report.files.push({ path, local, status });
    return true;
  };

  for (const item of source.items) {
    if ('file' in item) {
      if (!(await fetchOne(item.file))) throw new UserError(`${source.repo}@${source.revision}: no file ${item.file}`);
      continue;
    }
    const count = rec.shards[item.shards];
    if (count !== undefined) {
      let all = true;
      for (let i = 0; i < count && all; i++) {
        const p = shardPath(item.shards, i);
        all = rec.files[p] !== undefined && (await sizeOf(join(dir, p))) === rec.files[p]!.size;
      }
      if (all) {
        for (let i = 0; i < count; i++) report.files.push({ path: shardPath(item.shards, i), local: join(dir, shardPath(item.shards, i)), status: 'cached' });
        continue;
      }
    }
    let i = 0;
    for (;;) {
      const p = shardPath(item.shards, i);
      const info = await hubFileInfo({ repo: source.repo, revision: source.revision, path: p }, opts);
      if (!info) break;
      await fetchOne(p, info);
      i++;
    }
    if (i === 0) throw new UserError(`${source.repo}@${source.revision}: no parquet shards under ${item.shards}/`);
    rec.shards[item.shards] = i;
    await saveRecord();
  }
  return report;
}
