/**
 * Evaluation of a model on a set of sentence pairs: teacher-forced loss and
 * perplexity, and corpus BLEU of decoded, detokenized outputs against the
 * (normalised) references. Used for validation during training and by
 * `seq2seq eval`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Batch, EncodedPair, makeBatch, makeBatches } from '../data/batching';
import { normalizeText, Tokenizer } from '../data/tokenizer';
import { EOS_ID, Vocabulary } from '../data/vocabulary';
import { corpusBleu } from './bleu';
import type { AnyModel } from '../model/index';
import { BatchTensors, Seq2SeqModel } from '../model/seq2seq';
import { disposeAll } from '../tensors';
import { Random } from '../random';
import { InferenceModel } from '../decoding/inference';
import { beamSearch, beamSearchFast, greedyDecode, Hypothesis, SourceBatch } from '../decoding/search';

/** Upload a batch's model inputs as tensors (caller disposes); gold outputs and mask stay on the CPU. */
export function batchTensors(b: Batch): BatchTensors {
  return {
    srcIds: tf.tensor2d(b.srcIds, [b.size, b.srcLen], 'int32'),
    srcMask: tf.tensor2d(b.srcMask, [b.size, b.srcLen], 'float32'),
    tgtIn: tf.tensor2d(b.tgtIn, [b.size, b.tgtLen], 'int32'),
    tgtOut: b.tgtOut,
    tgtMask: b.tgtMask,
  };
}

/** Source-side tensors of a batch (caller disposes). */
export function sourceTensors(b: Batch): SourceBatch {
  return {
    srcIds: tf.tensor2d(b.srcIds, [b.size, b.srcLen], 'int32'),
    srcMask: tf.tensor2d(b.srcMask, [b.size, b.srcLen], 'float32'),
    srcLengths: b.srcLengths,
  };
}

/**
 * Teacher-forced loss over pairs, without dropout.
 * @returns total NLL (nats), number of target tokens, mean loss and perplexity = exp(mean loss)
 */
export function teacherForcedLoss(model: AnyModel, pairs: EncodedPair[], batchSize: number): { nll: number; tokens: number; loss: number; perplexity: number } {
  let nll = 0;
  let tokens = 0;
  const random = new Random(0);
  for (const b of makeBatches(pairs, batchSize, { shuffle: false, bucket: true })) {
    const t = batchTensors(b);
    const v = tf.tidy(() => model.loss(t, b.tokens, { training: false, teacherForcing: 1, random }).nllSum.dataSync()[0]);
    disposeAll(t);
    nll += v;
    tokens += b.tokens;
  }
  const loss = tokens > 0 ? nll / tokens : NaN;
  return { nll, tokens, loss, perplexity: Math.exp(loss) };
}

/** Decoding settings. */
export interface DecodeOptions {
  /** 1 = greedy (batched, on the training graph's ops); above 1 = beam search, one sentence at a time on the fast inference path. */
  beamSize: number;
  /** GNMT length penalty α for beam search. */
  lengthPenalty: number;
  /** Output length limit: `ceil(ratio · srcLength) + 5`. */
  maxOutputRatio: number;
  /** Sentences per greedy batch. */
  batchSize: number;
  /** No-repeat n-gram size, greedy and beam (0 or absent = off; `SearchOptions.noRepeatNgramSize`). */
  noRepeatNgramSize?: number;
  /** Repetition penalty θ, greedy and beam (1 or absent = off; `SearchOptions.repetitionPenalty`). */
  repetitionPenalty?: number;
}

/**
 * Decode source sentences (ids without `<eos>`), preserving input order.
 * Greedy decoding runs batched (`greedyDecode`); beam search one sentence at a
 * time on a snapshot of the weights (`InferenceModel`, `beamSearchFast`: the
 * same search as `beamSearch`, several times faster at one sentence) for the
 * recurrent models, on the tensor path (`beamSearch`) for the Transformer.
 * @param shouldStop polled between batches / sentences; decoding ends early (remaining outputs empty) when it returns true
 */
