/**
 * A line chart as a standalone SVG document: the vector export of the
 * Training panel's and the Compare Runs view's charts ("SVG" button). The
 * webview draws its charts with uPlot on a canvas; this module renders the
 * same series again as vector graphics — frame, axes with "nice" ticks and
 * tick labels, axis titles, grid, one `<path class="series">` per series
 * (faint raw curves behind them when given), optional point markers, a
 * legend and a title — so the file stays sharp at any size and can be
 * edited. Pure (no DOM, no `vscode`): unit-tested in Node, bundled into the
 * webviews.
 */

/** A point: x (step, seconds…) and y; `null` y is a gap in the line. */
export type ChartPoint = readonly [number, number | null];

export interface ChartSeries {
  /** Legend text. */
  name: string;
  /** Stroke colour (any CSS colour). */
  color: string;
  /** The curve, in x order. */
  points: readonly ChartPoint[];
  /** The unsmoothed curve, drawn faint behind `points` (class `raw`). */
  raw?: readonly ChartPoint[];
}

export interface ChartColors {
  background: string;
  foreground: string;
  grid: string;
}

export interface ChartSvgOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly ChartSeries[];
  /** Pixels (user units); default 720 × 420. */
  width?: number;
  height?: number;
  /** Logarithmic y axis (values ≤ 0 are left out). */
  logY?: boolean;
  /** Draw a marker at every point (sparse series such as validations). */
  markers?: boolean;
  colors?: Partial<ChartColors>;
  /** CSS font family of all text; default sans-serif. */
  fontFamily?: string;
  /** Tick label formatters; default: {@link formatTick}. */
  formatX?: (v: number) => string;
  formatY?: (v: number) => string;
}

const DEFAULT_COLORS: ChartColors = { background: '#ffffff', foreground: '#333333', grid: 'rgba(128,128,128,0.3)' };

/** Text safe inside an XML element or a double-quoted attribute. */
export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/**
 * "Nice" tick positions covering [min, max]: multiples of 1, 2 or 5 × 10^k,
 * about `count` of them (Heckbert, "Nice numbers for graph labels",
 * Graphics Gems 1990). `min === max` gives one tick at that value; a
 * non-finite bound gives none.
 */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min > max) [min, max] = [max, min];
  if (min === max) return [min];
  const raw = (max - min) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** Ticks of a log axis over [min, max] (both > 0): 1, 2 and 5 × 10^k, or only the powers of ten when that gives too many. */
export function logTicks(min: number, max: number): number[] {
  if (!(min > 0) || !(max > 0) || !Number.isFinite(min) || !Number.isFinite(max)) return [];
  const lo = Math.floor(Math.log10(min));
  const hi = Math.ceil(Math.log10(max));
  const pick = (mantissas: number[]) => {
    const out: number[] = [];
    for (let k = lo; k <= hi; k++) for (const m of mantissas) {
      const v = Number((m * 10 ** k).toPrecision(12));
      if (v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9)) out.push(v);
    }
    return out;
  };
  const dense = pick([1, 2, 5]);
  return dense.length <= 8 ? dense : pick([1]);
}

/** A tick label: integers with thousands as "k" (1500 → "1.5k"), others with up to 3 significant digits. */
export function formatTick(v: number): string {
  if (!Number.isFinite(v)) return '';
  const a = Math.abs(v);
  if (a >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  if (a >= 1e4) return `${Number((v / 1e3).toPrecision(3))}k`;
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(3)));
}

const fmt = (v: number) => (Math.round(v * 100) / 100).toString();

/**
 * The chart as an SVG 1.1 document (UTF-8 text, with XML declaration).
 * Axes span the finite data of all series (raw curves included); a chart
 * with no finite point still has its frame, title, legend and a "no data"
 * note, so an export is never an invalid file.
 */
