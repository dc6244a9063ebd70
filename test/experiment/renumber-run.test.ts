/**
 * Run folders of an earlier version (steps from 0, checkpoints/step-K holding K + 1 optimizer steps):
 * read shifted, found by either checkpoint name, and renumbered by --resume, crash-safe at every point.
 *
 * The legacy folder is made here from a run of this version by the inverse of the renumbering, written
 * independently of it (the steps - 1 in every file, checkpoint-N renamed step-(N-1), trainer states
 * back to version 1), so renumbering it must give back the original byte for byte.
 */
import { cp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { readRunCsvs, readMetricsCsv, readValidationCsv } from '../../src/run-dir/csv.js';
import { readRunSummary } from '../../src/run-dir/json.js';
import { runPaths } from '../../src/run-dir/paths.js';
import { isLegacyRun, renumberLegacyRun, RENUMBER_DIR } from '../../src/experiment/renumber-run.js';
import { EVENTS_FILE_PREFIX, shiftEventSteps } from '../../src/experiment/tensorboard.js';
import { runTraining } from '../../src/experiment/train.js';
import { readTrainerState, resolveCheckpointDir, TRAINER_STATE_FILE } from '../../src/experiment/trainer-checkpoint.js';
import { pathExists } from '../../src/util/atomic-write.js';
import { scratchWithModel, testConfig, type Scratch } from './helpers.js';

const quiet = { console: false, progress: false };
// PAFT (all three random streams), validation every 2 steps, every checkpoint kept, 2 rollouts a step logged.
const extra = ['train.steps=5', 'train.eval_every=2', 'train.checkpoint_every=1', 'train.log_rollouts=2'];
const TIMES = ['tokens_per_s', 't_generate', 't_score', 't_train', 't_optimizer'];
const untimed = (rows: object[]) =>
  rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !TIMES.includes(k))));

let s: Scratch;
let whole: string; // 5 steps, never stopped
let part: string; // stopped after 3 steps (validation at 2: checkpoints/best is there)
let legacy: string; // `part` as an earlier version wrote it
beforeAll(async () => {
  s = await scratchWithModel(4);
  whole = join(s.dir, 'whole');
  part = join(s.dir, 'part');
  legacy = join(s.dir, 'legacy');
  await runTraining(testConfig(s, 'paft', whole, extra), quiet);
  await runTraining(testConfig(s, 'paft', part, extra), { ...quiet, stopAfterSteps: 3 });
  await toLegacy(part, legacy);
});
afterAll(async () => s.cleanup());

/** A copy of run folder `from` as the earlier version, counting steps from 0, would have written it. */
async function toLegacy(from: string, to: string): Promise<void> {
  await cp(from, to, { recursive: true });
  const p = runPaths(to);
  for (const csv of [p.metrics, p.validation]) {
    const lines = (await readFile(csv, 'utf8')).split('\n');
    await writeFile(
      csv,
      lines.map((l, i) => (i === 0 || l === '' ? l : l.replace(/^\d+/, (n) => String(Number(n) - 1)))).join('\n'),
    );
  }
  const rollouts = (await readFile(p.rollouts, 'utf8')).split('\n').filter((l) => l !== '');
  await writeFile(
    p.rollouts,
    rollouts.map((l) => JSON.stringify({ ...JSON.parse(l), step: JSON.parse(l).step - 1 }) + '\n').join(''),
  );
  for (const name of (await readdir(to)).filter((n) => n.startsWith(EVENTS_FILE_PREFIX))) {
    await writeFile(join(to, name), shiftEventSteps(await readFile(join(to, name)), -1));
  }
  for (const name of await readdir(p.checkpoints)) {
    const file = join(p.checkpoints, name, TRAINER_STATE_FILE);
    const state = JSON.parse(await readFile(file, 'utf8'));
    await writeFile(
      file,
      JSON.stringify({
        ...state,
        version: 1,
        step: state.step - 1,
        best: state.best && { ...state.best, step: state.best.step - 1 },
      }) + '\n',
    );
    const m = /^checkpoint-(\d+)$/.exec(name);
    if (m) await rename(join(p.checkpoints, name), join(p.checkpoints, `step-${Number(m[1]) - 1}`));
  }
}