export function decodeAll(model: AnyModel, sources: number[][], opts: DecodeOptions, shouldStop?: () => boolean): Hypothesis[] {
  const out: Hypothesis[] = new Array(sources.length);
  const rules = { noRepeatNgramSize: opts.noRepeatNgramSize, repetitionPenalty: opts.repetitionPenalty };
  if (opts.beamSize > 1 && !(model instanceof Seq2SeqModel)) {
    // No fast path for this family: beam search on the tensor path, one sentence at a time.
    for (let i = 0; i < sources.length && !shouldStop?.(); i++) {
      const s = sourceTensors(makeBatch([{ src: sources[i], tgt: [] }], [0]));
      try {
        out[i] = beamSearch(model, s, opts.beamSize, opts.lengthPenalty, opts.maxOutputRatio, rules);
      } finally {
        tf.dispose([s.srcIds, s.srcMask]);
      }
    }
  } else if (opts.beamSize > 1 && model instanceof Seq2SeqModel) {
    const fast = new InferenceModel(model);
    try {
      for (let i = 0; i < sources.length && !shouldStop?.(); i++) {
        out[i] = beamSearchFast(fast, [...sources[i], EOS_ID], opts.beamSize, opts.lengthPenalty, opts.maxOutputRatio, rules);
      }
    } finally {
      fast.dispose();
    }
  } else {
    const pairs: EncodedPair[] = sources.map((src) => ({ src, tgt: [] }));
    for (const b of makeBatches(pairs, opts.batchSize, { shuffle: false, bucket: true })) {
      if (shouldStop?.()) break;
      const s = sourceTensors(b);
      try {
        const hyps = greedyDecode(model, s, opts.maxOutputRatio, { attention: false, ...rules });
        b.indices.forEach((pos, i) => (out[pos] = hyps[i]));
      } finally {
        tf.dispose([s.srcIds, s.srcMask]);
      }
    }
  }
  for (let i = 0; i < out.length; i++) out[i] ??= { ids: [], attention: [], logProb: 0, score: 0, finished: false };
  return out;
}

/** Result of evaluating a model on a set of pairs. */
export interface EvaluationResult {
  loss: number;
  perplexity: number;
  /** Corpus BLEU (sacreBLEU default settings) of detokenized outputs. */
  bleu: number;
  sentences: number;
  /** Detokenized outputs, in input order. */
  hypotheses: string[];
  /** Normalised references (NFC, optional lowercase, whitespace collapsed), in input order. */
  references: string[];
}

/**
 * Loss, perplexity and BLEU on a set of pairs.
 * @param references raw reference sentences (same order as `pairs`)
 */
export function evaluate(
  model: AnyModel,
  pairs: EncodedPair[],
  references: string[],
  tgtVocab: Vocabulary,
  tgtTokenizer: Tokenizer,
  opts: DecodeOptions,
  shouldStop?: () => boolean,
): EvaluationResult {
  const { loss, perplexity } = teacherForcedLoss(model, pairs, opts.batchSize);
  const hyps = decodeAll(model, pairs.map((p) => p.src), opts, shouldStop);
  return { loss, perplexity, sentences: pairs.length, ...scoreHypotheses(hyps.map((h) => h.ids), references, tgtVocab, tgtTokenizer) };
}

/**
 * Corpus BLEU of decoded token ids against raw references, as `evaluate`
 * scores a model's outputs: ids → tokens → detokenized text, references
 * normalised like the training data, sacreBLEU's default settings. Also for
 * outputs of another system on the same vocabulary (the PyTorch peer of
 * `bench/quality.ts`).
 * @param hypotheses `[sentences][tokens]` target ids without `<bos>`/`<eos>`
 * @param references raw reference sentences, same order
 */
export function scoreHypotheses(
  hypotheses: number[][],
  references: string[],
  tgtVocab: Vocabulary,
  tgtTokenizer: Tokenizer,
): { bleu: number; hypotheses: string[]; references: string[] } {
  const texts = hypotheses.map((ids) => tgtTokenizer.detokenize(tgtVocab.decode(ids)));
  const refs = references.map((r) => normalizeText(r, tgtTokenizer.lowercase));
  return { bleu: texts.length > 0 ? corpusBleu(texts, refs).score : 0, hypotheses: texts, references: refs };
}
