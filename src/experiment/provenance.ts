/**
 * A run's provenance (src/run-dir/json.ts Provenance): the tsallis-run commit and versions, the device and the
 * host, the session's times and the scheduler's job. Best effort: whatever cannot be found is null,
 * and collecting it never fails a run.
 */
import { execFile } from 'node:child_process';
import { readFile, realpath } from 'node:fs/promises';
import { availableParallelism, hostname } from 'node:os';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import ort from 'onnxruntime-node';
import type { Config } from '../config/schema.js';
import type { Provenance } from '../run-dir/json.js';

/** The package root: two levels above this file in src/experiment/ and in dist/experiment/. */
const PACKAGE_DIR = fileURLToPath(new URL('../../', import.meta.url));

const run = promisify(execFile);

async function git(args: string[]): Promise<string> {
  const { stdout } = await run('git', args, { cwd: PACKAGE_DIR, timeout: 5000 });
  return stdout.trim();
}

/** HEAD and dirtiness of tsallis-run's own checkout; null without git or outside one. */
export async function gitState(): Promise<Provenance['git']> {
  try {
    // An npm-installed copy can sit inside someone else's repository: that commit is not ours.
    const top = await git(['rev-parse', '--show-toplevel']);
    if ((await realpath(top)) !== (await realpath(PACKAGE_DIR))) return null;
    const commit = await git(['rev-parse', 'HEAD']);
    // Untracked files (results, a linked node_modules) do not count: dirty means edited tracked files.
    const status = await git(['status', '--porcelain', '--untracked-files=no']);
    return { commit, dirty: status !== '' };
  } catch {
    return null;
  }
}

/**
 * What the running code was built from: dist/build-info.json under `packageDir`, when `codeUrl` (this
 * module's) lies in dist/; null when it runs from the sources (ts-jest, tsx) or the file is missing.
 */
export async function buildState(codeUrl = import.meta.url, packageDir = PACKAGE_DIR): Promise<Provenance['build']> {
  if (!fileURLToPath(codeUrl).includes(`${sep}dist${sep}`)) return null;
  try {
    const info = JSON.parse(await readFile(join(packageDir, 'dist', 'build-info.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    if (!(typeof info.commit === 'string' || info.commit === null) || typeof info.dirty !== 'boolean') return null;
    return { commit: info.commit, dirty: info.dirty };
  } catch {
    return null;
  }
}

/** Whether the code that runs was built from another commit than the checkout's HEAD (a pull or merge without `npm run build`). */
export function staleBuild(p: Pick<Provenance, 'git' | 'build'>): boolean {
  return !!(p.git && p.build?.commit && p.build.commit !== p.git.commit);
}

async function packageVersion(): Promise<string | null> {
  try {
    const pkg = JSON.parse(await readFile(join(PACKAGE_DIR, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : null;
  } catch {
    return null;
  }
}

export async function collectProvenance(
  config: Pick<Config, 'device' | 'threads'>,
  startedAt: Date,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Provenance> {
  const slurm = {
    ...(env.SLURM_JOB_ID ? { slurm_job_id: env.SLURM_JOB_ID } : {}),
    ...(env.SLURM_ARRAY_TASK_ID ? { slurm_array_task_id: env.SLURM_ARRAY_TASK_ID } : {}),
  };
  return {
    git: await gitState(),
    build: await buildState(),
    tsallis_run: await packageVersion(),
    node: process.version,
    onnxruntime: ort.env?.versions?.node ?? null,
    device: config.device,
    threads: config.threads,
    cpus: availableParallelism(),
    host: hostname(),
    started_at: startedAt.toISOString(),
    ...slurm,
  };
}

/** One line for the log: "commit abc1234 (dirty), tsallis-run 0.1.0, node v20..., ...". */
export function provenanceLine(p: Provenance): string {
  const built = staleBuild(p) ? `, built from ${p.build!.commit!.slice(0, 12)}` : '';
  const commit = p.git
    ? `commit ${p.git.commit.slice(0, 12)}${p.git.dirty ? ' (dirty)' : ''}${built}`
    : 'no git commit';
  const job = p.slurm_job_id
    ? `, slurm job ${p.slurm_job_id}${p.slurm_array_task_id ? ` (array task ${p.slurm_array_task_id})` : ''}`
    : '';
  return `${commit}, tsallis-run ${p.tsallis_run ?? '?'}, node ${p.node}, onnxruntime ${p.onnxruntime ?? '?'}, ${p.device} (threads ${p.threads || 'default'}, ${p.cpus} cpus) on ${p.host}${job}`;
}