/** Every file under `dir` (relative path -> bytes), log.jsonl and run.lock aside. */
async function files(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const rel = relative(dir, join(e.parentPath, e.name));
    if (e.isFile() && rel !== 'log.jsonl') out.set(rel, await readFile(join(dir, rel)));
  }
  return out;
}

async function expectSameFiles(dir: string, want: string): Promise<void> {
  const [a, b] = await Promise.all([files(dir), files(want)]);
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  for (const [rel, bytes] of b) expect([rel, a.get(rel)!.equals(bytes)]).toEqual([rel, true]);
}

/** The fields of a protobuf message: [field number, varint value or bytes]. */
function protoFields(buf: Buffer): [number, number | Buffer][] {
  const out: [number, number | Buffer][] = [];
  let i = 0;
  const varint = () => {
    let v = 0,
      scale = 1;
    for (;;) {
      const b = buf[i++]!;
      v += (b & 0x7f) * scale;
      if (!(b & 0x80)) return v;
      scale *= 0x80;
    }
  };
  const bytes = (n: number) => {
    const b = buf.subarray(i, i + n);
    i += n;
    return b;
  };
  while (i < buf.length) {
    const k = varint(),
      field = Math.floor(k / 8),
      wire = k % 8;
    if (wire === 0) out.push([field, varint()]);
    else if (wire === 1 || wire === 5) out.push([field, bytes(wire === 1 ? 8 : 4)]);
    else {
      const n = varint();
      out.push([field, bytes(n)]);
    }
  }
  return out;
}

/** TensorBoard scalars as "step tag value" lines (times aside), later events of a step replacing earlier ones. */
async function eventSteps(dir: string): Promise<string[]> {
  const seen = new Map<string, number>();
  for (const name of (await readdir(dir)).filter((n) => n.startsWith(EVENTS_FILE_PREFIX)).sort()) {
    const buf = await readFile(join(dir, name));
    for (let at = 0; at + 12 <= buf.length; ) {
      const length = Number(buf.readBigUInt64LE(at));
      const event = protoFields(buf.subarray(at + 12, at + 12 + length));
      at += 16 + length;
      const step = event.find(([f]) => f === 2)?.[1] as number;
      for (const [, summary] of event.filter(([f]) => f === 5)) {
        for (const [, value] of protoFields(summary as Buffer)) {
          const v = protoFields(value as Buffer);
          const tag = (v.find(([f]) => f === 1)![1] as Buffer).toString();
          if (!TIMES.some((t) => tag.endsWith(t)))
            seen.set(`${step} ${tag}`, (v.find(([f]) => f === 2)![1] as Buffer).readFloatLE(0));
        }
      }
    }
  }
  return [...seen].map(([k, v]) => `${k} ${v}`).sort();
}

