/**
 * Finding run directories and reading what they hold, finished or not.
 *
 * A run directory is one that holds config.yaml, summary.json or metrics.csv (src/run-dir/paths.ts).
 * The search descends into the given folders, but not into a run directory, its checkpoints, or
 * hidden folders. A run is
 *   finished    summary.json is there and valid: it has test numbers for the tables;
 *   incomplete  no summary.json yet (still running, interrupted or failed): listed, with its progress;
 *   invalid     summary.json or a CSV cannot be read: listed, with the reason.
 * Who the run is (task, start, method, q, seed) comes from summary.json, else from the resolved
 * config.yaml (read loosely, so that runs of older versions still show), else from nothing.
 * Steps are this version's (from 1, src/run-dir/step-numbering.ts): a folder of an earlier version,
 * whose files count from 0, is read shifted by one (`legacySteps` says so).
 */
import type { Stats } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { UserError } from '../errors.js';
import { ALGORITHMS } from '../objectives/algorithm.js';
import type { QSchedule } from '../objectives/schedule.js';
import { readRunCsvs, type MetricsRow, type ValidationRow } from '../run-dir/csv.js';
import { METHODS, readRunSummary, type Method, type RunSummary } from '../run-dir/json.js';
import { RUN_FILES, runPaths } from '../run-dir/paths.js';

export type RunStatus = 'finished' | 'incomplete' | 'invalid';

export interface RunRecord {
  dir: string;
  name: string;
  task: string | null;
  start: 'cold' | 'warm' | null;
  method: Method | null;
  /** Constant q, or null (no q, or a schedule). */
  q: number | null;
  qSchedule: QSchedule | null;
  seed: number | null;
  /** Planned steps (from the config), when known. */
  plannedSteps: number | null;
  /** The row label of the study's tables: "GRPO", "GARL q=0.75", "PAFT q=0.25", "Base model". */
  label: string;
  status: RunStatus;
  /** Why the run is invalid. */
  problem: string | null;
  summary: RunSummary | null;
  metrics: MetricsRow[];
  validation: ValidationRow[];
  /** Its metrics.csv and validation.csv counted steps from 0 (an earlier version's run) and were shifted. */
  legacySteps: boolean;
}

const SKIP = new Set([RUN_FILES.checkpoints, RUN_FILES.evalDir, 'node_modules']);

/** Run directories under the given paths (each may itself be one), sorted, without duplicates. */
export async function findRunDirs(paths: readonly string[]): Promise<string[]> {
  const found = new Set<string>();
  const visit = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    const names = new Set(entries.filter((e) => e.isFile()).map((e) => e.name));
    if (names.has(RUN_FILES.config) || names.has(RUN_FILES.summary) || names.has(RUN_FILES.metrics)) {
      found.add(dir);
      return;
    }
    for (const e of entries) {
      if (e.isDirectory() && !e.name.startsWith('.') && !SKIP.has(e.name as never)) await visit(join(dir, e.name));
    }
  };
  for (const p of paths) {
    let s: Stats;
    try {
      s = await stat(p);
    } catch {
      throw new UserError(`${p}: no such file or directory`);
    }
    if (!s.isDirectory()) throw new UserError(`${p}: expected a directory of runs`);
    await visit(p);
  }
  return [...found].sort();
}

/** Reads one run directory. Never throws for a broken run: it comes back 'invalid' with the reason. */
export async function readRun(dir: string): Promise<RunRecord> {
  const paths = runPaths(dir);
  const config = await readLooseConfig(paths.config);
  const record: RunRecord = {
    dir,
    name: config.name ?? basename(dir),
    task: config.task,
    start: config.start,
    method: config.method,
    q: config.q,
    qSchedule: config.qSchedule,
    seed: config.seed,
    plannedSteps: config.steps,
    label: '',
    status: 'incomplete',
    problem: null,
    summary: null,
    metrics: [],
    validation: [],
    legacySteps: false,
  };
  try {
    const csvs = await readRunCsvs(paths);
    Object.assign(record, { metrics: csvs.metrics, validation: csvs.validation, legacySteps: csvs.legacy });
    const s = await readRunSummary(paths.summary);
    if (s) {
      record.summary = s;
      record.status = 'finished';
      Object.assign(record, {
        name: s.name,
        task: s.task,
        start: s.start,
        method: s.method,
        q: s.q,
        qSchedule: s.q_schedule ?? null,
        seed: s.seed,
      });
    }
  } catch (err) {
    record.status = 'invalid';
    record.problem = (err as Error).message;
  }
  record.label = methodLabel(record.method, record.q, record.qSchedule);
  return record;
}

/** Reads every run under the given paths. */
export async function collectRuns(paths: readonly string[]): Promise<RunRecord[]> {
  const dirs = await findRunDirs(paths);
  return Promise.all(dirs.map(readRun));
}

/** The row label: "Base model", "GRPO", "GARL q=0.75", "PAFT q=0.25", "GARL q=1@0,0@100" (a schedule: q once that many steps are done). */
export function methodLabel(method: Method | null, q: number | null, schedule: QSchedule | null = null): string {
  if (method === null) return 'unknown';
  if (method === 'base') return 'Base model';
  const { label: name, hasQ } = ALGORITHMS[method];
  if (!hasQ) return name;
  if (q !== null) return `${name} q=${q}`;
  if (schedule !== null) return `${name} q=${scheduleText(schedule)}`;
  return name;
}

/** A q schedule in a few characters: "1@0,0@100" (q once that many steps are done: 0 from step 101); linear ones as "1@0~0.5@200". */
export function scheduleText(s: QSchedule): string {
  if (typeof s === 'number') return String(s);
  if (Array.isArray(s)) {
    let from = 0;
    return s
      .map((seg) => {
        const t = `${seg.q}@${from}`;
        from = seg.until ?? from;
        return t;
      })
      .join(',');
  }
  return s.linear.map((k) => `${k.q}@${k.step}`).join('~');
}

interface LooseConfig {
  name: string | null;
  task: string | null;
  start: 'cold' | 'warm' | null;
  method: Method | null;
  q: number | null;
  qSchedule: QSchedule | null;
  seed: number | null;
  steps: number | null;
}

/** The identity fields of a resolved config.yaml, each null when absent or unreadable. */
async function readLooseConfig(path: string): Promise<LooseConfig> {
  const none: LooseConfig = {
    name: null,
    task: null,
    start: null,
    method: null,
    q: null,
    qSchedule: null,
    seed: null,
    steps: null,
  };
  let raw: unknown;
  try {
    raw = parseYaml(await readFile(path, 'utf8'));
  } catch {
    return none;
  }
  const get = (...keys: string[]): unknown =>
    keys.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), raw);
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  const num = (v: unknown) => (typeof v === 'number' ? v : null);
  const start = get('task', 'start');
  const method = get('algorithm', 'name');
  const q = get('algorithm', 'q');
  return {
    name: str(get('name')),
    task: str(get('task', 'name')),
    start: start === 'cold' || start === 'warm' ? start : null,
    method: (METHODS as readonly unknown[]).includes(method) ? (method as Method) : null,
    q: num(q),
    qSchedule: q !== undefined && typeof q !== 'number' ? (q as QSchedule) : null,
    seed: num(get('seed')),
    steps: num(get('train', 'steps')),
  };
}
