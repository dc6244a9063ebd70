import { cellStyle, qColor } from '../../src/report/colours.js';
import { buildCurves, cellSeries } from '../../src/report/curves.js';
import { buildDiagnostics } from '../../src/report/diagnostics.js';
import { QUANTITIES } from '../../src/report/quantities.js';
import { runFigure } from '../../src/report/run-figure.js';
import { movingAverage, smoothingWindow } from '../../src/report/smooth.js';
import type { RunRecord } from '../../src/report/runs.js';
import { fakeRun } from './fake-runs.js';

const steps = (n: number, row: (s: number) => Record<string, number>) =>
  Array.from({ length: n }, (_, s) => ({ step: s, ...row(s) }));
const withValidation = (r: RunRecord, v: [number, number, number, number][]): RunRecord => ({
  ...r,
  validation: v.map(([step, p1, p16, m16]) => ({ step, p1, p16, m16 })),
});

// FinQA cold, 40 steps (smoothing window 2): GARL q=0 two seeds, GARL q=0.5, PAFT q=0.5, GRPO.
const runs = [
  withValidation(
    fakeRun({
      task: 'finqa',
      method: 'garl',
      q: 0,
      seed: 0,
      metrics: steps(40, (s) => ({ mean_reward: s, loss: 1, entropy: 1, max_scaled_c: 0.1 })),
    }),
    [
      [19, 10, 30, 12],
      [39, 20, 40, 22],
    ],
  ),
  withValidation(
    fakeRun({
      task: 'finqa',
      method: 'garl',
      q: 0,
      seed: 1,
      metrics: steps(40, (s) => ({ mean_reward: s + 2, loss: 2, entropy: 1, max_scaled_c: 0.1 })),
    }),
    [
      [19, 14, 34, 16],
      [39, 30, 50, 32],
    ],
  ),
  fakeRun({
    task: 'finqa',
    method: 'garl',
    q: 0.5,
    seed: 0,
    metrics: steps(40, () => ({ mean_reward: 0.5, entropy: 1 })),
  }),
  fakeRun({
    task: 'finqa',
    method: 'paft',
    q: 0.5,
    seed: 0,
    metrics: steps(40, () => ({ mean_reward: 0.3, mean_W: 0.1, entropy: 1 })),
  }),
  fakeRun({
    task: 'finqa',
    method: 'grpo',
    seed: 0,
    metrics: steps(40, (s) => ({ mean_reward: 0.2, kl: 0.01 * s, entropy: 1 })),
  }),
];

/** Legend entries of an SVG: name -> the stroke colour and whether dashed. */
function legendStyles(svg: string): Map<string, { stroke: string; dashed: boolean }> {
  const out = new Map<string, { stroke: string; dashed: boolean }>();
  for (const m of svg.matchAll(
    /<line [^>]*stroke="(#[0-9a-f]{6})" stroke-width="1.8"( stroke-dasharray="[^"]*")?\/>\n<text [^>]*>([^<]*)<\/text>/g,
  )) {
    out.set(m[3]!, { stroke: m[1]!, dashed: m[2] !== undefined });
  }
  return out;
}

describe('smoothing', () => {
  it('is the mean over the last `window` steps, fewer at the start and across gaps', () => {
    const pts: [number, number][] = [
      [0, 1],
      [1, 3],
      [2, 5],
      [3, 7],
      [5, 9],
    ];
    expect(movingAverage(pts, 1)).toEqual(pts);
    // window 2: (1), (1+3)/2, (3+5)/2, (5+7)/2, step 5 alone (step 4 is missing)
    expect(movingAverage(pts, 2)).toEqual([
      [0, 1],
      [1, 2],
      [2, 4],
      [3, 6],
      [5, 9],
    ]);
    // window 3: (1), (1+3)/2, (1+3+5)/3, (3+5+7)/3, (7+9)/2 over steps 3..5
    expect(movingAverage(pts, 3)).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
      [3, 5],
      [5, 8],
    ]);
    expect(() => movingAverage(pts, 0)).toThrow(/positive integer/);
  });

  it('takes a window of a twentieth of the run', () => {
    expect([4, 30, 40, 120, 2000].map(smoothingWindow)).toEqual([1, 2, 2, 6, 100]);
  });

  it('draws a cell as the smoothed seed mean, its seeds range as a band, the raw mean faint', () => {
    const reward = QUANTITIES.find((q) => q.key === 'reward')!;
    const line = { name: 'GARL q=0', runs: runs.slice(0, 2), color: '#1f77b4', dashed: false };
    const [raw, main] = cellSeries(line, reward, 2);
    // seed mean s + 1; its moving average over 2 steps: 1 at step 0, then (s + s + 1) / 2 = s + 0.5
    expect(raw).toMatchObject({ faint: true, color: '#1f77b4' });
    expect(raw!.points.slice(0, 3)).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
    ]);
    expect(main!.points.slice(0, 3)).toEqual([
      [0, 1],
      [1, 1.5],
      [2, 2.5],
    ]);
    // seeds smoothed: s - 0.5 and s + 1.5 (step 0: 0 and 2)
    expect(main!.band!.slice(0, 3)).toEqual([
      [0, 0, 2],
      [1, 0.5, 2.5],
      [2, 1.5, 3.5],
    ]);
    // validation is drawn point by point: the seed mean, no faint line
    const m16 = cellSeries(line, QUANTITIES.find((q) => q.key === 'validation-m16')!, 2);
    expect(m16).toHaveLength(1);
    expect(m16[0]!.points).toEqual([
      [19, 14],
      [39, 27],
    ]);
  });
});

