/**
 * Attention view page (runs inside the VS Code webview). Shows the latest
 * translation request sent by the host (src/protocol/attentionView.ts):
 * a heatmap of the attention weights — target tokens as rows, source tokens
 * (with `<unk>` and `<eos>`) as columns, weight on hover, hovered row
 * highlighted — and, per target step, the top candidate tokens with their
 * probabilities. Plain SVG/DOM, colours only from VS Code theme variables.
 * For a `bpe` run (the translation has `sourceWords`/`targetWords`) a toggle
 * merges the subword tokens into words (src/shared/subwordMerge.ts: a source
 * word's column is the sum of its subwords' columns, a target word's row the
 * mean of its subwords' rows). For a Transformer (the translation has
 * `heads`), a selector picks which attention the heatmap shows:
 * cross-attention, encoder self-attention or decoder self-attention, a layer,
 * and one head or the average over heads (default: the last layer's
 * cross-attention, averaged — `Translation.attention`); subwords merge in the
 * cross-attention only.
 *
 * Forced decoding (src/core/decoding/forced.ts, through the host and the
 * inference worker): under the heatmap a coverage row (the attention each
 * source token received, Tu et al. 2016); clicking an output token opens
 * the what-if section (./whatIf.ts: its alternatives, re-decoding after a
 * chosen or typed one); the reference section (./reference.ts) scores a
 * reference translation, with the exposure-bias tracks, search error or
 * model error by beam size, and where the reference fell out of the beam.
 */
import './pageL10n'; // first: configures l10n.t before anything else runs
import '../common/heatmap.css';
import './attention.css';
import { BOS } from '../../src/core/data/vocabulary';
import type { AttentionHeads } from '../../src/core/decoding/search';
import type { Translation } from '../../src/core/decoding/translator';
import type { AttentionToHost, HostToAttention, ShowTranslationsMessage } from '../../src/protocol/attentionView';
import { colorScaleOf, type ColorScale } from '../../src/shared/attentionHeatmap';
import { coverage } from '../../src/core/decoding/coverage';
import { beamTreeSection } from './beamTree';
import { cellAttrs, coverageLegend, drawHeatmap } from '../common/heatmap';
import { h, labelledSelect, s } from '../common/dom';
import { whatIfSection } from './whatIf';
import { referenceSection } from './reference';
import type { ChartExportFormat } from '../../src/protocol/chartExport';
import { exportButtons } from '../common/chartExport';
import { standaloneSvg, svgToPng } from '../common/svgExport';
import { mergeSubwordAttention } from '../../src/shared/subwordMerge';
// Imported from @vscode/l10n itself (the same module src/shared/l10n configures): the extractor only sees such imports.
import * as l10n from '@vscode/l10n';

const vscode = acquireVsCodeApi();
const send = (msg: AttentionToHost) => vscode.postMessage(msg);

let current: ShowTranslationsMessage | undefined;
let selected = 0;
/** Index into the selected translation's `beamTree.finished` of the hypothesis shown instead of the translation (undefined: the translation). */
let shownFinished: number | undefined;
/** `seq2seq.attention.colorScale`, from the host. */
let colorScale: ColorScale = 'theme';

let hoverRow = -1;
/** The output step (0-based) clicked for what-if decoding, for the selected sentence. */
let whatIfStep: number | undefined;
/** Per sentence index: a what-if or reference request running, and the last failure. */
const pending = new Map<number, { whatIf?: boolean; reference?: boolean; whatIfError?: string; referenceError?: string }>();
/** Per sentence index: the reference typed so far. */
const drafts = new Map<number, string>();

function flags(index: number): { whatIf?: boolean; reference?: boolean; whatIfError?: string; referenceError?: string } {
  let f = pending.get(index);
  if (!f) pending.set(index, (f = {}));
  return f;
}
/** Whether a `bpe` translation's heatmap shows words (subwords merged) instead of subword tokens. */
let mergeWords = false;

/** What the heatmap draws: tokens on both axes, weights, and for each row the decoder steps (candidate rows) it stands for. */
interface HeatmapView {
  sourceTokens: string[];
  targetTokens: string[];
  attention: number[][];
  steps: number[][];
}

