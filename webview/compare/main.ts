/**
 * Compare Runs view page (runs inside the VS Code webview). Receives runs
 * from the host (src/protocol/compareRuns.ts) and shows:
 * - three uPlot charts — training loss, validation perplexity (log axis) and
 *   validation BLEU — with one curve per run in a distinct theme colour,
 *   smoothed with TensorBoard's debiased EMA (src/shared/smoothing.ts) and
 *   the raw curve faint behind it, against the step or the wall-clock time;
 * - a legend of the runs, notes for runs that cannot be shown;
 * - a sortable table: run, model, the hyper-parameters that differ (all with
 *   "Show all parameters"), best BLEU, lowest perplexity, steps, training
 *   time, tokens/s;
 * - SVG / PNG export of each chart and CSV export of each run's metrics.
 *
 * The x-axis mode, smoothing, "show all" and the sort are kept in the
 * page's state (survive the page being hidden and shown again). The x-axis
 * radio buttons and the "show all" checkbox are @vscode-elements/elements
 * web components; everything else is plain HTML on VS Code's theme variables.
 */
import './pageL10n'; // first: configures l10n.t before anything else runs
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import '../common/page.css';
import '../common/charts.css';
import './compare.css';
// Radio buttons and the checkbox from @vscode-elements/elements (the maintained successor of the deprecated
// @vscode/webview-ui-toolkit); buttons, the slider and the table stay plain HTML (docs/how-it-works.md#webviews).
import '@vscode-elements/elements/dist/vscode-radio-group/index.js';
import '@vscode-elements/elements/dist/vscode-radio/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import type { CompareRun, CompareToHost, HostToCompare } from '../../src/protocol/compareRuns';
import type { ChartExportFormat } from '../../src/protocol/chartExport';
import { flattenConfig, parameterKeys, runCurves, runScores, sortOrder, type ParamValue, type RunCurves, type RunScores, type SortDirection, type SortValue } from '../../src/shared/compareRuns';
import { renderChartSvg, type ChartPoint } from '../../src/shared/chartSvg';
import { smoothDebiasedEma } from '../../src/shared/smoothing';
import { formatBleu, formatCount, formatDuration, formatMetric } from '../../src/shared/format';
import { exportButtons, exportColors, plotPng } from '../common/chartExport';
// Imported from @vscode/l10n itself (the same module src/shared/l10n configures): the extractor only sees such imports.
import * as l10n from '@vscode/l10n';

const vscode = acquireVsCodeApi();
const send = (msg: CompareToHost) => vscode.postMessage(msg);

type XMode = 'step' | 'time';
type ChartKind = 'loss' | 'perplexity' | 'bleu';

interface ViewState {
  xMode: XMode;
  smoothing: number;
  showAll: boolean;
  sort?: { key: string; dir: SortDirection };
}

const saved = (vscode.getState() ?? {}) as Partial<ViewState>;
const view: ViewState = {
  xMode: saved.xMode === 'time' ? 'time' : 'step',
  // TensorBoard's default smoothing.
  smoothing: typeof saved.smoothing === 'number' && saved.smoothing >= 0 && saved.smoothing <= 0.99 ? saved.smoothing : 0.6,
  showAll: saved.showAll === true,
  sort: saved.sort && typeof saved.sort.key === 'string' && (saved.sort.dir === 'asc' || saved.sort.dir === 'desc') ? saved.sort : undefined,
};
const persist = () => vscode.setState(view);

/** A run as the page uses it: the host's data plus what is computed from it once. */
interface RunView {
  run: CompareRun;
  curves: RunCurves;
  scores: RunScores;
  params: Record<string, ParamValue> | undefined;
}
let runs: RunView[] = [];

function toView(run: CompareRun): RunView {
  return { run, curves: runCurves(run.events), scores: runScores(run.events), params: run.config ? flattenConfig(run.config) : undefined };
}

// ---------------------------------------------------------------- DOM helpers

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.body).getPropertyValue(name).trim();
  return v || fallback;
}

/** Series colours: the theme's chart colours first, then fixed ones (Tableau 10) for more runs. */
function palette(): string[] {
  return [
    cssVar('--vscode-charts-blue', '#3794ff'),
    cssVar('--vscode-charts-orange', '#d18616'),
    cssVar('--vscode-charts-green', '#89d185'),
    cssVar('--vscode-charts-purple', '#b180d7'),
    cssVar('--vscode-charts-red', '#f14c4c'),
    cssVar('--vscode-charts-yellow', '#cca700'),
    '#17becf',
    '#e377c2',
    '#8c564b',
    '#7f7f7f',
  ];
}
let colors = palette();
const colorOf = (i: number) => colors[i % colors.length];

