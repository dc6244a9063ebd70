/**
 * Wall-clock time per phase of a step (seconds), measured around awaited work, and the tokens the
 * score and train graphs ran in it.
 */
export const PHASES = ['generate', 'score', 'train', 'optimizer'] as const;
export type PhaseName = (typeof PHASES)[number];

/** The graphs whose tokens a step counts. */
export type GraphName = 'score' | 'train';

export class PhaseTimer {
  readonly seconds: Record<PhaseName, number> = { generate: 0, score: 0, train: 0, optimizer: 0 };
  /** Tokens each graph ran, padding included (a shared prompt once per micro-batch): rows x length per run. */
  readonly tokens: Record<GraphName, number> = { score: 0, train: 0 };

  count(graph: GraphName, tokens: number): void {
    this.tokens[graph] += tokens;
  }

  async time<T>(phase: PhaseName, work: () => Promise<T> | T): Promise<T> {
    const t0 = performance.now();
    try {
      return await work();
    } finally {
      this.seconds[phase] += (performance.now() - t0) / 1000;
    }
  }
}
