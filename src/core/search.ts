/**
 * Decoding: greedy search (batched) and beam search (one sentence, beams as
 * the batch dimension), both returning the attention matrix of the chosen
 * output. Token ids follow `src/core/data/vocabulary.ts` (`<bos>`, `<eos>`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { BOS_ID, EOS_ID } from './data/vocabulary';
import { disposeAll, tidy } from './tensors';
import type { DecoderState, EncodedSource } from './model/decoder';
import type { InferenceModel, InferenceState } from './model/inference';
import type { Seq2SeqModel } from './model/seq2seq';

/** A candidate next token and its probability. */
export interface Candidate {
  id: number;
  /** Probability in [0, 1]. */
  prob: number;
}

/** A decoded output sentence. */
export interface Hypothesis {
  /** Target token ids without `<bos>`; `<eos>` is not included. */
  ids: number[];
  /** Attention weights `[ids.length + 1][srcLen]` (the last row is the step that produced `<eos>`, when it was produced); empty for attention `none`. */
  attention: number[][];
  /** Sum of token log-probabilities (nats), including `<eos>` when produced. */
  logProb: number;
  /** Score used to rank hypotheses: `logProb` divided by the length penalty (beam search) or `logProb` (greedy). */
  score: number;
  /** Per step, the top candidates of the decoder's distribution (only when requested). */
  candidates?: Candidate[][];
  /** True when the sentence ended with `<eos>` rather than at the length limit. */
  finished: boolean;
}

/** The source side of a batch, as tensors. */
export interface SourceBatch {
  /** `[batch, srcLen]` int32 (each sentence ends in `<eos>`, then `<pad>`). */
  srcIds: tf.Tensor2D;
  /** `[batch, srcLen]` float32 mask. */
  srcMask: tf.Tensor2D;
  /** Real length of each source sentence (with its `<eos>`). */
  srcLengths: number[];
}

/**
 * Maximum output length for a source of `srcLength` tokens: `ceil(ratio · srcLength) + 5`.
 */
export function maxOutputLength(srcLength: number, ratio: number): number {
  return Math.ceil(ratio * srcLength) + 5;
}

/**
 * The `k` most probable entries of one row of log-probabilities, best first (ties: lower id first).
 * @param row log-probabilities; the row starts at `offset` and has `vocab` entries
 * @returns ids with probabilities `exp(logProb)`
 */
export function topCandidates(row: Float32Array, offset: number, vocab: number, k: number): Candidate[] {
  const best: Candidate[] = [];
  for (let v = 0; v < vocab; v++) {
    const lp = row[offset + v];
    if (best.length < k || lp > best[best.length - 1].prob) {
      let i = best.length < k ? best.length : k - 1;
      if (best.length < k) best.push({ id: v, prob: lp });
      while (i > 0 && best[i - 1].prob < lp) {
        best[i] = best[i - 1];
        i--;
      }
      best[i] = { id: v, prob: lp };
    }
  }
  return best.map((c) => ({ id: c.id, prob: Math.exp(c.prob) }));
}

/**
 * Greedy decoding of a batch: at each step take the arg-max token, until
 * every sentence has produced `<eos>` or reached its length limit.
 * @param maxRatio output length limit per sentence: `ceil(maxRatio · srcLength) + 5`
 * @param opts.topK also record the top-K candidates at each step (costs a device→CPU copy of the distribution)
 * @param opts.attention record attention matrices (default true)
 * @returns one hypothesis per batch row
 */
