/**
 * Training panel page (runs inside the VS Code webview). Receives the run's
 * events from the host (src/protocol/trainingPanel.ts) and shows: a header
 * with run name / backend / state and live numbers, three uPlot charts
 * (training loss, validation perplexity, validation BLEU, all against the
 * optimiser step), the latest sample translations, the alignment of the
 * sample sentences at each validation with a step slider (./alignmentSection.ts)
 * and a Stop button.
 *
 * Event handling only updates arrays and marks what changed; drawing happens
 * at most once per animation frame, so thousands of progress events (a
 * replay) cost one redraw.
 */
import './pageL10n'; // first: configures l10n.t before anything else runs
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import '../common/page.css';
import '../common/charts.css';
import '../common/heatmap.css';
import './training.css';
import { AlignmentSection } from './alignmentSection';
import type { DoneEvent, ProgressEvent, ReadingEvent, RunStartedEvent, TrainingEvent, ValidationEvent } from '../../src/core/training/events';
import type { HostToPanel, JobInfo, PanelToHost, ResumeInfo, RunInfo } from '../../src/protocol/trainingPanel';
import {
  describeEarlyStop,
  describeStopReason,
  formatBleu,
  formatCount,
  formatDuration,
  formatLearningRate,
  formatMetric,
  readingText,
} from '../../src/shared/format';
import { renderChartSvg, type ChartPoint } from '../../src/shared/chartSvg';
import type { ChartExportFormat } from '../../src/protocol/chartExport';
import { exportButtons, exportColors, plotPng } from '../common/chartExport';
// Imported from @vscode/l10n itself (the same module src/shared/l10n configures): the extractor only sees such imports.
import * as l10n from '@vscode/l10n';

const vscode = acquireVsCodeApi();
const send = (msg: PanelToHost) => vscode.postMessage(msg);

type PanelState = 'waiting' | 'running' | 'stopping' | 'finished' | 'stopped' | 'failed' | 'interrupted';

/** Everything the page shows, rebuilt from events. */
interface Model {
  run: RunInfo | undefined;
  state: PanelState;
  started: RunStartedEvent | undefined;
  /** Latest data-reading progress (before `started`). */
  reading: ReadingEvent | undefined;
  progress: ProgressEvent | undefined;
  validation: ValidationEvent | undefined;
  done: DoneEvent | undefined;
  failure: string | undefined;
  /** Where the run can be resumed from (interrupted, or failed after a checkpoint): shows Resume. */
  resumable: ResumeInfo | undefined;
  /** The Slurm job of a followed run: queued (not started, or requeued at its time limit) or running. */
  job: JobInfo | undefined;
  lastLog: string | undefined;
  bestBleu: number;
  backend: string | undefined;
  lossSteps: number[];
  loss: number[];
  validSteps: number[];
  perplexity: (number | null)[];
  bleu: (number | null)[];
}

function emptyModel(): Model {
  return {
    run: undefined,
    state: 'waiting',
    started: undefined,
    reading: undefined,
    progress: undefined,
    validation: undefined,
    done: undefined,
    failure: undefined,
    resumable: undefined,
    job: undefined,
    lastLog: undefined,
    bestBleu: NaN,
    backend: undefined,
    lossSteps: [],
    loss: [],
    validSteps: [],
    perplexity: [],
    bleu: [],
  };
}

let model = emptyModel();
const dirty = { header: true, loss: true, valid: true, samples: true, alignments: true };
const alignments = new AlignmentSection();

function markAll(): void {
  dirty.header = dirty.loss = dirty.valid = dirty.samples = dirty.alignments = true;
}