describe('curves', () => {
  const curves = buildCurves(runs);
  const curve = (key: string) => curves.find((c) => c.file === `curves-finqa-cold-${key}.svg`)!;

  it('draw reward, loss, KL, W and validation p@1, p@k, m@k where runs logged them', () => {
    expect(curves.map((c) => c.file)).toEqual(
      ['reward', 'loss', 'kl', 'mean-w', 'validation-p1', 'validation-p16', 'validation-m16'].map(
        (k) => `curves-finqa-cold-${k}.svg`,
      ),
    );
    expect(curve('reward').series).toEqual([
      'GRPO (incomplete)',
      'GARL q=0 (2 seeds) (incomplete)',
      'GARL q=0.5 (incomplete)',
      'PAFT q=0.5 (incomplete)',
    ]);
    expect(curve('reward').title).toBe('Mean reward, FinQA, cold start (mean of the last 2 steps; faint: each step)');
    expect(curve('validation-p1').title).toBe('Validation p@1, FinQA, cold start');
    expect(curve('kl').series).toEqual(['GRPO (incomplete)']);
    // the raw data faint behind, before every full line
    const svg = curve('reward').svg;
    expect(svg).toContain('stroke="#1f77b4" stroke-width="1" stroke-opacity="0.3"/>');
    expect(svg.lastIndexOf('stroke-opacity="0.3"')).toBeLessThan(svg.indexOf('stroke-width="1.8"'));
  });

  it('give a cell the same colour in every figure, curves and diagnostics alike', () => {
    const entropy = buildDiagnostics(runs).find((d) => d.file === 'diagnostics-finqa-cold-entropy.svg')!;
    const reward = legendStyles(curve('reward').svg),
      loss = legendStyles(curve('loss').svg),
      ent = legendStyles(entropy.svg);
    expect(reward.get('GARL q=0 (2 seeds) (incomplete)')).toEqual({ stroke: qColor(0), dashed: false });
    expect(loss.get('GARL q=0 (2 seeds) (incomplete)')).toEqual({ stroke: qColor(0), dashed: false });
    expect(ent.get('GARL q=0 (2 seeds)')).toEqual({ stroke: qColor(0), dashed: false });
    expect(reward.get('PAFT q=0.5 (incomplete)')).toEqual({ stroke: qColor(0.5), dashed: true });
    expect(ent.get('PAFT q=0.5')).toEqual({ stroke: qColor(0.5), dashed: true });
    expect(reward.get('GRPO (incomplete)')).toEqual(ent.get('GRPO'));
    // and a cell alone in a figure keeps its colour (not the first of a palette)
    expect(legendStyles(curve('kl').svg).get('GRPO (incomplete)')!.stroke).toBe(cellStyle('grpo', null, 'GRPO').color);
  });

  it('fix a style for each method, and for schedules by their label', () => {
    expect(cellStyle('paft', 0.25, 'PAFT q=0.25')).toEqual({ color: qColor(0.25), dashed: true });
    expect(cellStyle('sft', null, 'SFT')).toEqual({ color: '#17becf', dashed: false });
    const g = cellStyle('garl', null, 'GARL q=1@0,0@100'),
      p = cellStyle('paft', null, 'PAFT q=1@0,0@100');
    expect(p).toEqual({ color: g.color, dashed: true });
  });
});

describe('the figure of one run', () => {
  it('draws every quantity the run logged as a panel, in its cell colour, without legends', () => {
    const svg = runFigure(runs[3]!)!;
    // reward, mean W, entropy: three panels in one SVG
    expect((svg.match(/<svg /g) ?? []).length).toBe(4);
    expect(svg).toContain('>Mean reward</text>');
    expect(svg).toContain('>Mean W</text>');
    expect(svg).toContain('>Token entropy</text>');
    expect(svg).toContain(
      'finqa-cold-paft-q0.5-seed0: PAFT q=0.5, FinQA, cold start, seed 0 (incomplete); training curves: mean of the last 2 steps',
    );
    expect(svg).toContain(`stroke="${qColor(0.5)}" stroke-width="1.8" stroke-dasharray="6 4"/>`);
    expect(svg).not.toContain('dominant-baseline="middle">PAFT');
    expect(runFigure(fakeRun({ task: 'finqa', method: 'grpo', seed: 0 }))).toBeNull();
  });
});
