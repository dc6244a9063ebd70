/** Memory bounds of the done-when list; long (about a minute), so opt-in: `npm run test:long`. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ensureBuilt, ROOT } from '../cli/built-cli.js';

const long = process.env.TSALLIS_LONG_TESTS ? describe : describe.skip;

function peak(
  preset: string,
  batch: number,
  length: number,
): { peak_rss_mib_after_train_step: number; finite: boolean } {
  return JSON.parse(
    execFileSync(process.execPath, [join(ROOT, 'dist', 'bench', 'memory.js'), preset, String(batch), String(length)], {
      encoding: 'utf8',
    }),
  );
}

long('peak memory of a score pass and a train step', () => {
  beforeAll(() => ensureBuilt());
  it('small preset, 8 x 256 tokens: under 2 GB', () => {
    const r = peak('small', 8, 256);
    expect(r.finite).toBe(true);
    expect(r.peak_rss_mib_after_train_step).toBeLessThan(2048);
  });
  it('qwen3-0.6b shapes, 1 x 128 tokens: under 16 GB', () => {
    const r = peak('qwen3-0.6b', 1, 128);
    expect(r.finite).toBe(true);
    expect(r.peak_rss_mib_after_train_step).toBeLessThan(16384);
  }, 600_000);
});
