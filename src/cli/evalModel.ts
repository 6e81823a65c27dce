/**
 * Evaluating one trained model on a test file, as `seq2seq eval` and
 * `seq2seq ablate` do: corpus BLEU, perplexity and BLEU by source length.
 */
import * as path from 'path';
import type { Seq2SeqConfig } from '../core/config/config';
import type { EvaluationResult } from '../core/metrics/evaluation';
import type { BleuByLengthRow } from '../core/metrics/bleuByLength';

/** Decoding options of an evaluation (absent: the run's config). */
export interface EvalModelOptions {
  /** Beam size (1 = greedy). */
  beam: number;
  /** Sentences per greedy decoding batch. */
  batchSize: number;
  noRepeatNgram?: number;
  repetitionPenalty?: number;
}

/** A model's figures on a test file. */
export interface ModelEvaluation {
  result: EvaluationResult;
  byLength: BleuByLengthRow[];
  /** The checkpoint folder evaluated and its run folder. */
  checkpointDir: string;
  runDir: string;
  config: Seq2SeqConfig;
}

/**
 * Load `modelPath` (a run folder, whose best/ is used, or a checkpoint
 * folder), translate every source line of `testFile` and score the output.
 * Source length for the by-length rows: tokens as the model's tokenizer
 * splits the source, without `<eos>`.
 * @throws CheckpointError for a folder without a usable checkpoint; DataError for an unreadable test file
 */
export async function evaluateModel(modelPath: string, testFile: string, opts: EvalModelOptions): Promise<ModelEvaluation> {
  const { Translator } = await import('../core/decoding/translator');
  const { readPairs } = await import('../core/data/corpus');
  const { evaluate } = await import('../core/metrics/evaluation');
  const { encodeSentence } = await import('../core/data/dataset');
  const { bleuByLength } = await import('../core/metrics/bleuByLength');
  const translator = await Translator.load(modelPath);
  try {
    const cfg = translator.config;
    const pairs = await readPairs(path.resolve(testFile), { srcColumn: cfg.data.srcColumn, tgtColumn: cfg.data.tgtColumn });
    const encoded = pairs.map((p) => ({
      src: encodeSentence(p.src, translator.srcTokenizer, translator.srcVocab).ids,
      tgt: encodeSentence(p.tgt, translator.tgtTokenizer, translator.tgtVocab).ids,
    }));
    const result = evaluate(translator.model, encoded, pairs.map((p) => p.tgt), translator.tgtVocab, translator.tgtTokenizer, {
      beamSize: opts.beam,
      lengthPenalty: cfg.train.lengthPenalty,
      maxOutputRatio: cfg.train.maxOutputRatio,
      batchSize: opts.batchSize,
      noRepeatNgramSize: opts.noRepeatNgram ?? cfg.train.noRepeatNgramSize,
      repetitionPenalty: opts.repetitionPenalty ?? cfg.train.repetitionPenalty,
    });
    const byLength = bleuByLength(encoded.map((e) => e.src.length), result.hypotheses, result.references);
    return { result, byLength, checkpointDir: translator.checkpointDir, runDir: translator.runDir, config: cfg };
  } finally {
    translator.dispose();
  }
}