// ---------------------------------------------------------------- layout

const app = document.getElementById('app') ?? document.body.appendChild(el('div'));
app.textContent = '';

const header = app.appendChild(el('header', 'header'));
const titleRow = header.appendChild(el('div', 'title-row'));
titleRow.appendChild(el('h1', 'view-title', l10n.t('Compare Runs')));
const countBadge = titleRow.appendChild(el('span', 'badge count'));

const controls = header.appendChild(el('div', 'controls'));
const xGroup = controls.appendChild(el('div', 'x-axis'));
xGroup.appendChild(el('span', 'control-label', l10n.t('X axis')));
/** A checkable control of @vscode-elements/elements (`vscode-radio`, `vscode-checkbox`): VS Code's own look in every theme. */
type Checkable = HTMLElement & { checked: boolean; label: string };
function checkable(tag: 'vscode-radio' | 'vscode-checkbox', cls: string, label: string): Checkable {
  const c = document.createElement(tag) as Checkable;
  c.className = cls;
  c.label = label;
  return c;
}
const xRadios = xGroup.appendChild(document.createElement('vscode-radio-group'));
xRadios.setAttribute('aria-label', l10n.t('X axis'));
const xButtons: Record<XMode, Checkable> = {
  step: xRadios.appendChild(checkable('vscode-radio', 'x-step', l10n.t('Step'))),
  time: xRadios.appendChild(checkable('vscode-radio', 'x-time', l10n.t('Wall-clock time'))),
};
/** The radio checked (by a click, or by the arrow keys, which change it without a `change` event) becomes the x axis. */
function syncXMode(): void {
  const mode: XMode = xButtons.time.checked ? 'time' : 'step';
  if (view.xMode === mode) return;
  view.xMode = mode;
  persist();
  renderControls();
  renderCharts();
}
xRadios.addEventListener('change', syncXMode);
xRadios.addEventListener('keyup', syncXMode);

const smoothLabel = controls.appendChild(el('label', 'smoothing'));
smoothLabel.appendChild(el('span', 'control-label', l10n.t('Smoothing')));
const smoothInput = smoothLabel.appendChild(el('input'));
smoothInput.type = 'range';
smoothInput.id = 'smoothing';
smoothInput.min = '0';
smoothInput.max = '0.99';
smoothInput.step = '0.01';
smoothInput.title = l10n.t('Exponential moving average with bias correction, as in TensorBoard (0 = raw values)');
const smoothValue = smoothLabel.appendChild(el('output', 'smoothing-value'));
smoothInput.addEventListener('input', () => {
  view.smoothing = Math.min(0.99, Math.max(0, Number(smoothInput.value) || 0));
  smoothValue.textContent = view.smoothing.toFixed(2);
  persist();
  scheduleCharts();
});

const notes = app.appendChild(el('div', 'notes'));
notes.setAttribute('role', 'status');
const legendEl = app.appendChild(el('ul', 'legend'));
legendEl.setAttribute('aria-label', l10n.t('Runs'));

const chartsEl = app.appendChild(el('section', 'charts'));

interface ChartSlot {
  kind: ChartKind;
  title: string;
  yLabel: string;
  log: boolean;
  markers: boolean;
  format: (v: number) => string;
  box: HTMLElement;
  plotEl: HTMLElement;
  empty: HTMLElement;
  /** The values under the cursor (caption). */
  readout: HTMLElement;
  plot: uPlot | undefined;
  /** Runs (indices into `runs`) with a curve in the plot, in series order. */
  shown: number[];
}

function makeSlot(kind: ChartKind, title: string, yLabel: string, emptyText: string, opts: { log?: boolean; markers?: boolean; format: (v: number) => string }): ChartSlot {
  const box = chartsEl.appendChild(el('figure', `chart chart-${kind}`));
  const caption = box.appendChild(el('figcaption'));
  caption.appendChild(el('span', 'chart-title', title));
  const readout = caption.appendChild(el('span', 'readout'));
  const slot: ChartSlot = {
    kind,
    title,
    yLabel,
    log: opts.log ?? false,
    markers: opts.markers ?? false,
    format: opts.format,
    box,
    plotEl: el('div', 'plot'),
    empty: el('div', 'empty', emptyText),
    readout,
    plot: undefined,
    shown: [],
  };
  caption.appendChild(exportButtons(title, (format) => exportChart(slot, format)));
  box.append(slot.plotEl, slot.empty);
  return slot;
}

