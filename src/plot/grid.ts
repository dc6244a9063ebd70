/**
 * Small multiples: SVG documents (linePlot's) laid out row by row under a title, as one SVG
 * document. Each panel is nested as an <svg> element at its place, so it keeps its own coordinates.
 */
import { escapeXml } from './svg.js';

const TITLE_H = 32;

/** Panels of `width` x `height`, `columns` to a row. */
export function gridSvg(
  title: string,
  panels: readonly string[],
  options: { columns: number; width: number; height: number },
): string {
  const { columns, width, height } = options;
  const rows = Math.ceil(panels.length / columns);
  const w = Math.min(columns, Math.max(1, panels.length)) * width,
    h = TITLE_H + rows * height;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif" font-size="12">`,
  ];
  out.push(`<rect x="0" y="0" width="${w}" height="${h}" fill="white"/>`);
  out.push(`<text x="${w / 2}" y="22" text-anchor="middle" font-size="16">${escapeXml(title)}</text>`);
  panels.forEach((p, i) => {
    const x = (i % columns) * width,
      y = TITLE_H + Math.floor(i / columns) * height;
    if (!p.startsWith('<svg ')) throw new Error('gridSvg: a panel must be an SVG document');
    out.push(`<svg x="${x}" y="${y}" ` + p.trimEnd().slice('<svg '.length));
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
