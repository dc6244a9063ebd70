/** tidyCheckpoints: leftovers of killed processes are removed, a checkpoint lost between two renames is restored. */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tidyCheckpoints } from '../../src/experiment/trainer-checkpoint.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'tidy-test-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The pid of a process that has exited (more certain to be free than a made-up number). */
const gone = spawnSync(process.execPath, ['-e', '']).pid!;
const live = process.ppid;

async function dir(path: string, file = 'model.safetensors', contents = 'x'): Promise<void> {
  await mkdir(path, { recursive: true });
  await writeFile(join(path, file), contents);
}

it('removes the leftovers of gone processes, keeps those of this and live processes, restores a missing best', async () => {
  const ck = join(root, 'checkpoints');
  await dir(join(ck, 'step-2'));
  await dir(join(ck, `step-2.old-${gone}`)); // step-2 is there: the old copy is garbage
  await dir(join(ck, `step-3.partial-${gone}`));
  await dir(join(ck, `step-3.partial-${gone}.tmp-${gone}`));
  await dir(join(ck, `best.old-${gone}`), 'trainer_state.json', '{"step": 1}'); // best is missing
  await dir(join(ck, `step-4.partial-${process.pid}`));
  await dir(join(ck, `step-5.partial-${live}`));
  await dir(join(ck, `step-6.old-${live}`)); // step-6 missing, but its writer still runs
  await writeFile(join(ck, `.notes.json.tmp-${gone}-0a1b2c3d`), '{');
  await writeFile(join(ck, 'step-2', `.config.json.tmp-${gone}-12345678`), '{');
  await writeFile(join(ck, 'step-2', `.config.json.tmp-${live}-12345678`), '{');

  const lines: string[] = [];
  const r = await tidyCheckpoints({ checkpoints: ck }, (line) => lines.push(line));

  expect((await readdir(ck)).sort()).toEqual([
    'best',
    'step-2',
    `step-4.partial-${process.pid}`,
    `step-5.partial-${live}`,
    `step-6.old-${live}`,
  ]);
  expect(await readFile(join(ck, 'best', 'trainer_state.json'), 'utf8')).toBe('{"step": 1}');
  expect((await readdir(join(ck, 'step-2'))).sort()).toEqual([
    `.config.json.tmp-${live}-12345678`,
    'model.safetensors',
  ]);
  expect(r.restored).toEqual([join(ck, 'best')]);
  expect(r.removed.sort()).toEqual(
    [
      join(ck, `.notes.json.tmp-${gone}-0a1b2c3d`),
      join(ck, 'step-2', `.config.json.tmp-${gone}-12345678`),
      join(ck, `step-2.old-${gone}`),
      join(ck, `step-3.partial-${gone}`),
      join(ck, `step-3.partial-${gone}.tmp-${gone}`),
    ].sort(),
  );
  expect(lines).toHaveLength(6);
  expect(lines.find((l) => l.startsWith('restored'))).toContain(`best.old-${gone}`);
});

it.each([['checkpoint-8'], ['step-7']])(
  'restores a %s from its .old copy, and of two .old copies uses one and removes the other',
  async (name) => {
    // step-7: an earlier version's name of checkpoint-8, restored too (--resume renumbers it after tidying).
    const ck = join(root, 'checkpoints');
    const other = spawnSync(process.execPath, ['-e', '']).pid!;
    await dir(join(ck, `${name}.old-${gone}`));
    await dir(join(ck, `${name}.old-${other}`));
    const r = await tidyCheckpoints({ checkpoints: ck });
    expect(await readdir(ck)).toEqual([name]);
    expect(r.restored).toEqual([join(ck, name)]);
    expect(r.removed).toHaveLength(1);
  },
);

it('a run without a checkpoints directory has nothing to tidy', async () => {
  expect(await tidyCheckpoints({ checkpoints: join(root, 'none') })).toEqual({ removed: [], restored: [] });
});
