/**
 * The types every model family shares: the interface the trainer,
 * evaluation, the translator, data-parallel replicas and the search use
 * (`TranslationModel`), and what goes in and out of a training forward pass.
 * The families (`src/core/model/seq2seq.ts`,
 * `src/core/model/transformer/model.ts`) implement it;
 * `src/core/model/index.ts` picks one. Types only: importing this module
 * pulls in no family.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig } from '../config/config';
import type { Random } from '../random';
import type { ParameterStore } from './parameters';

/** A padded batch as tensors (see `src/core/data/batching.ts` for the layout). */
export interface BatchTensors {
  /** `[batch, srcLen]` int32, `<pad>`-padded, each sentence ends in `<eos>`. */
  srcIds: tf.Tensor2D;
  /** `[batch, srcLen]` float32, 1 for real tokens. */
  srcMask: tf.Tensor2D;
  /** `[batch, tgtLen]` int32: `<bos> y_1 … y_n` then padding (decoder inputs under teacher forcing). */
  tgtIn: tf.Tensor2D;
  /** `[batch·tgtLen]` gold outputs `y_1 … y_n <eos>` then padding, kept on the CPU for the fused loss. */
  tgtOut: Int32Array;
  /** `[batch·tgtLen]` 1 for real target positions, kept on the CPU for the fused loss. */
  tgtMask: Float32Array;
}

/** Options for a forward pass that computes the loss. */
/** The output words a sampled softmax scores (see `sampleCandidates` in `seq2seq.ts`). */
export interface SampledCandidates {
  /** `[c]` candidate word ids: `0 … frequent − 1`, then the others ascending. */
  ids: Int32Array;
  /** `[c]` added to each candidate's logit: 0 for words always included, −log π for words sampled with probability π. */
  logitOffsets: Float32Array;
  /** Ids below this are always candidates, at their own index. */
  frequent: number;
}

export interface LossOptions {
  /** Apply dropout (training) or not (validation). */
  training: boolean;
  /**
   * Probability of feeding the gold previous token (teacher forcing,
   * Williams & Zipser 1989); below 1 the model's own argmax is fed otherwise
   * (scheduled sampling, Bengio et al. 2015).
   */
  teacherForcing: number;
  /** Source of randomness for dropout and the teacher-forcing coin. */
  random: Random;
  /**
   * Training only: sampled softmax over the batch's gold words, this many
   * most frequent words and this many further words drawn at random (see
   * `candidateSet`) instead of the whole target vocabulary (Jean, Cho,
   * Memisevic & Bengio 2015, sec. 3). 0 or undefined: full softmax.
   */
  softmaxCandidates?: number;
  /**
   * With `softmaxCandidates`: the candidate words already drawn for a batch
   * that contains this one (data-parallel replicas score their shares
   * against the whole batch's draw, so two threads compute what one does);
   * absent: drawn here from `random`.
   */
  candidates?: SampledCandidates;
  /**
   * Training only: label smoothing ε of the objective (`train.labelSmoothing`,
   * see `smoothedCrossEntropy`); `LossResult.nllSum` stays the plain NLL.
   * 0 or undefined: none.
   */
  labelSmoothing?: number;
}

export interface LossResult {
  /** Sum of token negative log-likelihoods (nats) over non-padding target positions, scalar (unsmoothed: perplexity = exp(nllSum / tokens)). */
  nllSum: tf.Scalar;
  /** Mean per-token cross-entropy, scalar (the training objective): `nllSum / tokens`, or its label-smoothed counterpart with `labelSmoothing` > 0. */
  loss: tf.Scalar;
}

/**
 * Attention weights of every layer and head of one decoder step, for the
 * Transformer (absent for the recurrent models), as tensors.
 */
export interface StepHeads {
  /** Per decoder layer, cross-attention `[batch, heads, srcLen]`. */
  cross: tf.Tensor3D[];
  /** Per decoder layer, decoder self-attention over the prefix `[batch, heads, t + 1]` (t = 0-based step). */
  self: tf.Tensor3D[];
}

/** Result of one decoder step. */
export interface StepOutput<State> {
  /** `[batch, vocab]` log-probabilities of the next token. */
  logProbs: tf.Tensor2D;
  state: State;
  /** `[batch, srcLen]` attention weights over the source (absent without attention); the Transformer's: its last layer's cross-attention averaged over heads. */
  weights?: tf.Tensor2D;
  /** Every layer and head (Transformer only). */
  heads?: StepHeads;
}

/**
 * A trainable encoder–decoder of any family. `Source` is what `encode`
 * returns (the encoder's outputs prepared for decoding), `State` the decoder
 * state between steps; both are tensors the caller disposes (`disposeAll`).
 */
export interface TranslationModel<Source = unknown, State = unknown> {
  readonly config: ModelConfig;
  readonly srcVocabSize: number;
  readonly tgtVocabSize: number;
  readonly params: ParameterStore;
  /** Trainable parameters, in `params` order. */
  readonly variables: tf.Variable[];
  /** Parameters whose gradient is row-sparse in a step (candidates for lazy Adam). */
  readonly rowSparseParameters: string[];
  /** True when `decodeStep` returns attention weights over the source. */
  readonly hasAttention: boolean;
  /** Teacher-forced masked cross-entropy of a batch (see `Seq2SeqModel.loss`). */
  loss(batch: BatchTensors, tokens: number, opts: LossOptions): LossResult;
  /** @param srcIds `[batch, srcLen]` int32 @param srcMask `[batch, srcLen]` */
  encode(srcIds: tf.Tensor2D, srcMask: tf.Tensor2D): Source;
  initialState(src: Source): State;
  /** @param prevIds `[batch]` previous tokens (`<bos>` first) */
  decodeStep(prevIds: tf.Tensor1D, state: State, src: Source): StepOutput<State>;
  /**
   * Per encoder layer, its self-attention weights `[batch, heads, srcLen, srcLen]`
   * (tensors owned by `src`); absent for models without encoder attention.
   */
  encoderAttention?(src: Source): tf.Tensor4D[];
  /** A one-sentence `src` repeated `k` times along the batch (for `k` beams). */
  tileSource(src: Source, k: number): Source;
  /** The state of the rows `idx` (`[k]` int32, beam origins), in that order. */
  reorderState(state: State, idx: tf.Tensor1D): State;
  dispose(): void;
}

/** Any model, with its family's source and state types erased. */
export type AnyModel = TranslationModel<unknown, unknown>;
