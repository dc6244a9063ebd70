/**
 * Hub ids as the user writes them: `owner/name` or `owner/name@revision`, where the revision is a branch,
 * a tag or a 40-hex commit (default `main`). Branch names may hold slashes (`refs/convert/parquet`).
 * Only two-part ids are Hub ids here: a one-word name (`gpt2`) reads as a local path.
 */

export type RepoType = 'model' | 'dataset';

export interface HubRepo {
  type: RepoType;
  /** owner/name */
  name: string;
}

export interface HubId {
  /** owner/name */
  name: string;
  revision: string;
}

export const DEFAULT_REVISION = 'main';

/** A 40-hex commit hash: a revision that never moves. */
export const COMMIT = /^[0-9a-f]{40}$/;

/** The Hub's rule for an owner or a repository name: letters, digits, - _ . with no -- or .. */
const PART = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9_])?$/;

function validPart(p: string): boolean {
  return p.length <= 96 && PART.test(p) && !p.includes('--') && !p.includes('..');
}

/** A revision is joined onto cache paths (refs/<revision>): no empty, . or .. segment, no whitespace or backslash. */
export function validRevision(rev: string): boolean {
  return rev !== '' && !/[\s\\]/.test(rev) && rev.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}

/** owner/name as the Hub allows it. */
export function validRepoName(name: string): boolean {
  const parts = name.split('/');
  return parts.length === 2 && parts.every(validPart);
}

/** `owner/name[@revision]` as a HubId, or null when the text is not one. */
export function parseHubId(text: string): HubId | null {
  const at = text.indexOf('@');
  const name = at < 0 ? text : text.slice(0, at);
  const revision = at < 0 ? DEFAULT_REVISION : text.slice(at + 1);
  if (!validRepoName(name) || !validRevision(revision)) return null;
  return { name, revision };
}

/** The id as written: the revision only when it is not the default. */
export function formatHubId(id: HubId): string {
  return id.revision === DEFAULT_REVISION ? id.name : `${id.name}@${id.revision}`;
}

/** "model Qwen/Qwen3-0.6B", "dataset hotpotqa/hotpot_qa", for messages. */
export function describeRepo(repo: HubRepo): string {
  return `${repo.type} ${repo.name}`;
}
