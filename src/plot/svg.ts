/**
 * A small, dependency-free SVG line plot: linear or logarithmic axes, one polyline (with point
 * markers) per series, optionally a shaded band around it, faint lines behind (raw data under a
 * smoothed line), a legend. Pure: a spec in, an SVG document (string) out, byte-for-byte
 * deterministic. Points that cannot be drawn (not finite, or <= 0 on a log axis) are skipped and
 * break the line there.
 */

export type Scale = 'linear' | 'log';

export interface Series {
  name: string;
  points: readonly (readonly [number, number])[];
  /** dashed line (e.g. a closed form drawn beside measurements) */
  dashed?: boolean;
  /** draw point markers (default true) */
  markers?: boolean;
  /** line drawn (default true); false gives a scatter */
  line?: boolean;
  /** CSS colour; by default the palette colour of the series index */
  color?: string;
  /** a shaded band [x, low, high] under the lines, in the series' colour (e.g. a p10-p90 range) */
  band?: readonly (readonly [number, number, number])[];
  /** thin and pale, no markers, no legend entry: the raw data behind a smoothed line */
  faint?: boolean;
}

export interface PlotSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  xScale?: Scale;
  yScale?: Scale;
  series: readonly Series[];
  width?: number;
  height?: number;
  /** draw the legend (default true); without it the plot takes the legend's width */
  legend?: boolean;
}

export const PALETTE = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#9467bd',
  '#ff7f0e',
  '#8c564b',
  '#e377c2',
  '#17becf',
  '#7f7f7f',
  '#bcbd22',
];

const MARGIN = { left: 72, right: 230, top: 40, bottom: 56 };
const NO_LEGEND_RIGHT = 20;

/** Renders the plot as a standalone SVG document. */
export function linePlot(spec: PlotSpec): string {
  const width = spec.width ?? 800,
    height = spec.height ?? 460;
  const xScale = spec.xScale ?? 'linear',
    yScale = spec.yScale ?? 'linear';
  const legend = spec.legend ?? true;
  const plotW = width - MARGIN.left - (legend ? MARGIN.right : NO_LEGEND_RIGHT),
    plotH = height - MARGIN.top - MARGIN.bottom;
  const drawable = (v: number, s: Scale) => Number.isFinite(v) && (s === 'linear' || v > 0);
  const xs: number[] = [],
    ys: number[] = [];
  const bandOk = ([x, lo, hi]: readonly [number, number, number]) =>
    drawable(x, xScale) && drawable(lo, yScale) && drawable(hi, yScale);
  for (const s of spec.series) {
    for (const [x, y] of s.points)
      if (drawable(x, xScale) && drawable(y, yScale)) {
        xs.push(x);
        ys.push(y);
      }
    for (const b of s.band ?? [])
      if (bandOk(b)) {
        xs.push(b[0]);
        ys.push(b[1], b[2]);
      }
  }
  const xr = axisRange(xs, xScale),
    yr = axisRange(ys, yScale);
  const tx = (x: number) => MARGIN.left + toUnit(x, xr, xScale) * plotW;
  const ty = (y: number) => MARGIN.top + (1 - toUnit(y, yr, yScale)) * plotH;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
  );
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="white"/>`);
  out.push(
    `<text x="${fmt(MARGIN.left + plotW / 2)}" y="22" text-anchor="middle" font-size="15">${escapeXml(spec.title)}</text>`,
  );
  // grid and ticks
  for (const t of ticks(xr, xScale)) {
    const x = fmt(tx(t));
    out.push(`<line x1="${x}" y1="${MARGIN.top}" x2="${x}" y2="${MARGIN.top + plotH}" stroke="#e5e5e5"/>`);
    out.push(
      `<text x="${x}" y="${MARGIN.top + plotH + 16}" text-anchor="middle">${escapeXml(tickLabel(t, xScale))}</text>`,
    );
  }
  for (const t of ticks(yr, yScale)) {
    const y = fmt(ty(t));
    out.push(`<line x1="${MARGIN.left}" y1="${y}" x2="${MARGIN.left + plotW}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(
      `<text x="${MARGIN.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${escapeXml(tickLabel(t, yScale))}</text>`,
    );
  }
  out.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`);
  out.push(
    `<text x="${fmt(MARGIN.left + plotW / 2)}" y="${height - 14}" text-anchor="middle">${escapeXml(spec.xLabel)}</text>`,
  );
  out.push(
    `<text x="16" y="${fmt(MARGIN.top + plotH / 2)}" text-anchor="middle" transform="rotate(-90 16 ${fmt(MARGIN.top + plotH / 2)})">${escapeXml(spec.yLabel)}</text>`,
  );
  const colorOf = (s: Series, i: number) => s.color ?? PALETTE[i % PALETTE.length]!;
  // bands first, so that every line stays visible
  spec.series.forEach((s, i) => {
    for (const run of runs(s.band ?? [], bandOk)) {
      if (run.length < 2) continue;
      // along the top edge, then back along the bottom one
      const edge = [
        ...run.map(([x, , hi]) => `${fmt(tx(x))},${fmt(ty(hi))}`),
        ...[...run].reverse().map(([x, lo]) => `${fmt(tx(x))},${fmt(ty(lo))}`),
      ];
      out.push(`<polygon points="${edge.join(' ')}" fill="${colorOf(s, i)}" fill-opacity="0.15" stroke="none"/>`);
    }
  });
  // series: faint ones first, so that they stay behind
  const order = spec.series
    .map((s, i) => [s, i] as const)
    .sort(([a], [b]) => Number(b.faint ?? false) - Number(a.faint ?? false));
  let entries = 0;
  for (const [s, i] of order) {
    const color = colorOf(s, i);
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    const stroke = s.faint ? 'stroke-width="1" stroke-opacity="0.3"' : 'stroke-width="1.8"';
    if (s.line !== false) {
      for (const run of runs(s.points, ([x, y]) => drawable(x, xScale) && drawable(y, yScale))) {
        if (run.length < 2) continue;
        const d = run.map(([x, y]) => `${fmt(tx(x))},${fmt(ty(y))}`).join(' ');
        out.push(`<polyline points="${d}" fill="none" stroke="${color}" ${stroke}${dash}/>`);
      }
    }
    if (s.faint) continue;
    if (s.markers !== false) {
      for (const [x, y] of s.points) {
        if (drawable(x, xScale) && drawable(y, yScale))
          out.push(`<circle cx="${fmt(tx(x))}" cy="${fmt(ty(y))}" r="2.8" fill="${color}"/>`);
      }
    }
    if (!legend) continue;
    const ly = MARGIN.top + 10 + entries++ * 18,
      lx = MARGIN.left + plotW + 14;
    out.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 22}" y2="${ly}" stroke="${color}" stroke-width="1.8"${dash}/>`);
    out.push(`<text x="${lx + 28}" y="${ly}" dominant-baseline="middle">${escapeXml(s.name)}</text>`);
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}

