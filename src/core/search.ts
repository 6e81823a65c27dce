/**
 * Decoding: greedy search (batched) and beam search (one sentence, beams as
 * the batch dimension), both returning the attention matrix of the chosen
 * output. Token ids follow `src/core/data/vocabulary.ts` (`<bos>`, `<eos>`).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BeamTreeRecorder } from './beamTree';
import { BOS_ID, EOS_ID } from './data/vocabulary';
import { disposeAll, tidy } from './tensors';
import type { TranslationModel } from './model/index';
import type { InferenceModel, InferenceState } from './model/inference';

/** A candidate next token and its probability. */
export interface Candidate {
  id: number;
  /** Probability in [0, 1]. */
  prob: number;
}

/**
 * The attention weights of every layer and head of a Transformer's output
 * (`Hypothesis.heads`), as plain arrays. Steps follow `Hypothesis.attention`:
 * T = `ids.length` + 1 when `<eos>` was produced, else `ids.length`; S = the
 * source length with its `<eos>`.
 */
export interface AttentionHeads {
  /** Cross-attention `[layers][heads][T][S]`: step t's query over the source. `Hypothesis.attention` is the mean over heads of the last layer. */
  cross: number[][][][];
  /** Decoder self-attention `[layers][heads][T][T]`: step t's query over the decoder inputs `<bos>, y_1 … y_{T−1}`; 0 above the diagonal (the causal mask). */
  decoderSelf: number[][][][];
  /** Encoder self-attention `[layers][heads][S][S]`: each source position over the source. */
  encoderSelf: number[][][][];
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
  /** Every layer and head of the Transformer (only when `SearchOptions.heads` is set, on the tensor path). */
  heads?: AttentionHeads;
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

/** A row of log-probabilities (the engines give float32; the repetition rules work in float64). */
type LogProbRow = Float32Array | Float64Array;

/**
 * The `k` largest entries of one row of log-probabilities, best first (ties: lower id first).
 * @param row log-probabilities; the row starts at `offset` and has `vocab` entries
 * @returns ids with their log-probabilities
 */
function topLogCandidates(row: LogProbRow, offset: number, vocab: number, k: number): { id: number; logProb: number }[] {
  const best: { id: number; logProb: number }[] = [];
  for (let v = 0; v < vocab; v++) {
    const lp = row[offset + v];
    if (best.length < k || lp > best[best.length - 1].logProb) {
      let i = best.length < k ? best.length : k - 1;
      if (best.length < k) best.push({ id: v, logProb: lp });
      while (i > 0 && best[i - 1].logProb < lp) {
        best[i] = best[i - 1];
        i--;
      }
      best[i] = { id: v, logProb: lp };
    }
  }
  return best;
}

/**
 * The `k` most probable entries of one row of log-probabilities, best first (ties: lower id first).
 * @param row log-probabilities; the row starts at `offset` and has `vocab` entries
 * @returns ids with probabilities `exp(logProb)`
 */
export function topCandidates(row: LogProbRow, offset: number, vocab: number, k: number): Candidate[] {
  return topLogCandidates(row, offset, vocab, k).map((c) => ({ id: c.id, prob: Math.exp(c.logProb) }));
}

/**
 * Options of greedy and beam search, the same in both engines (`greedyDecode`
 * / `beamSearch` on the training graph's ops, `greedyDecodeFast` /
 * `beamSearchFast` on the fast inference path), for every model type.
 */
export interface SearchOptions {
  /** Also record the top-K candidates of the model's own distribution at each step (costs a device→CPU copy on the tensor path). */
  topK?: number;
  /**
   * No-repeat n-gram size n (0 = off): a hypothesis never contains the same
   * n-gram twice (Paulus, Xiong & Socher 2018, "A deep reinforced model for
   * abstractive summarization", §2.5, for n = 3; fairseq's
   * `--no-repeat-ngram-size`). At each step, for a hypothesis y_1…y_L (the
   * generated tokens; `<bos>` not included, `<eos>` never banned), every
   * token v such that (y_{L−n+2}, …, y_L, v) equals an n-gram
   * (y_i, …, y_{i+n−1}) already in the hypothesis gets log-probability −∞.
   * n = 1 bans every token already generated.
   */
  noRepeatNgramSize?: number;
  /**
   * Repetition penalty θ (1 = off; Keskar et al. 2019, "CTRL", §4.1). CTRL
   * divides the logit x_v of each token v already generated by θ; this
   * project applies the penalty to log-probabilities instead, as a
   * subtraction: for every token v in the hypothesis so far (`<bos>` not
   * included),
   *
   *   score_t(v) = log p(v | y_<t, x) − log θ,
   *
   * i.e. the token's probability is divided by θ, without renormalising —
   * the same at every step of greedy and beam search whatever the logits'
   * offset (CTRL's x/θ depends on where the logits' zero lies, hence
   * Hugging Face's sign-dependent divide/multiply). A hypothesis' score is
   * then log p(Y | x) − r · log θ (before the length penalty), with r the
   * number of its tokens that repeat an earlier token; its `logProb` stays
   * the model's log p(Y | x). θ > 1 discourages repetition, θ < 1 favours it.
   */
  repetitionPenalty?: number;
  /**
   * Record every layer and head of a model that has them (the Transformer;
   * `Hypothesis.heads`). Tensor path only; ignored for the recurrent models.
   */
  heads?: boolean;
}

/** One decoder step's weights of every layer and head of one hypothesis: cross `[layers][heads][S]`, self `[layers][heads][t + 1]`. */
interface StepHeadRows {
  cross: number[][][];
  self: number[][][];
}

/** Rows `row` of each `[batch, heads, keys]` array, the first `keys` entries of each head: `[layers][heads][keys]`. */
function headRows(layers: Float32Array[], row: number, heads: number, stride: number, keys: number): number[][][] {
  return layers.map((a) => Array.from({ length: heads }, (_, j) => Array.from(a.subarray((row * heads + j) * stride, (row * heads + j) * stride + keys))));
}

/** Per-step rows of a hypothesis and its encoder self-attention → {@link AttentionHeads}. */
function assembleHeads(steps: StepHeadRows[], encoderSelf: number[][][][]): AttentionHeads {
  const layers = steps[0]?.cross.length ?? encoderSelf.length;
  const heads = steps[0]?.cross[0]?.length ?? 0;
  const T = steps.length;
  const grid = (f: (t: number, l: number, j: number) => number[]) =>
    Array.from({ length: layers }, (_, l) => Array.from({ length: heads }, (_, j) => steps.map((_, t) => f(t, l, j))));
  return {
    cross: grid((t, l, j) => steps[t].cross[l][j]),
    decoderSelf: grid((t, l, j) => {
      const row = new Array<number>(T).fill(0);
      steps[t].self[l][j].forEach((w, k) => (row[k] = w));
      return row;
    }),
    encoderSelf,
  };
}

/**
 * The encoder self-attention of sentence `row` of a batch, cut to its `length` real positions: `[layers][heads][length][length]`.
 * @param weights per layer `[batch, heads, S, S]` data
 */
function encoderHeadRows(weights: Float32Array[], row: number, heads: number, S: number, length: number): number[][][][] {
  return weights.map((a) =>
    Array.from({ length: heads }, (_, j) =>
      Array.from({ length }, (_, q) => {
        const off = ((row * heads + j) * S + q) * S;
        return Array.from(a.subarray(off, off + length));
      }),
    ),
  );
}

/** Beam search options: {@link SearchOptions} and how many hypotheses to return. */
export interface BeamSearchOptions extends SearchOptions {
  /** Return the n best finished hypotheses (1 ≤ n ≤ beam size; default 1). */
  nBest?: number;
  /** Record the search tree here (see `src/core/beamTree.ts`); the same in both engines. */
  tree?: BeamTreeRecorder;
}

/** True when `opts` changes the decoder's distribution (a no-repeat size or a penalty ≠ 1). */
function hasRepetitionRules(opts: SearchOptions): boolean {
  return (opts.noRepeatNgramSize ?? 0) > 0 || (opts.repetitionPenalty ?? 1) !== 1;
}

function checkSearchOptions(opts: SearchOptions): void {
  const n = opts.noRepeatNgramSize ?? 0;
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`noRepeatNgramSize must be an integer ≥ 0 (got ${n})`);
  const theta = opts.repetitionPenalty ?? 1;
  if (!(theta > 0) || !Number.isFinite(theta)) throw new RangeError(`repetitionPenalty must be a finite number > 0 (got ${theta})`);
}

