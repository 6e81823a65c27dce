/**
 * The one place that chooses the model family from the config
 * (`model.type`), and the interface every family implements. The trainer,
 * evaluation, the translator, data-parallel replicas and the search
 * (`src/core/search.ts`) use only this interface.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig, ModelType } from '../config';
import type { ParameterStore } from './parameters';
import type { BatchTensors, LossOptions, LossResult } from './seq2seq';
import { Seq2SeqModel } from './seq2seq';
import { TransformerModel } from './transformer/model';

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

/**
 * Build the model `config.type` names, with freshly initialised weights.
 * @param srcVocabSize / tgtVocabSize vocabulary sizes including special tokens
 * @param seed initialisation seed (`train.seed`)
 * @throws Error on inconsistent hyper-parameters
 */
export function createModel(config: ModelConfig, srcVocabSize: number, tgtVocabSize: number, seed: number): AnyModel {
  const type: ModelType = config.type ?? 'rnn';
  switch (type) {
    case 'rnn':
      return new Seq2SeqModel(config, srcVocabSize, tgtVocabSize, seed) as AnyModel;
    case 'transformer':
      return new TransformerModel(config, srcVocabSize, tgtVocabSize, seed) as AnyModel;
    default:
      throw new Error(`unknown model.type ${JSON.stringify(type)} (expected "rnn" or "transformer")`);
  }
}
