/**
 * What a search returns, as plain arrays: the decoded sentence
 * (`Hypothesis`) with its attention weights, scores and per-step candidates,
 * and the source batch it reads. Shared by the search
 * (`src/core/decoding/search.ts`), the beam search tree
 * (`src/core/decoding/beamTree.ts`) and their callers; types only.
 */
import type * as tf from '@tensorflow/tfjs-core';

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
  /**
   * Per step, log p(y_t | y_<t, x) of the token emitted (nats): `[ids.length + 1]`
   * when `<eos>` was produced, else `[ids.length]`; sums to `logProb`. Every
   * search records it.
   */
  tokenLogProbs?: number[];
  /**
   * Forced decoding (`SearchOptions.prefix`): how many of the first steps
   * emitted the forced prefix rather than the search's choice.
   */
  forced?: number;
  /**
   * Forced decoding with `SearchOptions.probe`: per step t < probe length
   * (and while the hypothesis runs), log p(probe[t] | y_<t, x) under this
   * hypothesis' own prefix y_<t (nats).
   */
  probeLogProbs?: number[];
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
