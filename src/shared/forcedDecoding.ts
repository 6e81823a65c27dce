/**
 * What the attention view and the command line share to show forced
 * decoding (src/core/decoding/forced.ts): the coverage levels under the
 * heatmap, the verdicts in words, and the layout of the exposure-bias chart.
 * Pure (no DOM, no `vscode`), unit-tested in Node.
 */
// @vscode/l10n itself, the instance src/shared/l10n.ts configures: vscode-l10n-dev extracts
// l10n.t('…') only from files that import it from 'vscode' or '@vscode/l10n'.
import * as l10n from '@vscode/l10n';
import type { OutputVerdict } from '../core/decoding/forced';

/**
 * A source token whose coverage (attention summed over the target steps, Tu
 * et al. 2016) is below this was hardly attended to: likely left
 * untranslated (under-translation).
 */
export const UNDER_COVERED = 0.5;
/** A source token whose coverage is above this was attended to again and again: likely translated twice (over-translation, repetition). */
export const OVER_COVERED = 1.5;

export type CoverageLevel = 'under' | 'over' | 'ok';

/** The level of a coverage value (see {@link UNDER_COVERED}, {@link OVER_COVERED}). */
export function coverageLevel(c: number): CoverageLevel {
  return c < UNDER_COVERED ? 'under' : c > OVER_COVERED ? 'over' : 'ok';
}

/** A coverage value as shown under the heatmap: one decimal (".4", "1.2"). */
export function formatCoverage(c: number): string {
  if (!Number.isFinite(c)) return '';
  const s = c.toFixed(1);
  return s.startsWith('0.') ? s.slice(1) : s;
}

/** A verdict in words (translated). */
export function verdictText(v: OutputVerdict): string {
  return v === 'correct' ? l10n.t('correct') : v === 'search-error' ? l10n.t('search error') : l10n.t('model error');
}

/** What a verdict means (translated), for the view. */
export function verdictExplanation(v: OutputVerdict): string {
  switch (v) {
    case 'correct':
      return l10n.t('The output is the reference.');
    case 'search-error':
      return l10n.t('Search error: the model scores the reference higher than the output under the same score, so the search missed a sentence the model prefers. A wider beam may find it.');
    case 'model-error':
      return l10n.t('Model error: the model scores its wrong output at least as high as the reference; a better search would not help, the model itself prefers the wrong sentence.');
  }
}

/** Where the exposure-bias chart draws its two tracks (px). */
export interface ExposureChartLayout {
  width: number;
  height: number;
  /** The plot area. */
  left: number;
  top: number;
  plotWidth: number;
  plotHeight: number;
  /** x of each reference step's centre. */
  xs: number[];
  /** y of a probability in [0, 1]. */
  y: (p: number) => number;
  /** p(y_t | y_<t, x) per step: the teacher-forced track. */
  teacherForced: { x: number; y: number; p: number }[];
  /** p(y_t | ŷ_<t, x) per step (null after greedy's output ended): the own-prefix track. */
  ownPrefix: ({ x: number; y: number; p: number } | null)[];
  /** x of the first divergence step, when greedy leaves the reference. */
  divergenceX?: number;
  /** Step labels (the reference tokens), shortened to fit. */
  labels: string[];
  /** Whether labels are rotated (−45°) to fit. */
  rotate: boolean;
}

/**
 * Lay out the exposure-bias chart: one column per reference step (its token
 * under the axis), probabilities 0–1 upwards, the teacher-forced and
 * own-prefix tracks as points, the first divergence as a vertical line.
 * @param teacherForced log-probabilities per step; @param ownPrefix the same after greedy's prefix (null: none)
 */
export function layoutExposureChart(
  tokens: readonly string[],
  teacherForced: readonly number[],
  ownPrefix: readonly (number | null)[],
  divergence: number,
  opts: { width?: number; height?: number; charWidth?: number } = {},
): ExposureChartLayout {
  const n = Math.max(1, tokens.length);
  const cw = opts.charWidth ?? 7;
  const left = 44;
  const top = 12;
  const width = Math.max(240, Math.min(opts.width ?? 720, left + 16 + n * 64));
  const plotWidth = width - left - 16;
  const step = plotWidth / n;
  const maxChars = Math.max(3, Math.floor(step / cw));
  const longest = tokens.reduce((m, t) => Math.max(m, [...t].length), 0);
  const rotate = longest > maxChars;
  const labels = tokens.map((t) => {
    const chars = [...t];
    const max = rotate ? 12 : maxChars;
    return chars.length <= max ? t : chars.slice(0, max - 1).join('') + '…';
  });
  const labelSpace = rotate ? Math.ceil(Math.min(12, longest) * cw * 0.72) + 14 : 22;
  const plotHeight = Math.max(80, (opts.height ?? 200) - top - labelSpace - 4);
  const height = top + plotHeight + labelSpace + 4;
  const xs = Array.from({ length: tokens.length }, (_, i) => left + step * (i + 0.5));
  const y = (p: number) => top + (1 - Math.min(1, Math.max(0, p))) * plotHeight;
  const point = (lp: number, i: number) => ({ x: xs[i], y: y(Math.exp(lp)), p: Math.exp(lp) });
  return {
    width,
    height,
    left,
    top,
    plotWidth,
    plotHeight,
    xs,
    y,
    teacherForced: teacherForced.map(point),
    ownPrefix: ownPrefix.map((lp, i) => (lp === null ? null : point(lp, i))),
    ...(divergence >= 0 && divergence < tokens.length ? { divergenceX: xs[divergence] } : {}),
    labels,
    rotate,
  };
}
