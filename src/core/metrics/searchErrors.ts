/**
 * Forced decoding over a test set: the references' log-probability
 * (`scoreReferences`, fairseq's `--score-reference`) and, per beam size, how
 * many outputs are search errors, model errors, exact or empty
 * (`searchErrorReport`, after Stahlberg & Byrne 2019, "On NMT Search Errors
 * and Model Errors: Cat Got Your Tongue?"). Used by `seq2seq eval
 * --score-reference` and `--search-errors`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { EncodedPair, makeBatches } from '../data/batching';
import type { Tokenizer } from '../data/tokenizer';
import type { Vocabulary } from '../data/vocabulary';
import type { AnyModel } from '../model/index';
import { Seq2SeqModel } from '../model/seq2seq';
import { InferenceModel } from '../decoding/inference';
import { fastSentence, forceTarget, judgeOutput, tensorSentence, type OutputVerdict, type SentenceSearch } from '../decoding/forced';
import { greedyDecode } from '../decoding/search';
import { EOS_ID } from '../data/vocabulary';
import { sourceTensors, scoreHypotheses } from './evaluation';

/** The references' log-probability under the model, by forced decoding. */
export interface ReferenceScores {
  /** Per pair, log p(y | x) of its reference, `<eos>` included (nats). */
  logProbs: number[];
  /** Per pair, the reference's tokens counted (its length + 1 for `<eos>`). */
  tokens: number[];
  /** Σ `logProbs` (nats). */
  total: number;
  /** Σ `tokens`. */
  totalTokens: number;
  /** `total / totalTokens`: the mean log-probability per reference token. */
  perToken: number;
  /** exp(−`perToken`): the test set's perplexity. */
  perplexity: number;
}

/**
 * The log-probability of every pair's reference (`tgt`) given its source, by
 * forced decoding on the tensor engine in batches (each row forced through
 * its own reference and `<eos>`). No repetition rules: this is the model's
 * probability (its mean's negation's exp is the perplexity the trainer reports).
 * @param shouldStop polled between batches; the pairs not reached are left out of the totals
 */
export function scoreReferences(model: AnyModel, pairs: EncodedPair[], batchSize: number, shouldStop?: () => boolean): ReferenceScores {
  const logProbs = new Array<number>(pairs.length).fill(NaN);
  const tokens = pairs.map((p) => p.tgt.length + 1);
  for (const b of makeBatches(pairs, batchSize, { shuffle: false, bucket: true })) {
    if (shouldStop?.()) break;
    const s = sourceTensors(b);
    try {
      const hyps = greedyDecode(model, s, 1, { attention: false, prefixes: b.indices.map((i) => [...pairs[i].tgt, EOS_ID]), prefixOnly: true });
      b.indices.forEach((pos, i) => (logProbs[pos] = hyps[i].logProb));
    } finally {
      tf.dispose([s.srcIds, s.srcMask]);
    }
  }
  let total = 0;
  let totalTokens = 0;
  logProbs.forEach((lp, i) => {
    if (Number.isNaN(lp)) return;
    total += lp;
    totalTokens += tokens[i];
  });
  const perToken = totalTokens > 0 ? total / totalTokens : NaN;
  return { logProbs, tokens, total, totalTokens, perToken, perplexity: Math.exp(-perToken) };
}

/** One beam size's row of the search-error table. */
export interface SearchErrorRow {
  /** 1 = greedy search. */
  beamSize: number;
  /** Corpus BLEU of the outputs (sacreBLEU settings, detokenized). */
  bleu: number;
  sentences: number;
  /** Outputs equal to the reference, token for token. */
  correct: number;
  /** The model scores the reference above the output under the search's own score (same length penalty and rules). */
  searchErrors: number;
  /** Wrong outputs the model scores at least as high as the reference. */
  modelErrors: number;
  /** Outputs with no token (the search chose `<eos>` first). */
  empty: number;
  /** Mean output score and mean reference score under this beam's scoring. */
  meanOutputScore: number;
  meanReferenceScore: number;
}