/**
 * The heatmap of `t`: the attention the head selector picks (the default
 * matrix without heads), on its tokens, or — cross-attention only — with
 * `merge` (and word groups present) on its words.
 */
function heatmapView(t: Translation, merge: boolean): HeatmapView {
  const { kind, matrix } = chosenMatrix(t);
  const steps = t.targetTokens.map((_, i) => [i]);
  if (kind === 'encoderSelf') return { sourceTokens: t.sourceTokens, targetTokens: t.sourceTokens, attention: matrix, steps: t.sourceTokens.map(() => []) };
  if (kind === 'decoderSelf') return { sourceTokens: [BOS, ...t.targetTokens.slice(0, -1)], targetTokens: t.targetTokens, attention: matrix, steps };
  if (merge && t.sourceWords && t.targetWords) {
    const m = mergeSubwordAttention(matrix, t.sourceTokens, t.targetTokens, t.sourceWords, t.targetWords);
    return { sourceTokens: m.sourceLabels, targetTokens: m.targetLabels, attention: m.attention, steps: m.targetSteps };
  }
  return { sourceTokens: t.sourceTokens, targetTokens: t.targetTokens, attention: matrix, steps };
}

/** Which of a Transformer's attentions the heatmap shows. */
type HeadKind = keyof AttentionHeads;
interface HeadChoice {
  kind: HeadKind;
  /** 0-based layer; −1 = the last. */
  layer: number;
  /** 0-based head, or −1 = the average over heads. */
  head: number;
}
const DEFAULT_HEADS: HeadChoice = { kind: 'cross', layer: -1, head: -1 };
let headChoice: HeadChoice = { ...DEFAULT_HEADS };

/** The matrix the head selector picks from `t.heads` (queries × keys), or `t.attention` without heads. */
function chosenMatrix(t: Translation): { kind: HeadKind; matrix: number[][] } {
  const heads = t.heads;
  if (!heads) return { kind: 'cross', matrix: t.attention };
  const layers = heads[headChoice.kind];
  const layer = layers[headChoice.layer < 0 || headChoice.layer >= layers.length ? layers.length - 1 : headChoice.layer] ?? [];
  if (headChoice.head >= 0 && headChoice.head < layer.length) return { kind: headChoice.kind, matrix: layer[headChoice.head] };
  return { kind: headChoice.kind, matrix: (layer[0] ?? []).map((row, i) => row.map((_, j) => layer.reduce((sum, head) => sum + head[i][j], 0) / layer.length)) };
}

/** The kind / layer / head selector of a Transformer's translation. */
function headSelector(heads: AttentionHeads): HTMLElement {
  const row = h('div', 'picker head-picker');
  row.id = 'head-picker';
  const select = (id: string, label: string, options: [string, string][], value: string, onChange: (v: string) => void) =>
    labelledSelect(row, id, label, options, value, (v) => {
      onChange(v);
      vscode.setState({ selected, mergeWords, headChoice });
      render();
    });
  const kinds: [HeadKind, string][] = [
    ['cross', l10n.t('cross-attention')],
    ['encoderSelf', l10n.t('encoder self-attention')],
    ['decoderSelf', l10n.t('decoder self-attention')],
  ];
  select('head-kind', l10n.t('Attention'), kinds, headChoice.kind, (v) => (headChoice = { ...headChoice, kind: v as HeadKind }));
  const layers = heads[headChoice.kind].length;
  const layer = headChoice.layer < 0 || headChoice.layer >= layers ? layers - 1 : headChoice.layer;
  select(
    'head-layer',
    l10n.t('Layer'),
    Array.from({ length: layers }, (_, i) => [String(i), String(i + 1)]),
    String(layer),
    (v) => (headChoice = { ...headChoice, layer: Number(v) }),
  );
  const count = heads[headChoice.kind][layer]?.length ?? 0;
  select(
    'head-index',
    l10n.t('Head'),
    [['-1', l10n.t('average')], ...Array.from({ length: count }, (_, i): [string, string] => [String(i), String(i + 1)])],
    String(headChoice.head < count ? headChoice.head : -1),
    (v) => (headChoice = { ...headChoice, head: Number(v) }),
  );
  return row;
}

