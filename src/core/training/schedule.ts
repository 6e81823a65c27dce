/**
 * Learning-rate schedules and the patience bookkeeping behind plateau decay
 * and early stopping. Pure functions: the trainer (`src/core/training/training.ts`)
 * keeps the state and applies their decisions.
 */
import type { StopMetric, TrainConfig } from '../config/config';

/**
 * Learning rate of the `linear` schedule: `base · (1 − progress)`, where
 * progress is the larger of the fractions of the step budget and of the
 * time budget used so far (Li, Yumer & Ramanan 2020, "Budgeted training:
 * rethinking deep neural network training under resource constraints",
 * sec. 4: linear decay to zero at the end of the budget).
 * @param stepFraction steps done ÷ total steps (0…1)
 * @param timeFraction seconds elapsed ÷ time budget (0 when there is no time budget)
 */
export function linearSchedule(base: number, stepFraction: number, timeFraction: number): number {
  const progress = Math.min(1, Math.max(0, stepFraction, Number.isFinite(timeFraction) ? timeFraction : 0));
  return base * (1 - progress);
}

/**
 * Learning rate of the `inverse-sqrt` schedule at (1-based) step n: linear
 * warm-up, then decay with the inverse square root of the step,
 *
 *   lr(n) = base · min(n / w, √(w / n)),
 *
 * w = `warmupSteps`. This is Vaswani et al. (2017, eq. 3),
 * d_model^−0.5 · min(n^−0.5, n · w^−1.5), rescaled so that its peak, at n = w,
 * is `base` (= `train.learningRate`) instead of (d_model · w)^−0.5: the
 * form of fairseq's `inverse_sqrt` scheduler with `warmup_init_lr` 0.
 * @param step 1-based number of the update about to be taken (≥ 1)
 * @param warmupSteps w ≥ 1
 * @throws RangeError when `step` or `warmupSteps` is below 1
 */
export function inverseSqrtSchedule(base: number, step: number, warmupSteps: number): number {
  if (!(step >= 1)) throw new RangeError(`inverseSqrtSchedule: step must be ≥ 1 (got ${step})`);
  if (!(warmupSteps >= 1)) throw new RangeError(`inverseSqrtSchedule: warmupSteps must be ≥ 1 (got ${warmupSteps})`);
  return base * Math.min(step / warmupSteps, Math.sqrt(warmupSteps / step));
}

/**
 * True when `value` is better than `best` for the metric (BLEU up,
 * perplexity/loss down) by more than `minDelta` (in the metric's units; 0:
 * any improvement). The comparison of Keras' and Lightning's `EarlyStopping`
 * with `min_delta`: `value − minDelta > best` for BLEU, `value + minDelta < best` otherwise.
 */
export function improves(metric: StopMetric, value: number, best: number, minDelta = 0): boolean {
  if (!Number.isFinite(value)) return false;
  return metric === 'bleu' ? value - minDelta > best : value + minDelta < best;
}

/** What the trainer remembers between validations for plateau decay and early stopping. */
export interface Patience {
  /** Best value of the stop metric so far (−∞ for BLEU, +∞ otherwise, before the first validation). */
  best: number;
  /** Lowest validation perplexity so far (+∞ before the first validation). */
  lowestPerplexity: number;
  /** Validations without progress since the last one with progress (early stopping). */
  badValidations: number;
  /** Validations without progress since the last progress or decay (plateau decay). */
  badSinceDecay: number;
  /**
   * The stop metric at the last validation that made progress: the value the
   * next one must beat by more than `train.minDelta` (Keras' reference `best`).
   * Equals `best` when `minDelta` is 0.
   */
  progressBest: number;
  /** Validation perplexity at the last validation that made progress (the same rule). */
  progressPerplexity: number;
  /** Step of the last validation that made progress (0 before the first). */
  progressStep: number;
}

/** Patience before the first validation. */
export function initialPatience(metric: StopMetric): Patience {
  const worst = metric === 'bleu' ? -Infinity : Infinity;
  return { best: worst, lowestPerplexity: Infinity, badValidations: 0, badSinceDecay: 0, progressBest: worst, progressPerplexity: Infinity, progressStep: 0 };
}

/** The decisions after one validation. */
export interface ValidationVerdict {
  patience: Patience;
  /** The stop metric improved on its best: save the `best/` checkpoint. */
  isBest: boolean;
  /** Multiply the learning rate by `decayFactor` now (schedule `plateau`). */
  decay: boolean;
  /** Stop training: `earlyStoppingPatience` validations in a row without progress. */
  stop: boolean;
}

/**
 * Book-keeping after a validation. A validation makes *progress* when the
 * stop metric beats its value at the last progress **or** the validation
 * perplexity beats its value at the last progress, each by more than
 * `minDelta`; only validations without progress count towards
 * `decayPatience` (plateau decay) and `earlyStoppingPatience`. The best
 * checkpoint (`isBest`) still follows any improvement of the stop metric.
 *
 * Why perplexity too: early in training BLEU is 0 (or noise around a few
 * points) for many validations while the model is still learning fast — a
 * fresh Tatoeba run scored BLEU 0 at its first validations, so a BLEU-only
 * rule halved the learning rate at step 200, just when it mattered most.
 * Perplexity measures that learning from the first step; it stops falling
 * when the model stops learning, which is when decay and early stopping
 * should start counting. With `stopMetric` `perplexity` or `loss` the rule
 * is the usual one.
 *
 * Why `minDelta` (Keras' and Lightning's `min_delta`): a model that has
 * learned its task keeps nudging validation perplexity down in the fourth
 * decimal (1.0019 → 1.0010 → 1.0007 on the built-in dates example), which
 * without a threshold is progress at every validation, so patience never
 * runs out. As in Keras, a validation is compared with the values at the
 * last progress, not with the last validation, so a slow steady improvement
 * still counts once it adds up to more than `minDelta`.
 * @param value the stop metric of this validation; @param perplexity its validation perplexity
 * @param step the step of this validation (recorded as `progressStep` when it makes progress)
 */
export function afterValidation(
  p: Patience,
  value: number,
  perplexity: number,
  tc: Pick<TrainConfig, 'stopMetric' | 'schedule' | 'decayPatience' | 'earlyStoppingPatience'> & Partial<Pick<TrainConfig, 'minDelta'>>,
  step = 0,
): ValidationVerdict {
  const minDelta = tc.minDelta ?? 0;
  const isBest = improves(tc.stopMetric, value, p.best);
  const lowerPerplexity = improves('perplexity', perplexity, p.lowestPerplexity);
  const metricProgress = improves(tc.stopMetric, value, p.progressBest, minDelta);
  const perplexityProgress = improves('perplexity', perplexity, p.progressPerplexity, minDelta);
  const progress = metricProgress || perplexityProgress;
  const next: Patience = {
    best: isBest ? value : p.best,
    lowestPerplexity: lowerPerplexity ? perplexity : p.lowestPerplexity,
    badValidations: progress ? 0 : p.badValidations + 1,
    badSinceDecay: progress ? 0 : p.badSinceDecay + 1,
    progressBest: metricProgress ? value : p.progressBest,
    progressPerplexity: perplexityProgress ? perplexity : p.progressPerplexity,
    progressStep: progress ? step : p.progressStep,
  };
  const decay = tc.schedule === 'plateau' && tc.decayPatience > 0 && next.badSinceDecay >= tc.decayPatience;
  if (decay) next.badSinceDecay = 0;
  const stop = tc.earlyStoppingPatience > 0 && next.badValidations >= tc.earlyStoppingPatience;
  return { patience: next, isBest, decay, stop };
}
