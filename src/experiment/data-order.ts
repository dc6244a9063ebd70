/**
 * The order training questions are visited in: epochs, each a fresh shuffle of the whole training
 * set drawn from the `data` stream. A batch that crosses an epoch's end takes the rest of the epoch
 * and continues in the next shuffle. The state (epoch, position, the epoch's permutation and the
 * stream) is saved with each checkpoint so a resumed run sees exactly the batches it would have.
 */
import type { Rng } from '../util/rng.js';

export interface DataOrderState {
  /** Size of the data set the order was made for (checked on resume). */
  size: number;
  /** 0-based epoch of `order`. */
  epoch: number;
  /** Next index into `order`. */
  cursor: number;
  /** The current epoch's permutation of 0..size-1. */
  order: number[];
}

export class DataOrder {
  private constructor(
    private readonly rng: Rng,
    private s: DataOrderState,
  ) {}

  /** A new order over `size` items; the first epoch is shuffled at once. */
  static start(size: number, rng: Rng): DataOrder {
    if (!(Number.isInteger(size) && size > 0)) throw new RangeError(`data order: the data set is empty`);
    return new DataOrder(rng, { size, epoch: 0, cursor: 0, order: rng.shuffle(range(size)) });
  }

  /** Restores a saved order; `rng` must be the data stream restored from the same checkpoint. */
  static restore(state: DataOrderState, size: number, rng: Rng): DataOrder {
    if (state.size !== size)
      throw new Error(
        `data order: the checkpoint was made for ${state.size} training records, the data now has ${size}`,
      );
    if (state.order.length !== size || !(state.cursor >= 0 && state.cursor <= size))
      throw new Error('data order: malformed saved state');
    return new DataOrder(rng, { ...state, order: [...state.order] });
  }

  /** The next `n` item indices. */
  next(n: number): number[] {
    const out: number[] = [];
    while (out.length < n) {
      if (this.s.cursor === this.s.size) {
        this.s = { size: this.s.size, epoch: this.s.epoch + 1, cursor: 0, order: this.rng.shuffle(range(this.s.size)) };
      }
      out.push(this.s.order[this.s.cursor++]!);
    }
    return out;
  }

  get epoch(): number {
    return this.s.epoch;
  }

  state(): DataOrderState {
    return { ...this.s, order: [...this.s.order] };
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