export function greedyDecode(
  model: Seq2SeqModel,
  batch: SourceBatch,
  maxRatio: number,
  opts: { topK?: number; attention?: boolean } = {},
): Hypothesis[] {
  const n = batch.srcLengths.length;
  const limits = batch.srcLengths.map((l) => maxOutputLength(l, maxRatio));
  const maxLen = Math.max(...limits);
  const wantAttention = opts.attention !== false && model.config.attention !== 'none';
  const hyps: Hypothesis[] = limits.map(() => ({ ids: [], attention: [], logProb: 0, score: 0, finished: false, ...(opts.topK ? { candidates: [] } : {}) }));
  const src = tidy(() => model.encode(batch.srcIds, batch.srcMask));
  let state: DecoderState = tidy(() => model.initialState(src));
  let prev = tf.fill([n], BOS_ID, 'int32') as tf.Tensor1D;
  const srcLen = batch.srcIds.shape[1];
  try {
    for (let t = 0; t < maxLen; t++) {
      const out = tidy(() => {
        const r = model.decodeStep(prev, state, src);
        const ids = tf.cast(tf.argMax(r.logProbs, 1), 'int32') as tf.Tensor1D;
        const chosen = tf.sum(tf.mul(r.logProbs, tf.oneHot(ids, model.tgtVocabSize)), 1);
        return { state: r.state, ids, chosen, weights: wantAttention ? r.weights : undefined, logProbs: opts.topK ? r.logProbs : undefined };
      });
      disposeAll(prev, state);
      state = out.state;
      prev = out.ids;
      const ids = out.ids.dataSync();
      const chosen = out.chosen.dataSync();
      const weights = out.weights?.dataSync();
      const logProbs = out.logProbs?.dataSync() as Float32Array | undefined;
      tf.dispose([out.chosen, out.weights ?? [], out.logProbs ?? []]);
      let active = 0;
      for (let i = 0; i < n; i++) {
        const h = hyps[i];
        if (h.finished || h.ids.length >= limits[i]) continue;
        h.logProb += chosen[i];
        if (weights) h.attention.push(Array.from(weights.subarray(i * srcLen, i * srcLen + batch.srcLengths[i])));
        if (logProbs && h.candidates) h.candidates.push(topCandidates(logProbs, i * model.tgtVocabSize, model.tgtVocabSize, opts.topK!));
        if (ids[i] === EOS_ID) h.finished = true;
        else {
          h.ids.push(ids[i]);
          if (h.ids.length < limits[i]) active++;
        }
      }
      if (active === 0) break;
    }
  } finally {
    disposeAll(prev, state, src);
  }
  for (const h of hyps) h.score = h.logProb;
  return hyps;
}

/**
 * GNMT length penalty (Wu et al. 2016, eq. 14): lp(Y) = ((5 + |Y|) / 6)^α.
 * @param length output length in tokens (including `<eos>`)
 * @param alpha length penalty α (0 disables normalisation)
 */
export function lengthPenalty(length: number, alpha: number): number {
  return Math.pow((5 + length) / 6, alpha);
}

/**
 * Beam search for one source sentence (Graves 2012; Sutskever et al. 2014):
 * keep the `beamSize` best partial outputs by summed log-probability; an
 * output that produces `<eos>` is finished and ranked by log-probability
 * divided by `lengthPenalty(|Y|, alpha)`. Search stops when `beamSize`
 * outputs have finished or at the length limit.
 * @param sentence a batch holding exactly one sentence
 * @throws RangeError when `beamSize < 1` or the batch holds more than one sentence
 */
