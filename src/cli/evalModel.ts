/**
 * Evaluating one trained model on a test file, as `seq2seq eval` and
 * `seq2seq ablate` do: corpus BLEU, perplexity and BLEU by source length;
 * with `scoreReference`, the references' mean log-probability per token by
 * forced decoding; `evaluateSearchErrors` for `eval --search-errors`.
 */
import * as path from 'path';
import type { Seq2SeqConfig } from '../core/config/config';
import type { EvaluationResult } from '../core/metrics/evaluation';
import type { BleuByLengthRow } from '../core/metrics/bleuByLength';
import type { ReferenceScores, SearchErrorReport } from '../core/metrics/searchErrors';
import type { Translator } from '../core/decoding/translator';

/** Decoding options of an evaluation (absent: the run's config). */
export interface EvalModelOptions {
  /** Beam size (1 = greedy). */
  beam: number;
  /** Sentences per greedy decoding batch. */
  batchSize: number;
  noRepeatNgram?: number;
  repetitionPenalty?: number;
  /** Also score every reference by forced decoding (`ModelEvaluation.references`). */
  scoreReference?: boolean;
}

/** A model's figures on a test file. */
export interface ModelEvaluation {
  result: EvaluationResult;
  byLength: BleuByLengthRow[];
  /** With `scoreReference`: the references' log-probabilities. */
  references?: ReferenceScores;
  /** The checkpoint folder evaluated and its run folder. */
  checkpointDir: string;
  runDir: string;
  config: Seq2SeqConfig;
}

/**
 * The pairs of `testFile` (the run's source and target columns) and their
 * ids in the run's vocabularies.
 * @throws DataError for an unreadable test file
 */
async function readTestPairs(translator: Translator, testFile: string): Promise<{ pairs: { src: string; tgt: string }[]; encoded: { src: number[]; tgt: number[] }[] }> {
  const { readPairs } = await import('../core/data/corpus');
  const { encodeSentence } = await import('../core/data/dataset');
  const cfg = translator.config;
  const pairs = await readPairs(path.resolve(testFile), { srcColumn: cfg.data.srcColumn, tgtColumn: cfg.data.tgtColumn });
  const encoded = pairs.map((p) => ({
    src: encodeSentence(p.src, translator.srcTokenizer, translator.srcVocab).ids,
    tgt: encodeSentence(p.tgt, translator.tgtTokenizer, translator.tgtVocab).ids,
  }));
  return { pairs, encoded };
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
  const { evaluate } = await import('../core/metrics/evaluation');
  const { bleuByLength } = await import('../core/metrics/bleuByLength');
  const translator = await Translator.load(modelPath);
  try {
    const cfg = translator.config;
    const { pairs, encoded } = await readTestPairs(translator, testFile);
    const result = evaluate(translator.model, encoded, pairs.map((p) => p.tgt), translator.tgtVocab, translator.tgtTokenizer, {
      beamSize: opts.beam,
      lengthPenalty: cfg.train.lengthPenalty,
      maxOutputRatio: cfg.train.maxOutputRatio,
      batchSize: opts.batchSize,
      noRepeatNgramSize: opts.noRepeatNgram ?? cfg.train.noRepeatNgramSize,
      repetitionPenalty: opts.repetitionPenalty ?? cfg.train.repetitionPenalty,
    });
    const byLength = bleuByLength(encoded.map((e) => e.src.length), result.hypotheses, result.references);
    const references = opts.scoreReference ? (await import('../core/metrics/searchErrors')).scoreReferences(translator.model, encoded, opts.batchSize) : undefined;
    return { result, byLength, ...(references ? { references } : {}), checkpointDir: translator.checkpointDir, runDir: translator.runDir, config: cfg };
  } finally {
    translator.dispose();
  }
}

/** Options of {@link evaluateSearchErrors}. */
export interface SearchErrorEvalOptions {
  /** Beam sizes (1 = greedy). */
  beams: number[];
  batchSize: number;
  noRepeatNgram?: number;
  repetitionPenalty?: number;
  /** Also score the references (mean log-probability per token). */
  scoreReference?: boolean;
  /** Called after each test sentence. */
  onProgress?: (done: number, total: number) => void;
}

/** `eval --search-errors`: the test set's perplexity and, per beam size, its search-error row. */
export interface SearchErrorEvaluation {
  report: SearchErrorReport;
  /** Teacher-forced perplexity and its loss (as `eval` prints). */
  perplexity: number;
  loss: number;
  sentences: number;
  references?: ReferenceScores;
  checkpointDir: string;
  runDir: string;
  config: Seq2SeqConfig;
}

/**
 * Load `modelPath` and compare, for every test pair and beam size, the
 * search's output with the reference under the search's own score (GNMT
 * length penalty α = the run's `train.lengthPenalty`, the run's repetition
 * rules unless overridden): `searchErrorReport`.
 * @throws CheckpointError for a folder without a usable checkpoint; DataError for an unreadable test file
 */
export async function evaluateSearchErrors(modelPath: string, testFile: string, opts: SearchErrorEvalOptions): Promise<SearchErrorEvaluation> {
  const { Translator } = await import('../core/decoding/translator');
  const { teacherForcedLoss } = await import('../core/metrics/evaluation');
  const { scoreReferences, searchErrorReport } = await import('../core/metrics/searchErrors');
  const translator = await Translator.load(modelPath);
  try {
    const cfg = translator.config;
    const { pairs, encoded } = await readTestPairs(translator, testFile);
    const { loss, perplexity } = teacherForcedLoss(translator.model, encoded, opts.batchSize);
    const references = opts.scoreReference ? scoreReferences(translator.model, encoded, opts.batchSize) : undefined;
    const report = searchErrorReport(translator.model, encoded, pairs.map((p) => p.tgt), translator.tgtVocab, translator.tgtTokenizer, {
      beams: opts.beams,
      lengthPenalty: cfg.train.lengthPenalty,
      maxOutputRatio: cfg.train.maxOutputRatio,
      noRepeatNgramSize: opts.noRepeatNgram ?? cfg.train.noRepeatNgramSize,
      repetitionPenalty: opts.repetitionPenalty ?? cfg.train.repetitionPenalty,
      onProgress: opts.onProgress,
    });
    return { report, perplexity, loss, sentences: pairs.length, ...(references ? { references } : {}), checkpointDir: translator.checkpointDir, runDir: translator.runDir, config: cfg };
  } finally {
    translator.dispose();
  }
}