/** Options of {@link searchErrorReport}. */
export interface SearchErrorOptions {
  /** Beam sizes to compare (1 = greedy). */
  beams: number[];
  lengthPenalty: number;
  maxOutputRatio: number;
  noRepeatNgramSize?: number;
  repetitionPenalty?: number;
  /** Called after each sentence with the sentences done. */
  onProgress?: (done: number, total: number) => void;
  shouldStop?: () => boolean;
}

/** What {@link searchErrorReport} found. */
export interface SearchErrorReport {
  rows: SearchErrorRow[];
  /** Per beam size (same order as `rows`), per sentence: the verdict. */
  verdicts: OutputVerdict[][];
  /** Which engine decoded: `fast` (recurrent models) or `tensor` (the Transformer). */
  engine: 'fast' | 'tensor';
}

/**
 * For every test pair and beam size: decode (greedy at 1, beam search
 * above), score the reference by forced decoding under the same score — the
 * sum of log-probabilities less the repetition penalties, divided by the GNMT
 * length penalty for beams above 1 — and classify the output (`judgeOutput`):
 * exact, search error (the reference scores higher: the search missed a
 * sentence the model prefers), model error, and whether it is empty. One
 * engine decodes and scores everything, so a verdict never turns on float
 * rounding between engines: the fast engine for recurrent models, the tensor
 * engine for the Transformer. Sentences are decoded one at a time.
 * @param references raw reference sentences (for BLEU), in `pairs` order
 * @throws RangeError for a beam size below 1
 */
export function searchErrorReport(
  model: AnyModel,
  pairs: EncodedPair[],
  references: string[],
  tgtVocab: Vocabulary,
  tgtTokenizer: Tokenizer,
  opts: SearchErrorOptions,
): SearchErrorReport {
  for (const k of opts.beams) if (!Number.isInteger(k) || k < 1) throw new RangeError(`beam sizes must be positive integers (got ${k})`);
  const fast = model instanceof Seq2SeqModel ? new InferenceModel(model) : undefined;
  const rules = { noRepeatNgramSize: opts.noRepeatNgramSize, repetitionPenalty: opts.repetitionPenalty };
  const outputs = opts.beams.map(() => [] as number[][]);
  const verdicts = opts.beams.map(() => [] as OutputVerdict[]);
  const counts = opts.beams.map(() => ({ correct: 0, searchErrors: 0, modelErrors: 0, empty: 0, output: 0, reference: 0 }));
  let done = 0;
  try {
    for (const p of pairs) {
      if (opts.shouldStop?.()) break;
      const sentence: SentenceSearch = fast ? fastSentence(fast, p.src, opts.maxOutputRatio) : tensorSentence(model, p.src, opts.maxOutputRatio);
      try {
        opts.beams.forEach((k, b) => {
          const scoring = { beamSize: k, lengthPenalty: opts.lengthPenalty, ...rules };
          const out = sentence.search(k, opts.lengthPenalty, rules)[0];
          const ref = forceTarget(sentence, p.tgt, scoring);
          const verdict = judgeOutput(out, ref);
          const c = counts[b];
          if (verdict === 'correct') c.correct++;
          else if (verdict === 'search-error') c.searchErrors++;
          else c.modelErrors++;
          if (out.ids.length === 0) c.empty++;
          c.output += out.score;
          c.reference += ref.score;
          outputs[b].push(out.ids);
          verdicts[b].push(verdict);
        });
      } finally {
        sentence.dispose();
      }
      done++;
      opts.onProgress?.(done, pairs.length);
    }
  } finally {
    fast?.dispose();
  }
  const refs = references.slice(0, done);
  const rows = opts.beams.map((beamSize, b) => {
    const c = counts[b];
    return {
      beamSize,
      bleu: scoreHypotheses(outputs[b], refs, tgtVocab, tgtTokenizer).bleu,
      sentences: done,
      correct: c.correct,
      searchErrors: c.searchErrors,
      modelErrors: c.modelErrors,
      empty: c.empty,
      meanOutputScore: done ? c.output / done : NaN,
      meanReferenceScore: done ? c.reference / done : NaN,
    };
  });
  return { rows, verdicts, engine: fast ? 'fast' : 'tensor' };
}
