import { NonFiniteError } from '../errors.js';

/** The index of the first NaN or ±Infinity in `data`, or -1. One pass, no allocation. */
export function firstNonFinite(data: Float32Array | Float64Array): number {
  for (let i = 0; i < data.length; i++) {
    const x = data[i]!;
    if (x - x !== 0) return i; // NaN - NaN and Inf - Inf are NaN
  }
  return -1;
}

/** Throws NonFiniteError "`where`: tensor "`name`" holds NaN at flat index i; `why`" when `data` is not all finite. */
export function assertFinite(name: string, data: Float32Array | Float64Array, where: string, why: string): void {
  const i = firstNonFinite(data);
  if (i < 0) return;
  const value = data[i]!;
  throw new NonFiniteError(`${where}: tensor "${name}" holds ${value} at flat index ${i}; ${why}`, name, i, value);
}
