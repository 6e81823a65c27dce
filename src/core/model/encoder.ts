/**
 * Recurrent encoder: embeddings followed by 1–N stacked GRU/LSTM layers,
 * optionally bidirectional (Schuster & Paliwal 1997; used for NMT by
 * Bahdanau et al. 2015, sec. 3.2).
 *
 Each direction has `encoderUnits(config)` units (`model.encoderHiddenSize`:
 * by default `hiddenSize`, as in Bahdanau et al. 2015 and PyTorch's
 * tutorials), so a bidirectional encoder's outputs `[h→; h←]` have twice as
 * many features; the attention and the bridge project them to the decoder's
 * size. `luong-dot`, which has no projection, gets `hiddenSize / 2` per
 * direction by default (the OpenNMT convention).
 *
 * Padding is handled by masking the state update: at a padded position the
 * state is carried over unchanged, so the final states equal those of the
 * unpadded sentence and the backward direction starts at the last real token.
 */
import * as tf from '@tensorflow/tfjs-core';
import { encoderUnits, type ModelConfig } from '../config/config';
import { Random } from '../random';
import { region } from '../profile';
import { ParameterStore } from './parameters';
import { makeCell, RecurrentCell, RnnState } from './rnn';

export interface EncoderOutput {
  /** Top-layer outputs `[batch, srcLen, outputSize]` (both directions concatenated). */
  outputs: tf.Tensor3D;
  /** Final hidden state of the top layer `[batch, outputSize]` (both directions concatenated). */
  final: tf.Tensor2D;
}

export class RecurrentEncoder {
  readonly embedding: tf.Variable;
  private readonly layers: { fwd: RecurrentCell; bwd?: RecurrentCell }[] = [];
  /** Size of each output vector: units per direction × directions. */
  readonly outputSize: number;

  /**
   * @param vocabSize source vocabulary size (embedding rows)
   * @throws Error when the units per direction are not a positive integer (an odd `hiddenSize` with `luong-dot` and a bidirectional encoder)
   */
  constructor(params: ParameterStore, private readonly config: ModelConfig, vocabSize: number) {
    const { embeddingSize, layers, bidirectional, cell } = config;
    const dirHidden = encoderUnits(config);
    if (!Number.isInteger(dirHidden) || dirHidden < 1) {
      throw new Error(`model.hiddenSize must be even for luong-dot attention with a bidirectional encoder (got ${config.hiddenSize})`);
    }
    this.embedding = params.embedding('encoder/embedding', [vocabSize, embeddingSize], config);
    this.outputSize = bidirectional ? 2 * dirHidden : dirHidden;
    for (let l = 0; l < layers; l++) {
      const inputSize = l === 0 ? embeddingSize : this.outputSize;
      this.layers.push({
        fwd: makeCell(cell, params, `encoder/l${l}/fwd`, inputSize, dirHidden),
        bwd: bidirectional ? makeCell(cell, params, `encoder/l${l}/bwd`, inputSize, dirHidden) : undefined,
      });
    }
  }

  /**
   * Encode a padded batch.
   * @param srcIds `[batch, srcLen]` int32 token ids, `<pad>`-padded
   * @param srcMask `[batch, srcLen]` 1 for real tokens, 0 for padding
   * @param dropout when given, inverted dropout with this rate on embeddings and between layers
   */
  encode(srcIds: tf.Tensor2D, srcMask: tf.Tensor2D, dropout?: { rate: number; random: Random }): EncoderOutput {
    const [batch, srcLen] = srcIds.shape;
    let input = region('embedding', () => tf.gather(this.embedding, srcIds) as tf.Tensor3D); // [b, s, e]
    if (dropout && dropout.rate > 0) input = tf.dropout(input, dropout.rate, undefined, dropout.random.int(2 ** 31)) as tf.Tensor3D;
    const stepMasks = tf.unstack(tf.expandDims(srcMask, 2), 1) as tf.Tensor2D[]; // srcLen × [b, 1]
    let final: tf.Tensor2D | undefined;
    for (let l = 0; l < this.layers.length; l++) {
      const { fwd, bwd } = this.layers[l];
      const flat = tf.reshape(input, [batch * srcLen, input.shape[2]]) as tf.Tensor2D;
      const f = this.run(fwd, flat, batch, srcLen, stepMasks, srcMask, false);
      if (bwd) {
        const b = this.run(bwd, flat, batch, srcLen, stepMasks, srcMask, true);
        input = tf.concat([f.outputs, b.outputs], 2);
        final = tf.concat([f.final, b.final], 1);
      } else {
        input = f.outputs;
        final = f.final;
      }
      if (dropout && dropout.rate > 0 && l < this.layers.length - 1) {
        input = tf.dropout(input, dropout.rate, undefined, dropout.random.int(2 ** 31)) as tf.Tensor3D;
      }
    }
    return { outputs: input, final: final! };
  }

  private run(cell: RecurrentCell, flat: tf.Tensor2D, batch: number, srcLen: number, masks: tf.Tensor2D[], srcMask: tf.Tensor2D, reverse: boolean) {
    const proj = tf.reshape(cell.projectInputs(flat), [batch, srcLen, -1]) as tf.Tensor3D;
    // The whole direction on one kernel where available; the same states step by step otherwise.
    const whole = cell.sequence(proj, cell.zeroState(batch), srcMask, reverse);
    if (whole) return { outputs: whole.outputs, final: whole.final.h };
    const steps = tf.unstack(proj, 1) as tf.Tensor2D[];
    let state: RnnState = cell.zeroState(batch);
    const outputs: tf.Tensor2D[] = new Array(srcLen);
    for (let i = 0; i < srcLen; i++) {
      const t = reverse ? srcLen - 1 - i : i;
      state = cell.stepMasked(steps[t], state, masks[t]);
      outputs[t] = state.h;
    }
    return { outputs: tf.stack(outputs, 1) as tf.Tensor3D, final: state.h };
  }
}