describe('the legacy rule', () => {
  it('tells the folders apart, and reads a legacy one as its 1-based twin', async () => {
    expect(await isLegacyRun(runPaths(legacy))).toBe(true);
    expect(await isLegacyRun(runPaths(part))).toBe(false);
    const [a, b] = await Promise.all([readRunCsvs(runPaths(legacy)), readRunCsvs(runPaths(part))]);
    expect(a.legacy).toBe(true);
    expect(b.legacy).toBe(false);
    expect({ ...a, legacy: false }).toEqual(b);
    expect(b.metrics.map((r) => r.step)).toEqual([1, 2, 3]);
    expect(b.validation.map((r) => r.step)).toEqual([2]);
    // step-1 held 2 optimizer steps: its state reads as checkpoint-2's
    const state = (await readTrainerState(join(runPaths(legacy).checkpoints, 'step-1')))!;
    expect(state).toEqual(await readTrainerState(runPaths(part).checkpoint(2)));
    expect(state).toMatchObject({ version: 2, step: 2, best: { step: 2 } });
    expect(state.optimizer.stepCount).toBe(2);
    expect((await readTrainerState(join(runPaths(legacy).checkpoints, 'best')))!.step).toBe(2);
  });

  it('finds a checkpoint by either name', async () => {
    const legacyCk = runPaths(legacy).checkpoints,
      partCk = runPaths(part).checkpoints;
    expect(await resolveCheckpointDir(join(partCk, 'step-2'))).toBe(join(partCk, 'checkpoint-3'));
    expect(await resolveCheckpointDir(join(legacyCk, 'checkpoint-3'))).toBe(join(legacyCk, 'step-2'));
    expect(await resolveCheckpointDir(join(partCk, 'checkpoint-3'))).toBe(join(partCk, 'checkpoint-3'));
    expect(await resolveCheckpointDir(join(partCk, 'checkpoint-9'))).toBe(join(partCk, 'checkpoint-9')); // neither: left for the loader to report
  });

  it('a summary.json without step_base is read shifted', async () => {
    const dir = join(s.dir, 'summaries');
    await cp(whole, dir, { recursive: true });
    const now = (await readRunSummary(runPaths(dir).summary))!;
    const raw = JSON.parse(await readFile(runPaths(dir).summary, 'utf8'));
    const { step_base: _, ...rest } = raw;
    await writeFile(
      runPaths(dir).summary,
      JSON.stringify({
        ...rest,
        best_step: raw.best_step - 1,
        test: { ...raw.test, step_base: undefined, checkpoint_step: raw.test.checkpoint_step - 1 },
      }),
    );
    expect(await readRunSummary(runPaths(dir).summary)).toEqual({
      ...now,
      test: { ...now.test, step_base: undefined },
    });
    expect(now.best_step).toBe(now.test.checkpoint_step);
  });
});

describe('renumbering a legacy folder', () => {
  it('gives back the 1-based folder byte for byte, and does nothing the second time', async () => {
    const dir = join(s.dir, 'renumbered');
    await cp(legacy, dir, { recursive: true });
    const r = (await renumberLegacyRun(runPaths(dir)))!;
    expect(r.checkpoints).toEqual([
      ['checkpoints/step-0', 'checkpoints/checkpoint-1'],
      ['checkpoints/step-1', 'checkpoints/checkpoint-2'],
      ['checkpoints/step-2', 'checkpoints/checkpoint-3'],
    ]);
    expect(r.message).toMatch(
      /step-0 -> checkpoint-1, step-1 -> checkpoint-2, step-2 -> checkpoint-3; steps \+ 1 in metrics\.csv, validation\.csv, rollouts\.jsonl, 1 events file, 4 trainer states/,
    );
    await expectSameFiles(dir, part);
    expect(await pathExists(join(dir, RENUMBER_DIR))).toBe(false);
    expect(await renumberLegacyRun(runPaths(dir))).toBeNull();
  });

  it('a kill at any point leaves a folder that the next renumbering finishes, to the same bytes', async () => {
    const changes: string[] = [];
    const probe = join(s.dir, 'count');
    await cp(legacy, probe, { recursive: true });
    await renumberLegacyRun(runPaths(probe), { before: (c) => void changes.push(c) });
    // staged files, COMMIT, their moves, the folder renames, COMMIT and .renumber deleted
    expect(changes.length).toBeGreaterThan(20);
    for (let k = 0; k < changes.length; k++) {
      const dir = join(s.dir, `killed-${k}`);
      await cp(legacy, dir, { recursive: true });
      let seen = 0;
      await expect(
        renumberLegacyRun(runPaths(dir), {
          before: () => {
            if (seen++ === k) throw new Error('killed');
          },
        }),
      ).rejects.toThrow('killed');
      await renumberLegacyRun(runPaths(dir));
      await expectSameFiles(dir, part);
      await rm(dir, { recursive: true });
    }
  });

  it('refuses a folder holding checkpoints of both versions', async () => {
    const dir = join(s.dir, 'mixed');
    await cp(legacy, dir, { recursive: true });
    await cp(runPaths(part).checkpoint(3), join(runPaths(dir).checkpoints, 'checkpoint-3'), { recursive: true });
    await expect(renumberLegacyRun(runPaths(dir))).rejects.toThrow(
      /holds checkpoints of two versions \(step-0 and checkpoint-3\)/,
    );
  });
});

