import { qColor } from '../../src/report/colours.js';
import { buildDiagnostics, meanOverSeeds } from '../../src/report/diagnostics.js';
import { fakeRun } from './fake-runs.js';

// FinQA cold: GARL q=0 (two seeds; seed 1 logged one step more), GARL q=0.5, PAFT q=0.5, GRPO.
// HotPotQA warm: GARL q=0 only. MuSiQue cold: GRPO only (no figure).
const runs = [
  fakeRun({
    task: 'finqa',
    method: 'garl',
    q: 0,
    seed: 0,
    metrics: [
      { step: 0, max_scaled_c: 1e-4, above_eps: 0.2, log_W_p10: -12, log_W_p50: -8, log_W_p90: -4, entropy: 1.0 },
      { step: 1, max_scaled_c: 1e-3, above_eps: 0.4, log_W_p10: -10, log_W_p50: -6, log_W_p90: -2, entropy: 0.8 },
    ],
  }),
  fakeRun({
    task: 'finqa',
    method: 'garl',
    q: 0,
    seed: 1,
    metrics: [
      { step: 0, max_scaled_c: 3e-4, above_eps: 0.4, log_W_p10: -14, log_W_p50: -10, log_W_p90: -6, entropy: 1.2 },
      { step: 1, max_scaled_c: 3e-3, above_eps: 0.6, log_W_p10: -12, log_W_p50: -8, log_W_p90: -4, entropy: 1.0 },
      { step: 2, max_scaled_c: 5e-3, above_eps: 0.7, log_W_p10: -11, log_W_p50: -7, log_W_p90: -3, entropy: 0.9 },
    ],
  }),
  fakeRun({
    task: 'finqa',
    method: 'garl',
    q: 0.5,
    seed: 0,
    metrics: [
      { step: 0, max_scaled_c: 0.2, above_eps: 0.9, log_W_p10: -9, log_W_p50: -5, log_W_p90: -1, entropy: 1.1 },
    ],
  }),
  fakeRun({ task: 'finqa', method: 'paft', q: 0.5, seed: 0, metrics: [{ step: 0, log_W_p50: -3, entropy: 0.7 }] }),
  fakeRun({ task: 'finqa', method: 'grpo', seed: 0, metrics: [{ step: 0, above_eps: 0.5, entropy: 0.6 }] }),
  // an older run: only max_scaled_c of the diagnostics
  fakeRun({
    task: 'hotpotqa',
    start: 'warm',
    method: 'garl',
    q: 0,
    seed: 0,
    metrics: [{ step: 0, max_scaled_c: 0.05 }],
  }),
  fakeRun({ task: 'musique', method: 'grpo', seed: 0, metrics: [{ step: 0, entropy: 1 }] }),
];

