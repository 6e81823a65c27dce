/**
 * The attention view's reference section: type or paste a reference
 * translation (a TSV line translated with Translate Selection brings its
 * target column) and see how the model scores it by forced decoding — its
 * per-token log-probabilities, total and length-normalised score beside the
 * output's, search error or model error, the exposure-bias tracks, the
 * forced alignment with its coverage, the same comparison for beams 1, 2, 5
 * and 10, and the beam tree with the step where the reference fell out.
 */
import type { ReferenceAnalysis, Translation } from '../../src/core/decoding/translator';
import type { ColorScale } from '../../src/shared/attentionHeatmap';
import { verdictExplanation, verdictText } from '../../src/shared/forcedDecoding';
import { h } from '../common/dom';
import { coverageLegend, drawHeatmap } from '../common/heatmap';
import { beamTreeSection } from './beamTree';
import { exposureChart } from './exposureChart';
// Imported from @vscode/l10n itself (the same module src/shared/l10n configures): the extractor only sees such imports.
import * as l10n from '@vscode/l10n';

export interface ReferenceSectionOptions {
  translation: Translation;
  /** The text in the box (kept across redraws). */
  draft: string;
  /** A request is running. */
  pending: boolean;
  /** The last request failed. */
  error?: string;
  colorScale: ColorScale;
  width: number;
  onDraft(text: string): void;
  onScore(text: string): void;
}

const fmt = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : x < 0 ? '−∞' : '∞');

/** The section (id `reference-section`). */
export function referenceSection(o: ReferenceSectionOptions): HTMLElement {
  const sec = h('section', 'reference-section');
  sec.id = 'reference-section';
  sec.append(h('h2', undefined, l10n.t('Reference: score, exposure bias, search error')));
  const form = h('form', 'reference-form');
  const label = h('label', 'reference-label', l10n.t('Reference translation'));
  const box = h('textarea', 'reference-input');
  box.id = 'reference-input';
  label.htmlFor = box.id;
  box.rows = 2;
  box.value = o.draft;
  box.placeholder = l10n.t('Type or paste a reference translation of this sentence (selecting a TSV line “source<TAB>reference” for Translate Selection fills it in)');
  box.addEventListener('input', () => o.onDraft(box.value));
  box.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      form.requestSubmit();
    }
  });
  const button = h('button', 'score-reference', o.pending ? l10n.t('Scoring…') : l10n.t('Score reference'));
  button.type = 'submit';
  button.disabled = o.pending;
  form.append(label, box, button);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (box.value.trim()) o.onScore(box.value.trim());
  });
  sec.append(form);
  if (o.error) sec.append(h('p', 'note error', o.error));
  const r = o.translation.reference;
  if (!r) {
    sec.append(
      h(
        'p',
        'muted hint',
        l10n.t(
          'Forced decoding feeds the reference to the decoder word by word (teacher forcing) and reads the probability the model gives each word; it shows whether the model prefers its own output or the reference, and what it would have said after its own first mistake.',
        ),
      ),
    );
    return sec;
  }
  sec.append(summary(o.translation, r));
  sec.append(tokenTable(r));
  const expo = h('div', 'exposure-section');
  expo.id = 'exposure-bias';
  expo.append(h('h3', undefined, l10n.t('Exposure bias: teacher forcing against the model’s own prefix')));
  expo.append(exposureChart(r.tokens, r.exposure.teacherForced, r.exposure.ownPrefix, r.exposure.divergence, o.width));
  expo.append(
    h(
      'p',
      'muted',
      r.exposure.divergence < 0
        ? l10n.t('Greedy decoding writes the reference itself: both tracks are the same.')
        : l10n.t(
            'Greedy decoding wrote “{0}” where the reference has “{1}” (step {2}); until then both tracks are the same. After it the model reads its own words, which training never showed it: the orange track shows what that costs the reference.',
            r.exposure.greedyTokens[r.exposure.divergence] ?? '∅',
            r.tokens[r.exposure.divergence] ?? '∅',
            r.exposure.divergence + 1,
          ),
    ),
  );
  sec.append(expo);
  if (r.attention.length) {
    sec.append(h('h3', undefined, l10n.t('Forced alignment of the reference')));
    const map = drawHeatmap({
      sourceTokens: o.translation.sourceTokens,
      targetTokens: r.tokens,
      attention: r.attention,
      colorScale: o.colorScale,
      availableWidth: o.width,
      coverage: r.coverage,
      className: 'heatmap forced-alignment',
      ariaLabel: l10n.t('Forced alignment: {0} reference tokens by {1} source tokens', r.tokens.length, o.translation.sourceTokens.length),
    });
    sec.append(map.wrap, coverageLegend());
  }
  if (r.searchErrors?.length) sec.append(searchErrorTable(r));
  if (r.tree && r.tree.view.nodes.length > 1) {
    const winner = r.tree.view.finished.findIndex((f) => f.node === r.tree!.view.winner);
    const tree = beamTreeSection(r.tree.view, winner, undefined, { tokens: r.tokens, fallOut: r.tree.fallOut });
    tree.classList.add('reference-tree');
    const f = r.tree.fallOut;
    const note = h(
      'p',
      'muted fall-out-note',
      !f
        ? l10n.t('The reference stayed in the beam to its end: beam search finished it and ranked it with the other hypotheses.')
        : f.searchEnded
          ? l10n.t('The search had ended before the reference’s step {0}: its first {1} tokens were still in the beam.', f.step, f.step - 1)
          : f.node !== undefined
            ? l10n.t('The reference fell out of the beam at step {0}: its expansion “{1}” ranked among the best {2} but below the beam (dashed red).', f.step, r.tokens[f.step - 1], 2 * r.tree.view.beamSize)
            : l10n.t('The reference fell out of the beam at step {0}: “{1}” ranked below the best {2} expansions (the red ghost node).', f.step, r.tokens[f.step - 1], 2 * r.tree.view.beamSize),
    );
    tree.insertBefore(note, tree.querySelector('.beam-wrap'));
    sec.append(tree);
  }
  return sec;
}

