/**
 * The beam search tree section of the attention view: the tree laid out by
 * `src/shared/beamTreeLayout.ts` as SVG — the winning path highlighted,
 * pruned expansions faded, finished hypotheses outlined and clickable (the
 * view then shows that hypothesis' alignment). Keyboard: finished nodes are
 * focusable and open with Enter or Space.
 */
import type { BeamTreeView } from '../../src/core/decoding/translator';
import type { BeamFallOut } from '../../src/core/decoding/beamTree';
import { layoutBeamTree, pathToRoot, shortLabel } from '../../src/shared/beamTreeLayout';
// Imported from @vscode/l10n itself (the same module src/shared/l10n configures): the extractor only sees such imports.
import * as l10n from '@vscode/l10n';
import { h, s } from '../common/dom';

/** The node at the end of `tokens` followed from the root through kept and finished nodes (the last one reached when it leaves the tree). */
function findPath(tree: BeamTreeView, tokens: string[]): number {
  let at = 0;
  for (const tok of tokens) {
    const next = tree.nodes.findIndex((n, i) => i > 0 && n.parent === at && n.token === tok && n.status !== 'pruned');
    if (next < 0) return at;
    at = next;
  }
  return at;
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

/** A reference to follow through the tree: its tokens (then `<eos>`) and where it fell out of the beam (null: kept to its end). */
export interface TreeReference {
  tokens: string[];
  fallOut: BeamFallOut | null;
}

/**
 * The section: a title, a legend and the tree.
 * @param shown index into `tree.finished` of the hypothesis whose alignment the view shows (the winner's by default)
 * @param onPick called with an index into `tree.finished` when a finished node is clicked (absent: finished nodes are not buttons)
 * @param reference a reference to mark: its path while it was kept, and the step where it fell out of the beam
 */
export function beamTreeSection(tree: BeamTreeView, shown: number, onPick?: (finished: number) => void, reference?: TreeReference): HTMLElement {
  const sec = h('section', 'beam-section');
  sec.append(h('h2', undefined, reference ? l10n.t('Beam search tree (beam {0}) and the reference', tree.beamSize) : l10n.t('Beam search tree')));
  const legend = h('p', 'beam-legend muted');
  legend.textContent = reference
    ? l10n.t(
        'Beam size {0}: at each step the best {1} expansions of the beams, best score first (top to bottom). Thick orange: the path of the search’s output; red: the reference’s path while it stayed in the beam, and the step where it fell out; faded: pruned.',
        tree.beamSize,
        2 * tree.beamSize,
      )
    : l10n.t(
        'Beam size {0}: at each step the best {1} expansions of the beams, best score first (top to bottom). Thick orange: the path of the translation; rounded blue: finished hypotheses (click one to see its alignment above; its path turns dashed blue); faded: pruned.',
        tree.beamSize,
        2 * tree.beamSize,
      );
  sec.append(legend);
  const L = layoutBeamTree(tree);
  const fall = reference?.fallOut ?? undefined;
  // The reference's expansion that ranked below the best 2k: a ghost node under the column of its step.
  const ghost = fall && fall.node === undefined && !fall.searchEnded && fall.step < L.columns ? { x: L.columnX[fall.step], y: L.height + L.nodeHeight / 2 + 4 } : undefined;
  const svg = s('svg', { width: L.width, height: L.height + (ghost ? L.nodeHeight + 12 : 0), class: 'beam-tree', role: 'img' });
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
  // The reference's path while it stayed in the beam (root … fallOut.parent, or to its finished node).
  const refPath = new Set<number>();
  if (reference) {
    const end = fall ? fall.parent : findPath(tree, reference.tokens);
    if (end >= 0) for (const n of pathToRoot(tree, end)) refPath.add(n);
    for (const e of L.edges) if (refPath.has(e.from) && refPath.has(e.to)) edges.querySelector(`[data-to="${e.to}"]`)?.classList.add('on-reference');
    if (fall) {
      const x = fall.step < L.columns ? L.columnX[fall.step] : L.width - 4;
      svg.append(s('line', { x1: x, y1: 16, x2: x, y2: L.height + (ghost ? L.nodeHeight + 8 : 0), class: 'fall-out-line' }));
      const t = s('text', { x: x + 4, y: 24, class: 'fall-out-label', 'text-anchor': 'start' });
      t.textContent = l10n.t('reference falls out');
      svg.append(t);
      if (ghost) {
        const p = L.nodes[fall.parent];
        const mid = (p.x + L.nodeWidth / 2 + ghost.x - L.nodeWidth / 2) / 2;
        svg.append(s('path', { d: `M${p.x + L.nodeWidth / 2},${p.y} C${mid},${p.y} ${mid},${ghost.y} ${ghost.x - L.nodeWidth / 2},${ghost.y}`, class: 'edge fell-out' }));
        const g = s('g', { class: 'node fell-out ghost', transform: `translate(${ghost.x - L.nodeWidth / 2},${ghost.y - L.nodeHeight / 2})` });
        g.append(s('rect', { width: L.nodeWidth, height: L.nodeHeight, rx: 3 }));
        const label = s('text', { x: L.nodeWidth / 2, y: L.nodeHeight / 2, 'text-anchor': 'middle', 'dominant-baseline': 'central' });
        label.textContent = shortLabel(reference.tokens[fall.step - 1] ?? '', 9);
        const title = s('title');
        title.textContent = l10n.t('The reference’s token at step {0}: ranked below the best {1} expansions, not even listed', fall.step, 2 * tree.beamSize);
        g.append(label, title);
        svg.append(g);
      }
    }
  }
  for (const n of L.nodes) {
    const cls = [
      'node',
      n.status,
      n.onPath ? 'on-path' : '',
      shownPath.has(n.index) && !n.onPath ? 'on-shown-path' : '',
      n.index === shownNode ? 'shown' : '',
      refPath.has(n.index) && n.index > 0 ? 'on-reference' : '',
      fall?.node === n.index ? 'fell-out' : '',
    ]
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
    if (n.finished !== undefined && onPick) {
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