/** Fold one event into the model (no DOM work). */
function apply(e: TrainingEvent): void {
  switch (e.type) {
    case 'reading':
      model.reading = e;
      dirty.header = true;
      break;
    case 'started':
      model.started = e;
      model.backend = e.backend;
      if (model.state === 'waiting') model.state = 'running';
      dirty.header = true;
      break;
    case 'progress':
      model.progress = e;
      model.backend = e.backend;
      if (model.state === 'waiting') model.state = 'running';
      // A resumed run may repeat steps: keep the x values increasing for uPlot.
      while (model.lossSteps.length && model.lossSteps[model.lossSteps.length - 1] >= e.step) {
        model.lossSteps.pop();
        model.loss.pop();
      }
      model.lossSteps.push(e.step);
      model.loss.push(e.loss);
      dirty.header = dirty.loss = true;
      break;
    case 'validation':
      model.validation = e;
      model.backend = e.backend;
      while (model.validSteps.length && model.validSteps[model.validSteps.length - 1] >= e.step) {
        model.validSteps.pop();
        model.perplexity.pop();
        model.bleu.pop();
      }
      model.validSteps.push(e.step);
      model.perplexity.push(Number.isFinite(e.perplexity) && e.perplexity > 0 ? e.perplexity : null);
      model.bleu.push(Number.isFinite(e.bleu) ? e.bleu : null);
      if (Number.isFinite(e.bleu) && !(e.bleu <= model.bestBleu)) model.bestBleu = e.bleu;
      alignments.add(e);
      dirty.header = dirty.valid = dirty.samples = dirty.alignments = true;
      break;
    case 'log':
      model.lastLog = e.message;
      dirty.header = true;
      break;
    case 'done':
      model.done = e;
      model.backend = e.backend;
      model.state = e.reason === 'cancelled' ? 'stopped' : 'finished';
      dirty.header = true;
      break;
    case 'checkpoint':
      break;
  }
}

// ---------------------------------------------------------------- DOM

