/** An error caused by the user's input (a file, a flag, a config field): printed without a stack trace. */
export class UserError extends Error {
  override name = 'UserError';
}
