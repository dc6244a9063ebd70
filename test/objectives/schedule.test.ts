import { qAt, qScheduleSchema } from '../../src/objectives/schedule.js';

describe('q schedules', () => {
  it('a number is constant', () => {
    expect(qAt(0.75, 0)).toBe(0.75);
    expect(qAt(0.75, 10_000)).toBe(0.75);
  });

  it('piecewise constant: q = 1 for 100 steps, then 0', () => {
    const s = qScheduleSchema.parse([{ until: 100, q: 1 }, { q: 0 }]);
    expect(qAt(s, 0)).toBe(1);
    expect(qAt(s, 99)).toBe(1);
    expect(qAt(s, 100)).toBe(0);
    expect(qAt(s, 5000)).toBe(0);
    const three = qScheduleSchema.parse([{ until: 10, q: 1 }, { until: 20, q: 0.5 }, { q: 0.25 }]);
    expect([0, 9, 10, 19, 20].map((t) => qAt(three, t))).toEqual([1, 1, 0.5, 0.5, 0.25]);
  });

  it('linear: interpolates between knots and holds outside them', () => {
    const s = qScheduleSchema.parse({
      linear: [
        { step: 10, q: 1 },
        { step: 110, q: 0.5 },
        { step: 210, q: 0.5 },
      ],
    });
    expect(qAt(s, 0)).toBe(1);
    expect(qAt(s, 10)).toBe(1);
    expect(qAt(s, 60)).toBeCloseTo(0.75, 15);
    expect(qAt(s, 100)).toBeCloseTo(0.55, 15);
    expect(qAt(s, 150)).toBe(0.5);
    expect(qAt(s, 1e6)).toBe(0.5);
  });

  it('rejects bad schedules with messages that name the place', () => {
    const bad: [unknown, string][] = [
      [1.5, 'q must be in [0, 1]'],
      [[{ q: 1 }, { q: 0 }], 'only the last segment may omit `until`'],
      [[{ until: 10, q: 1 }], 'the last segment must omit `until`'],
      [[{ until: 10, q: 1 }, { until: 5, q: 0.5 }, { q: 0 }], '`until` must increase'],
      [[{ until: 10, q: 2 }, { q: 0 }], 'q must be in [0, 1]'],
      [
        {
          linear: [
            { step: 5, q: 1 },
            { step: 5, q: 0 },
          ],
        },
        'knot steps must increase',
      ],
      [[], 'at least one segment'],
    ];
    for (const [input, message] of bad) {
      const r = qScheduleSchema.safeParse(input);
      expect(r.success).toBe(false);
      expect(JSON.stringify(r.error?.issues)).toContain(message);
    }
    expect(() => qAt(0.5, -1)).toThrow(/step/);
  });
});