/** The state badge's text. */
function stateText(state: PanelState): string {
  switch (state) {
    case 'waiting':
      return l10n.t('waiting');
    case 'running':
      return l10n.t('running');
    case 'stopping':
      return l10n.t('stopping…');
    case 'finished':
      return l10n.t('finished');
    case 'stopped':
      return l10n.t('stopped');
    case 'failed':
      return l10n.t('failed');
    case 'interrupted':
      return l10n.t('interrupted');
  }
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

const app = document.getElementById('app') ?? document.body.appendChild(el('div'));
app.textContent = '';

const header = app.appendChild(el('header', 'header'));
const titleRow = header.appendChild(el('div', 'title-row'));
const titleEl = titleRow.appendChild(el('h1', 'run-name', l10n.t('Seq2Seq training')));
const stateBadge = titleRow.appendChild(el('span', 'badge state-waiting', stateText('waiting')));
const backendBadge = titleRow.appendChild(el('span', 'badge backend', ''));
const actions = titleRow.appendChild(el('div', 'actions'));
const revealButton = actions.appendChild(el('button', 'secondary', l10n.t('Open Run Folder')));
const resumeButton = actions.appendChild(el('button', 'resume', l10n.t('Resume')));
resumeButton.hidden = true;
resumeButton.addEventListener('click', () => {
  if (!model.resumable) return;
  resumeButton.disabled = true;
  send({ type: 'resume' });
});
const stopButton = actions.appendChild(el('button', 'stop', l10n.t('Stop')));
stopButton.title = l10n.t('Stop after the current step and write the last checkpoint');
revealButton.addEventListener('click', () => send({ type: 'revealRun' }));
stopButton.addEventListener('click', () => {
  if (model.state !== 'running') return;
  model.state = 'stopping';
  dirty.header = true;
  schedule();
  send({ type: 'stop' });
});

const runDirEl = header.appendChild(el('div', 'run-dir'));
const banner = header.appendChild(el('div', 'banner'));
banner.setAttribute('role', 'alert');

const statsEl = header.appendChild(el('dl', 'stats'));
const statNames = ['epoch', 'step', 'tokensPerSecond', 'eta', 'learningRate', 'elapsed', 'bestBleu'] as const;
type StatName = (typeof statNames)[number];
/** The label of a stat (called after the bundle is configured). */
function statLabel(name: StatName): string {
  switch (name) {
    case 'epoch':
      return l10n.t('Epoch');
    case 'step':
      return l10n.t('Step');
    case 'tokensPerSecond':
      return l10n.t('Tokens/s');
    case 'eta':
      return l10n.t('ETA');
    case 'learningRate':
      return l10n.t('Learning rate');
    case 'elapsed':
      return l10n.t('Elapsed');
    case 'bestBleu':
      return l10n.t('Best BLEU');
  }
}
const statValues = new Map<StatName, HTMLElement>();
for (const name of statNames) {
  const cell = statsEl.appendChild(el('div', 'stat'));
  cell.appendChild(el('dt', undefined, statLabel(name)));
  statValues.set(name, cell.appendChild(el('dd', undefined, '–')));
}
const statusLine = header.appendChild(el('div', 'status-line'));

const chartsEl = app.appendChild(el('section', 'charts'));
/** What a chart draws, for its SVG / PNG export. */
interface ChartMeta {
  /** File name part, e.g. `training-loss`. */
  file: string;
  yLabel: string;
  seriesLabel: string;
  color: string;
  log: boolean;
  points: boolean;
}

interface ChartSlot {
  title: string;
  meta: ChartMeta | undefined;
  box: HTMLElement;
  plotEl: HTMLElement;
  empty: HTMLElement;
  /** Value readout in the caption: the point under the cursor, else the latest one. */
  readout: HTMLElement;
  format: (v: number) => string;
  plot: uPlot | undefined;
}
function makeSlot(title: string, emptyText: string, format: (v: number) => string): ChartSlot {
  const box = chartsEl.appendChild(el('figure', 'chart'));
  const caption = box.appendChild(el('figcaption'));
  caption.appendChild(el('span', 'chart-title', title));
  const readout = caption.appendChild(el('span', 'readout'));
  const plotEl = box.appendChild(el('div', 'plot'));
  const empty = box.appendChild(el('div', 'empty', emptyText));
  const slot: ChartSlot = { title, meta: undefined, box, plotEl, empty, readout, format, plot: undefined };
  caption.appendChild(exportButtons(title, (f) => exportChart(slot, f)));
  return slot;
}

/** Send the chart of `slot` to the host as an SVG document or a PNG of its canvas. */
function exportChart(slot: ChartSlot, format: ChartExportFormat): void {
  const plot = slot.plot;
  const meta = slot.meta;
  if (!plot || !meta || (plot.data[0]?.length ?? 0) === 0) return;
  let data: string;
  if (format === 'png') {
    data = plotPng(plot, slot.title, [{ name: meta.seriesLabel, color: meta.color }]);
  } else {
    const xs = plot.data[0] as number[];
    const ys = plot.data[1] as (number | null)[];
    const c = exportColors();
    data = renderChartSvg({
      title: model.run ? `${slot.title} — ${model.run.name}` : slot.title,
      xLabel: l10n.t('step'),
      yLabel: meta.yLabel,
      logY: meta.log,
      markers: meta.points,
      colors: c,
      fontFamily: c.fontFamily,
      formatX: formatCount,
      formatY: slot.format,
      series: [{ name: meta.seriesLabel, color: meta.color, points: xs.map((x, i): ChartPoint => [x, ys[i]]) }],
    });
  }
  send({ type: 'exportChart', format, name: `${model.run?.name ?? 'training'}-${meta.file}`, data });
}
const lossSlot = makeSlot(l10n.t('Training loss'), l10n.t('Waiting for the first progress report…'), formatMetric);
const pplSlot = makeSlot(l10n.t('Validation perplexity'), l10n.t('Waiting for the first validation…'), formatMetric);
const bleuSlot = makeSlot(l10n.t('Validation BLEU'), l10n.t('Waiting for the first validation…'), formatBleu);

/** Show the value at data index `idx` (cursor) or, when null, the last point. */
function updateReadout(slot: ChartSlot, idx: number | null | undefined): void {
  const data = slot.plot?.data;
  const xs = (data?.[0] ?? []) as number[];
  const ys = (data?.[1] ?? []) as (number | null)[];
  const i = idx ?? xs.length - 1;
  const y = ys[i];
  const text = i >= 0 && i < xs.length && y != null ? l10n.t('{0} at step {1}', slot.format(y), xs[i]) : '';
  if (slot.readout.textContent !== text) slot.readout.textContent = text;
  slot.readout.classList.toggle('hover', idx != null);
}

const samplesEl = app.appendChild(el('section', 'samples'));
const samplesTitle = samplesEl.appendChild(el('h2', undefined, l10n.t('Sample translations')));
const samplesTable = samplesEl.appendChild(el('table'));
const samplesHead = samplesTable.appendChild(el('thead')).appendChild(el('tr'));
for (const h of [l10n.t('Source'), l10n.t('Reference'), l10n.t('Hypothesis')]) samplesHead.appendChild(el('th', undefined, h));
const samplesBody = samplesTable.appendChild(el('tbody'));
app.appendChild(alignments.element);

// ---------------------------------------------------------------- charts

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.body).getPropertyValue(name).trim();
  return v || fallback;
}

