/**
 * The Hub over the network, through @huggingface/hub, into the shared cache (cache.ts):
 *  - commitOf: the commit a revision points to now (the repository's info at that revision);
 *  - downloadFile: one file at a commit (downloadFileToCacheDir: snapshots/<commit>/<path> -> blobs/<etag>);
 *  - snapshot: every file of a repository at a revision (snapshotDownload), refs/<revision> included;
 *  - listDir, existingPaths: what a commit holds (the tree and paths-info endpoints).
 * Files are always fetched at a commit hash, so that a snapshot folder is named by the repository's commit
 * (given a branch name, downloadFileToCacheDir would name it by the file's last commit instead).
 * A file arrives as blobs/<etag>.incomplete and is renamed when whole: an interrupted download leaves no
 * file in the snapshot, and the next run fetches it again from the start.
 * Failures become UserErrors that say what to do: unknown repository, revision or file, authentication
 * (HF_TOKEN), no network.
 */
import {
  datasetInfo,
  downloadFileToCacheDir,
  HubApiError,
  listFiles,
  modelInfo,
  pathsInfo,
  snapshotDownload,
} from '@huggingface/hub';
import { UserError } from '../errors.js';
import { isFile, snapshotDir } from './cache.js';
import { COMMIT, DEFAULT_REVISION, describeRepo, type HubRepo } from './id.js';
import type { HubSettings } from './settings.js';

/** What a call is about, for its error message. */
interface Context {
  repo: HubRepo;
  revision: string;
  path?: string;
}

const NETWORK_CODES = [
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'ECONNRESET',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
];

