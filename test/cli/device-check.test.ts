/** data-scripts/device-check.mjs (the GPU check a lent machine runs) on the CPU: every check runs and reports. */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureBuilt, ROOT } from './built-cli.js';

const run = promisify(execFile);

it('compares the device with the CPU (here the CPU with itself: no difference) and times both', async () => {
  ensureBuilt();
  const dir = await mkdtemp(join(tmpdir(), 'device-check-'));
  try {
    const out = join(dir, 'cpu.jsonl');
    await run(process.execPath, [join(ROOT, 'data-scripts/device-check.mjs'), '--device', 'cpu', '--out', out]);
    const lines = (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.check)).toEqual(['start', 'score', 'train', 'speed', 'speed']);
    expect(lines.slice(0, 3).every((l) => l.ok === true)).toBe(true);
    expect(lines[1].max_abs_logprob_diff).toBe(0);
    expect(lines[2].loss_rel_diff).toBe(0);
    for (const l of lines.slice(3)) {
      expect(l.generate_tokens_per_s).toBeGreaterThan(0);
      expect(l.train_tokens_per_s).toBeGreaterThan(0);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 120_000);

it('reports a device that does not start as a failed start, and exits non-zero', async () => {
  ensureBuilt();
  const dir = await mkdtemp(join(tmpdir(), 'device-check-'));
  try {
    const out = join(dir, 'webgpu.jsonl');
    // No Vulkan adapter on the CI machine: WebGPU cannot start (where it can, this test is moot and skipped).
    const r = await run(process.execPath, [
      join(ROOT, 'data-scripts/device-check.mjs'),
      '--device',
      'webgpu',
      '--out',
      out,
    ]).then(
      () => null,
      (e: { code: number }) => e,
    );
    const first = JSON.parse((await readFile(out, 'utf8')).split('\n')[0]!);
    expect(first.check).toBe('start');
    if (first.ok) return;
    expect(r?.code).not.toBe(0);
    expect(first.error).toMatch(/webgpu/i);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 120_000);
