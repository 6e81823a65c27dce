/**
 * Forced decoding and the questions it answers about one sentence.
 *
 * The primitive is the search's forced prefix (`SearchOptions.prefix` in
 * `src/core/decoding/search.ts`): the first steps emit given target tokens,
 * each scored by the model, and the search (greedy or beam) continues from
 * there — fairseq's `--prefix-size` / `--score-reference`, Joey NMT's
 * `return_prob: ref`, Seq2Seq-Vis's forced re-decoding (Strobelt et al.
 * 2018). This module runs it on one sentence in either decoding engine
 * (`SentenceSearch`: the training graph's ops or the fast SIMD engine; the
 * Transformer has only the former) and builds on it:
 *
 * - **score a reference** (`forceTarget`): per-token log-probabilities under
 *   teacher forcing, their sum, the length-normalised score and the forced
 *   alignment;
 * - **what-if decoding** (`continueAfter`): force a prefix, let the search
 *   finish the sentence;
 * - **exposure bias** (`exposureBias`): the reference token's probability after
 *   the reference's prefix (what training sees) and after the model's own
 *   greedy prefix (what inference sees), and the first step where they part;
 * - **search error or model error** (`judgeOutput`, Stahlberg & Byrne 2019);
 * - **coverage** (`coverage`, Tu et al. 2016).
 *
 * Token ids follow `src/core/data/vocabulary.ts`; nothing here imports `vscode`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { makeBatch } from '../data/batching';
import { EOS_ID } from '../data/vocabulary';
import type { AnyModel } from '../model/index';
import type { InferenceModel } from './inference';
import type { Hypothesis } from './hypothesis';
import { beamSearchFastNBest, beamSearchNBest, greedyDecode, greedyDecodeFast, lengthPenalty, type BeamSearchOptions, type SearchOptions } from './search';

export { coverage } from './coverage';

/**
 * One source sentence ready to be searched in one engine. `search(1, …)` is
 * greedy search (the project's beam 1), above 1 beam search with its n best.
 */
export interface SentenceSearch {
  /** `tensor`: the training graph's TensorFlow.js ops; `fast`: `src/core/decoding/inference.ts`. */
  readonly engine: 'tensor' | 'fast';
  /**
   * @param beamSize 1 = greedy search; above 1 = beam search
   * @param alpha GNMT length penalty α of beam search (unused by greedy search)
   * @returns the best hypothesis (greedy), or the `opts.nBest` best (beam), best first
   */
  search(beamSize: number, alpha: number, opts: BeamSearchOptions): Hypothesis[];
  /** Frees the source tensors (tensor engine); a no-op for the fast engine. */
  dispose(): void;
}

/**
 * The sentence in the tensor engine (`greedyDecode` / `beamSearchNBest`), for
 * every model family.
 * @param srcIds source token ids without `<eos>` (it is appended)
 * @param maxRatio output length limit `ceil(maxRatio · (srcIds.length + 1)) + 5`
 */
export function tensorSentence(model: AnyModel, srcIds: readonly number[], maxRatio: number): SentenceSearch {
  const b = makeBatch([{ src: [...srcIds], tgt: [] }], [0]);
  const s = {
    srcIds: tf.tensor2d(b.srcIds, [b.size, b.srcLen], 'int32'),
    srcMask: tf.tensor2d(b.srcMask, [b.size, b.srcLen], 'float32'),
    srcLengths: b.srcLengths,
  };
  return {
    engine: 'tensor',
    search: (beamSize, alpha, opts) => (beamSize > 1 ? beamSearchNBest(model, s, beamSize, alpha, maxRatio, opts) : greedyDecode(model, s, maxRatio, opts)),
    dispose: () => tf.dispose([s.srcIds, s.srcMask]),
  };
}

/**
 * The sentence in the fast one-sentence engine (`greedyDecodeFast` /
 * `beamSearchFastNBest`), for the recurrent models.
 * @param srcIds source token ids without `<eos>` (it is appended)
 */
export function fastSentence(model: InferenceModel, srcIds: readonly number[], maxRatio: number): SentenceSearch {
  const src = [...srcIds, EOS_ID];
  return {
    engine: 'fast',
    search: (beamSize, alpha, opts) => (beamSize > 1 ? beamSearchFastNBest(model, src, beamSize, alpha, maxRatio, opts) : [greedyDecodeFast(model, src, maxRatio, opts)]),
    dispose: () => undefined,
  };
}

