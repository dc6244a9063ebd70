/** The batching that `score` and the answer log-likelihoods share (src/runtime/scoring.ts). */
import type { TokenBatch } from '../../src/runtime/batch.js';
import { planBatches, scoreBatches } from '../../src/runtime/scoring.js';
import { Rng } from '../../src/util/rng.js';

describe('planBatches', () => {
  it('sorts longest first, keeps each padded batch within the budget, and places every sequence once', () => {
    const rng = new Rng(3);
    const lengths = Array.from({ length: 200 }, () => rng.int(60));
    const batches = planBatches(lengths, 128);
    const seen = batches.flat().sort((a, b) => a - b);
    expect(seen).toEqual(lengths.map((_, i) => i).filter((i) => lengths[i]! >= 2));
    let previous = Infinity;
    for (const b of batches) {
      const longest = Math.max(...b.map((i) => lengths[i]!));
      expect(longest * b.length).toBeLessThanOrEqual(128);
      expect(longest).toBeLessThanOrEqual(previous);
      previous = Math.min(...b.map((i) => lengths[i]!));
    }
  });

  it('gives a sequence longer than the budget a batch of its own', () => {
    expect(planBatches([300, 10, 10], 100)).toEqual([[0], [1, 2]]);
  });
});

describe('scoreBatches', () => {
  /** A stand-in for Policy.score: the log-prob of ids[t+1] is -(id + t / 100), padding included. */
  const fake = {
    batches: [] as TokenBatch[],
    async score(batch: TokenBatch): Promise<Float32Array> {
      this.batches.push(batch);
      const W = batch.length - 1;
      const out = new Float32Array(batch.batch * W);
      for (let b = 0; b < batch.batch; b++) {
        for (let t = 0; t < W; t++) out[b * W + t] = -(Number(batch.ids[b * batch.length + t + 1]) + t / 100);
      }
      return out;
    },
  };

  it('scores each planned batch once, padded to its longest, and says which sequence each row is', async () => {
    const seqs = [[1, 2, 3], [4], [5, 6, 7, 8, 9], [], [10, 11]];
    const seen: number[] = [];
    for await (const { rows, logprobs, length } of scoreBatches(fake, seqs, 0, 10)) {
      expect(length).toBe(Math.max(...rows.map((i) => seqs[i]!.length)));
      rows.forEach((i, r) => {
        const ids = seqs[i]!;
        for (let t = 0; t + 1 < ids.length; t++) {
          expect(logprobs[r * (length - 1) + t]).toBeCloseTo(-(ids[t + 1]! + t / 100), 5);
        }
        seen.push(i);
      });
    }
    expect(fake.batches.map((b) => [b.batch, b.length])).toEqual([
      [2, 5],
      [1, 2],
    ]);
    expect(seen).toEqual([2, 0, 4]); // longest first; [4] and [] have nothing to score
  });
});
