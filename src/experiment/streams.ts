/**
 * The run's random streams. Every random choice of training flows from the config's seed through
 * src/util/rng.ts, one independent stream per purpose, so that changing how one is used (say, more
 * PAFT draws) never shifts another (the data order):
 *
 *   data      the order of training questions (a reshuffle per epoch)
 *   sampling  one generation seed per step (the rollouts' uniforms come from it)
 *   paft      PAFT's K draws per question
 *
 * Their states go into every checkpoint, so a resumed run continues each stream where it stopped.
 * Evaluation uses a fixed seed per run (`evalSeed`), not a stream: every validation of a run sees
 * the same sampling noise (common random numbers across checkpoints), and `eval` with the same
 * config reproduces it.
 */
import { Rng } from '../util/rng.js';

export const STREAMS = ['data', 'sampling', 'paft'] as const;
export type StreamName = (typeof STREAMS)[number];

/** The saved form: each stream's four uint32s. */
export type StreamStates = Record<StreamName, number[]>;

/** A 32-bit seed for a named purpose, from the run seed (FNV-1a of "<seed>:<name>"); stable across versions. */
export function streamSeed(seed: number, name: string): number {
  let h = 0x811c9dc5;
  for (const ch of `${seed >>> 0}:${name}`) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The seed of every evaluation of a run. */
export function evalSeed(seed: number): number {
  return streamSeed(seed, 'eval');
}

export class RandomStreams {
  private constructor(
    readonly data: Rng,
    readonly sampling: Rng,
    readonly paft: Rng,
  ) {}

  static fromSeed(seed: number): RandomStreams {
    return new RandomStreams(
      new Rng(streamSeed(seed, 'data')),
      new Rng(streamSeed(seed, 'sampling')),
      new Rng(streamSeed(seed, 'paft')),
    );
  }

  static fromState(state: StreamStates): RandomStreams {
    for (const name of STREAMS) {
      const s = state[name];
      if (!Array.isArray(s) || s.length !== 4)
        throw new Error(`random stream "${name}": expected four uint32 values in the saved state`);
    }
    return new RandomStreams(new Rng(state.data), new Rng(state.sampling), new Rng(state.paft));
  }

  state(): StreamStates {
    return { data: this.data.state(), sampling: this.sampling.state(), paft: this.paft.state() };
  }
}
