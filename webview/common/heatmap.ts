/**
 * An attention heatmap as SVG, for the attention view and the Training
 * panel: target tokens (queries) as rows, source tokens (keys) as columns,
 * cells painted by `src/shared/attentionHeatmap.ts` in the chosen colour
 * scale, the largest weight of each row outlined, the weight on hover, the
 * hovered row highlighted. Optionally a coverage row under the grid — the
 * attention each source token received, summed over the rows (Tu et al.
 * 2016) — with under- and over-covered tokens marked
 * (`src/shared/forcedDecoding.ts`), and clickable row labels.
 */
import { cellPaint, formatCellWeight, layoutHeatmap, rowArgmax, type ColorScale } from '../../src/shared/attentionHeatmap';
import { coverageLevel, formatCoverage, OVER_COVERED, UNDER_COVERED } from '../../src/shared/forcedDecoding';
import { EOS } from '../../src/core/data/vocabulary';
// Imported from @vscode/l10n itself (the same module src/shared/l10n configures): the extractor only sees such imports.
import * as l10n from '@vscode/l10n';
import { h, s } from './dom';

/** What to draw. */
export interface HeatmapSpec {
  sourceTokens: string[];
  targetTokens: string[];
  /** `[targetTokens.length][sourceTokens.length]` weights in [0, 1]. */
  attention: number[][];
  colorScale: ColorScale;
  /** Width available for the drawing (px). */
  availableWidth: number;
  /** Accessible name of the drawing. */
  ariaLabel: string;
  /** Per source token, its coverage: drawn as a row under the grid. */
  coverage?: number[];
  /** Extra class of a row's label (e.g. `forced` for the forced prefix of a what-if). */
  rowClass?: (row: number) => string | undefined;
  /** Makes the row labels buttons (focusable, Enter/Space): called with the row clicked. */
  onRowClick?: (row: number) => void;
  /** The row label's tooltip (default: the full token). */
  rowTitle?: (row: number) => string;
  /** Called with the hovered row (−1 when none). */
  onHover?: (row: number) => void;
  /** The SVG's class (default `heatmap`). */
  className?: string;
}

/** The drawing: its wrapper (with the tooltip), the SVG, and a way to highlight a row from outside. */
export interface DrawnHeatmap {
  wrap: HTMLElement;
  svg: SVGSVGElement;
  setHover(row: number): void;
}

/** SVG attributes of a cell of weight `w` in `scale`. */
export function cellAttrs(w: number, scale: ColorScale): Record<string, string> {
  const paint = cellPaint(w, scale);
  return paint.fill ? { fill: paint.fill, 'fill-opacity': '1' } : { 'fill-opacity': paint.opacity.toFixed(3) };
}

