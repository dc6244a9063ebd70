import { gridSvg } from '../../src/plot/grid.js';
import { linePlot } from '../../src/plot/svg.js';

describe('gridSvg', () => {
  it('places panels row by row under the title, each nested at its offset', () => {
    const panel = linePlot({
      title: 'p',
      xLabel: 'x',
      yLabel: 'y',
      width: 100,
      height: 80,
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
    const svg = gridSvg('All <3>', [panel, panel, panel], { columns: 2, width: 100, height: 80 });
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="200" height="192" /);
    expect(svg).toContain('>All &lt;3&gt;</text>');
    expect([...svg.matchAll(/<svg x="(\d+)" y="(\d+)" xmlns/g)].map((m) => [Number(m[1]), Number(m[2])])).toEqual([
      [0, 32],
      [100, 32],
      [0, 112],
    ]);
    expect((svg.match(/<\/svg>/g) ?? []).length).toBe(4);
    expect(() => gridSvg('t', ['<g/>'], { columns: 1, width: 1, height: 1 })).toThrow(/SVG document/);
  });
});