/** The reference's total and per-token log-probability and score beside the output's, and the verdict. */
function summary(t: Translation, r: ReferenceAnalysis): HTMLElement {
  const box = h('div', 'reference-summary');
  const table = h('table', 'score-table');
  const head = h('tr');
  for (const c of ['', l10n.t('tokens'), l10n.t('log-prob'), l10n.t('per token'), l10n.t('score')]) head.append(h('th', undefined, c));
  table.append(head);
  const out = t.tokenLogProbs?.length ?? t.targetTokens.length;
  const row = (name: string, tokens: string, n: number, lp: number, score: number | undefined, cls: string) => {
    const tr = h('tr', cls);
    tr.append(h('th', undefined, name), h('td', 'tokens', tokens), h('td', 'num', fmt(lp)), h('td', 'num', fmt(lp / Math.max(1, n))), h('td', 'num', score === undefined ? '–' : fmt(score)));
    table.append(tr);
  };
  row(l10n.t('Reference'), r.tokens.join(' '), r.tokens.length, r.logProb, r.score, 'reference-row');
  row(l10n.t('Model output'), t.targetTokens.join(' '), out, t.logProb, t.score, 'output-row');
  box.append(table);
  const verdict = h('p', `verdict verdict-${r.verdict}`);
  verdict.append(h('span', `badge verdict-badge ${r.verdict}`, verdictText(r.verdict)), document.createTextNode(` ${verdictExplanation(r.verdict)}`));
  box.append(verdict);
  box.append(h('p', 'muted', l10n.t('Score: the log-probability less any repetition penalties, divided by the GNMT length penalty when the beam is above 1 — the number the search ranks outputs by.')));
  if (r.unknown.length) box.append(h('p', 'note warning', l10n.t('Not in the target vocabulary, scored as <unk>: {0}', r.unknown.map((w) => `“${w}”`).join(', '))));
  return box;
}

/** Per reference token: its probability under teacher forcing and after greedy's own prefix. */
function tokenTable(r: ReferenceAnalysis): HTMLElement {
  const wrap = h('div', 'token-table-wrap');
  const table = h('table', 'token-table');
  const head = h('tr');
  for (const c of ['#', l10n.t('reference token'), l10n.t('log p (teacher forcing)'), 'p', l10n.t('log p (own prefix)'), 'p']) head.append(h('th', undefined, c));
  table.append(head);
  r.tokens.forEach((tok, i) => {
    const tr = h('tr', i === r.exposure.divergence ? 'diverged' : '');
    const own = r.exposure.ownPrefix[i];
    const lp = r.tokenLogProbs[i];
    tr.append(h('td', 'step', String(i + 1)), h('td', 'tok', tok), h('td', 'num', fmt(lp)), h('td', 'num', `${(Math.exp(lp) * 100).toFixed(1)}%`), h('td', 'num', own === null ? '–' : fmt(own)), h('td', 'num', own === null ? '–' : `${(Math.exp(own) * 100).toFixed(1)}%`));
    if (i === r.exposure.divergence) tr.title = l10n.t('Greedy decoding leaves the reference here');
    table.append(tr);
  });
  wrap.append(table);
  return wrap;
}

/** Beams 1, 2, 5, 10: each output against the reference under that beam's score. */
function searchErrorTable(r: ReferenceAnalysis): HTMLElement {
  const box = h('div', 'search-errors');
  box.append(h('h3', undefined, l10n.t('Search error or model error, by beam size')));
  const table = h('table', 'search-error-table');
  const head = h('tr');
  for (const c of [l10n.t('beam'), l10n.t('output'), l10n.t('output score'), l10n.t('reference score'), l10n.t('verdict')]) head.append(h('th', undefined, c));
  table.append(head);
  for (const e of r.searchErrors!) {
    const tr = h('tr');
    tr.dataset.beam = String(e.beamSize);
    const verdict = h('td');
    verdict.append(h('span', `badge verdict-badge ${e.verdict}`, verdictText(e.verdict)));
    tr.append(h('td', 'num', e.beamSize === 1 ? l10n.t('1 (greedy)') : String(e.beamSize)), h('td', 'output', e.text || l10n.t('(empty)')), h('td', 'num', fmt(e.score)), h('td', 'num', fmt(e.referenceScore)), verdict);
    table.append(tr);
  }
  box.append(table);
  box.append(h('p', 'muted', l10n.t('A search error: the model prefers the reference but the search did not find it (Stahlberg & Byrne 2019). Beam search divides the log-probability by the GNMT length penalty, so the scores of different beam sizes differ.')));
  return box;
}