/**
 * The tokens a hypothesis may not produce next under the no-repeat n-gram
 * rule (see {@link SearchOptions.noRepeatNgramSize}).
 * @param ids the hypothesis' tokens so far (no `<bos>`)
 * @param n n-gram size (≥ 1)
 */
export function bannedNgramTokens(ids: readonly number[], n: number): Set<number> {
  const banned = new Set<number>();
  const L = ids.length;
  if (n < 1 || L < n - 1) return banned;
  // The last n−1 tokens: an n-gram starting at i that begins with them would be repeated by ids[i + n − 1].
  for (let i = 0; i + n - 1 < L; i++) {
    let same = true;
    for (let j = 0; j < n - 1 && same; j++) same = ids[i + j] === ids[L - n + 1 + j];
    if (same) banned.add(ids[i + n - 1]);
  }
  return banned;
}

/**
 * The scores the search ranks next tokens by, for one hypothesis: its row of
 * log-probabilities with the no-repeat n-gram ban (−∞) and the repetition
 * penalty (− log θ) applied (see {@link SearchOptions}). Without either rule,
 * the row itself.
 * @param row `[…, V]` log-probabilities; this hypothesis' row starts at `offset`
 * @param ids the hypothesis' tokens so far (no `<bos>`)
 * @returns a row of `V` scores starting at the returned `offset`
 */
