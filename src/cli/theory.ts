/**
 * `tsallis-run theory`: the study's theory reproduced numerically. The handler checks its flags,
 * then calls the plain library functions of src/theory (which the tests call directly).
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { UserError } from '../errors.js';
import { runTheory } from '../theory/studies/index.js';
import { findingLines, writeStudies } from '../theory/write.js';

export const DEFAULT_OUT = 'results/theory';

/** The flags as parsed (absent when not given). */
interface TheoryFlags {
  out?: string;
  seed?: number;
}

/** The checked arguments. */
export interface TheoryArgs {
  out: string;
  seed: number;
}

export const theoryCommand: CommandModule<object, TheoryFlags> = {
  command: 'theory',
  describe:
    "Reproduce the paper's theory numerically: escape times of the gradient flow (ODE and a softmax model under " +
    'gradient descent), the escort minimiser, label-noise equilibria, and the bias and variance of the GARL and PAFT ' +
    "estimators (computed with the trainer's own estimator code). Writes CSV and Markdown tables, SVG plots and " +
    'summary.md; exits with status 1 if a check fails. Deterministic for a given seed; well under a minute.',
  builder: (y: Argv<object>) =>
    y
      .option('out', {
        type: 'string',
        defaultDescription: DEFAULT_OUT,
        describe: 'directory to write the tables, plots and summary.md into',
      })
      .option('seed', {
        type: 'number',
        defaultDescription: '0',
        describe: 'seed of the Monte Carlo parts (a non-negative integer)',
      })
      .example('$0 theory', 'write everything to results/theory/')
      .example('$0 theory --out /tmp/th --seed 7', 'another directory and seed') as unknown as Argv<TheoryFlags>,
  handler: (argv: ArgumentsCamelCase<TheoryFlags>) => {
    const { out, seed } = checkTheoryArgs(argv);
    const studies = runTheory({
      seed,
      onStudy: (s, sec) => process.stderr.write(`theory: ${s.id} (${sec.toFixed(1)} s)\n`),
    });
    const files = writeStudies(studies, out, { seed });
    for (const line of findingLines(studies)) process.stdout.write(`${line}\n`);
    const failed = studies.flatMap((s) => s.findings).filter((f) => !f.ok).length;
    process.stdout.write(`wrote ${files.length} files to ${out}/ (see ${out}/summary.md)\n`);
    if (failed > 0) {
      process.stderr.write(`theory: ${failed} check(s) did not hold\n`);
      process.exitCode = 1;
    }
  },
};

/**
 * Validates the flags and applies their defaults here rather than in yargs, so that a flag given
 * without a value (`--out`) is an error instead of silently taking the default. Errors name the flag.
 */
export function checkTheoryArgs(argv: { out?: unknown; seed?: unknown }): TheoryArgs {
  const { out = DEFAULT_OUT, seed = 0 } = argv;
  if (typeof out !== 'string' || out.trim() === '')
    throw new UserError(`--out: expected a directory path, got ${JSON.stringify(out)}`);
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new UserError(`--seed: expected an integer in [0, 4294967295], got ${String(seed)}`);
  }
  return { out, seed };
}
