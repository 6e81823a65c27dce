/**
 * BLEU by source length in `seq2seq eval`: the text table printed after the
 * summary line and the chart of `--by-length-chart` (a Vega-Lite spec
 * rendered to SVG by ./svgRender, loaded only when a chart is written).
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import * as l10n from '@vscode/l10n';
import type { BleuByLengthRow } from '../core/metrics/bleuByLength';

/** One evaluated run: its name in the chart's title and legend, and its rows. */
export interface LengthRun {
  name: string;
  rows: readonly BleuByLengthRow[];
}

const pad = (s: string, n: number, right = false) => (right ? s.padStart(n) : s.padEnd(n));

/**
 * The table printed under `eval`'s summary line: one line per bucket with its
 * sentence count, corpus BLEU (— when empty) and hypothesis ÷ reference length.
 */
export function formatLengthTable(rows: readonly BleuByLengthRow[]): string {
  const head = [l10n.t('source tokens'), l10n.t('sentences'), 'BLEU', l10n.t('hyp/ref length')];
  const body = rows.map((r) => [
    r.bucket,
    String(r.sentences),
    r.bleu === null ? '—' : r.bleu.toFixed(2),
    r.refLength > 0 ? (r.hypLength / r.refLength).toFixed(3) : '—',
  ]);
  return formatTable(head, body);
}

/**
 * A plain-text table: columns separated by two spaces, the first column
 * left-aligned and the others right-aligned; CJK characters count as two
 * columns of display width.
 */
export function formatTable(head: readonly string[], body: readonly (readonly string[])[]): string {
  const width = (s: string) => [...s].reduce((w, c) => w + (/[\u3000-\u9fff\uff00-\uffef]/.test(c) ? 2 : 1), 0);
  const cols = head.map((h, j) => Math.max(width(h), ...body.map((b) => width(b[j] ?? ''))));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, j) => pad(c, cols[j]! - (width(c) - c.length), j > 0))
      .join('  ')
      .trimEnd();
  return [line(head), ...body.map(line)].join('\n');
}

/**
 * Vega-Lite spec of the chart: test BLEU per bucket as a line with points
 * (one line per run; empty buckets have no point), and under it the number
 * of test sentences per bucket as bars labelled with the count — one bar per
 * bucket when every run was scored on the same sentences (`eval` on one test
 * file), else one per run.
 * @throws Error when there is no run
 */
export function lengthChartSpec(runs: readonly LengthRun[]): object {
  if (runs.length === 0) throw new Error('lengthChartSpec: no run');
  const buckets = runs[0]!.rows.map((r) => r.bucket);
  const values = runs.flatMap((run) => run.rows.map((r) => ({ run: run.name, bucket: r.bucket, bleu: r.bleu, sentences: r.sentences })));
  const runNames = runs.map((r) => r.name);
  const x = { field: 'bucket', type: 'ordinal', sort: buckets, scale: { type: 'band', domain: buckets, paddingInner: 0.2, paddingOuter: 0.1 }, axis: { labelAngle: 0 } };
  const color = { field: 'run', type: 'nominal', sort: runNames, title: null, legend: { orient: 'bottom', direction: 'vertical', labelLimit: 640 } };
  const sameSentences = runs.every((run) => run.rows.length === runs[0]!.rows.length && run.rows.every((r, i) => r.sentences === runs[0]!.rows[i]!.sentences));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    // Subtitle: the run's name, or two runs' names joined by "vs" (more runs: the legend names them; a longer subtitle would widen the chart).
    title: { text: l10n.t('Test BLEU by source length'), ...(runNames.length <= 2 ? { subtitle: runNames.join(l10n.t(' vs ')) } : {}), fontSize: 14, subtitleFontSize: 12, anchor: 'start' },
    data: { values },
    vconcat: [
      {
        width: 460,
        height: 240,
        mark: { type: 'line', point: { size: 60, filled: true } },
        encoding: {
          // The bars' band scale, so that the buckets line up.
          x: { ...x, bandPosition: 0.5, title: null },
          y: { field: 'bleu', type: 'quantitative', title: l10n.t('test BLEU') },
          color,
        },
      },
      sameSentences
        ? {
            // One bar per bucket: the first run's counts (every run has the same).
            width: 460,
            height: 90,
            transform: [{ filter: { field: 'run', equal: runNames[0] } }],
            encoding: {
              x: { ...x, title: l10n.t('source length (tokens, as the model splits them)') },
              y: { field: 'sentences', type: 'quantitative', title: l10n.t('sentences') },
            },
            layer: [{ mark: { type: 'bar', color: '#9e9e9e' } }, { mark: { type: 'text', dy: -6, fontSize: 10 }, encoding: { text: { field: 'sentences', type: 'quantitative' }, color: { value: '#333' } } }],
          }
        : {
            width: 460,
            height: 90,
            encoding: {
              x: { ...x, title: l10n.t('source length (tokens, as the model splits them)') },
              xOffset: { field: 'run', type: 'nominal', sort: runNames },
              y: { field: 'sentences', type: 'quantitative', title: l10n.t('sentences') },
              color,
            },
            layer: [{ mark: { type: 'bar' } }, { mark: { type: 'text', dy: -6, fontSize: 10 }, encoding: { text: { field: 'sentences', type: 'quantitative' }, color: { value: '#333' } } }],
          },
    ],
    resolve: { scale: { color: 'shared' } },
    config: { font: 'sans-serif', background: 'white' },
  };
}

/** Render the chart of `runs` to an SVG file (folders created as needed). */
export async function writeLengthChart(file: string, runs: readonly LengthRun[]): Promise<void> {
  // Kept out of dist/cli.js by scripts/build.mjs: dist/svgRender.js, loaded here on first use.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { renderVegaLiteSvg } = require('./svgRender') as typeof import('./svgRender');
  const svg = await renderVegaLiteSvg(lengthChartSpec(runs));
  await fs.mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await fs.writeFile(file, svg);
}