const app = document.getElementById('app')!;

function render(): void {
  app.replaceChildren();
  if (!current || current.translations.length === 0) {
    const empty = h('div', 'empty');
    empty.append(
      h('h2', undefined, l10n.t('No translation yet')),
      h(
        'p',
        undefined,
        l10n.t('Select one or more sentences in an editor and run “Seq2Seq: Translate Selection”. The attention weights and the decoder’s top candidates of the latest translation appear here.'),
      ),
    );
    app.append(empty);
    return;
  }
  const msg = current;
  selected = Math.min(Math.max(0, selected), msg.translations.length - 1);
  const translation = msg.translations[selected];
  const tree = translation.beamTree;
  const picked = tree && shownFinished !== undefined && tree.finished[shownFinished]?.node !== tree.winner ? tree.finished[shownFinished] : undefined;
  // A finished hypothesis picked in the beam tree: its tokens and alignment (candidates are recorded for the translation only).
  const t: Translation = picked
    ? { ...translation, text: picked.text, targetTokens: picked.tokens, targetWords: picked.targetWords, attention: picked.attention, heads: undefined, candidates: [], logProb: picked.logProb, score: picked.score }
    : translation;

  const header = h('header', 'header');
  const title = h('div', 'title-row');
  title.append(h('h1', 'model-name', msg.model.name));
  title.append(h('span', 'badge', msg.model.attention === 'none' ? l10n.t('no attention') : l10n.t('{0} attention', msg.model.attention)));
  title.append(h('span', 'badge', msg.model.beamSize > 1 ? l10n.t('beam {0}', msg.model.beamSize) : l10n.t('greedy')));
  header.append(title);
  if (msg.translations.length > 1) {
    const row = h('div', 'picker');
    const label = h('label', undefined, `${l10n.t('Sentence')} `);
    const select = h('select');
    select.id = 'sentence';
    label.htmlFor = 'sentence';
    msg.translations.forEach((tr, i) => {
      const o = h('option', undefined, `${i + 1}. ${tr.source}`);
      o.value = String(i);
      o.selected = i === selected;
      select.append(o);
    });
    select.addEventListener('change', () => {
      selected = Number(select.value);
      shownFinished = undefined;
      whatIfStep = undefined;
      vscode.setState({ selected, mergeWords, headChoice });
      send({ type: 'select', index: selected });
      render();
    });
    row.append(label, select);
    if (msg.total > msg.translations.length) row.append(h('span', 'muted', ` ${l10n.t('(first {0} of {1})', msg.translations.length, msg.total)}`));
    header.append(row);
  }
  const pair = h('dl', 'pair');
  pair.append(h('dt', undefined, l10n.t('Source')), h('dd', 'source', t.source));
  pair.append(h('dt', undefined, l10n.t('Output')), h('dd', 'target', t.text || l10n.t('(empty)')));
  pair.append(
    h('dt', undefined, l10n.t('Log-prob')),
    h('dd', 'muted', t.score !== undefined && Math.abs(t.score - t.logProb) > 1e-9 ? l10n.t('{0} nats · score {1}', t.logProb.toFixed(2), t.score.toFixed(3)) : l10n.t('{0} nats', t.logProb.toFixed(2))),
  );
  header.append(pair);
  if (picked) {
    const note = h('div', 'shown-hypothesis');
    note.append(h('span', 'muted', l10n.t('Showing a hypothesis of the beam, score {0} (the translation scored {1}).', picked.score.toFixed(3), (translation.score ?? translation.logProb).toFixed(3))));
    const back = h('button', 'back-to-translation', l10n.t('Show the translation'));
    back.addEventListener('click', () => {
      shownFinished = undefined;
      render();
    });
    note.append(back);
    header.append(note);
  }
  app.append(header);

  const heat = h('section', 'heatmap-section');
  heat.append(h('h2', undefined, l10n.t('Attention weights')));
  if (msg.model.attention === 'none' || t.attention.length === 0) {
    const note = h('p', 'note');
    note.id = 'no-attention';
    note.textContent =
      t.attention.length === 0 && msg.model.attention !== 'none'
        ? l10n.t('No attention weights were recorded for this sentence.')
        : l10n.t('No alignment to show: this model has no attention — the encoder compresses the whole source sentence into a single fixed context vector that every decoder step reads.');
    heat.append(note);
  } else {
    const view = heatmapView(t, mergeWords);
    const cross = chosenMatrix(t).kind === 'cross';
    // What-if: the output's rows are clickable (the translation itself, not a beam hypothesis picked in the tree).
    const explorable = cross && !picked && t.candidates.length > 0;
    const drawn = drawHeatmap({
      sourceTokens: view.sourceTokens,
      targetTokens: view.targetTokens,
      attention: view.attention,
      colorScale,
      availableWidth: Math.max(240, (app.clientWidth || window.innerWidth) - 8),
      ariaLabel: l10n.t('Attention weights: {0} target tokens by {1} source tokens', view.targetTokens.length, view.sourceTokens.length),
      ...(cross ? { coverage: coverage(view.attention) } : {}),
      ...(explorable
        ? {
            onRowClick: (row: number) => selectStep(view.steps[row]?.[0]),
            rowTitle: (row: number) => l10n.t('{0}: click for the alternatives at this step (what if…)', view.targetTokens[row]),
            rowClass: (row: number) => (whatIfStep !== undefined && view.steps[row]?.includes(whatIfStep) ? 'selected-step' : undefined),
          }
        : {}),
      onHover: (row) => {
        hoverRow = row;
        const steps = row >= 0 ? (view.steps[row] ?? []) : [];
        document.querySelectorAll('.cand-row').forEach((el) => el.classList.toggle('hover', steps.includes(Number((el as HTMLElement).dataset.row))));
      },
    });
    rowHoverHandlers = (row) => {
      drawn.setHover(row);
      hoverRow = row;
      const steps = row >= 0 ? (view.steps[row] ?? []) : [];
      document.querySelectorAll('.cand-row').forEach((el) => el.classList.toggle('hover', steps.includes(Number((el as HTMLElement).dataset.row))));
    };
    stepRow = (step) => view.steps.findIndex((st) => st.includes(step));
    const map = drawn.wrap;
    const title = h('div', 'heatmap-title');
    title.append(heat.lastChild!, exportButtons(l10n.t('Attention weights'), (f) => void exportHeatmap(map.querySelector('svg.heatmap')!, f, `attention-${msg.model.name}-${selected + 1}`)));
    heat.append(title);
    if (t.heads) heat.append(headSelector(t.heads));
    if (t.sourceWords && t.targetWords) heat.append(mergeToggle());
    heat.append(map);
    heat.append(legend());
    if (cross) heat.append(coverageLegend());
  }
  app.append(heat);
  if (!picked) {
    const f = flags(selected);
    const width = Math.max(240, (app.clientWidth || window.innerWidth) - 8);
    app.append(
      whatIfSection({
        translation,
        step: whatIfStep,
        result: msg.whatIf?.[selected],
        pending: !!f.whatIf,
        error: f.whatIfError,
        colorScale,
        width,
        onChoose: (tokens, text) => {
          f.whatIf = true;
          f.whatIfError = undefined;
          send({ type: 'whatIf', index: selected, prefix: { tokens, ...(text ? { text } : {}) } });
          render();
        },
      }),
    );
    app.append(
      referenceSection({
        translation,
        draft: drafts.get(selected) ?? translation.reference?.text ?? '',
        pending: !!f.reference,
        error: f.referenceError,
        colorScale,
        width,
        onDraft: (text) => drafts.set(selected, text),
        onScore: (text) => {
          f.reference = true;
          f.referenceError = undefined;
          drafts.set(selected, text);
          send({ type: 'reference', index: selected, reference: text });
          render();
        },
      }),
    );
  }
  if (tree && tree.nodes.length > 1) {
    const winner = tree.finished.findIndex((f) => f.node === tree.winner);
    app.append(
      beamTreeSection(tree, picked ? shownFinished! : winner, (k) => {
        shownFinished = k;
        render();
        (document.querySelector(`.beam-tree [data-finished="${k}"]`) as SVGGElement | null)?.focus();
      }),
    );
  }
  app.append(candidatesSection(t, !!picked));
}

