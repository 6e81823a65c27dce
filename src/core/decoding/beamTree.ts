/**
 * The search tree of one beam search, recorded while it runs (see
 * `BeamSearchOptions.tree` in `src/core/decoding/search.ts`): at every step, each of
 * the best 2k expansions the search looked at (k = beam size) becomes a node —
 * *kept* (one of the next beams), *finished* (it produced `<eos>` or reached
 * the length limit, and ranked among the first k) or *pruned* (ranked too low).
 * The lesser expansions of each step are not recorded. Both engines
 * (`beamSearchNBest`, `beamSearchFastNBest`) record the same tree up to
 * float32 rounding.
 */
import { BOS_ID } from '../data/vocabulary';
import type { Hypothesis } from './hypothesis';

/** What became of an expansion. */
export type BeamNodeStatus = 'root' | 'kept' | 'pruned' | 'finished';

/** One node of the tree: a hypothesis prefix extended by one token. */
export interface BeamNode {
  /** Index of the parent node (−1 for the root, the empty prefix after `<bos>`). */
  parent: number;
  /** Output tokens in the prefix (0 for the root). */
  step: number;
  /** Token id added at this node (`<bos>` for the root). */
  token: number;
  /** The model's log-probability of the prefix (nats). */
  logProb: number;
  /**
   * The search's score: the sum of log-probabilities after the repetition
   * rules; for a finished node, divided by the GNMT length penalty (the score
   * finished hypotheses are ranked by).
   */
  score: number;
  status: BeamNodeStatus;
  /** Finished nodes: index into {@link BeamTreeRecorder.finished}. */
  finished?: number;
}

/** Collects the tree of one beam search; pass it as `tree` in the search options. */
export class BeamTreeRecorder {
  /** Node 0 is the root. */
  readonly nodes: BeamNode[] = [{ parent: -1, step: 0, token: BOS_ID, logProb: 0, score: 0, status: 'root' }];
  /** Finished hypotheses in the order they finished, with their node. */
  readonly finished: { node: number; hypothesis: Hypothesis }[] = [];
  /** Node of the hypothesis the search returned first (set when the search ends; −1 before). */
  winner = -1;

  /** Add a node. @returns its index */
  add(node: BeamNode): number {
    this.nodes.push(node);
    return this.nodes.length - 1;
  }

  /** Record that `hypothesis` finished at `node`. */
  finish(node: number, hypothesis: Hypothesis): void {
    this.nodes[node].finished = this.finished.length;
    this.finished.push({ node, hypothesis });
  }
}

/**
 * Where a given output (a reference) fell out of a recorded beam search:
 * the first step at which its prefix was no longer among the beams.
 */
export interface BeamFallOut {
  /** The output step (1-based: the tree's column) whose expansion of the reference's prefix was not kept. */
  step: number;
  /** The last node on the reference's path that was kept (0, the root, when its first token already fell out). */
  parent: number;
  /** The reference's expansion at `step` when the search recorded it (ranked among the best 2k but not kept: `pruned`); absent when it ranked lower. */
  node?: number;
  /** True when the search had ended before `step` (it expanded nothing after `parent`). */
  searchEnded: boolean;
}

/**
 * Follows `target` (token ids or texts, ending in `<eos>`) from the root of
 * a recorded beam search tree through the nodes the search kept. Works on
 * the recorder's nodes (ids) and on `BeamTreeView`'s (texts).
 * @returns where it fell out of the beam, or undefined when the whole target
 *   was kept to its end (it finished as one of the search's hypotheses)
 */
export function referenceFallOut<T>(nodes: readonly { parent: number; token: T; status: BeamNodeStatus }[], target: readonly T[]): BeamFallOut | undefined {
  const children = new Map<number, number[]>();
  nodes.forEach((n, i) => {
    if (i > 0) children.set(n.parent, [...(children.get(n.parent) ?? []), i]);
  });
  let at = 0;
  for (let s = 0; s < target.length; s++) {
    const kids = children.get(at) ?? [];
    const next = kids.find((k) => nodes[k].token === target[s]);
    const kept = next !== undefined && (nodes[next].status === 'kept' || nodes[next].status === 'finished');
    if (!kept) return { step: s + 1, parent: at, ...(next !== undefined ? { node: next } : {}), searchEnded: kids.length === 0 };
    // Finished at the length limit before the target's end: nothing follows it.
    if (nodes[next].status === 'finished' && s < target.length - 1) return { step: s + 2, parent: next, searchEnded: true };
    at = next;
  }
  return undefined;
}