export function renderChartSvg(o: ChartSvgOptions): string {
  const width = o.width ?? 720;
  const height = o.height ?? 420;
  const colors = { ...DEFAULT_COLORS, ...o.colors };
  const font = escapeXml(o.fontFamily ?? 'sans-serif');
  const formatX = o.formatX ?? formatTick;
  const formatY = o.formatY ?? formatTick;
  const usable = (p: ChartPoint): p is readonly [number, number] =>
    Number.isFinite(p[0]) && p[1] !== null && Number.isFinite(p[1]) && (!o.logY || p[1] > 0);
  const all = o.series.flatMap((s) => [...s.points, ...(s.raw ?? [])]).filter(usable);

  // Legend rows above the plot (wrapped to the width).
  const legendItems: { name: string; color: string; x: number; row: number }[] = [];
  {
    let x = 0;
    let row = 0;
    for (const s of o.series) {
      const w = 22 + Math.min(40, s.name.length) * 7 + 16;
      if (x > 0 && x + w > width - 80) {
        x = 0;
        row++;
      }
      legendItems.push({ name: s.name, color: s.color, x, row });
      x += w;
    }
  }
  const legendRows = legendItems.length ? legendItems[legendItems.length - 1].row + 1 : 0;
  const top = 34 + legendRows * 18 + 8;
  const left = 64;
  const right = 20;
  const bottom = 48;
  const plotW = Math.max(10, width - left - right);
  const plotH = Math.max(10, height - top - bottom);

  let xMin = Math.min(...all.map((p) => p[0]));
  let xMax = Math.max(...all.map((p) => p[0]));
  let yMin = Math.min(...all.map((p) => p[1]));
  let yMax = Math.max(...all.map((p) => p[1]));
  if (!all.length) [xMin, xMax, yMin, yMax] = [0, 1, o.logY ? 1 : 0, o.logY ? 10 : 1];
  if (xMin === xMax) [xMin, xMax] = [xMin - 1, xMax + 1];
  if (yMin === yMax) [yMin, yMax] = o.logY ? [yMin / 2, yMax * 2] : [yMin - Math.max(1, Math.abs(yMin) * 0.1), yMax + Math.max(1, Math.abs(yMax) * 0.1)];
  else if (!o.logY) {
    const pad = (yMax - yMin) * 0.05;
    yMin -= pad;
    yMax += pad;
  }
  const xTicks = niceTicks(xMin, xMax, Math.max(2, Math.round(plotW / 100)));
  const yTicks = o.logY ? logTicks(yMin, yMax) : niceTicks(yMin, yMax, Math.max(2, Math.round(plotH / 60)));
  const sx = (x: number) => left + ((x - xMin) / (xMax - xMin)) * plotW;
  const sy = o.logY
    ? (y: number) => top + plotH - ((Math.log10(y) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * plotH
    : (y: number) => top + plotH - ((y - yMin) / (yMax - yMin)) * plotH;
  const pathOf = (points: readonly ChartPoint[]) => {
    let d = '';
    let pen = false;
    for (const p of points) {
      if (!usable(p)) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${fmt(sx(p[0]))} ${fmt(sy(p[1]))}`;
      pen = true;
    }
    return d;
  };

  const out: string[] = [];
  out.push('<?xml version="1.0" encoding="UTF-8"?>');
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${font}" font-size="12">`,
  );
  out.push(`<title>${escapeXml(o.title)}</title>`);
  out.push(`<rect class="background" x="0" y="0" width="${width}" height="${height}" fill="${escapeXml(colors.background)}"/>`);
  out.push(`<text class="chart-title" x="${left}" y="22" font-size="15" font-weight="600" fill="${escapeXml(colors.foreground)}">${escapeXml(o.title)}</text>`);
  out.push('<g class="legend">');
  for (const item of legendItems) {
    const y = 34 + item.row * 18 + 6;
    const x = left + item.x;
    out.push(
      `<line x1="${x}" y1="${y}" x2="${x + 16}" y2="${y}" stroke="${escapeXml(item.color)}" stroke-width="3"/>` +
        `<text x="${x + 22}" y="${y + 4}" fill="${escapeXml(colors.foreground)}">${escapeXml(item.name)}</text>`,
    );
  }
  out.push('</g>');
  // Grid and ticks.
  out.push(`<g class="axis x-axis" fill="${escapeXml(colors.foreground)}" text-anchor="middle">`);
  for (const t of xTicks) {
    const x = fmt(sx(t));
    out.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${top + plotH}" stroke="${escapeXml(colors.grid)}"/>`);
    out.push(`<line x1="${x}" y1="${top + plotH}" x2="${x}" y2="${top + plotH + 4}" stroke="${escapeXml(colors.foreground)}"/>`);
    out.push(`<text class="tick" x="${x}" y="${top + plotH + 17}">${escapeXml(formatX(t))}</text>`);
  }
  out.push(`<text class="axis-label" x="${fmt(left + plotW / 2)}" y="${height - 10}">${escapeXml(o.xLabel)}</text>`);
  out.push('</g>');
  out.push(`<g class="axis y-axis" fill="${escapeXml(colors.foreground)}" text-anchor="end">`);
  for (const t of yTicks) {
    const y = fmt(sy(t));
    out.push(`<line x1="${left}" y1="${y}" x2="${left + plotW}" y2="${y}" stroke="${escapeXml(colors.grid)}"/>`);
    out.push(`<line x1="${left - 4}" y1="${y}" x2="${left}" y2="${y}" stroke="${escapeXml(colors.foreground)}"/>`);
    out.push(`<text class="tick" x="${left - 7}" y="${fmt(sy(t) + 4)}">${escapeXml(formatY(t))}</text>`);
  }
  out.push(
    `<text class="axis-label" text-anchor="middle" transform="translate(14 ${fmt(top + plotH / 2)}) rotate(-90)">${escapeXml(o.yLabel)}</text>`,
  );
  out.push('</g>');
  out.push(`<rect class="frame" x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="${escapeXml(colors.foreground)}" stroke-opacity="0.6"/>`);
  if (!all.length) {
    out.push(`<text class="no-data" x="${fmt(left + plotW / 2)}" y="${fmt(top + plotH / 2)}" text-anchor="middle" fill="${escapeXml(colors.foreground)}">–</text>`);
  }
  // Series, clipped to the plot area.
  out.push(`<clipPath id="plot-area"><rect x="${left}" y="${top}" width="${plotW}" height="${plotH}"/></clipPath>`);
  out.push('<g class="series-group" clip-path="url(#plot-area)" fill="none" stroke-linejoin="round" stroke-linecap="round">');
  for (const s of o.series) {
    if (s.raw) out.push(`<path class="raw" d="${pathOf(s.raw)}" stroke="${escapeXml(s.color)}" stroke-opacity="0.25" stroke-width="1"/>`);
  }
  o.series.forEach((s, i) => {
    out.push(`<path class="series" data-series="${i}" d="${pathOf(s.points)}" stroke="${escapeXml(s.color)}" stroke-width="1.75"><title>${escapeXml(s.name)}</title></path>`);
    if (o.markers) {
      for (const p of s.points.filter(usable)) out.push(`<circle class="marker" cx="${fmt(sx(p[0]))}" cy="${fmt(sy(p[1]))}" r="2.5" fill="${escapeXml(s.color)}"/>`);
    }
  });
  out.push('</g>');
  out.push('</svg>');
  return out.join('\n') + '\n';
}