/** Send the heatmap to the host as a standalone SVG document or a PNG of it. */
async function exportHeatmap(svg: SVGSVGElement, format: ChartExportFormat, name: string): Promise<void> {
  const text = standaloneSvg(svg);
  const data = format === 'svg' ? text : await svgToPng(text, svg.width.baseVal.value, svg.height.baseVal.value);
  send({ type: 'exportChart', format, name, data });
}

/** The "merge subwords into words" checkbox of a `bpe` translation (remembered in the page state). */
function mergeToggle(): HTMLElement {
  const label = h('label', 'merge-toggle');
  const box = h('input');
  box.type = 'checkbox';
  box.id = 'merge-subwords';
  box.checked = mergeWords;
  label.title = l10n.t("Show words instead of subword tokens: a source word's column is the sum of its subwords' attention weights, a target word's row the mean of its subwords' rows.");
  box.addEventListener('change', () => {
    mergeWords = box.checked;
    vscode.setState({ selected, mergeWords, headChoice });
    render();
  });
  label.append(box, document.createTextNode(` ${l10n.t('Merge subwords into words')}`));
  return label;
}

/** Select output step `step` for what-if decoding (and scroll its section into view). */
function selectStep(step: number | undefined): void {
  if (step === undefined) return;
  whatIfStep = step;
  render();
  document.getElementById('what-if')?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  (document.querySelector('#what-if .alternative:not([disabled])') as HTMLButtonElement | null)?.focus({ preventScroll: true });
}

