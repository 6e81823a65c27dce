/**
 * Layout and colour scale of the attention heatmap (used by the webview in
 * webview/attention/ and unit-tested in Node; no DOM, no `vscode`).
 *
 * Colour: every cell is the theme's `--vscode-charts-blue` drawn with an
 * opacity that grows with the attention weight, over the editor background,
 * so the scale follows light, dark and high-contrast themes. Opacity is
 * `MIN_OPACITY + (1 − MIN_OPACITY)·w^γ` with γ < 1, which spreads the small
 * weights that dominate a soft alignment (most rows put 0.01–0.2 on most
 * columns) while keeping 0 and 1 at the ends.
 */

import { interpolateViridis } from 'd3-scale-chromatic';

/** Opacity of a zero weight (cells stay visible as a grid). */
export const MIN_OPACITY = 0.04;
/** Gamma of the opacity curve. */
export const GAMMA = 0.6;

/**
 * Fill opacity for an attention weight (clamped to [0, 1]; NaN → 0).
 * Monotonically non-decreasing in `w`.
 */
export function weightOpacity(w: number): number {
  const x = Number.isFinite(w) ? Math.min(1, Math.max(0, w)) : 0;
  return MIN_OPACITY + (1 - MIN_OPACITY) * Math.pow(x, GAMMA);
}

/** Above this opacity the cell's number is written in the background colour (reads on a saturated cell). */
export const STRONG_OPACITY = 0.55;

/** Whether a cell's number should use the background colour (`strong`) or the foreground colour. */
export function cellTextTone(w: number): 'strong' | 'weak' {
  return weightOpacity(w) > STRONG_OPACITY ? 'strong' : 'weak';
}

/**
 * Colour scales of the heatmap (setting `seq2seq.attention.colorScale`):
 * - `theme`: the theme's `--vscode-charts-blue` with the opacity of
 *   {@link weightOpacity} over the editor background (follows light, dark
 *   and high-contrast themes);
 * - `viridis`: the perceptually uniform Viridis map (van der Walt & Smith,
 *   matplotlib 2015), readable by colour-blind readers and in greyscale
 *   print, from `d3-scale-chromatic`, at the same gamma-spread position;
 * - `grayscale`: the editor's foreground colour with the same opacities.
 */
export const COLOR_SCALES = ['theme', 'viridis', 'grayscale'] as const;
export type ColorScale = (typeof COLOR_SCALES)[number];

/** `value` when it names a colour scale, else `theme`. */
export function colorScaleOf(value: unknown): ColorScale {
  return (COLOR_SCALES as readonly unknown[]).includes(value) ? (value as ColorScale) : 'theme';
}

/** How a cell of weight `w` is painted. */
export interface CellPaint {
  /** An explicit fill colour (`#rrggbb`), or undefined for the scale's CSS colour (theme blue, foreground). */
  fill?: string;
  /** Fill opacity in [0, 1]. */
  opacity: number;
  /** Colour of the printed weight: the editor's background colour (on a strong cell), its foreground, or black/white on an explicit fill. */
  text: 'background' | 'foreground' | 'black' | 'white';
}