export function beamSearch(
  model: Seq2SeqModel,
  sentence: SourceBatch,
  beamSize: number,
  alpha: number,
  maxRatio: number,
  opts: { topK?: number } = {},
): Hypothesis {
  if (beamSize < 1 || !Number.isInteger(beamSize)) throw new RangeError(`beam size must be a positive integer (got ${beamSize})`);
  if (sentence.srcLengths.length !== 1) throw new RangeError('beamSearch decodes one sentence at a time');
  const srcLength = sentence.srcLengths[0];
  const limit = maxOutputLength(srcLength, maxRatio);
  const V = model.tgtVocabSize;
  const wantAttention = model.config.attention !== 'none';
  const single = tidy(() => model.encode(sentence.srcIds, sentence.srcMask));
  let src: EncodedSource = single;
  let state: DecoderState = tidy(() => model.initialState(single));
  let beams: BeamCore[] = [{ ids: [], attention: [], logProb: 0, candidates: opts.topK ? [] : undefined }];
  const finished: Hypothesis[] = [];
  const srcLen = sentence.srcIds.shape[1];
  try {
    for (let t = 0; t < limit && beams.length > 0; t++) {
      const k = beams.length;
      if (src.outputs.shape[0] !== k) {
        const old = src;
        src = tidy(() => tileSource(single, k));
        if (old !== single) disposeAll(old);
      }
      const prev = tf.tensor1d(beams.map((b) => (b.ids.length ? b.ids[b.ids.length - 1] : BOS_ID)), 'int32');
      const out = tidy(() => model.decodeStep(prev, state, src));
      prev.dispose();
      const logProbs = out.logProbs.dataSync() as Float32Array;
      const weights = wantAttention ? out.weights!.dataSync() : undefined;
      const expanded = expandBeams(beams, logProbs, weights as Float32Array | undefined, srcLen, srcLength, V, beamSize, limit, alpha, opts.topK, finished);
      const next = expanded.map((e) => e.beam);
      const origins = expanded.map((e) => e.parent);
      tf.dispose(out.logProbs);
      if (out.weights) out.weights.dispose();
      const oldState = state;
      if (next.length > 0) {
        const idx = tf.tensor1d(origins, 'int32');
        state = tidy(() => gatherState(out.state, idx));
        idx.dispose();
      }
      disposeAll(oldState, out.state);
      beams = next;
      if (finished.length >= beamSize) break;
    }
  } finally {
    disposeAll(state, single);
    if (src !== single) disposeAll(src);
  }
  if (finished.length === 0) {
    return beams.map((b) => ({ ...b, score: b.logProb, finished: false }))[0];
  }
  finished.sort((a, b) => b.score - a.score);
  return finished[0];
}

/** What a beam carries in both engines (the decoder state is engine-specific). */
interface BeamCore {
  ids: number[];
  attention: number[][];
  logProb: number;
  candidates?: Candidate[][];
}

/**
 * One beam-search step shared by `beamSearch` and `beamSearchFast`: the best
 * 2k expansions over all k beams (enough to keep k alive after some finish);
 * expansions ending in `<eos>` or at the length limit go to `finished` with
 * the GNMT length-penalised score (Wu et al. 2016, eq. 14), the others, up to
 * `beamSize`, become the next beams.
 * @param logProbs `[k, V]` next-token log-probabilities
 * @param weights `[k, weightStride]` attention weights (the first `srcLength` of each row are real), absent for `none`
 * @returns the next beams with the index of the beam each extends
 */
function expandBeams(
  beams: BeamCore[],
  logProbs: Float32Array,
  weights: Float32Array | undefined,
  weightStride: number,
  srcLength: number,
  V: number,
  beamSize: number,
  limit: number,
  alpha: number,
  topK: number | undefined,
  finished: Hypothesis[],
): { beam: BeamCore; parent: number }[] {
  const want = Math.min(2 * beamSize, beams.length * V);
  const cand: { beam: number; id: number; logProb: number }[] = [];
  for (let b = 0; b < beams.length; b++) {
    for (const c of topCandidates(logProbs, b * V, V, want)) cand.push({ beam: b, id: c.id, logProb: beams[b].logProb + Math.log(c.prob) });
  }
  cand.sort((a, b) => b.logProb - a.logProb);
  const next: { beam: BeamCore; parent: number }[] = [];
  for (const c of cand.slice(0, want)) {
    const parent = beams[c.beam];
    const attention = weights ? [...parent.attention, Array.from(weights.subarray(c.beam * weightStride, c.beam * weightStride + srcLength))] : [];
    const candidates = parent.candidates && [...parent.candidates, topCandidates(logProbs, c.beam * V, V, topK!)];
    if (c.id === EOS_ID || parent.ids.length + 1 >= limit) {
      const isEos = c.id === EOS_ID;
      const ids = isEos ? parent.ids : [...parent.ids, c.id];
      finished.push({ ids, attention, logProb: c.logProb, score: c.logProb / lengthPenalty(ids.length + 1, alpha), candidates, finished: isEos });
    } else if (next.length < beamSize) {
      next.push({ beam: { ids: [...parent.ids, c.id], attention, logProb: c.logProb, candidates }, parent: c.beam });
    }
  }
  return next;
}

function tileSource(src: EncodedSource, k: number): EncodedSource {
  return {
    outputs: tf.tile(src.outputs, [k, 1, 1]),
    keys: src.keys && tf.tile(src.keys, [k, 1, 1]),
    bias: tf.tile(src.bias, [k, 1]),
    final: tf.tile(src.final, [k, 1]),
    ...(src.mean ? { mean: tf.tile(src.mean, [k, 1]) } : {}),
  };
}