interface Theme {
  fg: string;
  grid: string;
  font: string;
  loss: string;
  ppl: string;
  bleu: string;
}

function readTheme(): Theme {
  const family = cssVar('--vscode-font-family', 'sans-serif');
  const size = cssVar('--vscode-font-size', '13px');
  const fg = cssVar('--vscode-descriptionForeground', cssVar('--vscode-foreground', '#888'));
  return {
    fg,
    grid: cssVar('--vscode-charts-lines', 'rgba(128,128,128,0.25)'),
    font: `${parseInt(size, 10) - 1 || 12}px ${family}`,
    loss: cssVar('--vscode-charts-blue', '#3794ff'),
    ppl: cssVar('--vscode-charts-orange', '#d18616'),
    bleu: cssVar('--vscode-charts-green', '#89d185'),
  };
}

let theme = readTheme();

function plotSize(slot: ChartSlot): { width: number; height: number } {
  const style = getComputedStyle(slot.box);
  const inner = slot.box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  const width = Math.max(160, Math.floor(inner));
  return { width, height: Math.max(200, Math.min(300, Math.round(width * 0.62))) };
}

function axis(label: string, t: Theme, extra: Partial<uPlot.Axis> = {}): uPlot.Axis {
  return {
    label,
    stroke: t.fg,
    font: t.font,
    labelFont: t.font,
    labelSize: 18,
    grid: { stroke: t.grid, width: 1 },
    ticks: { stroke: t.grid, width: 1, size: 4 },
    ...extra,
  };
}

/** On a log axis keep only 1, 2 and 5 × 10^k (uPlot otherwise draws every integer multiple). */
const logSplitsFilter: uPlot.Axis['filter'] = (_u, splits) =>
  splits.map((v) => {
    if (v == null || v <= 0) return null;
    const mantissa = Math.round(v / 10 ** Math.floor(Math.log10(v) + 1e-9));
    return mantissa === 1 || mantissa === 2 || mantissa === 5 ? v : null;
  });

const stepValues: uPlot.Axis['values'] = (_u, splits) => splits.map((v) => (v == null ? '' : formatCount(v)));

/** Steps are integers: tick only at 1, 2, 5 × 10^k (uPlot's default increments include 0.5, 0.2…, which
 * formatCount rounds into repeated labels such as "2 3 3 4" on a short run). */
const stepIncrs = [1, 2, 5].flatMap((m) => [1, 10, 100, 1e3, 1e4, 1e5, 1e6].map((p) => m * p)).sort((a, b) => a - b);

function createPlot(slot: ChartSlot, file: string, yLabel: string, seriesLabel: string, color: string, opts: { log?: boolean; points?: boolean; valueFmt: (v: number) => string }): uPlot {
  const t = theme;
  slot.meta = { file, yLabel, seriesLabel, color, log: opts.log ?? false, points: opts.points ?? false };
  const size = plotSize(slot);
  return new uPlot(
    {
      ...size,
      legend: { show: false },
      cursor: { drag: { x: true, y: false } },
      scales: {
        x: { time: false },
        y: opts.log ? { distr: 3 } : { auto: true },
      },
      axes: [axis(l10n.t('step'), t, { values: stepValues, incrs: stepIncrs, size: 26, gap: 4 }), axis(yLabel, t, opts.log ? { filter: logSplitsFilter, grid: { stroke: t.grid, width: 1, filter: logSplitsFilter }, ticks: { stroke: t.grid, width: 1, size: 4, filter: logSplitsFilter } } : {})],
      hooks: { setCursor: [(u) => updateReadout(slot, u.cursor.idx)] },
      series: [
        { label: l10n.t('step'), value: (_u, v) => (v == null ? '–' : String(v)) },
        {
          label: seriesLabel,
          stroke: color,
          width: 1.5,
          points: { show: opts.points ?? false, size: 5, fill: color, stroke: color },
          value: (_u, v) => (v == null ? '–' : opts.valueFmt(v)),
          spanGaps: true,
        },
      ],
    },
    [[], []],
    slot.plotEl,
  );
}