const slots: ChartSlot[] = [
  makeSlot('loss', l10n.t('Training loss'), l10n.t('loss (nats / token)'), l10n.t('No progress reports recorded.'), { format: formatMetric }),
  makeSlot('perplexity', l10n.t('Validation perplexity'), l10n.t('perplexity (log scale)'), l10n.t('No validation recorded.'), { log: true, markers: true, format: formatMetric }),
  makeSlot('bleu', l10n.t('Validation BLEU'), l10n.t('BLEU'), l10n.t('No validation recorded.'), { markers: true, format: formatBleu }),
];

const tableSection = app.appendChild(el('section', 'runs-table'));
const tableHead = tableSection.appendChild(el('div', 'table-head'));
tableHead.appendChild(el('h2', undefined, l10n.t('Hyper-parameters and scores')));
const showAllBox = tableHead.appendChild(checkable('vscode-checkbox', 'show-all', l10n.t('Show all parameters')));
showAllBox.id = 'show-all';
showAllBox.addEventListener('change', () => {
  view.showAll = showAllBox.checked;
  persist();
  renderTable();
});
const paramNote = tableSection.appendChild(el('p', 'param-note muted'));
const tableWrap = tableSection.appendChild(el('div', 'table-wrap'));
const table = tableWrap.appendChild(el('table'));
const thead = table.appendChild(el('thead'));
const tbody = table.appendChild(el('tbody'));

// ---------------------------------------------------------------- charts

interface ChartData {
  /** Per shown run: x, raw y, smoothed y. */
  tables: { run: number; xs: number[]; raw: (number | null)[]; smooth: (number | null)[] }[];
}

function chartData(kind: ChartKind): ChartData {
  const tables: ChartData['tables'] = [];
  runs.forEach((r, i) => {
    const c = r.curves[kind];
    const xs: number[] = [];
    const raw: (number | null)[] = [];
    const source = view.xMode === 'step' ? c.steps : c.seconds;
    source.forEach((x, k) => {
      // Wall-clock x must be known and increasing (uPlot's x scale); a step always is.
      if (!Number.isFinite(x) || (xs.length && x <= xs[xs.length - 1])) return;
      xs.push(x);
      raw.push(c.values[k]);
    });
    if (!xs.length || !raw.some((v) => v !== null)) return;
    tables.push({ run: i, xs, raw, smooth: smoothDebiasedEma(raw, view.smoothing) });
  });
  return { tables };
}

function xLabel(): string {
  return view.xMode === 'step' ? l10n.t('step') : l10n.t('wall-clock time');
}
const formatX = (v: number) => (view.xMode === 'step' ? formatCount(v) : formatDuration(v));

/** On a log axis keep only 1, 2 and 5 × 10^k (uPlot otherwise draws every integer multiple). */
const logSplitsFilter: uPlot.Axis['filter'] = (_u, splits) =>
  splits.map((v) => {
    if (v == null || v <= 0) return null;
    const mantissa = Math.round(v / 10 ** Math.floor(Math.log10(v) + 1e-9));
    return mantissa === 1 || mantissa === 2 || mantissa === 5 ? v : null;
  });

function plotSize(slot: ChartSlot): { width: number; height: number } {
  const style = getComputedStyle(slot.box);
  const inner = slot.box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  const width = Math.max(200, Math.floor(inner));
  return { width, height: Math.max(200, Math.min(300, Math.round(width * 0.55))) };
}

