/**
 * q as a constant or as a schedule over training steps: a pure function (steps done) -> q.
 *
 * Three shapes, all validated by one zod schema (which is also the config type):
 *   0.75                                      constant
 *   [{ until: 100, q: 1 }, { q: 0 }]          piecewise constant: q = 1 for the first 100 steps (steps
 *                                             1..100), then 0 (the paper's "SFT, then RL" reading)
 *   { linear: [{ step: 0, q: 1 }, { step: 200, q: 0.5 }] }
 *                                             linear between knots, constant outside them
 * The schedule is read at the steps done before a step: 0 for step 1, N - 1 for step N (counting
 * from 1, src/run-dir/step-numbering.ts), as Hugging Face's learning-rate schedulers count. So a
 * knot `step: s` is the q after s steps: the q of step s + 1. q is restricted to [0, 1], the range
 * the estimators are defined for.
 */
import { z } from 'zod';

const qValue = z.number().min(0, 'q must be in [0, 1]').max(1, 'q must be in [0, 1]');

const segment = z.object({ until: z.number().int().positive().optional(), q: qValue }).strict();

const piecewise = z
  .array(segment)
  .min(1, 'a q schedule needs at least one segment')
  .superRefine((segs, ctx) => {
    segs.forEach((s, i) => {
      const last = i === segs.length - 1;
      if (!last && s.until === undefined) {
        ctx.addIssue({ code: 'custom', path: [i, 'until'], message: 'only the last segment may omit `until`' });
      }
      if (last && s.until !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [i, 'until'],
          message: 'the last segment must omit `until` (it applies to every later step)',
        });
      }
      const prev = i > 0 ? segs[i - 1]!.until : undefined;
      if (s.until !== undefined && prev !== undefined && s.until <= prev) {
        ctx.addIssue({
          code: 'custom',
          path: [i, 'until'],
          message: `\`until\` must increase (got ${s.until} after ${prev})`,
        });
      }
    });
  });

const knot = z.object({ step: z.number().int().min(0), q: qValue }).strict();

const linear = z
  .object({ linear: z.array(knot).min(1, 'a linear q schedule needs at least one knot') })
  .strict()
  .superRefine((s, ctx) => {
    s.linear.forEach((k, i) => {
      if (i > 0 && k.step <= s.linear[i - 1]!.step) {
        ctx.addIssue({ code: 'custom', path: ['linear', i, 'step'], message: 'knot steps must increase' });
      }
    });
  });

/** The schema of a q schedule, for the config schema to embed. */
export const qScheduleSchema = z.union([qValue, piecewise, linear]);

export type QSchedule = z.infer<typeof qScheduleSchema>;

/** q after `step` steps done (>= 0; the q of step `step` + 1). The schedule is assumed valid (parse it with qScheduleSchema). */
export function qAt(schedule: QSchedule, step: number): number {
  if (!(step >= 0)) throw new RangeError(`qAt: step must be >= 0, got ${step}`);
  if (typeof schedule === 'number') return schedule;
  if (Array.isArray(schedule)) {
    for (const s of schedule) if (s.until === undefined || step < s.until) return s.q;
    return schedule[schedule.length - 1]!.q;
  }
  const knots = schedule.linear;
  if (step <= knots[0]!.step) return knots[0]!.q;
  for (let i = 1; i < knots.length; i++) {
    const a = knots[i - 1]!,
      b = knots[i]!;
    if (step <= b.step) return a.q + ((b.q - a.q) * (step - a.step)) / (b.step - a.step);
  }
  return knots[knots.length - 1]!.q;
}
