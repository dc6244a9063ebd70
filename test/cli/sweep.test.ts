/** data-scripts/sweep.sh: the commands it runs (--dry-run, and with a stand-in CLI), and its usage errors. No training runs here. */
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = process.cwd();
const SCRIPT = join(ROOT, 'data-scripts', 'sweep.sh');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function sweep(args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile('bash', [SCRIPT, ...args], { cwd: ROOT, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'tsallis-sweep-'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const GRPO = 'configs/mini/mini-finqa-cold-grpo.yaml';
const GARL = 'configs/mini/mini-finqa-cold-garl-q0.5.yaml';

describe('sweep.sh --dry-run', () => {
  it('prints the train command of each config, -j 2 and --threads, then the report', async () => {
    const out = join(tmp, 'sweep');
    const r = await sweep(['--dry-run', '-j', '2', '--threads', '1', '--out', out, GRPO, GARL]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        `# 2 runs in ${out}: 2 to run, 2 at a time; 0 finished`,
        `./bin/tsallis-run train --config ${GRPO} --out ${out}/mini-finqa-cold-grpo --set threads=1 >> ${out}/mini-finqa-cold-grpo.log 2>&1`,
        `./bin/tsallis-run train --config ${GARL} --out ${out}/mini-finqa-cold-garl-q0.5 --set threads=1 >> ${out}/mini-finqa-cold-garl-q0.5.log 2>&1`,
        `./bin/tsallis-run report ${out} --out ${out}/report --summary ${out}/summary.csv`,
        '',
      ].join('\n'),
    );
  });

  it('skips finished runs, resumes unfinished ones, and sweeps q with a directory per value', async () => {
    const out = join(tmp, 'q');
    await mkdir(join(out, 'mini-finqa-cold-garl-q0.5-q0'), { recursive: true });
    await writeFile(join(out, 'mini-finqa-cold-garl-q0.5-q0', 'summary.json'), '{}');
    await mkdir(join(out, 'mini-finqa-cold-garl-q0.5-q1'), { recursive: true });
    const r = await sweep(['--out', `${out}/`, '--q', '0,0.25,1', '--dry-run', GARL]);
    expect(r.code).toBe(0);
    const run = (q: string, extra = '') =>
      `./bin/tsallis-run train --config ${GARL} --out ${out}/mini-finqa-cold-garl-q0.5-q${q} --set algorithm.q=${q}${extra} >> ${out}/mini-finqa-cold-garl-q0.5-q${q}.log 2>&1`;
    expect(r.stdout.split('\n')).toEqual([
      `# 3 runs in ${out}: 2 to run, 1 at a time; 1 finished`,
      `# skip ${out}/mini-finqa-cold-garl-q0.5-q0: finished`,
      run('0.25'),
      run('1', ' --resume'),
      `./bin/tsallis-run report ${out} --out ${out}/report --summary ${out}/summary.csv`,
      '',
    ]);
  });

  it('sweeps seeds within each q: a directory per q and seed, --set algorithm.q then --set seed', async () => {
    const out = join(tmp, 'seeds');
    const r = await sweep(['--dry-run', '--q', '0,1', '--seeds', '0,1', '--threads', '2', '--out', out, GARL]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const run = (q: string, s: string) => {
      const dir = `${out}/mini-finqa-cold-garl-q0.5-q${q}-seed${s}`;
      return `./bin/tsallis-run train --config ${GARL} --out ${dir} --set algorithm.q=${q} --set seed=${s} --set threads=2 >> ${dir}.log 2>&1`;
    };
    expect(r.stdout.split('\n')).toEqual([
      `# 4 runs in ${out}: 4 to run, 1 at a time; 0 finished`,
      run('0', '0'),
      run('0', '1'),
      run('1', '0'),
      run('1', '1'),
      `./bin/tsallis-run report ${out} --out ${out}/report --summary ${out}/summary.csv`,
      '',
    ]);
  });

  it('passes each --set through after its own, in order, quoted', async () => {
    const out = join(tmp, 'set');
    const r = await sweep([
      '--dry-run',
      '--seeds=3',
      '--set',
      'train.steps=120',
      '--threads',
      '1',
      '--set=task.prompt=a b',
      '--set',
      'x=$(y);*',
      '--out',
      out,
      GRPO,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const dir = `${out}/mini-finqa-cold-grpo-seed3`;
    expect(r.stdout.split('\n')[1]).toBe(
      `./bin/tsallis-run train --config ${GRPO} --out ${dir} --set seed=3 --set threads=1 --set train.steps=120 --set task.prompt=a\\ b --set x=\\$\\(y\\)\\;\\* >> ${dir}.log 2>&1`,
    );
  });

  it('skips finished seed runs and resumes unfinished ones', async () => {
    const out = join(tmp, 'resume');
    await mkdir(join(out, 'mini-finqa-cold-grpo-seed0'), { recursive: true });
    await writeFile(join(out, 'mini-finqa-cold-grpo-seed0', 'summary.json'), '{}');
    await mkdir(join(out, 'mini-finqa-cold-grpo-seed2'), { recursive: true });
    // A directory without the seed suffix is another run: it neither skips nor resumes seed runs.
    await mkdir(join(out, 'mini-finqa-cold-grpo'), { recursive: true });
    await writeFile(join(out, 'mini-finqa-cold-grpo', 'summary.json'), '{}');
    const r = await sweep(['--dry-run', '--seeds', '0,1,2', '--out', out, GRPO]);
    expect(r.code).toBe(0);
    const run = (s: string, extra = '') =>
      `./bin/tsallis-run train --config ${GRPO} --out ${out}/mini-finqa-cold-grpo-seed${s} --set seed=${s}${extra} >> ${out}/mini-finqa-cold-grpo-seed${s}.log 2>&1`;
    expect(r.stdout.split('\n')).toEqual([
      `# 3 runs in ${out}: 2 to run, 1 at a time; 1 finished`,
      `# skip ${out}/mini-finqa-cold-grpo-seed0: finished`,
      run('1'),
      run('2', ' --resume'),
      `./bin/tsallis-run report ${out} --out ${out}/report --summary ${out}/summary.csv`,
      '',
    ]);
  });

  it('expands folders and quoted globs, sorted, each config once', async () => {
    const r = await sweep([
      '--dry-run',
      '--out',
      tmp,
      'configs/mini/mini-musique-warm-paft-*.yaml',
      'configs/mini/mini-musique-warm-paft-q0.25.yaml',
    ]);
    expect(r.code).toBe(0);
    expect(
      r.stdout
        .split('\n')
        .filter((l) => l.includes(' train '))
        .map((l) => l.split(' ')[3]),
    ).toEqual(['configs/mini/mini-musique-warm-paft-q0.25.yaml', 'configs/mini/mini-musique-warm-paft-q0.75.yaml']);
    const all = await sweep(['--dry-run', '--out', tmp, 'configs/mini/']);
    expect(all.stdout.split('\n')[0]).toBe(`# 48 runs in ${tmp}: 48 to run, 1 at a time; 0 finished`);
  });
});

describe('sweep.sh usage', () => {
  it.each([
    [['-j', '0', GRPO], 'sweep.sh: -j: expected a positive integer, got "0" (see -h)'],
    [['--threads', 'two', GRPO], 'sweep.sh: --threads: expected a positive integer, got "two" (see -h)'],
    [['--q', '0,1.5', GRPO], 'sweep.sh: --q: expected q in [0, 1], got "1.5" (see -h)'],
    [['--bogus', GRPO], 'sweep.sh: unknown option --bogus (see -h)'],
    [['--dry-run'], 'sweep.sh: no configs given (see -h)'],
    [['configs/mini/nope.yaml'], 'sweep.sh: configs/mini/nope.yaml: no such config, folder or matching file (see -h)'],
    [['--out'], 'sweep.sh: --out needs a value (see -h)'],
    [
      ['--seeds', '1,,2', GRPO],
      'sweep.sh: --seeds: expected a comma-separated list of seeds (integers in [0, 2^32)), got "1,,2" (see -h)',
    ],
    [['--seeds', '-1', GRPO], 'sweep.sh: --seeds: expected a seed (an integer in [0, 2^32)), got "-1" (see -h)'],
    [['--seeds', '0,1.5', GRPO], 'sweep.sh: --seeds: expected a seed (an integer in [0, 2^32)), got "1.5" (see -h)'],
    [
      ['--seeds', '4294967296', GRPO],
      'sweep.sh: --seeds: expected a seed (an integer in [0, 2^32)), got "4294967296" (see -h)',
    ],
    [['--seeds', '0,0', GRPO], 'sweep.sh: --seeds names 0 twice (see -h)'],
    [['--seeds', '1,01', GRPO], 'sweep.sh: --seeds names 1 twice (see -h)'],
    [['--set', 'foo', GRPO], 'sweep.sh: --set: expected KEY=VALUE, got "foo" (see -h)'],
    [['--set', '=1', GRPO], 'sweep.sh: --set: expected KEY=VALUE, got "=1" (see -h)'],
    [['--set'], 'sweep.sh: --set needs a value (see -h)'],
    [['--seeds', '0,1', '--set', 'seed=2', GRPO], 'sweep.sh: --set seed=2: --seeds sets seed (see -h)'],
    [['--q', '0', '--set', 'algorithm.q=1', GRPO], 'sweep.sh: --set algorithm.q=1: --q sets algorithm.q (see -h)'],
  ])('%j exits 2 with a one-line message', async (args, message) => {
    const r = await sweep(['--dry-run', ...args]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`${message}\n`);
  });

  it('-h prints the header: usage and examples', async () => {
    const r = await sweep(['-h']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^sweep\.sh: /);
    expect(r.stdout).toContain('Usage: data-scripts/sweep.sh [-j N] [--threads T]');
    expect(r.stdout).toContain('data-scripts/sweep.sh -j 2 --threads 1 configs/mini/mini-finqa-*.yaml');
    expect(r.stdout).toContain('--seeds 0,1,2 --set train.steps=120');
    expect(r.stdout).not.toMatch(/^#|set -uo/m);
  });
});

describe('sweep.sh running (a stand-in for tsallis-run)', () => {
  it('runs N at a time, logs each run, goes past a failure, reports, and exits 1 naming it', async () => {
    const calls = join(tmp, 'calls.txt');
    const fake = join(tmp, 'fake-tsallis-run');
    // Records its arguments; `train` makes the run directory, takes a moment (and says when it ends), fails for configs named *fail*, else writes summary.json.
    await writeFile(
      fake,
      [
        '#!/usr/bin/env bash',
        'echo "$*" >> "$CALLS"',
        '[[ $1 == train ]] || exit 0',
        'while (($#)); do case $1 in --out) out=$2; shift;; --config) cfg=$2; shift;; esac; shift; done',
        'mkdir -p "$out"; echo "training $cfg"; sleep 0.5; echo "end $out" >> "$CALLS"',
        '[[ $cfg == *fail* ]] && { echo "boom" >&2; exit 3; }',
        'echo "{}" > "$out/summary.json"',
        '',
      ].join('\n'),
    );
    await chmod(fake, 0o755);
    const cfg = join(tmp, 'cfg');
    await mkdir(cfg);
    for (const n of ['a', 'b', 'c-fail', 'd']) await writeFile(join(cfg, `${n}.yaml`), `# ${n}\n`);
    const out = join(tmp, 'out');
    await mkdir(join(out, 'b'), { recursive: true });
    await writeFile(join(out, 'b', 'summary.json'), '{}');
    await mkdir(join(out, 'd'));

    const r = await sweep(['-j', '2', '--threads', '1', '--out', out, cfg], { TSALLIS_RUN: fake, CALLS: calls });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('skip  b: finished');
    expect(r.stderr).toContain('3 runs in');
    expect(r.stderr.split('\n').slice(-3)).toEqual([
      'sweep.sh: 1 of 3 runs failed:',
      `  c-fail (exit 3, log ${out}/c-fail.log)`,
      '',
    ]);
    const all = (await readFile(calls, 'utf8')).trim().split('\n');
    // Two at a time: both first runs start before either ends, the third after one of them ended.
    expect(all.slice(0, 3).map((l) => l.split(' ')[0])).toEqual(['train', 'train', 'end']);
    const lines = all.filter((l) => !l.startsWith('end '));
    // Runs may finish in any order; the report comes last.
    expect(lines.slice(0, 3).sort()).toEqual([
      `train --config ${cfg}/a.yaml --out ${out}/a --set threads=1`,
      `train --config ${cfg}/c-fail.yaml --out ${out}/c-fail --set threads=1`,
      `train --config ${cfg}/d.yaml --out ${out}/d --set threads=1 --resume`,
    ]);
    expect(lines[3]).toBe(`report ${out} --out ${out}/report --summary ${out}/summary.csv`);
    expect(lines).toHaveLength(4);
    const log = await readFile(join(out, 'c-fail.log'), 'utf8');
    expect(log).toMatch(/^# \S+ .*fake-tsallis-run train --config .*c-fail\.yaml/);
    expect(log).toContain(`training ${cfg}/c-fail.yaml\nboom\n`);

    // Again: a and d are finished now, c-fail is resumed; it fails again.
    await rm(calls);
    const again = await sweep(['-j', '2', '--threads', '1', '--out', out, cfg], { TSALLIS_RUN: fake, CALLS: calls });
    expect(again.code).toBe(1);
    expect((await readFile(calls, 'utf8')).trim().split('\n')).toEqual([
      `train --config ${cfg}/c-fail.yaml --out ${out}/c-fail --set threads=1 --resume`,
      `end ${out}/c-fail`,
      `report ${out} --out ${out}/report --summary ${out}/summary.csv`,
    ]);
  });

  it('gives the stand-in each seed and --set as separate arguments, a value with a space intact', async () => {
    const calls = join(tmp, 'calls.txt');
    const fake = join(tmp, 'args');
    // One line per argument of each call (an empty line after each); train writes summary.json in its --out.
    await writeFile(
      fake,
      [
        '#!/usr/bin/env bash',
        '{ printf "%s\\n" "$@"; echo; } >> "$CALLS"',
        '[[ $1 == train ]] || exit 0',
        'while (($#)); do [[ $1 == --out ]] && out=$2; shift; done',
        'mkdir -p "$out"; echo {} > "$out/summary.json"',
        '',
      ].join('\n'),
    );
    await chmod(fake, 0o755);
    const out = join(tmp, 'out');
    const r = await sweep(['--seeds', '0,1', '--set', 'train.steps=120', '--set=task.prompt=a b', '--out', out, GRPO], {
      TSALLIS_RUN: fake,
      CALLS: calls,
    });
    expect(r.stderr).toContain('all 2 runs finished');
    expect(r.code).toBe(0);
    const runs = (await readFile(calls, 'utf8'))
      .split('\n\n')
      .filter((c) => c.trim() !== '')
      .map((c) => c.trim().split('\n'));
    const train = (s: string) => [
      'train',
      '--config',
      GRPO,
      '--out',
      `${out}/mini-finqa-cold-grpo-seed${s}`,
      '--set',
      `seed=${s}`,
      '--set',
      'train.steps=120',
      '--set',
      'task.prompt=a b',
    ];
    expect(runs).toEqual([
      train('0'),
      train('1'),
      ['report', out, '--out', `${out}/report`, '--summary', `${out}/summary.csv`],
    ]);
  });

  it('exits 0 when every run finishes', async () => {
    const fake = join(tmp, 'ok');
    await writeFile(
      fake,
      '#!/usr/bin/env bash\nif [[ $1 == train ]]; then mkdir -p "$5"; echo {} > "$5/summary.json"; fi\n',
    );
    await chmod(fake, 0o755);
    const r = await sweep(['--out', join(tmp, 'out'), GRPO, GARL], { TSALLIS_RUN: fake });
    expect(r.stderr).toContain('all 2 runs finished');
    expect(r.code).toBe(0);
  });
});

describe('sweep.sh and run locks', () => {
  it('skips a run whose run.lock names a live process, resumes one whose lock is stale, and exits 1 naming the skipped', async () => {
    const calls = join(tmp, 'calls.txt');
    const fake = join(tmp, 'fake');
    await writeFile(
      fake,
      [
        '#!/usr/bin/env bash',
        'echo "$*" >> "$CALLS"',
        '[[ $1 == train ]] || exit 0',
        'while (($#)); do [[ $1 == --out ]] && out=$2; shift; done',
        'mkdir -p "$out"; echo {} > "$out/summary.json"',
        '',
      ].join('\n'),
    );
    await chmod(fake, 0o755);
    const cfg = join(tmp, 'cfg');
    await mkdir(cfg);
    for (const n of ['live', 'stale']) await writeFile(join(cfg, `${n}.yaml`), `# ${n}\n`);
    const out = join(tmp, 'out');
    const host = (await import('node:os')).hostname();
    for (const [n, pid] of [
      ['live', process.pid],
      ['stale', 4194305],
    ] as const) {
      await mkdir(join(out, n), { recursive: true });
      await writeFile(
        join(out, n, 'run.lock'),
        JSON.stringify({ pid, host, started: '2026-12-06T00:00:00.000Z' }) + '\n',
      );
    }
    const r = await sweep(['--out', out, cfg], { TSALLIS_RUN: fake, CALLS: calls });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`skip  live: locked by process ${process.pid} on ${host} (training there now)`);
    expect(r.stderr).toContain(`live (process ${process.pid} on ${host})`);
    expect((await readFile(calls, 'utf8')).trim().split('\n')).toEqual([
      `train --config ${cfg}/stale.yaml --out ${out}/stale --resume`,
      `report ${out} --out ${out}/report --summary ${out}/summary.csv`,
    ]);
  });
});

/** Writes an executable script into `dir`. */
async function script(dir: string, name: string, lines: string[]): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, ['#!/usr/bin/env bash', ...lines, ''].join('\n'));
  await chmod(path, 0o755);
  return path;
}

/**
 * A stand-in Slurm on PATH: `sbatch` records its arguments (one a line) and the task file it is given in
 * $SB/, prints job id 4242, and runs each array task itself, one after another, with the SLURM_* variables
 * set and its output in --output (%A and %a replaced). With $SB/term-after-steps, it sends the first task
 * SIGTERM once its run has logged that many steps (Slurm's --signal=B:TERM), and reruns a task that asked
 * `scontrol requeue`. `squeue` lists the job while $SB/queued exists.
 */
async function fakeSlurm(bin: string, sb: string): Promise<void> {
  await mkdir(bin, { recursive: true });
  await mkdir(sb, { recursive: true });
  await script(bin, 'sbatch', [
    'printf "%s\\n" "$@" > "$SB/args"',
    'while [[ $1 == -* ]]; do case $1 in --array=*) array=${1#*=};; --output=*) output=${1#*=};; esac; shift; done',
    'cp "$2" "$SB/tasks"',
    'last=${array#0-}; last=${last%%%*}',
    'echo 4242',
    'for ((t = 0; t <= last; t++)); do',
    '  out=${output//%A/4242}; out=${out//%a/$t}',
    '  for ((attempt = 0; attempt < 3; attempt++)); do',
    '    SLURM_JOB_ID=$((5000 + t)) SLURM_ARRAY_JOB_ID=4242 SLURM_ARRAY_TASK_ID=$t bash "$@" >> "$out" 2>&1 &',
    '    pid=$!',
    '    if [[ -f $SB/term-after-steps && $t == 0 && $attempt == 0 ]]; then',
    '      until [[ $(cat "$SB"/steps-* 2>/dev/null | wc -l) -ge $(cat "$SB/term-after-steps") ]]; do sleep 0.05; done',
    '      kill -TERM $pid',
    '    fi',
    '    wait $pid',
    '    grep -qx "requeue 4242_$t" "$SB/scontrol" 2>/dev/null || break',
    '    sed -i "/^requeue 4242_$t\\$/d" "$SB/scontrol"',
    '  done',
    'done',
  ]);
  await script(bin, 'scontrol', ['echo "$*" >> "$SB/scontrol"']);
  await script(bin, 'squeue', ['[[ -f $SB/queued ]] && echo 4242_0', 'exit 0']);
}

describe('sweep.sh --slurm', () => {
  it('--dry-run prints the array tasks and the sbatch command with every passthrough', async () => {
    const out = join(tmp, 'sl');
    await mkdir(join(out, 'mini-finqa-cold-grpo-q0-seed1'), { recursive: true });
    await writeFile(join(out, 'mini-finqa-cold-grpo-q0-seed1', 'summary.json'), '{}');
    await mkdir(join(out, 'mini-finqa-cold-grpo-q1-seed0'), { recursive: true });
    const r = await sweep([
      '--dry-run',
      '--slurm',
      '-j',
      '2',
      '--q',
      '0,1',
      '--seeds',
      '0,1',
      '--threads',
      '4',
      '--set',
      'train.steps=2',
      '--partition',
      'gpu',
      '--time=1:00:00',
      '--cpus-per-run',
      '4',
      '--gpus-per-run',
      '1',
      '--mem',
      '16G',
      '--sbatch-arg',
      '--account=abc',
      '--sbatch-arg=--qos=a b',
      '--out',
      out,
      GRPO,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    const run = (q: string, s: string, extra = '') => {
      const dir = `${out}/mini-finqa-cold-grpo-q${q}-seed${s}`;
      return `./bin/tsallis-run train --config ${GRPO} --out ${dir} --set algorithm.q=${q} --set seed=${s} --set threads=4 --set device=cuda --set train.steps=2${extra} >> ${dir}.log 2>&1`;
    };
    expect(lines.slice(0, 5)).toEqual([
      `# 4 runs in ${out}: 3 to run as Slurm array tasks, 2 at a time; 1 finished`,
      `# task 0: ${run('0', '0')}`,
      `# skip ${out}/mini-finqa-cold-grpo-q0-seed1: finished`,
      `# task 1: ${run('1', '0', ' --resume')}`,
      `# task 2: ${run('1', '1')}`,
    ]);
    expect(lines[5]).toMatch(
      new RegExp(
        `^sbatch --parsable --wait --job-name=sweep-sl --array=0-2%2 --output=${out}/slurm/%A_%a.out --open-mode=append --requeue --signal=B:TERM@300 ` +
          `--partition=gpu --time=1:00:00 --cpus-per-task=4 --gres=gpu:1 --mem=16G --account=abc --qos=a\\\\ b ${ROOT}/data-scripts/slurm-array.sh ${out}/slurm/tasks-\\d{8}-\\d{6}\\.tsv$`,
      ),
    );
    expect(lines.slice(6)).toEqual([
      `./bin/tsallis-run report ${out} --out ${out}/report --summary ${out}/summary.csv`,
      '',
    ]);
  });

  it('without -j leaves the array uncapped, and --no-wait drops --wait', async () => {
    const r = await sweep(['--dry-run', '--slurm', '--no-wait', '--out', tmp, GRPO, GARL]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(
      `# 2 runs in ${tmp}: 2 to run as Slurm array tasks, as many as Slurm gives at a time; 0 finished`,
    );
    expect(r.stdout.split('\n')[3]).toMatch(/^sbatch --parsable --job-name=\S+ --array=0-1 --output=/);
  });

  it('submits one array, each task trains its run with the Slurm ids set, then reports', async () => {
    const bin = join(tmp, 'bin');
    const sb = join(tmp, 'sb');
    await fakeSlurm(bin, sb);
    // Records its arguments and the Slurm ids it saw, one line per call; train writes them to summary.json.
    const fake = await script(tmp, 'fake', [
      'echo "$* | job=$SLURM_JOB_ID task=$SLURM_ARRAY_TASK_ID" >> "$CALLS"',
      '[[ $1 == train ]] || exit 0',
      'while (($#)); do [[ $1 == --out ]] && out=$2; shift; done',
      'mkdir -p "$out"; echo "{\\"slurm_job_id\\":\\"$SLURM_JOB_ID\\"}" > "$out/summary.json"; echo "trained $out"',
    ]);
    const calls = join(tmp, 'calls.txt');
    const out = join(tmp, 'out');
    const env = { TSALLIS_RUN: fake, CALLS: calls, SB: sb, PATH: `${bin}:${process.env.PATH}` };
    const r = await sweep(
      [
        '--slurm',
        '--q',
        '0,1',
        '--threads',
        '1',
        '--set',
        'train.steps=2',
        '--set=task.prompt=a b;$(x)',
        '--out',
        out,
        GRPO,
      ],
      env,
    );
    expect(r.stderr).toContain('job 4242 finished');
    expect(r.stderr).toContain('all 2 runs finished');
    expect(r.code).toBe(0);
    const args = (await readFile(join(sb, 'args'), 'utf8')).trim().split('\n');
    expect(args).toContain('--array=0-1');
    expect(args).toContain('--wait');
    const tasks = (await readFile(join(sb, 'tasks'), 'utf8')).trim().split('\n');
    expect(tasks.map((l) => l.split('\t')[0])).toEqual([
      `${out}/mini-finqa-cold-grpo-q0`,
      `${out}/mini-finqa-cold-grpo-q1`,
    ]);
    const train = (q: string, task: number) =>
      `train --config ${GRPO} --out ${out}/mini-finqa-cold-grpo-q${q} --set algorithm.q=${q} --set threads=1 --set train.steps=2 --set task.prompt=a b;$(x) | job=${5000 + task} task=${task}`;
    expect((await readFile(calls, 'utf8')).trim().split('\n')).toEqual([
      train('0', 0),
      train('1', 1),
      `report ${out} --out ${out}/report --summary ${out}/summary.csv | job= task=`,
    ]);
    expect(JSON.parse(await readFile(join(out, 'mini-finqa-cold-grpo-q1', 'summary.json'), 'utf8'))).toEqual({
      slurm_job_id: '5001',
    });
    expect(await readFile(join(out, 'mini-finqa-cold-grpo-q1.log'), 'utf8')).toContain(
      `trained ${out}/mini-finqa-cold-grpo-q1\n`,
    );
    expect(await readFile(join(out, 'slurm', '4242_1.out'), 'utf8')).toMatch(
      /slurm job 5001 \(array 4242_1\).*\n.*mini-finqa-cold-grpo-q1: exit 0\n/,
    );

    // Again: both finished, nothing is submitted, the report is written again.
    await rm(join(sb, 'args'));
    const again = await sweep(
      [
        '--slurm',
        '--q',
        '0,1',
        '--threads',
        '1',
        '--set',
        'train.steps=2',
        '--set=task.prompt=a b;$(x)',
        '--out',
        out,
        GRPO,
      ],
      env,
    );
    expect(again.code).toBe(0);
    await expect(readFile(join(sb, 'args'))).rejects.toThrow();
  });

  it('a run sent SIGTERM checkpoints, its task requeues itself, and the requeued task resumes it: every step once', async () => {
    const bin = join(tmp, 'bin');
    const sb = join(tmp, 'sb');
    await fakeSlurm(bin, sb);
    await writeFile(join(sb, 'term-after-steps'), '3\n');
    // A trainer of 8 steps: each logged to $SB/steps-<run>; SIGTERM finishes the step, checkpoints it and exits 143; --resume goes on after the checkpoint.
    const fake = await script(tmp, 'fake', [
      '[[ $1 == train ]] || exit 0',
      'resume=0; while (($#)); do case $1 in --out) out=$2; shift;; --resume) resume=1;; esac; shift; done',
      'steps=$SB/steps-$(basename "$out"); start=1',
      '((resume)) && start=$(($(cat "$out/checkpoint") + 1))',
      'mkdir -p "$out"; term=0; trap "term=1" TERM',
      'for ((s = start; s <= 8; s++)); do',
      '  sleep 0.1; echo "step $s resume=$resume" >> "$steps"',
      '  ((term)) && { echo $s > "$out/checkpoint"; exit 143; }',
      'done',
      'echo {} > "$out/summary.json"',
    ]);
    const out = join(tmp, 'out');
    const r = await sweep(['--slurm', '--out', out, GRPO, GARL], {
      TSALLIS_RUN: fake,
      SB: sb,
      PATH: `${bin}:${process.env.PATH}`,
    });
    expect(r.stderr).toContain('all 2 runs finished');
    expect(r.code).toBe(0);
    expect(await readFile(join(sb, 'scontrol'), 'utf8')).toBe('');
    const steps = (await readFile(join(sb, 'steps-mini-finqa-cold-grpo'), 'utf8')).trim().split('\n');
    const n = Number(await readFile(join(out, 'mini-finqa-cold-grpo', 'checkpoint'), 'utf8'));
    expect(n).toBeGreaterThanOrEqual(3);
    expect(n).toBeLessThan(8);
    expect(steps).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((s) => `step ${s} resume=${s <= n ? 0 : 1}`));
    const taskLog = await readFile(join(out, 'slurm', '4242_0.out'), 'utf8');
    expect(taskLog).toContain('stopped by SIGTERM; requeueing 4242_0 to resume it');
    expect(taskLog).toMatch(/slurm job 5000 .*--resume\n/);
    expect((await readFile(join(sb, 'steps-mini-finqa-cold-garl-q0.5'), 'utf8')).trim().split('\n')).toHaveLength(8);
  });

  it('--no-wait prints the job id; a rerun refuses while it is queued and collects once it is done', async () => {
    const bin = join(tmp, 'bin');
    const sb = join(tmp, 'sb');
    await fakeSlurm(bin, sb);
    const calls = join(tmp, 'calls.txt');
    const fake = await script(tmp, 'fake', [
      'echo "$1" >> "$CALLS"',
      '[[ $1 == train ]] || exit 0',
      'while (($#)); do [[ $1 == --out ]] && out=$2; shift; done',
      'mkdir -p "$out"; echo {} > "$out/summary.json"',
    ]);
    const out = join(tmp, 'out');
    const env = { TSALLIS_RUN: fake, CALLS: calls, SB: sb, PATH: `${bin}:${process.env.PATH}` };
    const args = ['--slurm', '--no-wait', '--out', out, GRPO, GARL];
    const r = await sweep(args, env);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('4242\n');
    expect(r.stderr).toContain('submitted job 4242 (2 tasks');
    expect((await readFile(join(sb, 'args'), 'utf8')).split('\n')).not.toContain('--wait');
    expect(await readFile(join(out, 'slurm', 'job'), 'utf8')).toBe('4242\n');
    expect((await readFile(calls, 'utf8')).trim().split('\n')).toEqual(['train', 'train']);

    await writeFile(join(sb, 'queued'), '');
    const queued = await sweep(args, env);
    expect(queued.code).toBe(1);
    expect(queued.stderr).toContain('Slurm job 4242 of this sweep is still in the queue');

    await rm(join(sb, 'queued'));
    await rm(join(sb, 'args'));
    const collect = await sweep(args, env);
    expect(collect.stderr).toContain('all 0 runs finished');
    expect(collect.code).toBe(0);
    await expect(readFile(join(sb, 'args'))).rejects.toThrow();
    expect((await readFile(calls, 'utf8')).trim().split('\n')).toEqual(['train', 'train', 'report']);
  });

  it('names the runs that did not finish, with their logs, and exits 1', async () => {
    const bin = join(tmp, 'bin');
    const sb = join(tmp, 'sb');
    await fakeSlurm(bin, sb);
    const fake = await script(tmp, 'fake', ['[[ $1 == train ]] || exit 0', 'echo boom >&2; exit 3']);
    const out = join(tmp, 'out');
    const r = await sweep(['--slurm', '--out', out, GRPO], {
      TSALLIS_RUN: fake,
      SB: sb,
      PATH: `${bin}:${process.env.PATH}`,
    });
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n').slice(-3)).toEqual([
      'sweep.sh: 1 of 1 runs failed:',
      `  mini-finqa-cold-grpo (not finished; logs ${out}/mini-finqa-cold-grpo.log and ${out}/slurm/4242_0.out)`,
      '',
    ]);
    expect(await readFile(join(out, 'mini-finqa-cold-grpo.log'), 'utf8')).toContain('boom\n');
  });
});

describe('sweep.sh --gpus', () => {
  it('--dry-run runs one per GPU with --set device=cuda', async () => {
    const r = await sweep(['--dry-run', '--gpus', '0,1', '--out', tmp, GRPO]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').slice(0, 2)).toEqual([
      `# 1 runs in ${tmp}: 1 to run, 2 at a time (one per GPU of 0,1); 0 finished`,
      `./bin/tsallis-run train --config ${GRPO} --out ${tmp}/mini-finqa-cold-grpo --set device=cuda >> ${tmp}/mini-finqa-cold-grpo.log 2>&1`,
    ]);
  });

  it('runs one run per GPU at a time, each with CUDA_VISIBLE_DEVICES pinned to a GPU no other running run has', async () => {
    const calls = join(tmp, 'calls.txt');
    // Records the GPU it saw at start and end, and its arguments.
    const fake = await script(tmp, 'fake', [
      '[[ $1 == train ]] || exit 0',
      'echo "start $CUDA_VISIBLE_DEVICES $*" >> "$CALLS"',
      'while (($#)); do [[ $1 == --out ]] && out=$2; shift; done',
      'sleep 0.$((RANDOM % 4 + 1)); mkdir -p "$out"; echo {} > "$out/summary.json"',
      'echo "end $CUDA_VISIBLE_DEVICES" >> "$CALLS"',
    ]);
    const out = join(tmp, 'out');
    const r = await sweep(['--gpus', '3,GPU-a1', '--seeds', '0,1,2,3,4', '--out', out, GRPO], {
      TSALLIS_RUN: fake,
      CALLS: calls,
    });
    expect(r.stderr).toContain('all 5 runs finished');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/start mini-finqa-cold-grpo-seed0 on GPU 3: /);
    const events = (await readFile(calls, 'utf8')).trim().split('\n');
    const busy = new Set<string>();
    let starts = 0;
    for (const e of events) {
      const [what, gpu = '', ...args] = e.split(' ');
      expect(['3', 'GPU-a1']).toContain(gpu);
      if (what === 'start') {
        expect(busy.has(gpu)).toBe(false);
        busy.add(gpu);
        starts++;
        expect(args.join(' ')).toMatch(/--set seed=\d --set device=cuda$/);
      } else busy.delete(gpu);
    }
    expect(starts).toBe(5);
    expect(await readFile(join(out, 'mini-finqa-cold-grpo-seed4.log'), 'utf8')).toMatch(
      /^# \S+ CUDA_VISIBLE_DEVICES=(3|GPU-a1) /,
    );
  });
});

describe('sweep.sh --slurm and --gpus usage', () => {
  it.each([
    [
      ['--slurm', '--gpus', '0,1', GRPO],
      'sweep.sh: --gpus is for one machine; with --slurm use --gpus-per-run (see -h)',
    ],
    [['--gpus', '0,1', '-j', '2', GRPO], 'sweep.sh: --gpus runs one run per GPU; leave out -j (see -h)'],
    [
      ['--gpus', '0,,1', GRPO],
      'sweep.sh: --gpus: expected a comma-separated list of GPUs (0,1,... or UUIDs), got "0,,1" (see -h)',
    ],
    [['--gpus', '1,0,1', GRPO], 'sweep.sh: --gpus names 1 twice (see -h)'],
    [
      ['--gpus', '0', '--set', 'device=cpu', GRPO],
      'sweep.sh: --set device=cpu: --gpus and --gpus-per-run set device (see -h)',
    ],
    [
      ['--slurm', '--gpus-per-run', '0', GRPO],
      'sweep.sh: --gpus-per-run: expected a positive integer, got "0" (see -h)',
    ],
    [
      ['--partition', 'gpu', GRPO],
      'sweep.sh: --partition, --time, --cpus-per-run, --gpus-per-run, --mem and --sbatch-arg need --slurm (see -h)',
    ],
    [['--no-wait', GRPO], 'sweep.sh: --no-wait needs --slurm (see -h)'],
  ])('%j exits 2 with a one-line message', async (args, message) => {
    const r = await sweep(['--dry-run', ...args]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`${message}\n`);
  });
});