export function searchScores(row: Float32Array, offset: number, V: number, ids: readonly number[], opts: SearchOptions): { row: LogProbRow; offset: number } {
  if (!hasRepetitionRules(opts)) return { row, offset };
  const out = new Float64Array(V);
  for (let v = 0; v < V; v++) out[v] = row[offset + v];
  const theta = opts.repetitionPenalty ?? 1;
  if (theta !== 1) {
    const penalty = Math.log(theta);
    for (const v of new Set(ids)) out[v] -= penalty;
  }
  const n = opts.noRepeatNgramSize ?? 0;
  if (n > 0) for (const v of bannedNgramTokens(ids, n)) out[v] = -Infinity;
  return { row: out, offset: 0 };
}

/** Index of the largest of `V` entries from `offset` (ties: the lowest index). */
function argMaxRow(row: LogProbRow, offset: number, V: number): number {
  let best = 0;
  for (let v = 1; v < V; v++) if (row[offset + v] > row[offset + best]) best = v;
  return best;
}

/**
 * Greedy decoding of a batch: at each step take the best-scoring token (the
 * arg-max of the log-probabilities, after the repetition rules of
 * {@link SearchOptions} when set), until every sentence has produced `<eos>`
 * or reached its length limit.
 * @param maxRatio output length limit per sentence: `ceil(maxRatio · srcLength) + 5`
 * @param opts.topK also record the top-K candidates at each step (costs a device→CPU copy of the distribution)
 * @param opts.attention record attention matrices (default true)
 * @returns one hypothesis per batch row (`score` = `logProb` minus the repetition penalties)
 */