function renderChart(slot: ChartSlot): void {
  const { tables } = chartData(slot.kind);
  slot.plot?.destroy();
  slot.plot = undefined;
  slot.plotEl.textContent = '';
  slot.shown = tables.map((t) => t.run);
  slot.readout.textContent = '';
  const hasData = tables.length > 0;
  slot.empty.hidden = hasData;
  slot.plotEl.hidden = !hasData;
  slot.box.querySelectorAll<HTMLButtonElement>('.export button').forEach((b) => (b.disabled = !hasData));
  // What the chart shows, for tests and tools reading the DOM (the plot itself is a canvas).
  slot.box.dataset.series = String(tables.length);
  slot.box.dataset.points = String(tables.reduce((n, t) => n + t.smooth.filter((v) => v !== null).length, 0));
  slot.box.dataset.x = view.xMode;
  slot.box.dataset.xMax = hasData ? String(Math.max(...tables.map((t) => t.xs[t.xs.length - 1]))) : '';
  slot.box.dataset.smoothedSum = tables.reduce((s, t) => s + t.smooth.reduce<number>((a, v) => a + (v ?? 0), 0), 0).toFixed(6);
  if (!hasData) return;
  const fg = cssVar('--vscode-descriptionForeground', cssVar('--vscode-foreground', '#888'));
  const grid = cssVar('--vscode-charts-lines', 'rgba(128,128,128,0.25)');
  const family = cssVar('--vscode-font-family', 'sans-serif');
  const font = `${parseInt(cssVar('--vscode-font-size', '13px'), 10) - 1 || 12}px ${family}`;
  const axis = (label: string, extra: Partial<uPlot.Axis> = {}): uPlot.Axis => ({
    label,
    stroke: fg,
    font,
    labelFont: font,
    labelSize: 18,
    grid: { stroke: grid, width: 1 },
    ticks: { stroke: grid, width: 1, size: 4 },
    ...extra,
  });
  const series: uPlot.Series[] = [{ label: xLabel() }];
  for (const t of tables) {
    const color = colorOf(t.run);
    const name = runs[t.run].run.name;
    series.push({ label: l10n.t('{0} (raw)', name), stroke: color, alpha: 0.28, width: 1, spanGaps: true, show: view.smoothing > 0, points: { show: false } });
    series.push({ label: name, stroke: color, width: 2, spanGaps: true, points: { show: slot.markers, size: 5, fill: color, stroke: color } });
  }
  const data = uPlot.join(tables.map((t) => [t.xs, t.raw, t.smooth] as uPlot.AlignedData));
  slot.plot = new uPlot(
    {
      ...plotSize(slot),
      legend: { show: false },
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: false }, y: slot.log ? { distr: 3 } : { auto: true } },
      axes: [
        axis(xLabel(), { values: (_u, splits) => splits.map((v) => (v == null ? '' : formatX(v))), size: 28, gap: 4 }),
        axis(slot.yLabel, slot.log ? { filter: logSplitsFilter, grid: { stroke: grid, width: 1, filter: logSplitsFilter }, ticks: { stroke: grid, width: 1, size: 4, filter: logSplitsFilter } } : {}),
      ],
      series,
      hooks: { setCursor: [(u) => updateReadout(slot, u.cursor.idx)] },
    },
    data,
    slot.plotEl,
  );
}

/** The caption's readout: each run's smoothed value at the x under the cursor (none when the cursor is off the plot). */
function updateReadout(slot: ChartSlot, idx: number | null | undefined): void {
  const data = slot.plot?.data;
  if (!data || idx == null || idx < 0 || idx >= data[0].length) {
    slot.readout.textContent = '';
    return;
  }
  const parts = slot.shown.map((run, k) => {
    const v = data[2 + 2 * k][idx];
    return v == null ? undefined : `${runs[run].run.name} ${slot.format(v)}`;
  });
  const x = data[0][idx];
  const where = view.xMode === 'step' ? l10n.t('step {0}', x) : formatDuration(x);
  slot.readout.textContent = `${where}: ${parts.filter((p) => p !== undefined).join(' · ')}`;
}

function renderCharts(): void {
  for (const s of slots) renderChart(s);
}

let chartFrame = 0;
function scheduleCharts(): void {
  if (!chartFrame) {
    chartFrame = requestAnimationFrame(() => {
      chartFrame = 0;
      renderCharts();
    });
  }
}

/** Base of the exported file name: the runs and the chart, e.g. "tiny-vs-flat-training-loss". */
function exportName(slot: ChartSlot): string {
  const names = slot.shown.map((i) => runs[i].run.name);
  const who = names.length <= 3 ? names.join('-vs-') : `${names.length}-runs`;
  return `${who}-${slot.kind === 'loss' ? 'training-loss' : `validation-${slot.kind}`}`;
}

