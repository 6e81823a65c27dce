/**
 * Chart export in the webviews that draw uPlot charts (Training panel,
 * Compare Runs view): the small "SVG" / "PNG" buttons of a chart's caption,
 * the PNG made from the chart's canvas (with a title and a legend drawn
 * above it, on the theme's background), and the theme colours the SVG
 * renderer (src/shared/chartSvg.ts) uses. The page sends the result to the
 * host as an `exportChart` message (src/protocol/chartExport.ts).
 */
import type uPlot from 'uplot';
import type { ChartColors } from '../../src/shared/chartSvg';
import type { ChartExportFormat } from '../../src/protocol/chartExport';
// Imported from @vscode/l10n itself (the same module src/shared/l10n configures): the extractor only sees such imports.
import * as l10n from '@vscode/l10n';

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.body).getPropertyValue(name).trim();
  return v || fallback;
}

/** The theme's colours and font for an exported chart (editor background, foreground, chart grid). */
export function exportColors(): ChartColors & { fontFamily: string } {
  return {
    background: cssVar('--vscode-editor-background', '#ffffff'),
    foreground: cssVar('--vscode-foreground', '#333333'),
    grid: cssVar('--vscode-charts-lines', 'rgba(128,128,128,0.3)'),
    fontFamily: cssVar('--vscode-font-family', 'sans-serif'),
  };
}

/** One legend entry of an exported chart. */
export interface LegendEntry {
  name: string;
  color: string;
}

/**
 * The chart drawn by `plot` as a PNG (base64, no `data:` prefix): the
 * plot's canvas (axes, grid, curves, at the screen's pixel ratio) below the
 * `title` and a legend row, on the theme's background.
 */
export function plotPng(plot: uPlot, title: string, legend: readonly LegendEntry[]): string {
  const src = plot.ctx.canvas;
  const r = src.width / Math.max(1, plot.width);
  const colors = exportColors();
  const pad = Math.round(10 * r);
  const titleH = Math.round(24 * r);
  const legendH = legend.length ? Math.round(20 * r) : 0;
  const canvas = document.createElement('canvas');
  canvas.width = src.width + 2 * pad;
  canvas.height = src.height + titleH + legendH + 2 * pad;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas');
  ctx.fillStyle = colors.background;
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = colors.foreground;
  ctx.textBaseline = 'middle';
  ctx.font = `600 ${Math.round(14 * r)}px ${colors.fontFamily}`;
  ctx.fillText(title, pad, pad + titleH / 2);
  ctx.font = `${Math.round(12 * r)}px ${colors.fontFamily}`;
  let x = pad;
  const y = pad + titleH + legendH / 2;
  for (const entry of legend) {
    ctx.strokeStyle = entry.color;
    ctx.lineWidth = 3 * r;
    ctx.beginPath();
    ctx.moveTo(x, y);
    ctx.lineTo(x + 16 * r, y);
    ctx.stroke();
    ctx.fillStyle = colors.foreground;
    ctx.fillText(entry.name, x + 22 * r, y);
    x += 22 * r + ctx.measureText(entry.name).width + 16 * r;
  }
  ctx.drawImage(src, pad, pad + titleH + legendH);
  return canvas.toDataURL('image/png').replace(/^data:image\/png;base64,/, '');
}

/**
 * The "SVG" and "PNG" buttons of a chart caption; `onExport` is called with
 * the format pressed. `chartTitle` names the chart for screen readers.
 */
export function exportButtons(chartTitle: string, onExport: (format: ChartExportFormat) => void): HTMLElement {
  const box = document.createElement('span');
  box.className = 'export';
  for (const format of ['svg', 'png'] as const) {
    const b = document.createElement('button');
    b.className = `export-${format} icon-button`;
    b.type = 'button';
    b.textContent = format.toUpperCase();
    b.title = format === 'svg' ? l10n.t('Save this chart as SVG (vector)') : l10n.t('Save this chart as PNG (image)');
    b.setAttribute('aria-label', format === 'svg' ? l10n.t('Save {0} as SVG', chartTitle) : l10n.t('Save {0} as PNG', chartTitle));
    b.addEventListener('click', () => onExport(format));
    box.append(b);
  }
  return box;
}