export interface AxisRange {
  lo: number;
  hi: number;
}

/** The drawn range of an axis: the data range (log axes widened to whole decades), padded when flat (to 1e-9). */
export function axisRange(values: readonly number[], scale: Scale): AxisRange {
  if (values.length === 0) return scale === 'log' ? { lo: 1, hi: 10 } : { lo: 0, hi: 1 };
  let lo = Math.min(...values),
    hi = Math.max(...values);
  if (scale === 'log') {
    lo = decade(Math.floor(Math.log10(lo) + 1e-9));
    hi = decade(Math.ceil(Math.log10(hi) - 1e-9));
    if (hi <= lo) hi = lo * 10;
    return { lo, hi };
  }
  // flat up to rounding (a mean of equal values): ticks of a 1e-17 span would never end
  if (hi - lo <= 1e-9 * Math.max(Math.abs(lo), Math.abs(hi))) {
    const mid = (lo + hi) / 2,
      pad = mid === 0 ? 1 : Math.abs(mid) * 0.1;
    return { lo: mid - pad, hi: mid + pad };
  }
  const pad = (hi - lo) * 0.05;
  return { lo: lo - pad, hi: hi + pad };
}

/** Position of v in the range as a fraction in [0, 1]. */
export function toUnit(v: number, r: AxisRange, scale: Scale): number {
  return scale === 'log' ? Math.log(v / r.lo) / Math.log(r.hi / r.lo) : (v - r.lo) / (r.hi - r.lo);
}

/**
 * Tick positions: decades on a log axis (every other decade or more when there are many; 1, 2, 5
 * within a single decade), and 1-2-5 steps giving 3 to 7 ticks on a linear axis.
 */
export function ticks(r: AxisRange, scale: Scale): number[] {
  if (scale === 'log') {
    const a = Math.round(Math.log10(r.lo)),
      b = Math.round(Math.log10(r.hi));
    const decades = b - a;
    if (decades <= 1)
      return [1, 2, 5, 10]
        .map((m) => Number(`${m}e${a}`))
        .filter((t) => t >= r.lo * (1 - 1e-12) && t <= r.hi * (1 + 1e-12));
    const every = Math.max(1, Math.ceil(decades / 10));
    const out: number[] = [];
    for (let e = a; e <= b; e += every) out.push(decade(e));
    return out;
  }
  const span = r.hi - r.lo;
  const raw = span / 6;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const stepSize = [1, 2, 5, 10].map((m) => m * mag).find((s) => span / s <= 7)!;
  const out: number[] = [];
  for (let k = Math.ceil(r.lo / stepSize - 1e-9); k * stepSize <= r.hi + stepSize * 1e-9; k++)
    out.push(Number((k * stepSize).toPrecision(12)));
  return out;
}

/** 10^e exactly as the literal 1e<e> (Math.pow(10, -5) is 0.000009999999999999999). */
function decade(e: number): number {
  return Number(`1e${e}`);
}

function tickLabel(t: number, scale: Scale): string {
  if (scale === 'log') {
    const e = Math.log10(t);
    if (Math.abs(e - Math.round(e)) < 1e-9 && Math.abs(e) >= 3) return `1e${Math.round(e)}`;
  }
  return String(Number(t.toPrecision(6)));
}

/** Maximal runs of consecutive drawable points. */
function runs<P>(points: readonly P[], ok: (p: P) => boolean): P[][] {
  const out: P[][] = [];
  let cur: P[] = [];
  for (const p of points) {
    if (ok(p)) cur.push(p);
    else {
      if (cur.length) out.push(cur);
      cur = [];
    }
  }
  if (cur.length) out.push(cur);
  return out;
}

function fmt(v: number): string {
  return String(Math.round(v * 100) / 100);
}

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