function gatherState(state: DecoderState, idx: tf.Tensor1D): DecoderState {
  return {
    layers: state.layers.map((l) => (l.c ? { h: tf.gather(l.h, idx), c: tf.gather(l.c, idx) } : { h: tf.gather(l.h, idx) })),
    feed: tf.gather(state.feed, idx),
  };
}

/**
 * Greedy decoding of one sentence on the fast inference path
 * (`src/core/model/inference.ts`): the same search as `greedyDecode` for a
 * batch of one, with the same result up to float32 rounding.
 * @param srcIds source token ids ending in `<eos>`
 * @param maxRatio output length limit `ceil(maxRatio · srcIds.length) + 5`
 * @param opts.topK also record the top-K candidates at each step
 * @param opts.attention record the attention matrix (default true)
 */
export function greedyDecodeFast(model: InferenceModel, srcIds: ArrayLike<number>, maxRatio: number, opts: { topK?: number; attention?: boolean } = {}): Hypothesis {
  const limit = maxOutputLength(srcIds.length, maxRatio);
  const V = model.vocabSize;
  const wantAttention = opts.attention !== false && model.hasAttention;
  const h: Hypothesis = { ids: [], attention: [], logProb: 0, score: 0, finished: false, ...(opts.topK ? { candidates: [] } : {}) };
  const src = model.encode(srcIds);
  let state = model.initialState(src);
  let prev = BOS_ID;
  for (let t = 0; t < limit; t++) {
    const out = model.step([prev], [state], src);
    state = out.states[0];
    const lp = out.logProbs;
    let best = 0;
    for (let v = 1; v < V; v++) if (lp[v] > lp[best]) best = v;
    h.logProb += lp[best];
    if (wantAttention && out.weights) h.attention.push(Array.from(out.weights));
    if (h.candidates) h.candidates.push(topCandidates(lp, 0, V, opts.topK!));
    if (best === EOS_ID) {
      h.finished = true;
      break;
    }
    h.ids.push(best);
    if (h.ids.length >= limit) break;
    prev = best;
  }
  h.score = h.logProb;
  return h;
}

/**
 * Beam search for one sentence on the fast inference path
 * (`src/core/model/inference.ts`): the same search as `beamSearch` (same
 * expansion, finishing and ranking rules), with the same result up to
 * float32 rounding.
 * @param srcIds source token ids ending in `<eos>`
 * @throws RangeError when `beamSize < 1`
 */
export function beamSearchFast(model: InferenceModel, srcIds: ArrayLike<number>, beamSize: number, alpha: number, maxRatio: number, opts: { topK?: number } = {}): Hypothesis {
  if (beamSize < 1 || !Number.isInteger(beamSize)) throw new RangeError(`beam size must be a positive integer (got ${beamSize})`);
  const srcLength = srcIds.length;
  const limit = maxOutputLength(srcLength, maxRatio);
  const V = model.vocabSize;
  const src = model.encode(srcIds);
  type Beam = BeamCore & { state: InferenceState };
  let beams: Beam[] = [{ ids: [], attention: [], logProb: 0, candidates: opts.topK ? [] : undefined, state: model.initialState(src) }];
  const finished: Hypothesis[] = [];
  for (let t = 0; t < limit && beams.length > 0; t++) {
    const out = model.step(
      beams.map((b) => (b.ids.length ? b.ids[b.ids.length - 1] : BOS_ID)),
      beams.map((b) => b.state),
      src,
    );
    beams = expandBeams(beams, out.logProbs, out.weights, srcLength, srcLength, V, beamSize, limit, alpha, opts.topK, finished).map((e) => ({
      ...e.beam,
      state: out.states[e.parent],
    }));
    if (finished.length >= beamSize) break;
  }
  if (finished.length === 0) {
    const b = beams[0];
    return { ids: b.ids, attention: b.attention, logProb: b.logProb, candidates: b.candidates, score: b.logProb, finished: false };
  }
  finished.sort((a, b) => b.score - a.score);
  return finished[0];
}
