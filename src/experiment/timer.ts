/** Wall-clock time per phase of a step (seconds), measured around awaited work. */
export const PHASES = ['generate', 'score', 'train', 'optimizer'] as const;
export type PhaseName = (typeof PHASES)[number];

export class PhaseTimer {
  readonly seconds: Record<PhaseName, number> = { generate: 0, score: 0, train: 0, optimizer: 0 };

  async time<T>(phase: PhaseName, work: () => Promise<T> | T): Promise<T> {
    const t0 = performance.now();
    try {
      return await work();
    } finally {
      this.seconds[phase] += (performance.now() - t0) / 1000;
    }
  }
}
