import { axisRange, escapeXml, linePlot, ticks, toUnit } from '../../src/plot/svg.js';

describe('linePlot', () => {
  const spec = {
    title: 'T <q> & "p"',
    xLabel: 'p0',
    yLabel: 'T',
    xScale: 'log' as const,
    yScale: 'log' as const,
    series: [
      {
        name: 'a',
        points: [
          [1e-3, 1e3],
          [1e-2, 1e2],
          [1e-1, 10],
        ] as [number, number][],
      },
      {
        name: 'b',
        points: [
          [1e-3, 5],
          [1e-2, -1],
          [1e-1, 2],
        ] as [number, number][],
        dashed: true,
      },
    ],
  };

  it('is deterministic, well-formed and escapes text', () => {
    const svg = linePlot(spec);
    expect(linePlot(spec)).toBe(svg);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('T &lt;q&gt; &amp; &quot;p&quot;');
    // every opened element is self-closed or closed
    const opened = (svg.match(/<(text|svg)\b/g) ?? []).length,
      closed = (svg.match(/<\/(text|svg)>/g) ?? []).length;
    expect(opened).toBe(closed);
  });

  it('places points by the axis maps: default 800 x 460, plot area x 72..570, y 40..404', () => {
    const svg = linePlot(spec);
    // x decades 1e-3..1e-1 map to 72, 321, 570; y decades 1..1e3 map to 404, 282.67, 161.33, 40
    expect(svg).toContain('<polyline points="72,40 321,161.33 570,282.67"');
    // series b: the point with y = -1 cannot be drawn on a log axis, which breaks the line into single points
    const b = svg.split('\n').filter((l) => l.includes('stroke-dasharray') && l.startsWith('<polyline'));
    expect(b).toHaveLength(0);
    expect((svg.match(/<circle /g) ?? []).length).toBe(5);
  });

  it('shades a band under the lines, and takes its extent into the axis range', () => {
    const svg = linePlot({
      title: 'b',
      xLabel: 'x',
      yLabel: 'y',
      series: [
        {
          name: 'm',
          color: '#123456',
          points: [
            [0, 0],
            [1, 1],
          ],
          band: [
            [0, -1, 1],
            [1, 0, 2],
          ],
        },
      ],
    });
    // x 0..1 padded to -0.05..1.05; y -1..2 (the band) padded to -1.15..2.15 over the plot area x 72..570, y 40..404:
    // tx(0) = 72 + 498 * 0.05 / 1.1 = 94.64, tx(1) = 547.36; ty(v) = 40 + 364 * (2.15 - v) / 3.3: 2 -> 56.55, 1 -> 166.85, 0 -> 277.15, -1 -> 387.45
    const polygon =
      '<polygon points="94.64,166.85 547.36,56.55 547.36,277.15 94.64,387.45" fill="#123456" fill-opacity="0.15" stroke="none"/>';
    expect(svg).toContain(polygon);
    expect(svg).toContain('<polyline points="94.64,277.15 547.36,166.85"');
    expect(svg.indexOf(polygon)).toBeLessThan(svg.indexOf('<polyline'));
  });

  it('draws faint series first, thin and pale, without markers or legend entries', () => {
    const svg = linePlot({
      title: 'f',
      xLabel: 'x',
      yLabel: 'y',
      series: [
        {
          name: 'smooth',
          color: '#123456',
          points: [
            [0, 1],
            [1, 2],
          ],
        },
        {
          name: 'raw',
          color: '#123456',
          faint: true,
          points: [
            [0, 0],
            [1, 3],
          ],
        },
      ],
    });
    const faint = svg.indexOf('stroke="#123456" stroke-width="1" stroke-opacity="0.3"/>');
    expect(faint).toBeGreaterThan(0);
    expect(faint).toBeLessThan(svg.indexOf('stroke="#123456" stroke-width="1.8"/>'));
    expect((svg.match(/<circle /g) ?? []).length).toBe(2);
    expect(svg).toContain('>smooth</text>');
    expect(svg).not.toContain('>raw</text>');
  });

  it('without a legend, gives the plot its width', () => {
    const svg = linePlot({
      title: 'n',
      xLabel: 'x',
      yLabel: 'y',
      legend: false,
      series: [
        {
          name: 'a',
          points: [
            [0, 0],
            [1, 1],
          ],
        },
      ],
    });
    // plot area x 72..780 (800 - 20)
    expect(svg).toContain('<rect x="72" y="40" width="708" height="364" fill="none"');
    expect(svg).not.toContain('>a</text>');
  });

  it('computes ranges, unit positions and ticks', () => {
    expect(axisRange([0.002, 300], 'log')).toEqual({ lo: 0.001, hi: 1000 });
    expect(toUnit(10, { lo: 1, hi: 1000 }, 'log')).toBeCloseTo(1 / 3, 15);
    expect(toUnit(2, { lo: 0, hi: 8 }, 'linear')).toBe(0.25);
    expect(ticks({ lo: 1e-6, hi: 1 }, 'log')).toEqual([1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1]);
    expect(ticks({ lo: 1, hi: 10 }, 'log')).toEqual([1, 2, 5, 10]);
    expect(ticks({ lo: 0, hi: 1 }, 'linear')).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(ticks({ lo: -0.05, hi: 1.05 }, 'linear')).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(ticks({ lo: 13, hi: 47 }, 'linear')).toEqual([15, 20, 25, 30, 35, 40, 45]);
    expect(axisRange([3, 3], 'linear')).toEqual({ lo: 2.7, hi: 3.3 });
    // a mean of equal values off by rounding is flat too (its ticks would not end)
    const r = axisRange([0.3, 0.29999999999999993], 'linear');
    expect([r.lo, r.hi]).toEqual([expect.closeTo(0.27, 12), expect.closeTo(0.33, 12)]);
    expect(ticks(r, 'linear').length).toBeLessThanOrEqual(7);
    expect(escapeXml('<a&b>')).toBe('&lt;a&amp;b&gt;');
  });
});
