/**
 * The beam search tree section of the attention view: the tree laid out by
 * `src/shared/beamTreeLayout.ts` as SVG — the winning path highlighted,
 * pruned expansions faded, finished hypotheses outlined and clickable (the
 * view then shows that hypothesis' alignment). Keyboard: finished nodes are
 * focusable and open with Enter or Space.
 */
import type { BeamTreeView } from '../../src/core/decoding/translator';
import { layoutBeamTree, pathToRoot } from '../../src/shared/beamTreeLayout';
// Imported from @vscode/l10n itself (the same module src/shared/l10n configures): the extractor only sees such imports.
import * as l10n from '@vscode/l10n';

const SVG = 'http://www.w3.org/2000/svg';

function s<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

function h<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (cls) el.className = cls;
  if (text !== undefined) el.textContent = text;
  return el;
}

/** What the node's tooltip says. */
function nodeTitle(tree: BeamTreeView, i: number): string {
  const n = tree.nodes[i];
  if (i === 0) return l10n.t('<bos>: the start of every hypothesis');
  const status =
    n.status === 'finished'
      ? l10n.t('finished (score = log-prob / length penalty); click to show its alignment')
      : n.status === 'pruned'
        ? l10n.t('pruned: ranked below the beam')
        : l10n.t('kept in the beam');
  return l10n.t('{0} (step {1}) · score {2} · log-prob {3} · {4}', n.token, n.step, n.score.toFixed(3), n.logProb.toFixed(3), status);
}

/**
 * The section: a title, a legend and the tree.
 * @param shown index into `tree.finished` of the hypothesis whose alignment the view shows (the winner's by default)
 * @param onPick called with an index into `tree.finished` when a finished node is clicked
 */
export function beamTreeSection(tree: BeamTreeView, shown: number, onPick: (finished: number) => void): HTMLElement {
  const sec = h('section', 'beam-section');
  sec.append(h('h2', undefined, l10n.t('Beam search tree')));
  const legend = h('p', 'beam-legend muted');
  legend.textContent = l10n.t(
    'Beam size {0}: at each step the best {1} expansions of the beams, best score first (top to bottom). Thick orange: the path of the translation; rounded blue: finished hypotheses (click one to see its alignment above; its path turns dashed blue); faded: pruned.',
    tree.beamSize,
    2 * tree.beamSize,
  );
  sec.append(legend);
  const L = layoutBeamTree(tree);
  const svg = s('svg', { width: L.width, height: L.height, class: 'beam-tree', role: 'img' });
  svg.setAttribute('aria-label', l10n.t('Beam search tree: {0} expansions over {1} steps, {2} finished hypotheses', tree.nodes.length - 1, L.columns - 1, tree.finished.length));
  L.columnX.forEach((x, c) => {
    if (c === 0) return;
    const t = s('text', { x, y: 12, class: 'step-label', 'text-anchor': 'middle' });
    t.textContent = String(c);
    svg.append(t);
  });
  const shownNode = tree.finished[shown]?.node ?? tree.winner;
  // The path of the hypothesis shown, when it is not the translation's.
  const shownPath = shownNode !== tree.winner ? new Set(pathToRoot(tree, shownNode)) : new Set<number>();
  const edges = s('g', { class: 'edges' });
  for (const e of L.edges) {
    const mid = (e.x1 + e.x2) / 2;
    edges.append(
      s('path', {
        d: `M${e.x1},${e.y1} C${mid},${e.y1} ${mid},${e.y2} ${e.x2},${e.y2}`,
        class: `edge${e.onPath ? ' on-path' : ''}${e.pruned ? ' pruned' : ''}${shownPath.has(e.to) && shownPath.has(e.from) ? ' on-shown-path' : ''}`,
        'data-to': e.to,
      }),
    );
  }
  svg.append(edges);
  for (const n of L.nodes) {
    const cls = ['node', n.status, n.onPath ? 'on-path' : '', shownPath.has(n.index) && !n.onPath ? 'on-shown-path' : '', n.index === shownNode ? 'shown' : '']
      .filter(Boolean)
      .join(' ');
    const g = s('g', { class: cls, 'data-node': n.index, transform: `translate(${n.x - L.nodeWidth / 2},${n.y - L.nodeHeight / 2})` });
    g.append(s('rect', { width: L.nodeWidth, height: L.nodeHeight, rx: n.status === 'finished' ? 8 : 3 }));
    const label = s('text', { x: L.nodeWidth / 2, y: L.nodeHeight / 2, 'text-anchor': 'middle', 'dominant-baseline': 'central' });
    label.textContent = n.label;
    g.append(label);
    const title = s('title');
    title.textContent = nodeTitle(tree, n.index);
    g.append(title);
    if (n.finished !== undefined) {
      const k = n.finished;
      g.setAttribute('tabindex', '0');
      g.setAttribute('role', 'button');
      g.setAttribute('data-finished', String(k));
      g.setAttribute('aria-label', l10n.t('Finished hypothesis “{0}”, score {1}', tree.finished[k].text, tree.finished[k].score.toFixed(3)));
      g.addEventListener('click', () => onPick(k));
      g.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter' || ev.key === ' ') {
          ev.preventDefault();
          onPick(k);
        }
      });
    }
    svg.append(g);
  }
  const wrap = h('div', 'beam-wrap');
  wrap.append(svg);
  sec.append(wrap);
  return sec;
}