let rowHoverHandlers: ((row: number) => void) | undefined;
/** Heatmap row of a decoder step (its word's row when subwords are merged). */
let stepRow: (step: number) => number = (step) => step;

/** Colour legend: weight 0 … 1 in the same scale as the cells. */
function legend(): HTMLElement {
  const box = h('div', 'legend');
  box.append(h('span', 'muted', l10n.t('weight 0')));
  const steps = 10;
  const svg = s('svg', { width: steps * 16, height: 12, class: 'legend-bar', 'aria-hidden': 'true' });
  for (let k = 0; k < steps; k++) {
    svg.append(s('rect', { x: k * 16, y: 0, width: 16, height: 12, class: 'cell', ...cellAttrs((k + 0.5) / steps, colorScale) }));
  }
  box.append(svg, h('span', 'muted', '1'));
  box.append(h('span', 'legend-key', ''));
  const key = box.lastElementChild as HTMLElement;
  key.append(s('svg', { width: 12, height: 12, class: 'argmax-key', 'aria-hidden': 'true' }));
  (key.firstElementChild as SVGElement).append(s('rect', { x: 1, y: 1, width: 10, height: 10, class: 'argmax' }));
  key.append(document.createTextNode(` ${l10n.t('largest weight in the row')}`));
  return box;
}

