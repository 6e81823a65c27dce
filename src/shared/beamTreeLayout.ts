/**
 * Layout of a beam search tree (`BeamTreeView` of `src/core/decoding/translator.ts`)
 * as a grid: one column per output step (the root, `<bos>`, in column 0),
 * and within a column one row per expansion in the order the search ranked
 * it (best score first), as in the beam diagrams of Koehn's "Neural Machine
 * Translation" (2020, fig. 9.5). Edges join each node to its parent; the
 * winning path (root → the returned translation) is marked, pruned
 * expansions are flagged to be drawn faded. Pure: the attention view draws
 * it, tests check it.
 */
import type { BeamTreeView } from '../core/decoding/translator';

/** A node placed on the grid. */
export interface PlacedBeamNode {
  /** Index into `tree.nodes`. */
  index: number;
  /** Centre, in px. */
  x: number;
  y: number;
  /** The token, shortened to `maxLabel` characters (with …). */
  label: string;
  status: BeamTreeView['nodes'][number]['status'];
  /** On the path from the root to the winner. */
  onPath: boolean;
  /** Finished nodes: index into `tree.finished`. */
  finished?: number;
}

/** An edge from a parent's centre to a child's centre, in px. */
export interface PlacedBeamEdge {
  from: number;
  to: number;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  onPath: boolean;
  /** The child was pruned. */
  pruned: boolean;
}

export interface BeamTreeLayout {
  nodes: PlacedBeamNode[];
  edges: PlacedBeamEdge[];
  /** Size of the drawing, in px. */
  width: number;
  height: number;
  /** Number of columns (output steps + 1 for the root). */
  columns: number;
  /** Most rows in a column (≤ 2 · beam size). */
  rows: number;
  /** Node width and height, in px. */
  nodeWidth: number;
  nodeHeight: number;
  /** x of the centre of each column, in px (for step labels). */
  columnX: number[];
}

export interface BeamTreeLayoutOptions {
  /** Horizontal distance between column centres (px, default 84). */
  columnWidth?: number;
  /** Vertical distance between row centres (px, default 30). */
  rowHeight?: number;
  /** Space above the first row for step labels (px, default 22). */
  top?: number;
  /** Longest token label in characters before it is shortened (default 9). */
  maxLabel?: number;
}

/** `token` shortened to `max` characters (counting code points), ending in … when cut. */
export function shortLabel(token: string, max: number): string {
  const chars = Array.from(token);
  return chars.length <= max ? token : chars.slice(0, Math.max(1, max - 1)).join('') + '…';
}

/** The nodes on the path from the root to `node` (root first); empty for −1. */
export function pathToRoot(tree: Pick<BeamTreeView, 'nodes'>, node: number): number[] {
  const out: number[] = [];
  for (let n = node; n >= 0; n = tree.nodes[n].parent) out.unshift(n);
  return out;
}

/**
 * Place every node of `tree` on the step × rank grid.
 * @throws RangeError when a node's parent does not come before it or its step is not its parent's + 1
 */
export function layoutBeamTree(tree: BeamTreeView, opts: BeamTreeLayoutOptions = {}): BeamTreeLayout {
  const columnWidth = opts.columnWidth ?? 84;
  const rowHeight = opts.rowHeight ?? 30;
  const top = opts.top ?? 22;
  const maxLabel = opts.maxLabel ?? 9;
  const nodeWidth = columnWidth - 22;
  const nodeHeight = rowHeight - 8;
  const onPath = new Set(pathToRoot(tree, tree.winner));
  const rowOf: number[] = [];
  const used = new Map<number, number>();
  tree.nodes.forEach((n, i) => {
    if (i > 0 && !(n.parent >= 0 && n.parent < i && tree.nodes[n.parent].step === n.step - 1)) {
      throw new RangeError(`beam tree node ${i}: parent ${n.parent} must be an earlier node one step before it`);
    }
    const r = used.get(n.step) ?? 0;
    rowOf.push(r);
    used.set(n.step, r + 1);
  });
  const columns = Math.max(0, ...used.keys()) + 1;
  const rows = Math.max(1, ...used.values());
  const left = nodeWidth / 2 + 4;
  const columnX = Array.from({ length: columns }, (_, c) => left + c * columnWidth);
  const nodes: PlacedBeamNode[] = tree.nodes.map((n, i) => ({
    index: i,
    x: columnX[n.step],
    y: top + rowOf[i] * rowHeight + rowHeight / 2,
    label: shortLabel(n.token, maxLabel),
    status: n.status,
    onPath: onPath.has(i),
    ...(n.finished !== undefined ? { finished: n.finished } : {}),
  }));
  const edges: PlacedBeamEdge[] = [];
  for (let i = 1; i < nodes.length; i++) {
    const p = nodes[tree.nodes[i].parent];
    const c = nodes[i];
    edges.push({
      from: p.index,
      to: i,
      x1: p.x + nodeWidth / 2,
      y1: p.y,
      x2: c.x - nodeWidth / 2,
      y2: c.y,
      onPath: p.onPath && c.onPath,
      pruned: c.status === 'pruned',
    });
  }
  return {
    nodes,
    edges,
    width: left + (columns - 1) * columnWidth + nodeWidth / 2 + 4,
    height: top + rows * rowHeight + 4,
    columns,
    rows,
    nodeWidth,
    nodeHeight,
    columnX,
  };
}

/**
 * The tree as indented text for the terminal (`seq2seq translate
 * --beam-tree`): one line per node, children under their parent, best
 * first; `*` marks the winning path, `✓` finished, `✗` pruned.
 * @param format number formatting (default 2 decimals)
 */
export function beamTreeText(tree: BeamTreeView, format: (x: number) => string = (x) => x.toFixed(2)): string {
  const children = new Map<number, number[]>();
  tree.nodes.forEach((n, i) => {
    if (i > 0) children.set(n.parent, [...(children.get(n.parent) ?? []), i]);
  });
  const onPath = new Set(pathToRoot(tree, tree.winner));
  const lines: string[] = [];
  const visit = (i: number, depth: number) => {
    const n = tree.nodes[i];
    const mark = n.status === 'finished' ? '✓' : n.status === 'pruned' ? '✗' : ' ';
    const score = i === 0 ? '' : `  ${format(n.score)}`;
    lines.push(`${onPath.has(i) ? '*' : ' '}${mark} ${'  '.repeat(depth)}${n.token}${score}`);
    for (const c of children.get(i) ?? []) visit(c, depth + 1);
  };
  if (tree.nodes.length) visit(0, 0);
  return lines.join('\n');
}
