/** Every theory study, run in order. Pure: returns the studies' tables, plots and findings. */
import { escapeTimesStudy } from './escape-times-study.js';
import { escortStudy } from './escort-study.js';
import { estimatorStudies } from './estimator-study.js';
import { labelNoiseStudy } from './label-noise-study.js';
import { softmaxEscapeStudy } from './softmax-escape-study.js';
import type { Study } from './study.js';

export type { Finding, Study } from './study.js';

export interface TheoryOptions {
  /** seeds the Monte Carlo parts (the rest is deterministic) */
  seed: number;
  /** called as each study finishes */
  onStudy?: (study: Study, seconds: number) => void;
}

export function runTheory(options: TheoryOptions): Study[] {
  const makers: (() => Study[])[] = [
    () => [escapeTimesStudy()],
    () => [softmaxEscapeStudy()],
    () => [escortStudy()],
    () => [labelNoiseStudy()],
    () => estimatorStudies({ seed: options.seed }),
  ];
  const out: Study[] = [];
  for (const make of makers) {
    const t0 = performance.now();
    const studies = make();
    const seconds = (performance.now() - t0) / 1000;
    for (const s of studies) {
      out.push(s);
      options.onStudy?.(s, seconds / studies.length);
    }
  }
  return out;
}