function buildPlots(): void {
  for (const s of [lossSlot, pplSlot, bleuSlot]) {
    s.plot?.destroy();
    s.plot = undefined;
    s.plotEl.textContent = '';
  }
  lossSlot.plot = createPlot(lossSlot, 'training-loss', l10n.t('loss (nats / token)'), l10n.t('loss'), theme.loss, { valueFmt: formatMetric });
  pplSlot.plot = createPlot(pplSlot, 'validation-perplexity', l10n.t('perplexity (log scale)'), l10n.t('perplexity'), theme.ppl, { log: true, points: true, valueFmt: formatMetric });
  bleuSlot.plot = createPlot(bleuSlot, 'validation-bleu', l10n.t('BLEU'), l10n.t('BLEU'), theme.bleu, { points: true, valueFmt: formatBleu });
  dirty.loss = dirty.valid = true;
}

// ---------------------------------------------------------------- render


function setStat(name: StatName, value: string): void {
  const node = statValues.get(name);
  if (node && node.textContent !== value) node.textContent = value;
}

/** The badge text and tooltip line for the form of the WebAssembly kernels (`started.simd`), if the run recorded it. */
function simdLabel(form: 'relaxed' | 'simd' | 'none' | undefined): { text: string; title: string } | undefined {
  if (form === 'relaxed') return { text: l10n.t('relaxed SIMD'), title: l10n.t('Kernels: WebAssembly relaxed SIMD (fused multiply–add)') };
  if (form === 'simd') return { text: l10n.t('SIMD'), title: l10n.t('Kernels: WebAssembly SIMD without relaxed SIMD (this runtime does not offer it)') };
  if (form === 'none') return { text: l10n.t('no SIMD'), title: l10n.t('Kernels: no WebAssembly SIMD (slower JavaScript fallbacks)') };
  return undefined;
}

