import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkTheoryArgs } from '../../src/cli/theory.js';
import { escapeTimesStudy } from '../../src/theory/studies/escape-times-study.js';
import { escortStudy } from '../../src/theory/studies/escort-study.js';
import { estimatorStudies } from '../../src/theory/studies/estimator-study.js';
import { labelNoiseStudy } from '../../src/theory/studies/label-noise-study.js';
import { softmaxEscapeStudy } from '../../src/theory/studies/softmax-escape-study.js';
import type { Study } from '../../src/theory/studies/study.js';
import { writeStudies } from '../../src/theory/write.js';

// the estimator studies at a reduced size (the command runs larger ones)
const small = { ms: [2, 4, 8, 16], varianceMs: [4, 8], reps: 1500, p1s: [0.2, 0.1], mForP: 64 };

describe('the theory studies', () => {
  let studies: Study[];
  beforeAll(() => {
    studies = [
      escapeTimesStudy(),
      softmaxEscapeStudy({ p0s: [1e-1, 1e-2, 1e-3, 1e-4, 1e-5] }),
      escortStudy(),
      labelNoiseStudy({ steps: 50000 }),
      ...estimatorStudies({ seed: 5, ...small }),
    ];
  });

  it('every check holds', () => {
    const failed = studies.flatMap((s) =>
      s.findings.filter((f) => !f.ok).map((f) => `${s.id}: ${f.claim} = ${f.measured}`),
    );
    expect(failed).toEqual([]);
    expect(studies.flatMap((s) => s.findings).length).toBeGreaterThan(30);
  });

  it('escape_times has the columns q,p0,t_numeric,t_asymptotic for 5 q x 6 p0', () => {
    const t = studies[0]!.tables.find((x) => x.name === 'escape_times')!.table;
    expect(t.columns).toEqual(['q', 'p0', 't_numeric', 't_asymptotic']);
    expect(t.rows).toHaveLength(30);
    expect(t.rows[0]).toEqual([0, 0.1, expect.closeTo(13.2833380435613, 10), 10]);
  });

  it('are deterministic from the seed, and the seed only moves the Monte Carlo columns', () => {
    const one = { ...small, qs: [0.5], p1s: [0.2] };
    const a = estimatorStudies({ seed: 5, ...one })[2]!.tables[0]!.table;
    const b = estimatorStudies({ seed: 5, ...one })[2]!.tables[0]!.table;
    const c = estimatorStudies({ seed: 6, ...one })[2]!.tables[0]!.table;
    expect(a).toEqual(b);
    const mc = ['var_garl_mc', 'var_paft_mc'].map((n) => a.columns.indexOf(n));
    const exact = a.columns.indexOf('var_paft');
    expect(a.rows.map((r) => r[exact])).toEqual(c.rows.map((r) => r[exact]));
    expect(a.rows.map((r) => r[mc[0]!])).not.toEqual(c.rows.map((r) => r[mc[0]!]));
  });

  it('are written as CSV, Markdown and SVG files plus summary.md', () => {
    const dir = mkdtempSync(join(tmpdir(), 'theory-'));
    try {
      const files = writeStudies(studies, dir, { seed: 5 });
      const names = readdirSync(dir).sort();
      expect(names).toEqual(files.map((f) => f.slice(dir.length + 1)).sort());
      for (const n of [
        'escape_times.csv',
        'escape_times.md',
        'escape_times.svg',
        'softmax_escape.svg',
        'escort.svg',
        'label_noise.csv',
        'estimator_bias_m.svg',
        'estimator_bias_p.csv',
        'estimator_variance.md',
        'summary.md',
      ]) {
        expect(names).toContain(n);
      }
      expect(readFileSync(join(dir, 'escape_times.csv'), 'utf8').split('\n')[0]).toBe('q,p0,t_numeric,t_asymptotic');
      expect(readFileSync(join(dir, 'summary.md'), 'utf8')).toMatch(/^# Theory studies \(seed 5\)/);
      expect(names.some((n) => n.includes('.tmp-'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('theory command flags', () => {
  it('default, accept and reject with the flag named', () => {
    expect(checkTheoryArgs({})).toEqual({ out: 'results/theory', seed: 0 });
    expect(checkTheoryArgs({ out: 'x', seed: 7 })).toEqual({ out: 'x', seed: 7 });
    expect(() => checkTheoryArgs({ out: '' })).toThrow(/^--out: expected a directory path/);
    expect(() => checkTheoryArgs({ seed: -1 })).toThrow(/^--seed: expected an integer/);
    expect(() => checkTheoryArgs({ seed: 1.5 })).toThrow(/^--seed/);
    expect(() => checkTheoryArgs({ seed: NaN })).toThrow(/^--seed/);
  });
});
