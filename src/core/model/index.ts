/**
 * The one place that chooses the model family from the config
 * (`model.type`). The interface every family implements lives in
 * `src/core/model/types.ts` (re-exported here); the trainer, evaluation, the
 * translator, data-parallel replicas and the search
 * (`src/core/decoding/search.ts`) use only that interface.
 */
import type { ModelConfig, ModelType } from '../config/config';
import type { AnyModel } from './types';
import { Seq2SeqModel } from './seq2seq';
import { TransformerModel } from './transformer/model';

export type { AnyModel, BatchTensors, LossOptions, LossResult, StepHeads, StepOutput, TranslationModel } from './types';

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