function renderHeader(): void {
  const m = model;
  titleEl.textContent = m.run ? m.run.name : l10n.t('No training run yet');
  titleEl.title = m.run?.configPath ?? '';
  runDirEl.textContent = m.run ? m.run.runDir : l10n.t('Run “Seq2Seq: Train Seq2Seq Model” from the Command Palette to start one.');
  // A followed Slurm run whose job waits in the queue (before its first attempt, or requeued at its time limit).
  const queued = m.state === 'running' && !!m.job?.queued;
  stateBadge.textContent = queued ? l10n.t('queued') : stateText(m.state);
  stateBadge.className = `badge state-${queued ? 'waiting' : m.state}`;
  stateBadge.title = m.job?.note ?? '';
  const threads = m.started?.threads;
  const simd = simdLabel(m.started?.simd);
  backendBadge.textContent = m.backend ? (threads && threads > 1 ? l10n.t('{0} · {1} threads', m.backend, threads) : m.backend) + (simd ? ` · ${simd.text}` : '') : '';
  backendBadge.hidden = !m.backend;
  backendBadge.title = !m.backend
    ? ''
    : (!threads
        ? l10n.t('TensorFlow.js backend: {0}', m.backend)
        : threads === 1
          ? l10n.t('TensorFlow.js backend: {0}; one training thread', m.backend)
          : l10n.t('TensorFlow.js backend: {0}; {1} data-parallel training threads', m.backend, threads)) + (simd ? `\n${simd.title}` : '');
  stopButton.hidden = !(m.state === 'running' || m.state === 'stopping');
  stopButton.disabled = m.state !== 'running';
  stopButton.textContent = m.state === 'stopping' ? l10n.t('Stopping…') : l10n.t('Stop');
  revealButton.hidden = !m.run;
  const canResume = !!m.resumable && (m.state === 'interrupted' || m.state === 'failed');
  resumeButton.hidden = !canResume;
  resumeButton.disabled = !canResume;
  resumeButton.title = m.resumable ? l10n.t('Continue training from the last checkpoint (step {0})', m.resumable.checkpointStep) : '';

  const p = m.progress;
  const s = m.started;
  const epochs = s && s.stepsPerEpoch > 0 ? Math.ceil(s.totalSteps / s.stepsPerEpoch) : undefined;
  const live = m.state === 'running' || m.state === 'stopping';
  setStat('epoch', p ? (epochs ? `${p.epoch} / ${epochs}` : String(p.epoch)) : '–');
  const step = m.done?.step ?? (m.state === 'interrupted' ? m.resumable?.step : undefined) ?? p?.step;
  setStat('step', step !== undefined ? (s ? `${step} / ${s.totalSteps}` : String(step)) : '–');
  setStat('tokensPerSecond', p ? formatCount(p.tokensPerSecond) : '–');
  setStat('eta', live && p && !queued ? formatDuration(p.etaSeconds) : m.done ? l10n.t('done') : '–');
  const lr = m.validation && p ? (m.validation.step > p.step ? m.validation.learningRate : p.learningRate) : (p ?? m.validation)?.learningRate;
  setStat('learningRate', lr !== undefined ? formatLearningRate(lr) : '–');
  const elapsed = m.done?.elapsedSeconds ?? p?.elapsedSeconds;
  setStat('elapsed', elapsed !== undefined ? formatDuration(elapsed) : '–');
  const best = m.done && Number.isFinite(m.done.bestBleu) ? m.done.bestBleu : m.bestBleu;
  setStat('bestBleu', formatBleu(best));

  if (m.failure !== undefined) {
    banner.textContent = m.failure;
    banner.className = 'banner error';
    banner.hidden = false;
  } else if (m.state === 'interrupted' && m.resumable) {
    banner.textContent = l10n.t(
      'Interrupted at step {0}: training stopped without finishing (the window was reloaded or the worker ended). The last checkpoint, at step {1}, is kept; Resume continues from there.',
      m.resumable.step,
      m.resumable.checkpointStep,
    );
    banner.className = 'banner warning';
    banner.hidden = false;
  } else if (m.done) {
    banner.textContent =
      m.done.reason === 'cancelled'
        ? l10n.t('Stopped at step {0} (epoch {1}); the last checkpoint was saved.', m.done.step, m.done.epoch)
        : m.done.earlyStopping
          ? l10n.t('Stopped early at step {0} (epoch {1}): {2}.', m.done.step, m.done.epoch, describeEarlyStop(m.done.earlyStopping))
          : l10n.t('Finished: {0} at step {1} (epoch {2}).', describeStopReason(m.done.reason), m.done.step, m.done.epoch);
    banner.className = 'banner info';
    banner.hidden = false;
  } else {
    banner.hidden = true;
  }
  // While the data loads (before `started`): "Reading data: N lines read, M pairs kept (P%)".
  const reading = !p && !s && m.reading && (live || m.state === 'waiting') ? readingText(m.reading) : undefined;
  const jobLine = queued ? l10n.t('Slurm job queued: {0}', m.job?.note ?? l10n.t('waiting to start')) : undefined;
  statusLine.textContent = jobLine ?? reading ?? (live && !p ? (m.lastLog ?? l10n.t('Preparing data and model…')) : s ? describeStart(s) : '');
}

function describeStart(s: RunStartedEvent): string {
  return l10n.t(
    '{0} parameters · {1} training pairs · vocabulary {2} → {3} · {4} steps per epoch',
    formatCount(s.parameters),
    formatCount(s.trainPairs),
    formatCount(s.srcVocabSize),
    formatCount(s.tgtVocabSize),
    formatCount(s.stepsPerEpoch),
  );
}