/**
 * The score a search ranks a complete output by: greedy search (beam 1) the
 * sum of log-probabilities less the repetition penalties; beam search that
 * sum divided by the GNMT length penalty lp(|Y|) = ((5 + |Y|) / 6)^α (Wu et
 * al. 2016, eq. 14), |Y| counting `<eos>` when produced.
 * @param sum log p(Y | x) less the repetition penalties (nats)
 * @param length |Y|, tokens including `<eos>`
 */
export function searchScore(sum: number, length: number, beamSize: number, alpha: number): number {
  return beamSize > 1 ? sum / lengthPenalty(length, alpha) : sum;
}

/** How a search scores: beam size, length penalty and the repetition rules. */
export interface ScoringOptions {
  /** 1 = greedy; the score of a complete output is then not length-normalised. */
  beamSize: number;
  /** GNMT length penalty α. */
  lengthPenalty: number;
  noRepeatNgramSize?: number;
  repetitionPenalty?: number;
}

function rulesOf(o: ScoringOptions): SearchOptions {
  return { noRepeatNgramSize: o.noRepeatNgramSize, repetitionPenalty: o.repetitionPenalty };
}

/** A target sequence scored by forced decoding. */
export interface ForcedDecoding {
  /** The forced tokens without `<eos>`. */
  ids: number[];
  /** True when `<eos>` was forced after them (a complete output). */
  complete: boolean;
  /**
   * log p(y_t | y_<t, x) of each forced token under teacher forcing (nats),
   * `[ids.length + 1]` with `<eos>` when complete.
   */
  tokenLogProbs: number[];
  /** Σ `tokenLogProbs` = log p(y | x) (nats). */
  logProb: number;
  /** `logProb` / `tokenLogProbs.length`: the mean log-probability per token (its negation's exp is the sentence's perplexity). */
  perToken: number;
  /**
   * The score the search would give this output ({@link searchScore}): the
   * sum less the repetition penalties, divided by the GNMT length penalty
   * for a beam above 1; comparable with the search output's `score`. For an
   * incomplete prefix, the unnormalised sum.
   */
  score: number;
  /** Forced alignment `[tokenLogProbs.length][srcLen]`: the attention at each forced step (empty without attention). */
  attention: number[][];
  /** Per step, the model's own top candidates at that step (when `topK` was asked). */
  candidates?: Hypothesis['candidates'];
  /** The Transformer's every layer and head (tensor engine, when asked). */
  heads?: Hypothesis['heads'];
}

/**
 * Forced decoding of a given target (teacher forcing at inference time): the
 * score of a reference translation. Sutskever et al. (2014) and Bahdanau et
 * al. (2015) score sentences by this log-probability; fairseq's
 * `--score-reference` prints it.
 * @param target target token ids without `<eos>`
 * @param opts.complete force `<eos>` after the target (default true: score a whole sentence)
 * @param opts.topK also record the top-K candidates of each step
 * @throws RangeError for an id outside the target vocabulary
 */
export function forceTarget(
  sentence: SentenceSearch,
  target: readonly number[],
  opts: ScoringOptions & { complete?: boolean; topK?: number; heads?: boolean },
): ForcedDecoding {
  const complete = opts.complete ?? true;
  const prefix = complete ? [...target, EOS_ID] : [...target];
  const h = sentence.search(1, opts.lengthPenalty, { ...rulesOf(opts), topK: opts.topK, heads: opts.heads, prefix, prefixOnly: true })[0];
  const tokenLogProbs = h.tokenLogProbs ?? [];
  return {
    ids: [...target],
    complete,
    tokenLogProbs,
    logProb: h.logProb,
    perToken: tokenLogProbs.length > 0 ? h.logProb / tokenLogProbs.length : 0,
    score: complete ? searchScore(h.score, tokenLogProbs.length, opts.beamSize, opts.lengthPenalty) : h.score,
    attention: h.attention,
    ...(h.candidates ? { candidates: h.candidates } : {}),
    ...(h.heads ? { heads: h.heads } : {}),
  };
}

