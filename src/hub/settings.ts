/**
 * Where the Hub is and where its files are kept, as the Python tools (huggingface_hub, transformers,
 * datasets) read it from the environment, so that both share one cache:
 *  - endpoint: the `hubUrl` option, else $HF_ENDPOINT, else https://huggingface.co;
 *  - cache: the `cacheDir` option, else $HF_HUB_CACHE, else $HUGGINGFACE_HUB_CACHE, else $HF_HOME/hub, else
 *    $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub (the order of huggingface_hub and of
 *    @huggingface/hub's getHFHubCachePath);
 *  - token: the `token` option, else $HF_TOKEN, else $HUGGING_FACE_HUB_TOKEN, else the file that
 *    `hf auth login` writes ($HF_TOKEN_PATH, else $HF_HOME/token, else ~/.cache/huggingface/token);
 *  - offline: $HF_HUB_OFFLINE set to 1 (or true, yes, on): only the cache is read, the network never.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

export interface HubOptions {
  /** The Hub's address (default $HF_ENDPOINT, else https://huggingface.co). */
  hubUrl?: string;
  /** The cache folder (default $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub). */
  cacheDir?: string;
  /** An access token (default $HF_TOKEN, else the token file of `hf auth login`). */
  token?: string;
  /** Progress lines (downloads), for stderr. */
  log?: (line: string) => void;
}

export interface HubSettings {
  endpoint: string;
  cacheDir: string;
  token: string | undefined;
  /** Where the token came from, for messages. */
  tokenFrom: string | undefined;
  offline: boolean;
  log: (line: string) => void;
}

function hfHome(env: NodeJS.ProcessEnv): string {
  return env.HF_HOME ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'huggingface');
}

function tokenOf(opts: HubOptions, env: NodeJS.ProcessEnv): { token?: string; from?: string } {
  if (opts.token) return { token: opts.token, from: 'the token given' };
  for (const name of ['HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN']) {
    const v = env[name]?.trim();
    if (v) return { token: v, from: `$${name}` };
  }
  const file = env.HF_TOKEN_PATH ?? join(hfHome(env), 'token');
  try {
    const v = readFileSync(file, 'utf8').trim();
    if (v) return { token: v, from: file };
  } catch {
    // no token file: anonymous
  }
  return {};
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);

export function hubSettings(opts: HubOptions = {}, env: NodeJS.ProcessEnv = process.env): HubSettings {
  const { token, from } = tokenOf(opts, env);
  return {
    endpoint: (opts.hubUrl ?? (env.HF_ENDPOINT || DEFAULT_ENDPOINT)).replace(/\/+$/, ''),
    cacheDir: opts.cacheDir ?? env.HF_HUB_CACHE ?? env.HUGGINGFACE_HUB_CACHE ?? join(hfHome(env), 'hub'),
    token,
    tokenFrom: from,
    offline: TRUE.has((env.HF_HUB_OFFLINE ?? '').trim().toLowerCase()),
    log: opts.log ?? (() => {}),
  };
}