function renderSamples(): void {
  const v = model.validation;
  samplesTitle.textContent = v ? l10n.t('Sample translations (step {0}, epoch {1})', v.step, v.epoch) : l10n.t('Sample translations');
  samplesBody.textContent = '';
  if (!v || v.samples.length === 0) {
    const row = samplesBody.appendChild(el('tr'));
    const td = row.appendChild(el('td', 'muted', l10n.t('Shown after the first validation.')));
    td.colSpan = 3;
    return;
  }
  for (const sample of v.samples) {
    const row = samplesBody.appendChild(el('tr'));
    row.appendChild(el('td', 'src', sample.source));
    row.appendChild(el('td', 'ref', sample.reference));
    const hyp = row.appendChild(el('td', 'hyp', sample.hypothesis));
    if (sample.hypothesis.trim() === sample.reference.trim()) hyp.classList.add('exact');
  }
}

function renderChart(slot: ChartSlot, xs: number[], ys: (number | null)[]): void {
  const hasData = xs.length > 0;
  slot.empty.hidden = hasData;
  slot.plotEl.classList.toggle('hidden', !hasData);
  slot.box.querySelectorAll<HTMLButtonElement>('.export button').forEach((b) => (b.disabled = !hasData));
  slot.plot?.setData([xs, ys] as uPlot.AlignedData);
  // The extent of the curve, for tests and tools reading the DOM (the plot itself is a canvas).
  slot.box.dataset.points = String(xs.length);
  slot.box.dataset.firstStep = hasData ? String(xs[0]) : '';
  if (slot.plot?.cursor.idx == null) updateReadout(slot, null);
}

let frame = 0;
function schedule(): void {
  if (!frame) frame = requestAnimationFrame(render);
}

function render(): void {
  frame = 0;
  if (dirty.header) renderHeader();
  if (dirty.loss) renderChart(lossSlot, model.lossSteps, model.loss);
  if (dirty.valid) {
    renderChart(pplSlot, model.validSteps, model.perplexity);
    renderChart(bleuSlot, model.validSteps, model.bleu);
  }
  if (dirty.samples) renderSamples();
  if (dirty.alignments) alignments.render();
  dirty.header = dirty.loss = dirty.valid = dirty.samples = dirty.alignments = false;
}

// ---------------------------------------------------------------- wiring

window.addEventListener('message', (ev: MessageEvent<HostToPanel>) => {
  const msg = ev.data;
  switch (msg?.type) {
    case 'replay':
      model = emptyModel();
      alignments.reset();
      model.run = msg.run;
      model.job = msg.job;
      for (const e of msg.events) apply(e);
      if (msg.running) {
        if (model.state === 'waiting') model.state = 'running';
      } else if (msg.interrupted) {
        model.state = 'interrupted';
        model.resumable = msg.interrupted;
      } else if (msg.run && (model.state === 'running' || model.state === 'waiting' || model.state === 'stopping')) {
        model.state = 'stopped';
      }
      // Remembered by VS Code with the panel: after a window reload the host shows this run again.
      vscode.setState({ runDir: msg.run?.runDir });
      markAll();
      break;
    case 'event':
      apply(msg.event);
      break;
    case 'job':
      model.job = msg.job;
      dirty.header = true;
      break;
    case 'failed':
      model.failure = msg.message;
      model.resumable = msg.resumable;
      model.state = 'failed';
      dirty.header = true;
      break;
  }
  schedule();
});

// Resize charts with the panel (debounced to one frame).
let resizeFrame = 0;
new ResizeObserver(() => {
  if (resizeFrame) return;
  resizeFrame = requestAnimationFrame(() => {
    resizeFrame = 0;
    for (const s of [lossSlot, pplSlot, bleuSlot]) s.plot?.setSize(plotSize(s));
  });
}).observe(chartsEl);

// VS Code swaps body classes (vscode-light / vscode-dark / vscode-high-contrast) on theme change: re-read colours.
new MutationObserver(() => {
  theme = readTheme();
  buildPlots();
  schedule();
}).observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-id'] });

buildPlots();
renderHeader();
schedule();
send({ type: 'ready' });
