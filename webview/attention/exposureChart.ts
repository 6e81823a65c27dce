/**
 * The exposure-bias chart of the attention view's reference section: per
 * reference token, its probability after the reference's own prefix (teacher
 * forcing, what training sees) and after greedy search's own prefix (what
 * inference sees), the first step where greedy leaves the reference marked.
 * Layout: `layoutExposureChart` in src/shared/forcedDecoding.ts.
 */
import { layoutExposureChart } from '../../src/shared/forcedDecoding';
import { h, s } from '../common/dom';
// Imported from @vscode/l10n itself (the same module src/shared/l10n configures): the extractor only sees such imports.
import * as l10n from '@vscode/l10n';

/**
 * @param tokens the reference's tokens (then `<eos>`)
 * @param teacherForced log p(y_t | y_<t, x) per step; @param ownPrefix log p(y_t | ŷ_<t, x) (null after greedy's output ended)
 * @param divergence first step where greedy leaves the reference (−1: never)
 */
export function exposureChart(tokens: string[], teacherForced: number[], ownPrefix: (number | null)[], divergence: number, width: number): HTMLElement {
  const wrap = h('div', 'exposure-wrap');
  const legend = h('div', 'exposure-legend');
  const key = (cls: string, text: string) => {
    const k = h('span', 'exposure-key');
    const sw = s('svg', { width: 22, height: 10, 'aria-hidden': 'true' });
    sw.append(s('line', { x1: 0, y1: 5, x2: 22, y2: 5, class: `track ${cls}` }), s('circle', { cx: 11, cy: 5, r: 3.5, class: `dot ${cls}` }));
    k.append(sw, document.createTextNode(` ${text}`));
    return k;
  };
  legend.append(
    key('teacher', l10n.t('p(reference token | reference prefix): teacher forcing, what training sees')),
    key('own', l10n.t("p(reference token | the model's own greedy prefix): what inference sees")),
  );
  wrap.append(legend);
  const L = layoutExposureChart(tokens, teacherForced, ownPrefix, divergence, { width });
  const svg = s('svg', { width: L.width, height: L.height, class: 'exposure-chart', role: 'img' });
  svg.setAttribute(
    'aria-label',
    divergence >= 0
      ? l10n.t('Exposure bias over {0} reference tokens; greedy decoding leaves the reference at step {1}', tokens.length, divergence + 1)
      : l10n.t('Exposure bias over {0} reference tokens; greedy decoding follows the reference throughout', tokens.length),
  );
  for (const p of [0, 0.25, 0.5, 0.75, 1]) {
    const y = L.y(p);
    svg.append(s('line', { x1: L.left, y1: y, x2: L.left + L.plotWidth, y2: y, class: 'grid' }));
    const t = s('text', { x: L.left - 6, y, class: 'axis-label', 'text-anchor': 'end', 'dominant-baseline': 'central' });
    t.textContent = p === 0 ? '0' : p === 1 ? '1' : String(p).replace(/^0/, '');
    svg.append(t);
  }
  const axisTitle = s('text', { x: 10, y: L.top + L.plotHeight / 2, class: 'axis-label', 'text-anchor': 'middle', transform: `rotate(-90 10 ${L.top + L.plotHeight / 2})` });
  axisTitle.textContent = l10n.t('probability');
  svg.append(axisTitle);
  if (L.divergenceX !== undefined) {
    svg.append(s('line', { x1: L.divergenceX, y1: L.top, x2: L.divergenceX, y2: L.top + L.plotHeight, class: 'divergence' }));
    const t = s('text', { x: L.divergenceX + 4, y: L.top + 10, class: 'divergence-label', 'text-anchor': 'start' });
    t.textContent = l10n.t('greedy leaves the reference');
    svg.append(t);
  }
  const base = L.top + L.plotHeight;
  L.labels.forEach((label, i) => {
    const x = L.xs[i];
    const t = s('text', L.rotate ? { x, y: base + 12, class: 'step-token', 'text-anchor': 'end', transform: `rotate(-45 ${x} ${base + 12})` } : { x, y: base + 14, class: 'step-token', 'text-anchor': 'middle' });
    t.textContent = label;
    if (i === divergence) t.classList.add('diverged');
    svg.append(t);
  });
  const path = (pts: ({ x: number; y: number } | null)[]) => {
    let d = '';
    let open = false;
    for (const p of pts) {
      if (!p) {
        open = false;
        continue;
      }
      d += `${open ? 'L' : 'M'}${p.x.toFixed(1)},${p.y.toFixed(1)} `;
      open = true;
    }
    return d.trim();
  };
  svg.append(s('path', { d: path(L.teacherForced), class: 'track teacher' }), s('path', { d: path(L.ownPrefix), class: 'track own' }));
  const dots = (pts: ({ x: number; y: number; p: number } | null)[], cls: string, what: string) =>
    pts.forEach((p, i) => {
      if (!p) return;
      const c = s('circle', { cx: p.x, cy: p.y, r: 4, class: `dot ${cls}`, 'data-step': i });
      const title = s('title');
      title.textContent = `${tokens[i]} · ${what}: p = ${p.p.toFixed(4)} (log p ${Math.log(p.p).toFixed(3)})`;
      c.append(title);
      svg.append(c);
    });
  dots(L.teacherForced, 'teacher', l10n.t('teacher forcing'));
  dots(L.ownPrefix, 'own', l10n.t('own prefix'));
  const scroller = h('div', 'exposure-scroll');
  scroller.append(svg);
  wrap.append(scroller);
  return wrap;
}