describe('diagnostic figures', () => {
  const figures = buildDiagnostics(runs);
  const figure = (file: string) => figures.find((f) => f.file === file)!;

  it('come for every dataset and start with GARL runs, and only for the columns some run logged', () => {
    expect(figures.map((f) => f.file)).toEqual([
      'diagnostics-finqa-cold-max-scaled-c.svg',
      'diagnostics-finqa-cold-above-eps.svg',
      'diagnostics-finqa-cold-log-w.svg',
      'diagnostics-finqa-cold-entropy.svg',
      'diagnostics-hotpotqa-warm-max-scaled-c.svg',
    ]);
  });

  it('draw one line per GARL q, the mean over its seeds at each step', () => {
    const c = figure('diagnostics-finqa-cold-max-scaled-c.svg');
    expect(c.series.map((s) => s.name)).toEqual(['q=0 (2 seeds)', 'q=0.5']);
    // (1e-4 + 3e-4) / 2, (1e-3 + 3e-3) / 2, and step 2 from the one seed that logged it
    const [q0, q05] = c.series;
    expect(q0!.points.map(([x]) => x)).toEqual([0, 1, 2]);
    expect(q0!.points.map(([, y]) => y)).toEqual([expect.closeTo(2e-4, 15), expect.closeTo(2e-3, 15), 5e-3]);
    expect(q05!.points).toEqual([[0, 0.2]]);
    expect(c.svg).toContain('>q=0 (2 seeds)</text>');
    const a = figure('diagnostics-finqa-cold-above-eps.svg');
    expect(a.series.map((s) => s.name)).toEqual(['q=0 (2 seeds)', 'q=0.5']); // GRPO's above_eps is not drawn here
    expect(a.series[0]!.points).toEqual([
      [0, expect.closeTo(0.3, 12)],
      [1, expect.closeTo(0.5, 12)],
      [2, 0.7],
    ]);
  });

  it('shade log W from p10 to p90 around the median', () => {
    const w = figure('diagnostics-finqa-cold-log-w.svg');
    expect(w.series.map((s) => s.name)).toEqual(['q=0 (2 seeds)', 'q=0.5']); // PAFT's log W is not drawn here
    expect(w.series[0]!.points).toEqual([
      [0, -9],
      [1, -7],
      [2, -7],
    ]);
    expect(w.series[0]!.band).toEqual([
      [0, -13, -5],
      [1, -11, -3],
      [2, -11, -3],
    ]);
    expect(w.svg).toContain('<polygon ');
  });

  it('draw entropy for every method, PAFT dashed in the colour of its q', () => {
    const e = figure('diagnostics-finqa-cold-entropy.svg');
    expect(e.series.map((s) => [s.name, s.color, s.dashed])).toEqual([
      ['GRPO', '#7f7f7f', false],
      ['GARL q=0 (2 seeds)', '#1f77b4', false],
      ['GARL q=0.5', '#ff7f0e', false],
      ['PAFT q=0.5', '#ff7f0e', true],
    ]);
    expect(e.series[1]!.points).toEqual([
      [0, 1.1],
      [1, 0.9],
      [2, 0.9],
    ]);
    expect(e.svg).toContain('stroke="#ff7f0e" stroke-width="1.8" stroke-dasharray="6 4"/>');
  });

  it('give a q the same colour in every figure', () => {
    const q0 = figures.flatMap((f) => f.series.filter((s) => /q=0\b(?!\.)/.test(s.name)).map((s) => s.color));
    expect(q0.length).toBe(5);
    expect(new Set(q0)).toEqual(new Set([qColor(0)]));
    expect(figure('diagnostics-hotpotqa-warm-max-scaled-c.svg').series).toEqual([
      { name: 'q=0', color: '#1f77b4', dashed: false, points: [[0, 0.05]] },
    ]);
  });
});

describe('qColor', () => {
  it('fixes the study grid and interpolates between its colours', () => {
    expect([0, 0.25, 0.5, 0.75, 1].map(qColor)).toEqual(['#1f77b4', '#2ca02c', '#ff7f0e', '#d62728', '#9467bd']);
    // halfway from #1f77b4 (31, 119, 180) to #2ca02c (44, 160, 44): (37.5, 139.5, 112) rounded
    expect(qColor(0.125)).toBe('#268c70');
    expect(() => qColor(1.5)).toThrow(/q must be in \[0, 1\]/);
  });
});

describe('meanOverSeeds', () => {
  it('averages at each step over the runs that logged a value there', () => {
    const a = fakeRun({
      task: 't',
      method: 'garl',
      q: 0,
      seed: 0,
      metrics: [
        { step: 0, entropy: 1 },
        { step: 1, entropy: null },
      ],
    });
    const b = fakeRun({
      task: 't',
      method: 'garl',
      q: 0,
      seed: 1,
      metrics: [
        { step: 0, entropy: 2 },
        { step: 1, entropy: 4 },
      ],
    });
    expect(meanOverSeeds([a, b], 'entropy')).toEqual([
      [0, 1.5],
      [1, 4],
    ]);
    expect(meanOverSeeds([a, b], 'above_eps')).toEqual([]);
  });
});