function exportChart(slot: ChartSlot, format: ChartExportFormat): void {
  if (!slot.plot) return;
  const legend = slot.shown.map((i) => ({ name: runs[i].run.name, color: colorOf(i) }));
  let data: string;
  if (format === 'png') {
    data = plotPng(slot.plot, slot.title, legend);
  } else {
    const { tables } = chartData(slot.kind);
    const zip = (xs: number[], ys: (number | null)[]): ChartPoint[] => xs.map((x, k) => [x, ys[k]] as const);
    const c = exportColors();
    data = renderChartSvg({
      title: slot.title,
      xLabel: xLabel(),
      yLabel: slot.yLabel,
      logY: slot.log,
      markers: slot.markers,
      colors: c,
      fontFamily: c.fontFamily,
      formatX,
      formatY: slot.format,
      series: tables.map((t) => ({
        name: runs[t.run].run.name,
        color: colorOf(t.run),
        points: zip(t.xs, t.smooth),
        ...(view.smoothing > 0 ? { raw: zip(t.xs, t.raw) } : {}),
      })),
    });
  }
  send({ type: 'exportChart', format, name: exportName(slot), data });
}

// ---------------------------------------------------------------- table

interface Column {
  key: string;
  label: string;
  numeric: boolean;
  value(r: RunView): SortValue;
  text(r: RunView): string;
  title?: string;
}

const paramText = (v: ParamValue | undefined) => (v === undefined ? '–' : v === null ? 'null' : String(v));

function columns(): Column[] {
  const keys = parameterKeys(runs.map((r) => r.params), view.showAll);
  const cols: Column[] = [
    { key: 'name', label: l10n.t('Run'), numeric: false, value: (r) => r.run.name, text: (r) => r.run.name },
    { key: 'model', label: l10n.t('Model'), numeric: false, value: (r) => r.run.model, text: (r) => r.run.model ?? '–' },
  ];
  for (const k of keys) {
    const numeric = runs.some((r) => typeof r.params?.[k] === 'number');
    cols.push({ key: `param:${k}`, label: k, numeric, value: (r) => r.params?.[k], text: (r) => paramText(r.params?.[k]), title: k });
  }
  const score = (key: keyof RunScores, label: string, fmt: (v: number) => string, title?: string): Column => ({
    key,
    label,
    numeric: true,
    value: (r) => r.scores[key],
    text: (r) => (r.scores[key] === undefined ? '–' : fmt(r.scores[key]!)),
    title,
  });
  cols.push(
    score('bestBleu', l10n.t('Best BLEU'), formatBleu),
    score('lowestPerplexity', l10n.t('Lowest perplexity'), formatMetric, l10n.t('Lowest validation perplexity')),
    score('steps', l10n.t('Steps'), (v) => String(v)),
    score('seconds', l10n.t('Training time'), formatDuration),
  );
  if (runs.some((r) => r.scores.tokensPerSecond !== undefined)) cols.push(score('tokensPerSecond', l10n.t('Tokens/s'), formatCount, l10n.t('Mean training throughput (target tokens per second)')));
  return cols;
}

function renderTable(): void {
  showAllBox.checked = view.showAll;
  const cols = columns();
  const paramCount = cols.filter((c) => c.key.startsWith('param:')).length;
  paramNote.textContent =
    runs.length < 2
      ? ''
      : view.showAll
        ? l10n.t('All {0} hyper-parameters.', paramCount)
        : paramCount === 0
          ? l10n.t('The runs have the same hyper-parameters.')
          : paramCount === 1
            ? l10n.t('Only the hyper-parameter that differs between the runs.')
            : l10n.t('Only the {0} hyper-parameters that differ between the runs.', paramCount);
  if (view.sort && !cols.some((c) => c.key === view.sort!.key)) view.sort = undefined;
  // Header: one sort button per column.
  thead.textContent = '';
  const hr = thead.appendChild(el('tr'));
  for (const c of cols) {
    const th = hr.appendChild(el('th', c.numeric ? 'num' : undefined));
    th.dataset.key = c.key;
    const sorted = view.sort?.key === c.key ? view.sort.dir : undefined;
    th.setAttribute('aria-sort', sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : 'none');
    const b = th.appendChild(el('button', 'sort', c.label));
    b.type = 'button';
    b.title = c.title ? `${c.title} — ${l10n.t('click to sort')}` : l10n.t('click to sort');
    if (sorted) b.appendChild(el('span', 'arrow', sorted === 'asc' ? ' ▲' : ' ▼'));
    b.addEventListener('click', () => {
      view.sort = { key: c.key, dir: view.sort?.key === c.key && view.sort.dir === 'asc' ? 'desc' : 'asc' };
      persist();
      renderTable();
    });
  }
  hr.appendChild(el('th', 'actions-col', ''));
  // Body.
  const sortCol = view.sort ? cols.find((c) => c.key === view.sort!.key) : undefined;
  const order = sortCol ? sortOrder(runs.map((r) => ({ v: sortCol.value(r) })), 'v', view.sort!.dir) : runs.map((_, i) => i);
  tbody.textContent = '';
  for (const i of order) {
    const r = runs[i];
    const tr = tbody.appendChild(el('tr'));
    tr.dataset.runDir = r.run.runDir;
    if (r.run.problem) tr.classList.add('problem');
    for (const c of cols) {
      const td = tr.appendChild(el('td', c.numeric ? 'num' : undefined));
      td.dataset.key = c.key;
      if (c.key === 'name') {
        const sw = td.appendChild(el('span', 'swatch'));
        sw.style.background = colorOf(i);
        td.appendChild(el('span', 'run-name', c.text(r)));
        td.title = `${r.run.folder} — ${r.run.runDir}`;
        // A Slurm run's job badge says whether it trains.
        if (r.run.running && !r.run.job) td.appendChild(el('span', 'badge live', l10n.t('training…')));
        if (r.run.job) td.appendChild(jobBadge(r.run.job));
      } else {
        td.textContent = c.text(r);
      }
    }
    const act = tr.appendChild(el('td', 'actions-col'));
    const csv = act.appendChild(el('button', 'icon-button export-csv', 'CSV'));
    csv.type = 'button';
    csv.title = l10n.t('Export the metrics of {0} as CSV', r.run.name);
    csv.disabled = r.run.events.length === 0;
    csv.addEventListener('click', () => send({ type: 'exportCsv', runDir: r.run.runDir }));
  }
}