/**
 * What-if decoding: force `prefix`, then let the search (greedy, or beam
 * search of `opts.beamSize`) choose the rest of the sentence. The
 * hypotheses returned start with the prefix (`forced` = its length) and
 * carry per-step log-probabilities, attention and candidates for the whole
 * output, forced part included.
 * @param prefix target token ids (an `<eos>` may end it: the output is then just the prefix)
 */
export function continueAfter(sentence: SentenceSearch, prefix: readonly number[], opts: ScoringOptions & Pick<BeamSearchOptions, 'topK' | 'nBest' | 'tree' | 'heads'>): Hypothesis[] {
  return sentence.search(opts.beamSize, opts.lengthPenalty, { ...rulesOf(opts), topK: opts.topK, nBest: opts.nBest, tree: opts.tree, heads: opts.heads, prefix });
}

/**
 * Exposure bias for one sentence pair (Ranzato et al. 2016, §1; Bengio et al.
 * 2015): a model trained with teacher forcing only ever saw the reference's
 * prefix; at inference it reads its own. Two tracks over the reference's
 * steps (its tokens, then `<eos>`).
 */
export interface ExposureBias {
  /** log p(y_t | y_<t, x): after the reference's own prefix, as in training (teacher forcing). */
  teacherForced: number[];
  /**
   * log p(y_t | ŷ_<t, x): after greedy search's own prefix ŷ_<t, as at
   * inference; `null` for the steps after greedy's output ended (it has no
   * prefix that long).
   */
  ownPrefix: (number | null)[];
  /**
   * The first step (0-based) where greedy's token differs from the
   * reference's (`<eos>` included), −1 when greedy's output is the
   * reference. Up to and including it the two tracks are equal.
   */
  divergence: number;
  /** Greedy search's output (its tokens, score and attention). */
  greedy: Hypothesis;
}

/**
 * The exposure-bias tracks of a reference (see {@link ExposureBias}): one
 * forced decoding of the reference, and one greedy search probing the
 * reference's token at each step.
 * @param reference reference token ids without `<eos>`
 */
export function exposureBias(sentence: SentenceSearch, reference: readonly number[], opts: Omit<ScoringOptions, 'beamSize' | 'lengthPenalty'> = {}): ExposureBias {
  const rules = { beamSize: 1, lengthPenalty: 0, ...opts };
  const target = [...reference, EOS_ID];
  const teacherForced = forceTarget(sentence, reference, rules).tokenLogProbs;
  const greedy = sentence.search(1, 0, { ...rulesOf(rules), probe: target })[0];
  const probed = greedy.probeLogProbs ?? [];
  const ownPrefix = target.map((_, t) => (t < probed.length ? probed[t] : null));
  delete greedy.probeLogProbs;
  const output = greedy.finished ? [...greedy.ids, EOS_ID] : greedy.ids;
  let divergence = -1;
  for (let t = 0; t < Math.max(output.length, target.length); t++) {
    if (output[t] !== target[t]) {
      divergence = t;
      break;
    }
  }
  return { teacherForced, ownPrefix, divergence, greedy };
}

/**
 * What went wrong with an output, after Stahlberg & Byrne (2019, "On NMT
 * Search Errors and Model Errors: Cat Got Your Tongue?", §2): `correct` when
 * the output is the reference (token for token, `<eos>` included); a
 * `search-error` when the model scores the reference higher than the
 * search's output under the same score (the search missed a sentence the
 * model prefers: a lower bound on search errors, as exact search could find
 * still better ones); otherwise a `model-error` (the model prefers a wrong
 * output).
 */
export type OutputVerdict = 'correct' | 'search-error' | 'model-error';

/**
 * @param output the search's output (`score` as the search ranked it)
 * @param reference the reference's ids (no `<eos>`) and its score under the same search ({@link forceTarget} with the same options)
 */
export function judgeOutput(output: Pick<Hypothesis, 'ids' | 'finished' | 'score'>, reference: { ids: readonly number[]; score: number }): OutputVerdict {
  const same = output.finished && output.ids.length === reference.ids.length && output.ids.every((id, i) => id === reference.ids[i]);
  if (same) return 'correct';
  return reference.score > output.score ? 'search-error' : 'model-error';
}