/** Draw the heatmap of `spec` (see {@link HeatmapSpec}). */
export function drawHeatmap(spec: HeatmapSpec): DrawnHeatmap {
  const { sourceTokens, targetTokens, attention, colorScale } = spec;
  const wrap = h('div', 'heatmap-wrap');
  const coverageLabel = l10n.t('coverage');
  // The coverage row takes a row slot of the layout (its label sizes the left margin too), 6 px below the grid.
  const L = layoutHeatmap(sourceTokens, spec.coverage ? [...targetTokens, coverageLabel] : targetTokens, { availableWidth: spec.availableWidth });
  const gap = spec.coverage ? 6 : 0;
  const svg = s('svg', { width: L.width, height: L.height + gap, class: spec.className ?? 'heatmap', role: 'img' });
  svg.setAttribute('aria-label', spec.ariaLabel);
  const argmax = rowArgmax(attention);

  L.columnLabels.forEach((label, j) => {
    const x = L.left + j * L.cell + L.cell / 2;
    const y = L.top - 6;
    const text = s(
      'text',
      L.rotateColumns
        ? { x, y, transform: `rotate(-60 ${x} ${y})`, class: 'col-label', 'text-anchor': 'start', 'data-col': j }
        : { x, y, class: 'col-label', 'text-anchor': 'middle', 'data-col': j },
    );
    text.textContent = label;
    const full = s('title');
    full.textContent = sourceTokens[j];
    text.append(full);
    svg.append(text);
  });
  targetTokens.forEach((_, i) => {
    const extra = spec.rowClass?.(i);
    const text = s('text', {
      x: L.left - 8,
      y: L.top + i * L.cell + L.cell / 2,
      class: `row-label${extra ? ` ${extra}` : ''}${spec.onRowClick ? ' clickable' : ''}`,
      'text-anchor': 'end',
      'dominant-baseline': 'central',
      'data-row': i,
    });
    text.textContent = L.rowLabels[i];
    const full = s('title');
    full.textContent = spec.rowTitle?.(i) ?? targetTokens[i];
    text.append(full);
    if (spec.onRowClick) {
      const click = spec.onRowClick;
      text.setAttribute('tabindex', '0');
      text.setAttribute('role', 'button');
      text.addEventListener('click', () => click(i));
      text.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter' || ev.key === ' ') {
          ev.preventDefault();
          click(i);
        }
      });
    }
    svg.append(text);
  });
  const grid = s('g', { class: 'cells' });
  attention.forEach((row, i) => {
    row.forEach((w, j) => {
      const x = L.left + j * L.cell;
      const y = L.top + i * L.cell;
      grid.append(s('rect', { x: x + 0.5, y: y + 0.5, width: L.cell - 1, height: L.cell - 1, class: 'cell', ...cellAttrs(w, colorScale), 'data-row': i, 'data-col': j }));
      if (L.showNumbers && w >= 0.1) {
        const n = s('text', { x: x + L.cell / 2, y: y + L.cell / 2, class: `num on-${cellPaint(w, colorScale).text}`, 'text-anchor': 'middle', 'dominant-baseline': 'central' });
        n.textContent = formatCellWeight(w);
        grid.append(n);
      }
    });
    if (argmax[i] >= 0) {
      grid.append(s('rect', { x: L.left + argmax[i] * L.cell + 1.5, y: L.top + i * L.cell + 1.5, width: L.cell - 3, height: L.cell - 3, class: 'argmax' }));
    }
  });
  svg.append(grid);
  if (spec.coverage) svg.append(coverageRow(spec.coverage, sourceTokens, L.left, L.top + targetTokens.length * L.cell + gap, L.cell, L.rowLabels[targetTokens.length]));
  const highlight = s('rect', { x: L.left - 2, y: 0, width: sourceTokens.length * L.cell + 4, height: L.cell, class: 'row-highlight', visibility: 'hidden' });
  svg.append(highlight);

  const tip = h('div', 'tooltip');
  tip.setAttribute('role', 'tooltip');
  tip.hidden = true;

  const setHover = (row: number) => {
    if (row >= 0 && row < targetTokens.length) {
      highlight.setAttribute('y', String(L.top + row * L.cell));
      highlight.setAttribute('visibility', 'visible');
    } else highlight.setAttribute('visibility', 'hidden');
    svg.querySelectorAll('.row-label').forEach((el) => el.classList.toggle('hover', Number(el.getAttribute('data-row')) === row));
  };
  svg.addEventListener('mousemove', (ev) => {
    const target = ev.target as Element;
    const r = target.getAttribute('data-row');
    const c = target.getAttribute('data-col');
    const cov = target.getAttribute('data-coverage');
    if (cov !== null) {
      const j = Number(cov);
      tip.textContent = l10n.t('{0}: coverage {1} (attention summed over the {2} target steps)', sourceTokens[j], (spec.coverage?.[j] ?? 0).toFixed(3), targetTokens.length);
      place(ev);
      return;
    }
    if (r === null) {
      tip.hidden = true;
      if (c === null) {
        setHover(-1);
        spec.onHover?.(-1);
      }
      return;
    }
    const i = Number(r);
    setHover(i);
    spec.onHover?.(i);
    if (c === null) {
      tip.hidden = true;
      return;
    }
    const j = Number(c);
    const w = attention[i]?.[j] ?? 0;
    tip.textContent = `${targetTokens[i]} ← ${sourceTokens[j]}: ${w.toFixed(3)}`;
    place(ev);
  });
  const place = (ev: MouseEvent) => {
    tip.hidden = false;
    const box = wrap.getBoundingClientRect();
    tip.style.left = `${Math.min(ev.clientX - box.left + 12, Math.max(0, box.width - tip.offsetWidth - 4))}px`;
    tip.style.top = `${ev.clientY - box.top + 16}px`;
  };
  svg.addEventListener('mouseleave', () => {
    tip.hidden = true;
    setHover(-1);
    spec.onHover?.(-1);
  });
  wrap.append(svg, tip);
  return { wrap, svg, setHover };
}

/** The coverage row: one cell per source token with its value, under- and over-covered tokens marked. */
function coverageRow(coverage: number[], sourceTokens: string[], left: number, top: number, cell: number, label: string): SVGGElement {
  const g = s('g', { class: 'coverage-row' });
  // Not a `row-label`: the rows are the target tokens only.
  const text = s('text', { x: left - 8, y: top + cell / 2, class: 'coverage-label', 'text-anchor': 'end', 'dominant-baseline': 'central' });
  text.textContent = label;
  const full = s('title');
  full.textContent = l10n.t('Coverage: the attention each source token received, summed over the target steps (Tu et al. 2016)');
  text.append(full);
  g.append(text);
  coverage.forEach((c, j) => {
    // `<eos>` is not a word to translate: its column is not marked.
    const level = sourceTokens[j] === EOS ? 'ok' : coverageLevel(c);
    const x = left + j * cell;
    g.append(s('rect', { x: x + 0.5, y: top + 0.5, width: cell - 1, height: cell - 1, class: `cov-cell cov-${level}`, 'data-coverage': j }));
    const n = s('text', { x: x + cell / 2, y: top + cell / 2, class: `cov-num cov-${level}`, 'text-anchor': 'middle', 'dominant-baseline': 'central' });
    n.textContent = formatCoverage(c);
    g.append(n);
    const title = s('title');
    title.textContent = `${sourceTokens[j]}: ${c.toFixed(3)}`;
    n.append(title);
  });
  return g;
}

/** The legend of the coverage row (what the marks mean), as a line of text with the two swatches. */
export function coverageLegend(): HTMLElement {
  const box = h('div', 'coverage-legend muted');
  box.append(document.createTextNode(l10n.t('Coverage: attention summed over the target steps; every row adds 1, so a word translated once gets about 1.') + ' '));
  const swatch = (cls: string, text: string) => {
    const k = h('span', 'cov-key');
    k.append(h('span', `cov-swatch ${cls}`), document.createTextNode(` ${text}`));
    return k;
  };
  box.append(
    swatch('cov-under', l10n.t('below {0}: under-translated?', String(UNDER_COVERED))),
    document.createTextNode(' '),
    swatch('cov-over', l10n.t('above {0}: translated twice (repetition)?', String(OVER_COVERED))),
  );
  return box;
}