// ---------------------------------------------------------------- header, legend, notes

function renderControls(): void {
  for (const mode of ['step', 'time'] as const) {
    xButtons[mode].checked = view.xMode === mode;
  }
  smoothInput.value = String(view.smoothing);
  smoothValue.textContent = view.smoothing.toFixed(2);
}

function renderHeader(): void {
  countBadge.textContent = runs.length === 1 ? l10n.t('1 run') : l10n.t('{0} runs', runs.length);
  legendEl.textContent = '';
  runs.forEach((r, i) => {
    const li = legendEl.appendChild(el('li'));
    const sw = li.appendChild(el('span', 'swatch'));
    sw.style.background = colorOf(i);
    li.appendChild(el('span', 'legend-name', r.run.name));
    if (r.run.folder !== r.run.name) li.appendChild(el('span', 'legend-folder muted', r.run.folder));
    if (r.run.running && !r.run.job) li.appendChild(el('span', 'badge live', l10n.t('training…')));
    if (r.run.job) li.appendChild(jobBadge(r.run.job));
    li.title = r.run.runDir;
  });
  notes.textContent = '';
  if (runs.length === 0) notes.appendChild(el('p', 'note', l10n.t('No runs to compare. Select runs in the Models view and choose “Compare Runs”.')));
  for (const r of runs) {
    if (r.run.problem) notes.appendChild(el('p', 'note warning', l10n.t('{0}: {1}', r.run.name, r.run.problem)));
  }
}

/** A Slurm run's job and state ("Slurm 45_1 · queued"), coloured by state. */
function jobBadge(job: NonNullable<CompareRun['job']>): HTMLElement {
  const b = el('span', `badge job job-${job.state.replace(' ', '-')}`, job.text);
  b.title = job.text;
  return b;
}

function renderAll(): void {
  renderControls();
  renderHeader();
  renderCharts();
  renderTable();
}

// ---------------------------------------------------------------- wiring

window.addEventListener('message', (ev: MessageEvent<HostToCompare>) => {
  const msg = ev.data;
  switch (msg?.type) {
    case 'show':
      runs = msg.runs.map(toView);
      renderAll();
      break;
    case 'run': {
      const i = runs.findIndex((r) => r.run.runDir === msg.run.runDir);
      if (i < 0) return;
      runs[i] = toView(msg.run);
      renderHeader();
      scheduleCharts();
      renderTable();
      break;
    }
  }
});

// Resize charts with the panel (debounced to one frame).
let resizeFrame = 0;
new ResizeObserver(() => {
  if (resizeFrame) return;
  resizeFrame = requestAnimationFrame(() => {
    resizeFrame = 0;
    for (const s of slots) s.plot?.setSize(plotSize(s));
  });
}).observe(chartsEl);

// VS Code swaps body classes on theme change: re-read the colours and redraw.
new MutationObserver(() => {
  colors = palette();
  renderAll();
}).observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-id'] });

renderAll();
send({ type: 'ready' });
