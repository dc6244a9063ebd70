/** An error caused by the user's input (a file, a flag, a config field): printed without a stack trace. */
export class UserError extends Error {
  override name = 'UserError';
}

/**
 * A tensor holds NaN or ±Infinity. Refused at save (training diverged; a checkpoint must not carry
 * it on) and at load (the file is corrupt or from a diverged run). `index` is the flat index of the
 * first such value.
 */
export class NonFiniteError extends UserError {
  override name = 'NonFiniteError';

  constructor(
    message: string,
    readonly tensor: string,
    readonly index: number,
    readonly value: number,
  ) {
    super(message);
  }
}
