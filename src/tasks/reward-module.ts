/**
 * A user's reward module (task.reward: ./my-reward.mjs): an ES module whose default export is
 *   (record, prediction, completion) => number | Promise<number>
 * with `record` the whole JSONL object, `prediction` the extracted answer and `completion` the decoded text.
 * The value must be a number in [0, 1]; anything else, or a throw, stops the run with an error naming the
 * module and the record.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError } from '../errors.js';

export type UserRewardFunction = (record: Record<string, unknown>, prediction: string, completion: string) => unknown;

/** A loaded module's reward, checked: `id` names the record in errors. Synchronous results stay synchronous. */
export type CheckedReward = (
  record: Record<string, unknown>,
  id: string,
  prediction: string,
  completion: string,
) => number | Promise<number>;

/** Whether task.reward names a module rather than a built-in reward. */
export function isRewardModulePath(reward: string): boolean {
  return /\.(mjs|js|cjs)$/i.test(reward) || reward.includes('/');
}

/** Imports the module at `path` (relative to the working directory) and checks its default export. */
export async function loadRewardModule(path: string): Promise<CheckedReward> {
  const abs = resolve(path);
  try {
    if (!(await stat(abs)).isFile()) throw new UserError(`${path}: task.reward: not a file`);
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(
      `${path}: task.reward: no such reward module (paths are relative to the working directory, ${process.cwd()})`,
    );
  }
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(abs).href)) as { default?: unknown };
  } catch (err) {
    throw new UserError(`${path}: task.reward: cannot load the reward module (${(err as Error).message})`);
  }
  if (typeof mod.default !== 'function') {
    throw new UserError(
      `${path}: task.reward: the module has no default export function (expected \`export default function reward(record, prediction) { ... }\` returning a number in [0, 1])`,
    );
  }
  return checkedReward(mod.default as UserRewardFunction, path);
}

/** Wraps a reward function so that a bad value or a throw becomes a UserError naming the module and the record. */
export function checkedReward(fn: UserRewardFunction, path: string): CheckedReward {
  const check = (v: unknown, id: string): number => {
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
      throw new UserError(
        `${path}: reward of record "${id}" is ${typeof v === 'number' ? String(v) : (JSON.stringify(v) ?? String(v))}: expected a number in [0, 1]`,
      );
    }
    return v;
  };
  const threw = (err: unknown, id: string): never => {
    throw new UserError(
      `${path}: the reward threw on record "${id}": ${err instanceof Error ? err.message : String(err)}`,
    );
  };
  return (record, id, prediction, completion) => {
    let v: unknown;
    try {
      v = fn(record, prediction, completion);
    } catch (err) {
      return threw(err, id);
    }
    if (v instanceof Promise)
      return v.then(
        (x) => check(x, id),
        (err) => threw(err, id),
      );
    return check(v, id);
  };
}