export function greedyDecode<Source, State>(
  model: TranslationModel<Source, State>,
  batch: SourceBatch,
  maxRatio: number,
  opts: SearchOptions & { attention?: boolean } = {},
): Hypothesis[] {
  checkSearchOptions(opts);
  const n = batch.srcLengths.length;
  const V = model.tgtVocabSize;
  const limits = batch.srcLengths.map((l) => maxOutputLength(l, maxRatio));
  const maxLen = Math.max(...limits);
  const wantAttention = opts.attention !== false && model.hasAttention;
  // With repetition rules the choice is made on the CPU, per sentence, as on the fast path.
  const rules = hasRepetitionRules(opts);
  const wantLogProbs = rules || !!opts.topK;
  const hyps: Hypothesis[] = limits.map(() => ({ ids: [], attention: [], logProb: 0, score: 0, finished: false, ...(opts.topK ? { candidates: [] } : {}) }));
  const src = tidy(() => model.encode(batch.srcIds, batch.srcMask));
  let state: State = tidy(() => model.initialState(src));
  let prev = tf.fill([n], BOS_ID, 'int32') as tf.Tensor1D;
  const srcLen = batch.srcIds.shape[1];
  const wantHeads = wantAttention && !!opts.heads && !!model.encoderAttention;
  const headSteps: StepHeadRows[][] = hyps.map(() => []);
  try {
    for (let t = 0; t < maxLen; t++) {
      const out = tidy(() => {
        const r = model.decodeStep(prev, state, src);
        const ids = rules ? undefined : (tf.cast(tf.argMax(r.logProbs, 1), 'int32') as tf.Tensor1D);
        const chosen = ids && tf.sum(tf.mul(r.logProbs, tf.oneHot(ids, V)), 1);
        return { state: r.state, ids, chosen, weights: wantAttention ? r.weights : undefined, logProbs: wantLogProbs ? r.logProbs : undefined, heads: wantHeads ? r.heads : undefined };
      });
      disposeAll(prev, state);
      state = out.state;
      const logProbs = out.logProbs?.dataSync() as Float32Array | undefined;
      let ids: Int32Array;
      let chosen: Float32Array;
      let scores: Float64Array | Float32Array;
      if (out.ids && out.chosen) {
        ids = out.ids.dataSync() as Int32Array;
        chosen = out.chosen.dataSync() as Float32Array;
        scores = chosen;
        prev = out.ids;
      } else {
        ids = new Int32Array(n);
        chosen = new Float32Array(n);
        scores = new Float64Array(n);
        for (let i = 0; i < n; i++) {
          const row = searchScores(logProbs!, i * V, V, hyps[i].ids, opts);
          ids[i] = argMaxRow(row.row, row.offset, V);
          chosen[i] = logProbs![i * V + ids[i]];
          scores[i] = row.row[row.offset + ids[i]];
        }
        prev = tf.tensor1d(ids, 'int32');
      }
      const weights = out.weights?.dataSync();
      const H = out.heads?.cross[0]?.shape[1] ?? 0;
      const crossData = out.heads?.cross.map((w) => w.dataSync() as Float32Array);
      const selfData = out.heads?.self.map((w) => w.dataSync() as Float32Array);
      tf.dispose([out.chosen ?? [], out.weights ?? [], out.logProbs ?? []]);
      disposeAll(out.heads);
      let active = 0;
      for (let i = 0; i < n; i++) {
        const h = hyps[i];
        if (h.finished || h.ids.length >= limits[i]) continue;
        h.logProb += chosen[i];
        h.score += scores[i];
        if (weights) h.attention.push(Array.from(weights.subarray(i * srcLen, i * srcLen + batch.srcLengths[i])));
        if (crossData && selfData) headSteps[i].push({ cross: headRows(crossData, i, H, srcLen, batch.srcLengths[i]), self: headRows(selfData, i, H, t + 1, t + 1) });
        if (logProbs && h.candidates) h.candidates.push(topCandidates(logProbs, i * V, V, opts.topK!));
        if (ids[i] === EOS_ID) h.finished = true;
        else {
          h.ids.push(ids[i]);
          if (h.ids.length < limits[i]) active++;
        }
      }
      if (active === 0) break;
    }
    if (wantHeads) {
      const enc = model.encoderAttention!(src);
      const H = enc[0]?.shape[1] ?? 0;
      const encData = enc.map((w) => w.dataSync() as Float32Array);
      hyps.forEach((h, i) => (h.heads = assembleHeads(headSteps[i], encoderHeadRows(encData, i, H, srcLen, batch.srcLengths[i]))));
    }
  } finally {
    disposeAll(prev, state, src);
  }
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
 * keep the `beamSize` best partial outputs by summed log-probability (after
 * the repetition rules of {@link SearchOptions} when set); an output that
 * produces `<eos>` is finished and ranked by that sum divided by
 * `lengthPenalty(|Y|, alpha)`. Search stops when `beamSize` outputs have
 * finished or at the length limit. Returns the best finished hypothesis
 * (see {@link beamSearchNBest} for the n best).
 * @param sentence a batch holding exactly one sentence
 * @throws RangeError when `beamSize < 1` or the batch holds more than one sentence
 */
export function beamSearch<Source, State>(model: TranslationModel<Source, State>, sentence: SourceBatch, beamSize: number, alpha: number, maxRatio: number, opts: SearchOptions = {}): Hypothesis {
  return beamSearchNBest(model, sentence, beamSize, alpha, maxRatio, { ...opts, nBest: 1 })[0];
}

/**
 * {@link beamSearch} returning the `opts.nBest` best finished hypotheses,
 * best first (non-increasing `score`, all distinct; fewer only when fewer
 * finished — a vocabulary smaller than the beam).
 * @throws RangeError when `beamSize < 1`, `nBest` is not in 1…beamSize or the batch holds more than one sentence
 */
export function beamSearchNBest<Source, State>(
  model: TranslationModel<Source, State>,
  sentence: SourceBatch,
  beamSize: number,
  alpha: number,
  maxRatio: number,
  opts: BeamSearchOptions = {},
): Hypothesis[] {
  checkBeamOptions(beamSize, opts);
  if (sentence.srcLengths.length !== 1) throw new RangeError('beamSearch decodes one sentence at a time');
  const srcLength = sentence.srcLengths[0];
  const limit = maxOutputLength(srcLength, maxRatio);
  const V = model.tgtVocabSize;
  const wantAttention = model.hasAttention;
  const single = tidy(() => model.encode(sentence.srcIds, sentence.srcMask));
  let src: Source = single;
  let tiled = 1;
  let state: State = tidy(() => model.initialState(single));
  let beams: BeamCore[] = [{ ids: [], attention: [], logProb: 0, score: 0, candidates: opts.topK ? [] : undefined, node: 0 }];
  const finished: Hypothesis[] = [];
  const srcLen = sentence.srcIds.shape[1];
  const wantHeads = wantAttention && !!opts.heads && !!model.encoderAttention;
  let encoderSelf: number[][][][] = [];
  if (wantHeads) {
    const enc = model.encoderAttention!(single);
    encoderSelf = encoderHeadRows(
      enc.map((w) => w.dataSync() as Float32Array),
      0,
      enc[0]?.shape[1] ?? 0,
      srcLen,
      srcLength,
    );
    beams[0].headSteps = [];
  }
  try {
    for (let t = 0; t < limit && beams.length > 0; t++) {
      const k = beams.length;
      if (tiled !== k) {
        const old = src;
        src = tidy(() => model.tileSource(single, k));
        tiled = k;
        if (old !== single) disposeAll(old);
      }
      const prev = tf.tensor1d(beams.map((b) => (b.ids.length ? b.ids[b.ids.length - 1] : BOS_ID)), 'int32');
      const out = tidy(() => model.decodeStep(prev, state, src));
      prev.dispose();
      const logProbs = out.logProbs.dataSync() as Float32Array;
      const weights = wantAttention ? out.weights!.dataSync() : undefined;
      let heads: BeamHeads | undefined;
      if (wantHeads && out.heads) {
        const H = out.heads.cross[0]?.shape[1] ?? 0;
        const crossData = out.heads.cross.map((w) => w.dataSync() as Float32Array);
        const selfData = out.heads.self.map((w) => w.dataSync() as Float32Array);
        heads = { encoderSelf, step: (b) => ({ cross: headRows(crossData, b, H, srcLen, srcLength), self: headRows(selfData, b, H, t + 1, t + 1) }) };
      }
      const expanded = expandBeams(beams, logProbs, weights as Float32Array | undefined, srcLen, srcLength, V, beamSize, limit, alpha, opts, finished, heads);
      const next = expanded.map((e) => e.beam);
      const origins = expanded.map((e) => e.parent);
      tf.dispose(out.logProbs);
      disposeAll(out.weights, out.heads);
      const oldState = state;
      if (next.length > 0) {
        const idx = tf.tensor1d(origins, 'int32');
        state = tidy(() => model.reorderState(out.state, idx));
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
  return bestFinished(finished, beams, opts.nBest ?? 1, opts.tree, encoderSelf);
}

function checkBeamOptions(beamSize: number, opts: BeamSearchOptions): void {
  if (beamSize < 1 || !Number.isInteger(beamSize)) throw new RangeError(`beam size must be a positive integer (got ${beamSize})`);
  const nBest = opts.nBest ?? 1;
  if (!Number.isInteger(nBest) || nBest < 1 || nBest > beamSize) throw new RangeError(`nBest must be an integer from 1 to the beam size ${beamSize} (got ${nBest})`);
  checkSearchOptions(opts);
}

/**
 * The `nBest` best finished hypotheses by score (stable: earlier-finished
 * first on ties); the best live beam when none finished. Sets the recorded
 * tree's winner.
 * @param encoderSelf the sentence's encoder self-attention, for a live beam that recorded heads
 */
function bestFinished(finished: Hypothesis[], beams: BeamCore[], nBest: number, tree?: BeamTreeRecorder, encoderSelf: number[][][][] = []): Hypothesis[] {
  if (finished.length === 0) {
    const b = beams[0];
    if (tree) tree.winner = b?.node ?? -1;
    const heads = b?.headSteps ? { heads: assembleHeads(b.headSteps, encoderSelf) } : {};
    return b ? [{ ids: b.ids, attention: b.attention, logProb: b.logProb, candidates: b.candidates, score: b.score, finished: false, ...heads }] : [];
  }
  const best = [...finished].sort((a, b) => b.score - a.score).slice(0, nBest);
  if (tree) tree.winner = tree.finished.find((f) => f.hypothesis === best[0])?.node ?? -1;
  return best;
}

/** What a beam carries in both engines (the decoder state is engine-specific). */
interface BeamCore {
  ids: number[];
  attention: number[][];
  /** The model's log-probability of `ids`. */
  logProb: number;
  /** The search's sum: `logProb` with the repetition rules applied (before the length penalty). */
  score: number;
  candidates?: Candidate[][];
  /** This beam's node in the recorded search tree (0, the root, for the first beam). */
  node?: number;
  /** Every layer and head of each step so far (tensor path with `SearchOptions.heads`). */
  headSteps?: StepHeadRows[];
}

/** What `expandBeams` needs to record every layer and head: the sentence's encoder self-attention and beam b's rows of this step. */
interface BeamHeads {
  encoderSelf: number[][][][];
  step: (beam: number) => StepHeadRows;
}

/**
 * One beam-search step shared by `beamSearch` and `beamSearchFast`: the best
 * 2k expansions over all k beams by summed score (log-probabilities after
 * the repetition rules; banned tokens are never expanded), in order. As in
 * fairseq and Hugging Face, an expansion ending in `<eos>` (or at the length
 * limit) finishes only when it ranks among the first `beamSize` of them, and
 * goes to `finished` with the GNMT length-penalised score (Wu et al. 2016,
 * eq. 14); the others, up to `beamSize`, become the next beams. So a beam of
 * 1 is greedy search.
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
  opts: BeamSearchOptions,
  finished: Hypothesis[],
  heads?: BeamHeads,
): { beam: BeamCore; parent: number }[] {
  const tree = opts.tree;
  const want = Math.min(2 * beamSize, beams.length * V);
  const cand: { beam: number; id: number; logProb: number; score: number }[] = [];
  for (let b = 0; b < beams.length; b++) {
    const scores = searchScores(logProbs, b * V, V, beams[b].ids, opts);
    for (const c of topLogCandidates(scores.row, scores.offset, V, want)) {
      if (c.logProb === -Infinity) continue; // banned by the no-repeat rule
      cand.push({ beam: b, id: c.id, logProb: beams[b].logProb + logProbs[b * V + c.id], score: beams[b].score + c.logProb });
    }
  }
  cand.sort((a, b) => b.score - a.score);
  const next: { beam: BeamCore; parent: number }[] = [];
  cand.slice(0, want).forEach((c, rank) => {
    const parent = beams[c.beam];
    const ends = c.id === EOS_ID || parent.ids.length + 1 >= limit;
    const node = (status: 'kept' | 'pruned' | 'finished', score: number) =>
      tree ? tree.add({ parent: parent.node ?? 0, step: parent.ids.length + 1, token: c.id, logProb: c.logProb, score, status }) : undefined;
    if ((ends && rank >= beamSize) || (!ends && next.length >= beamSize)) {
      node('pruned', c.score);
      return;
    }
    const attention = weights ? [...parent.attention, Array.from(weights.subarray(c.beam * weightStride, c.beam * weightStride + srcLength))] : [];
    const candidates = parent.candidates && [...parent.candidates, topCandidates(logProbs, c.beam * V, V, opts.topK!)];
    const headSteps = heads && parent.headSteps ? [...parent.headSteps, heads.step(c.beam)] : undefined;
    if (ends) {
      const isEos = c.id === EOS_ID;
      const ids = isEos ? parent.ids : [...parent.ids, c.id];
      const hyp: Hypothesis = { ids, attention, logProb: c.logProb, score: c.score / lengthPenalty(ids.length + 1, alpha), candidates, finished: isEos };
      if (headSteps) hyp.heads = assembleHeads(headSteps, heads!.encoderSelf);
      finished.push(hyp);
      const at = node('finished', hyp.score);
      if (at !== undefined) tree!.finish(at, hyp);
    } else {
      next.push({
        beam: { ids: [...parent.ids, c.id], attention, logProb: c.logProb, score: c.score, candidates, node: node('kept', c.score), ...(headSteps ? { headSteps } : {}) },
        parent: c.beam,
      });
    }
  });
  return next;
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
export function greedyDecodeFast(model: InferenceModel, srcIds: ArrayLike<number>, maxRatio: number, opts: SearchOptions & { attention?: boolean } = {}): Hypothesis {
  checkSearchOptions(opts);
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
    const scores = searchScores(lp, 0, V, h.ids, opts);
    const best = argMaxRow(scores.row, scores.offset, V);
    h.logProb += lp[best];
    h.score += scores.row[scores.offset + best];
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
export function beamSearchFast(model: InferenceModel, srcIds: ArrayLike<number>, beamSize: number, alpha: number, maxRatio: number, opts: SearchOptions = {}): Hypothesis {
  return beamSearchFastNBest(model, srcIds, beamSize, alpha, maxRatio, { ...opts, nBest: 1 })[0];
}

/**
 * {@link beamSearchFast} returning the `opts.nBest` best finished
 * hypotheses, best first, as {@link beamSearchNBest}.
 * @throws RangeError when `beamSize < 1` or `nBest` is not in 1…beamSize
 */
export function beamSearchFastNBest(
  model: InferenceModel,
  srcIds: ArrayLike<number>,
  beamSize: number,
  alpha: number,
  maxRatio: number,
  opts: BeamSearchOptions = {},
): Hypothesis[] {
  checkBeamOptions(beamSize, opts);
  const srcLength = srcIds.length;
  const limit = maxOutputLength(srcLength, maxRatio);
  const V = model.vocabSize;
  const src = model.encode(srcIds);
  type Beam = BeamCore & { state: InferenceState };
  let beams: Beam[] = [{ ids: [], attention: [], logProb: 0, score: 0, candidates: opts.topK ? [] : undefined, node: 0, state: model.initialState(src) }];
  const finished: Hypothesis[] = [];
  for (let t = 0; t < limit && beams.length > 0; t++) {
    const out = model.step(
      beams.map((b) => (b.ids.length ? b.ids[b.ids.length - 1] : BOS_ID)),
      beams.map((b) => b.state),
      src,
    );
    beams = expandBeams(beams, out.logProbs, out.weights, srcLength, srcLength, V, beamSize, limit, alpha, opts, finished).map((e) => ({
      ...e.beam,
      state: out.states[e.parent],
    }));
    if (finished.length >= beamSize) break;
  }
  return bestFinished(finished, beams, opts.nBest ?? 1, opts.tree);
}