function sizeText(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1e3))} kB`;
}

export class HubClient {
  /** X-Error-Code of the Hub's refusals (RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo), by URL. */
  private readonly errorCodes = new Map<string, string>();

  constructor(readonly settings: HubSettings) {}

  /** fetch, noting the Hub's error codes and logging each file download as it starts. */
  private readonly fetch: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!res.ok) {
      const code = res.headers.get('x-error-code');
      if (code) this.errorCodes.set(res.url || url, code);
    }
    // fileDownloadInfo probes a file with Range: bytes=0-0 right before downloading it.
    const m = /\/resolve\/[^/]+\/(.+)$/.exec(new URL(url).pathname);
    if (m && res.ok && new Headers(init?.headers).get('range') === 'bytes=0-0') {
      const size = Number(res.headers.get('content-range')?.split('/').pop());
      this.settings.log(
        `downloading ${decodeURIComponent(m[1]!)}${Number.isFinite(size) ? ` (${sizeText(size)})` : ''}`,
      );
    }
    return res;
  };

  private get common() {
    return { hubUrl: this.settings.endpoint, accessToken: this.settings.token, fetch: this.fetch };
  }

  /** Runs a library call with its console.debug lines (on stdout) silenced and its errors explained. */
  private async call<T>(ctx: Context, fn: () => Promise<T>): Promise<T> {
    const debug = console.debug;
    console.debug = () => {};
    try {
      return await fn();
    } catch (err) {
      throw this.explain(err, ctx);
    } finally {
      console.debug = debug;
    }
  }

  /** The commit `revision` points to on the Hub now. */
  async commitOf(repo: HubRepo, revision: string): Promise<string> {
    const params = { ...this.common, name: repo.name, revision, additionalFields: ['sha' as const] };
    const info = await this.call({ repo, revision }, () =>
      repo.type === 'model' ? modelInfo(params) : datasetInfo(params),
    );
    const sha = (info as { sha?: unknown }).sha;
    if (typeof sha !== 'string' || !COMMIT.test(sha))
      throw new UserError(
        `${describeRepo(repo)}@${revision}: ${this.settings.endpoint} gave no commit hash for the revision`,
      );
    return sha;
  }

  /** Which of `paths` are files of the repository at `commit`. */
  async existingPaths(repo: HubRepo, commit: string, paths: string[]): Promise<Set<string>> {
    const found = await this.call({ repo, revision: commit }, () =>
      pathsInfo({ ...this.common, repo, revision: commit, paths }),
    );
    return new Set(found.filter((p) => p.type === 'file').map((p) => p.path));
  }

  /** The paths of the files directly under `dir` at `commit` ([] when there is no such folder). */
  async listDir(repo: HubRepo, commit: string, dir: string): Promise<string[]> {
    return this.call({ repo, revision: commit, path: `${dir}/` }, async () => {
      const out: string[] = [];
      try {
        for await (const e of listFiles({ ...this.common, repo, revision: commit, path: dir }))
          if (e.type === 'file') out.push(e.path);
      } catch (err) {
        if (err instanceof HubApiError && err.statusCode === 404) return [];
        throw err;
      }
      return out.sort();
    });
  }

  /** One file at `commit` into the cache; `fetched` is false when the snapshot already had it. */
  async downloadFile(repo: HubRepo, commit: string, path: string): Promise<{ local: string; fetched: boolean }> {
    const had = await isFile(`${snapshotDir(this.settings.cacheDir, repo, commit)}/${path}`);
    const local = await this.call({ repo, revision: commit, path }, () =>
      downloadFileToCacheDir({ ...this.common, repo, revision: commit, path, cacheDir: this.settings.cacheDir }),
    );
    return { local, fetched: !had };
  }

  /** Every file of the repository at `revision` into the cache; returns the snapshot folder. */
  async snapshot(repo: HubRepo, revision: string): Promise<string> {
    return this.call({ repo, revision }, () =>
      snapshotDownload({ ...this.common, repo, revision, cacheDir: this.settings.cacheDir }),
    );
  }

  /** A failed call as a UserError that says what to do (other errors as they are). */
  explain(err: unknown, ctx: Context): Error {
    if (err instanceof UserError) return err;
    // WebBlob aborts a failed body stream with the message alone.
    const e = (typeof err === 'string' ? new Error(err) : err) as Error & { cause?: { code?: string }; code?: string };
    const s = this.settings;
    const repo = describeRepo(ctx.repo);
    const at = ctx.revision === DEFAULT_REVISION ? '' : `@${ctx.revision}`;
    if (e instanceof TypeError && /access token must start with 'hf_'/.test(e.message)) {
      return new UserError(
        `${s.tokenFrom ?? 'the token'}: not a Hugging Face access token (they start with hf_; make one at https://huggingface.co/settings/tokens)`,
      );
    }
    if (e instanceof HubApiError) {
      const code = this.errorCodes.get(e.url) ?? '';
      const status = e.statusCode;
      const tokenHint = s.token
        ? `the token from ${s.tokenFrom} has no access to it (on a gated repository, accept its conditions on its page first)`
        : 'set HF_TOKEN to an access token that can read it (https://huggingface.co/settings/tokens; on a gated repository, accept its conditions on its page first)';
      if (code === 'RevisionNotFound')
        return new UserError(
          `${repo} has no revision ${ctx.revision} on ${s.endpoint} (a branch, a tag or a commit hash)`,
        );
      if (code === 'EntryNotFound' || (status === 404 && ctx.path && !code))
        return new UserError(`${repo}${at}: no file ${ctx.path} on ${s.endpoint}`);
      if (code === 'RepoNotFound' || status === 404) {
        return new UserError(
          `${repo}: not found on ${s.endpoint} (${status}): check the id and the kind (model or dataset); if it is private or gated, ${tokenHint}`,
        );
      }
      if (code === 'GatedRepo' || status === 401 || status === 403) {
        return new UserError(
          `${repo}: ${s.endpoint} refused access (${status}${code ? ` ${code}` : ''}): the repository is gated or private; ${tokenHint}`,
        );
      }
      return new UserError(
        `${repo}${at}${ctx.path ? ` ${ctx.path}` : ''}: ${s.endpoint} answered ${status}: ${e.message}`,
      );
    }
    const netCode = e.cause?.code ?? e.code;
    if (
      (netCode && NETWORK_CODES.includes(netCode)) ||
      /fetch failed|network|socket|terminated/i.test(e.message ?? '')
    ) {
      return new UserError(
        `cannot reach ${s.endpoint}, or lost the connection (${netCode ?? e.message}), while fetching ${repo}${at}${ctx.path ? ` ${ctx.path}` : ''}: are you offline? ` +
          'Check the connection (or set HF_ENDPOINT to a mirror) and rerun; files already in the cache are kept.',
      );
    }
    return e;
  }
}
