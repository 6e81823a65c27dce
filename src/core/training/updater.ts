/**
 * One optimisation step, split in two halves so that data-parallel replicas
 * (see `src/core/training/parallel.ts`) can exchange gradients in between:
 * `gradients()` runs the forward and backward pass of a batch, `apply()`
 * clips the (possibly combined) gradients by their global norm and takes an
 * Adam step (`src/core/training/optimizer.ts`).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TrainConfig } from '../config/config';
import type { Batch } from '../data/batching';
import { batchTensors } from '../metrics/evaluation';
import type { AnyModel } from '../model/index';
import type { SampledCandidates } from '../model/types';
import { sampleCandidates } from '../model/seq2seq';
import { Adam } from './optimizer';
import { region } from '../profile';
import { Random } from '../random';
import { disposeAll, tidy } from '../tensors';

/** Gradients of one batch: one tensor per model variable (of the mean per-token training objective), in `model.variables` order. */
export interface BatchGradients {
  grads: tf.Tensor[];
  /** Mean per-token cross-entropy of the batch (nats), unsmoothed: the NLL even with label smoothing (whose objective the gradients follow). */
  loss: number;
  /** Non-padding target tokens of the batch. */
  tokens: number;
}

export class Updater {
  readonly optimizer: Adam;
  /** Updates skipped because the gradient was not finite (see `Adam.apply`). */
  skippedUpdates = 0;

  constructor(
    private readonly model: AnyModel,
    private readonly train: Pick<TrainConfig, 'learningRate' | 'clipNorm' | 'teacherForcing' | 'softmaxCandidates'> & Partial<Pick<TrainConfig, 'lazyAdam' | 'labelSmoothing'>>,
    private readonly random: Random,
  ) {
    const lazy = new Set(train.lazyAdam ? model.rowSparseParameters : []);
    this.optimizer = new Adam(model.variables, {
      learningRate: train.learningRate,
      clipNorm: train.clipNorm,
      lazyRows: model.params.names.map((n) => lazy.has(n)),
    });
  }

  set learningRate(lr: number) {
    this.optimizer.learningRate = lr;
  }

  /**
   * Forward and backward pass of a batch (dropout on, teacher forcing as configured).
   * The caller owns the returned tensors (pass them to `apply`).
   * @param random source of dropout masks and sampled softmax candidates (default: the updater's own stream)
   * @param candidates the softmax candidates already drawn for a batch containing this one (data-parallel shares), else drawn here
   */
  gradients(batch: Batch, random: Random = this.random, candidates?: SampledCandidates): BatchGradients {
    const tensors = batchTensors(batch);
    let nll: tf.Scalar | undefined;
    try {
      const { value, grads } = tidy(() =>
        tf.variableGrads(() => {
          const r = this.model.loss(tensors, batch.tokens, {
            training: true,
            teacherForcing: this.train.teacherForcing,
            random,
            softmaxCandidates: this.train.softmaxCandidates,
            candidates,
            labelSmoothing: this.train.labelSmoothing,
          });
          nll = tf.keep(tf.div(r.nllSum, Math.max(batch.tokens, 1)) as tf.Scalar);
          return r.loss;
        }, this.model.variables),
      );
      value.dispose();
      const loss = nll!.dataSync()[0];
      return { grads: this.model.variables.map((v) => grads[v.name]), loss, tokens: batch.tokens };
    } finally {
      disposeAll(tensors, nll);
    }
  }

  /**
   * The softmax candidates of a batch drawn from this updater's stream (for
   * data-parallel shares of it, see `Updater.gradients`), or undefined with
   * the full softmax.
   */
  sampleCandidates(batch: Batch): SampledCandidates | undefined {
    const k = this.train.softmaxCandidates ?? 0;
    const V = this.model.tgtVocabSize;
    return k > 0 && k < V ? sampleCandidates(batch.tgtOut, batch.tgtMask, V, k, k, this.random) : undefined;
  }

  /** Clip and apply gradients (in `model.variables` order), or skip a non-finite one; disposes them. */
  apply(grads: tf.Tensor[]): void {
    try {
      if (!Number.isFinite(region('optimizer', () => this.optimizer.apply(grads), { wall: true }))) this.skippedUpdates++;
    } finally {
      disposeAll(grads);
    }
  }

  /** One full step on one thread: gradients then update. @returns the batch's mean loss */
  step(batch: Batch): number {
    const g = this.gradients(batch);
    this.apply(g.grads);
    return g.loss;
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}