/** Per target step, the top candidates with probability bars. */
function candidatesSection(t: Translation, beamHypothesis: boolean): HTMLElement {
  const sec = h('section', 'candidates-section');
  sec.append(h('h2', undefined, l10n.t('Top candidates per step')));
  if (t.candidates.length === 0) {
    sec.append(h('p', 'note', beamHypothesis ? l10n.t('Top candidates are recorded for the translation only.') : l10n.t('No candidates were recorded for this sentence.')));
    return sec;
  }
  const table = h('table', 'candidates');
  const head = h('tr');
  head.append(h('th', 'step', '#'), h('th', undefined, l10n.t('Output')));
  const width = Math.max(...t.candidates.map((c) => Math.min(5, c.length)));
  const ranks = h('th', 'rank', l10n.t('Top candidates (probability)'));
  ranks.colSpan = Math.max(1, width);
  head.append(ranks);
  const thead = h('thead');
  thead.append(head);
  table.append(thead);
  const body = h('tbody');
  t.candidates.forEach((cands, i) => {
    const tr = h('tr', 'cand-row');
    tr.dataset.row = String(i);
    tr.append(h('td', 'step', String(i + 1)));
    const chosen = h('td', 'chosen-token' + (i === whatIfStep ? ' selected-step' : ''));
    if (beamHypothesis) chosen.textContent = t.targetTokens[i] ?? '';
    else {
      // What-if: the output token opens its alternatives.
      const b = h('button', 'step-button', t.targetTokens[i] ?? '');
      b.type = 'button';
      b.title = l10n.t('{0}: click for the alternatives at this step (what if…)', t.targetTokens[i] ?? '');
      b.addEventListener('click', () => selectStep(i));
      chosen.append(b);
    }
    tr.append(chosen);
    for (let k = 0; k < width; k++) {
      const td = h('td', 'cand-cell');
      const c = cands[k];
      if (c) {
        const item = h('div', 'cand' + (c.token === t.targetTokens[i] ? ' chosen' : ''));
        const top = h('div', 'cand-top');
        const label = h('span', 'cand-token', c.token);
        top.append(label, h('span', 'prob', `${(c.prob * 100).toFixed(c.prob < 0.1 ? 1 : 0)}%`));
        const bar = h('span', 'bar');
        const fill = h('span', 'bar-fill');
        fill.style.width = `${Math.max(0, Math.min(1, c.prob)) * 100}%`;
        bar.append(fill);
        item.append(top, bar);
        item.title = `${c.token}: p = ${c.prob.toFixed(4)}`;
        td.append(item);
      }
      tr.append(td);
    }
    tr.addEventListener('mouseenter', () => rowHoverHandlers?.(stepRow(i)));
    tr.addEventListener('mouseleave', () => rowHoverHandlers?.(-1));
    body.append(tr);
  });
  table.append(body);
  const scroller = h('div', 'candidates-wrap');
  scroller.append(table);
  sec.append(scroller);
  return sec;
}

window.addEventListener('message', (ev: MessageEvent<HostToAttention>) => {
  const msg = ev.data;
  if (msg?.type === 'settings') {
    colorScale = colorScaleOf(msg.colorScale);
    document.body.dataset.colorScale = colorScale;
    if (current) render();
  } else if (msg?.type === 'show') {
    current = msg;
    selected = msg.selected;
    shownFinished = undefined;
    rowHoverHandlers = undefined;
    whatIfStep = undefined;
    pending.clear();
    drafts.clear();
    render();
  } else if (msg?.type === 'whatIfResult' && current) {
    current.whatIf = { ...(current.whatIf ?? {}), [msg.index]: msg.translation };
    flags(msg.index).whatIf = false;
    if (msg.index === selected) render();
  } else if (msg?.type === 'referenceResult' && current) {
    current.translations[msg.index] = msg.translation;
    flags(msg.index).reference = false;
    if (msg.index === selected) {
      render();
      document.getElementById('exposure-bias')?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
    }
  } else if (msg?.type === 'analysisError' && current) {
    const f = flags(msg.index);
    if (msg.kind === 'whatIf') {
      f.whatIf = false;
      f.whatIfError = msg.message;
    } else {
      f.reference = false;
      f.referenceError = msg.message;
    }
    if (msg.index === selected) render();
  } else if (msg?.type === 'focus') {
    const sec = document.getElementById('reference-section') ?? document.querySelector('.empty');
    sec?.scrollIntoView({ block: 'start' });
    (document.getElementById('reference-input') as HTMLTextAreaElement | null)?.focus();
  } else if (msg?.type === 'empty') {
    current = undefined;
    render();
  }
});

let resizeTimer: number | undefined;
window.addEventListener('resize', () => {
  window.clearTimeout(resizeTimer);
  resizeTimer = window.setTimeout(() => {
    if (current) render();
    if (hoverRow >= 0) rowHoverHandlers?.(hoverRow);
  }, 100);
});

const saved = vscode.getState() as { selected?: number; mergeWords?: boolean; headChoice?: HeadChoice } | undefined;
if (typeof saved?.selected === 'number') selected = saved.selected;
if (typeof saved?.mergeWords === 'boolean') mergeWords = saved.mergeWords;
if (saved?.headChoice && ['cross', 'encoderSelf', 'decoderSelf'].includes(saved.headChoice.kind)) headChoice = { ...DEFAULT_HEADS, ...saved.headChoice };
render();
send({ type: 'ready' });
