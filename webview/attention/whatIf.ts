/**
 * The attention view's what-if section (forced-prefix re-decoding,
 * Seq2Seq-Vis, Strobelt et al. 2018): for the output step the user clicked,
 * the decoder's top alternatives with their probabilities; choosing one (or
 * typing a word) forces the output up to that step and that token and lets
 * the search finish the sentence; the new translation, its attention and its
 * score appear next to the old one.
 */
import type { Translation } from '../../src/core/decoding/translator';
import type { ColorScale } from '../../src/shared/attentionHeatmap';
import { h } from '../common/dom';
import { coverageLegend, drawHeatmap } from '../common/heatmap';
// Imported from @vscode/l10n itself (the same module src/shared/l10n configures): the extractor only sees such imports.
import * as l10n from '@vscode/l10n';

export interface WhatIfOptions {
  /** The translation the user explores. */
  translation: Translation;
  /** The selected output step (0-based), if any. */
  step: number | undefined;
  /** The latest re-decoding of this sentence. */
  result?: Translation;
  pending: boolean;
  error?: string;
  colorScale: ColorScale;
  width: number;
  /** Re-decode with the output forced to start with `tokens` (then `text`, typed). */
  onChoose(tokens: string[], text?: string): void;
}

const fmt = (x: number | undefined) => (x === undefined ? '–' : Number.isFinite(x) ? x.toFixed(3) : '−∞');

/** The section (id `what-if`). */
export function whatIfSection(o: WhatIfOptions): HTMLElement {
  const sec = h('section', 'what-if-section');
  sec.id = 'what-if';
  sec.append(h('h2', undefined, l10n.t('What if… (forced decoding)')));
  const t = o.translation;
  if (o.step === undefined || !t.candidates[o.step]) {
    sec.append(
      h(
        'p',
        'muted hint',
        l10n.t('Click an output token — a row label of the heatmap or a word in the table of candidates — to see the alternatives the decoder weighed at that step, and re-decode the rest of the sentence after one of them.'),
      ),
    );
  } else {
    const step = o.step;
    const chosen = t.targetTokens[step] ?? '';
    const p = t.tokenLogProbs?.[step];
    const intro = h('p', 'what-if-step');
    intro.textContent =
      p === undefined
        ? l10n.t('Step {0}: the model wrote “{1}”. Its alternatives:', step + 1, chosen)
        : l10n.t('Step {0}: the model wrote “{1}” (p = {2}). Its alternatives:', step + 1, chosen, (Math.exp(p) * 100).toFixed(1) + '%');
    sec.append(intro);
    const prefix = t.targetTokens.slice(0, step);
    const list = h('div', 'alternatives');
    list.setAttribute('role', 'group');
    list.setAttribute('aria-label', l10n.t('Alternatives at step {0}', step + 1));
    for (const c of t.candidates[step]) {
      const b = h('button', 'alternative' + (c.token === chosen ? ' chosen' : ''));
      b.type = 'button';
      b.dataset.token = c.token;
      b.disabled = o.pending || c.token === chosen;
      b.append(h('span', 'alt-token', c.token), h('span', 'alt-prob', `${(c.prob * 100).toFixed(c.prob < 0.1 ? 1 : 0)}%`));
      b.title = c.token === chosen ? l10n.t('the model’s choice') : l10n.t('Re-decode with “{0}” at step {1}', c.token, step + 1);
      b.addEventListener('click', () => o.onChoose([...prefix, c.token]));
      list.append(b);
    }
    sec.append(list);
    const form = h('form', 'typed-word');
    const label = h('label', undefined, l10n.t('or type a word:'));
    const input = h('input', 'typed-input');
    input.id = 'what-if-word';
    input.type = 'text';
    label.htmlFor = input.id;
    input.placeholder = l10n.t('a target word');
    const go = h('button', 'redecode', o.pending ? l10n.t('Re-decoding…') : l10n.t('Re-decode'));
    go.type = 'submit';
    go.disabled = o.pending;
    form.append(label, input, go);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (input.value.trim()) o.onChoose(prefix, input.value.trim());
    });
    sec.append(form);
  }
  if (o.error) sec.append(h('p', 'note error', o.error));
  if (o.result) sec.append(comparison(t, o.result, o.colorScale, o.width));
  return sec;
}

/** The old translation and the re-decoded one side by side, then the new one's attention. */
function comparison(old: Translation, next: Translation, colorScale: ColorScale, width: number): HTMLElement {
  const box = h('div', 'what-if-result');
  const forced = next.prefix?.tokens.length ?? 0;
  const table = h('table', 'comparison');
  const head = h('tr');
  for (const c of ['', l10n.t('output'), l10n.t('log-prob'), l10n.t('score')]) head.append(h('th', undefined, c));
  table.append(head);
  const row = (name: string, t: Translation, cls: string, forcedCount: number) => {
    const tr = h('tr', cls);
    const tokens = h('td', 'tokens');
    t.targetTokens.forEach((tok, i) => {
      const span = h('span', i < forcedCount ? 'tok forced' : 'tok', tok);
      if (i < forcedCount) span.title = l10n.t('forced');
      tokens.append(span, document.createTextNode(' '));
    });
    tr.append(h('th', undefined, name), tokens, h('td', 'num', fmt(t.logProb)), h('td', 'num', fmt(t.score)));
    table.append(tr);
  };
  row(l10n.t('Model output'), old, 'old-row', 0);
  row(l10n.t('What if'), next, 'new-row', forced);
  box.append(table);
  const delta = (next.score ?? next.logProb) - (old.score ?? old.logProb);
  box.append(
    h(
      'p',
      'muted',
      delta > 1e-9
        ? l10n.t('The forced output scores {0} higher than the model’s own: the search missed it (a search error for this output).', delta.toFixed(3))
        : l10n.t('The forced output scores {0} lower than the model’s own: the model prefers what it wrote.', (-delta).toFixed(3)),
    ),
  );
  if (next.prefix?.unknown.length) {
    box.append(h('p', 'note warning', l10n.t('Not in the target vocabulary, forced as <unk>: {0}', next.prefix.unknown.map((w) => `“${w}”`).join(', '))));
  }
  if (next.attention.length) {
    // The two alignments side by side (stacked when the view is narrow).
    const figures = h('div', 'what-if-figures');
    const half = Math.max(240, Math.min(480, (width - 32) / 2));
    const figure = (cls: string, title: string, t: Translation, forcedRows: number) => {
      const fig = h('figure', `what-if-figure ${cls}`);
      fig.append(h('figcaption', undefined, title));
      const map = drawHeatmap({
        sourceTokens: t.sourceTokens,
        targetTokens: t.targetTokens,
        attention: t.attention,
        colorScale,
        availableWidth: half,
        coverage: t.coverage,
        rowClass: (i) => (i < forcedRows ? 'forced' : undefined),
        className: `heatmap ${cls}`,
        ariaLabel: `${title}: ${l10n.t('{0} target tokens by {1} source tokens', t.targetTokens.length, t.sourceTokens.length)}`,
      });
      fig.append(map.wrap);
      figures.append(fig);
    };
    figure('what-if-old-heatmap', l10n.t('Attention of the model’s output'), old, 0);
    figure('what-if-heatmap', l10n.t('Attention of the re-decoded translation'), next, forced);
    box.append(figures, coverageLegend());
  }
  return box;
}