/** Relative luminance (WCAG 2.x) of a `#rrggbb` or `rgb(r, g, b)` colour. */
export function luminance(colour: string): number {
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(colour);
  const channels = hex ? hex.slice(1, 4).map((h) => parseInt(h, 16)) : (colour.match(/\d+(\.\d+)?/g) ?? ['0', '0', '0']).slice(0, 3).map(Number);
  const [r, g, b] = channels.map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/**
 * Paint of a cell of weight `w` (clamped to [0, 1]) in `scale`. Viridis takes
 * the position `w^GAMMA` (as the opacity does), and its number is black or
 * white, whichever contrasts more with the cell.
 */
export function cellPaint(w: number, scale: ColorScale): CellPaint {
  if (scale === 'viridis') {
    const x = Number.isFinite(w) ? Math.min(1, Math.max(0, w)) : 0;
    const fill = interpolateViridis(Math.pow(x, GAMMA));
    // Contrast with black (L + 0.05) / 0.05 vs with white 1.05 / (L + 0.05): black wins above L ≈ 0.179.
    return { fill, opacity: 1, text: luminance(fill) > 0.179 ? 'black' : 'white' };
  }
  return { opacity: weightOpacity(w), text: cellTextTone(w) === 'strong' ? 'background' : 'foreground' };
}

/** Weight as shown in a cell (two decimals, no leading zero: ".42"; "1" for 1). */
export function formatCellWeight(w: number): string {
  if (!Number.isFinite(w)) return '';
  if (w >= 0.995) return '1';
  return w.toFixed(2).replace(/^0/, '');
}

/** Shorten a label to `max` characters with a trailing ellipsis. */
export function truncateLabel(label: string, max: number): string {
  const chars = [...label];
  return chars.length <= max ? label : chars.slice(0, Math.max(1, max - 1)).join('') + '…';
}

export interface HeatmapLayoutOptions {
  /** Approximate width of one label character in px (default 7.2 for 12px text). */
  charWidth?: number;
  /** Width available for the whole heatmap in px (default 800). */
  availableWidth?: number;
  /** Longest label shown in full (default 16 characters). */
  maxLabelChars?: number;
}

/** Where everything goes (px). */
export interface HeatmapLayout {
  /** Side of a (square) cell. */
  cell: number;
  /** Column (source) labels: rotated −60° when any does not fit its cell width. */
  rotateColumns: boolean;
  columnLabels: string[];
  rowLabels: string[];
  /** Space left of the grid for row (target) labels. */
  left: number;
  /** Space above the grid for column labels. */
  top: number;
  width: number;
  height: number;
  /** Whether cells are big enough to print their weight. */
  showNumbers: boolean;
}

/** Sine of the column-label rotation (−60°: steep enough to stay narrow, shallow enough to read). */
const ROT_SIN = Math.sin((60 * Math.PI) / 180);
const ROT_COS = Math.cos((60 * Math.PI) / 180);

/**
 * Lay out a `[rows = target tokens] × [columns = source tokens]` heatmap.
 * Cells shrink (down to 14 px) to fit `availableWidth`; labels longer than
 * `maxLabelChars` are truncated (the tooltip shows them in full).
 */
export function layoutHeatmap(sourceTokens: string[], targetTokens: string[], opts: HeatmapLayoutOptions = {}): HeatmapLayout {
  const cw = opts.charWidth ?? 7.2;
  const maxChars = opts.maxLabelChars ?? 16;
  const available = opts.availableWidth ?? 800;
  const columnLabels = sourceTokens.map((t) => truncateLabel(t, maxChars));
  const rowLabels = targetTokens.map((t) => truncateLabel(t, maxChars));
  const longest = (labels: string[]) => labels.reduce((m, l) => Math.max(m, [...l].length), 0);
  const left = Math.ceil(longest(rowLabels) * cw + 14);
  const cols = Math.max(1, sourceTokens.length);
  const cell = Math.max(14, Math.min(44, Math.floor((available - left - 8) / cols)));
  const colTextWidth = longest(columnLabels) * cw;
  const rotateColumns = colTextWidth > cell - 4;
  // A label rotated by −60° rises sin·length and leans cos·length to the right.
  const top = Math.ceil(rotateColumns ? colTextWidth * ROT_SIN + 16 : 22);
  const overhang = rotateColumns ? Math.max(0, colTextWidth * ROT_COS - cell / 2) : 0;
  return {
    cell,
    rotateColumns,
    columnLabels,
    rowLabels,
    left,
    top,
    width: Math.ceil(left + cols * cell + overhang + 4),
    height: Math.ceil(top + Math.max(1, targetTokens.length) * cell + 4),
    showNumbers: cell >= 30,
  };
}

/** Index of the largest weight in each row (the "hard" alignment); −1 for an empty row. */
export function rowArgmax(attention: number[][]): number[] {
  return attention.map((row) => row.reduce((best, w, j) => (best < 0 || w > row[best] ? j : best), -1));
}