describe('train --resume on a legacy folder', () => {
  it.each([['at once'], ['after a kill in the middle of its renumbering']])(
    'renumbers it %s and ends where a run that never stopped ends',
    async (how) => {
      const dir = join(s.dir, `resumed-${how.length}`);
      await cp(legacy, dir, { recursive: true });
      if (how !== 'at once') {
        let seen = 0;
        await expect(
          renumberLegacyRun(runPaths(dir), {
            before: () => {
              if (seen++ === 14) throw new Error('killed');
            },
          }),
        ).rejects.toThrow('killed');
        expect(await pathExists(join(dir, RENUMBER_DIR, 'COMMIT'))).toBe(true); // killed during the commit
      }
      const r = await runTraining(testConfig(s, 'paft', dir, extra), { ...quiet, resume: true });
      expect(r).toMatchObject({ interrupted: false, completedSteps: 5 });
      const log = await readFile(join(dir, 'log.jsonl'), 'utf8');
      expect(log.match(/renumbered .* to steps from 1/g)).toHaveLength(1);
      expect(log).toContain('resuming mini-hotpotqa-cold-paft-q0.5-seed7 after step 3');

      const pa = runPaths(whole),
        pb = runPaths(dir);
      expect((await readdir(pb.checkpoints)).sort()).toEqual((await readdir(pa.checkpoints)).sort());
      for (const name of await readdir(pa.checkpoints)) {
        for (const f of ['model.safetensors', 'optimizer.safetensors']) {
          expect([
            name,
            f,
            (await readFile(join(pb.checkpoints, name, f))).equals(await readFile(join(pa.checkpoints, name, f))),
          ]).toEqual([name, f, true]);
        }
        const [sa, sb] = await Promise.all([
          readTrainerState(join(pa.checkpoints, name)),
          readTrainerState(join(pb.checkpoints, name)),
        ]);
        expect({ ...sb!, elapsed_s: 0 }).toEqual({ ...sa!, elapsed_s: 0 });
      }
      expect(untimed(await readMetricsCsv(pb.metrics))).toEqual(untimed(await readMetricsCsv(pa.metrics)));
      expect(await readValidationCsv(pb.validation)).toEqual(await readValidationCsv(pa.validation));
      expect(await readFile(pb.rollouts, 'utf8')).toBe(await readFile(pa.rollouts, 'utf8'));
      const events = await eventSteps(whole);
      expect(events.filter((e) => e.includes(' train/loss '))).toHaveLength(5);
      expect(events.filter((e) => e.startsWith('1 ')).length).toBeGreaterThan(5); // steps from 1 in TensorBoard too
      expect(await eventSteps(dir)).toEqual(events);
      const [ra, rb] = await Promise.all([readRunSummary(pa.summary), readRunSummary(pb.summary)]);
      const untimedSummary = (x: typeof ra) => ({
        ...x!,
        wall_s: 0,
        finished_at: '',
        provenance: undefined,
        test: { ...x!.test, wall_s: 0 },
      });
      expect(untimedSummary(rb)).toEqual(untimedSummary(ra));
      expect(await readFile(pb.predictions('test'), 'utf8')).toBe(await readFile(pa.predictions('test'), 'utf8'));
    },
  );
});
