/**
 * Alignment as it is learned: at each validation the trainer records the
 * attention of a few fixed validation sentences — the ones it prints as
 * samples — both for the model's own output and for the reference under
 * forced decoding (its forced alignment, on the same rows at every step),
 * into the `validation` event (`ValidationEvent.alignments`, so into the run
 * folder's `metrics.jsonl` and live to the Training panel), where the
 * Training panel shows them with a step slider.
 *
 * Bounded in size: at most {@link ALIGNMENT_SENTENCES} sentences, each
 * matrix at most {@link ALIGNMENT_MAX_TOKENS} rows and columns (longer
 * sentences are cut, and say so), weights stored as integers in per mille
 * (0–1000): at most 4 × 2 × 40 × 40 cells of at most 4 digits, ≈ 64 KB per
 * validation; 2.9–3.3 KB for the ten-word sentences of the en-fr sample.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { EncodedPair } from '../data/batching';
import { makeBatch } from '../data/batching';
import { EOS, EOS_ID, type Vocabulary } from '../data/vocabulary';
import type { AnyModel } from '../model/index';
import { beamSearch, greedyDecode, type Hypothesis, type SearchOptions } from '../decoding/search';
import { sourceTensors } from '../metrics/evaluation';
import type { RecordedAlignment } from './events';

/** Sentences recorded per validation (the first validation pairs, as the samples). */
export const ALIGNMENT_SENTENCES = 4;
/** Rows and columns kept per recorded matrix. */
export const ALIGNMENT_MAX_TOKENS = 40;

/** A weight in [0, 1] as an integer in per mille. */
function perMille(w: number): number {
  return Math.round(Math.min(1, Math.max(0, w)) * 1000);
}

/** The first `max` rows and columns of `m`, in per mille. */
function quantize(m: number[][], max: number): number[][] {
  return m.slice(0, max).map((row) => row.slice(0, max).map(perMille));
}

/** Decoding settings of the recording (the validation's). */
export interface AlignmentOptions extends SearchOptions {
  beamSize: number;
  lengthPenalty: number;
  maxOutputRatio: number;
}

/**
 * The alignments of `pairs` (the first {@link ALIGNMENT_SENTENCES}): each
 * output decoded as validation decodes it (greedy, or beam search of the
 * run's beam size) with its attention, and each reference forced through the
 * decoder (teacher forcing) with its attention.
 * @returns empty for a model without attention
 */
export function recordAlignments(model: AnyModel, pairs: EncodedPair[], srcVocab: Vocabulary, tgtVocab: Vocabulary, opts: AlignmentOptions): RecordedAlignment[] {
  const chosen = pairs.slice(0, ALIGNMENT_SENTENCES);
  if (!model.hasAttention || chosen.length === 0) return [];
  const rules: SearchOptions = { noRepeatNgramSize: opts.noRepeatNgramSize, repetitionPenalty: opts.repetitionPenalty };
  const batch = makeBatch(chosen, chosen.map((_, i) => i));
  const s = sourceTensors(batch);
  let outputs: Hypothesis[];
  let references: Hypothesis[];
  try {
    references = greedyDecode(model, s, opts.maxOutputRatio, { prefixes: chosen.map((p) => [...p.tgt, EOS_ID]), prefixOnly: true });
    if (opts.beamSize > 1) {
      outputs = chosen.map((p) => {
        const one = sourceTensors(makeBatch([p], [0]));
        try {
          return beamSearch(model, one, opts.beamSize, opts.lengthPenalty, opts.maxOutputRatio, rules);
        } finally {
          tf.dispose([one.srcIds, one.srcMask]);
        }
      });
    } else outputs = greedyDecode(model, s, opts.maxOutputRatio, rules);
  } finally {
    tf.dispose([s.srcIds, s.srcMask]);
  }
  const max = ALIGNMENT_MAX_TOKENS;
  return chosen.map((p, i) => {
    const source = [...srcVocab.decode(p.src), EOS];
    const out = outputs[i];
    const output = [...tgtVocab.decode(out.ids), ...(out.finished ? [EOS] : [])];
    const reference = [...tgtVocab.decode(p.tgt), EOS];
    const ref = references[i];
    const truncated = source.length > max || output.length > max || reference.length > max;
    return {
      source: source.slice(0, max),
      output: output.slice(0, max),
      outputAttention: quantize(out.attention, max),
      reference: reference.slice(0, max),
      referenceAttention: quantize(ref.attention, max),
      referenceLogProb: Math.round((ref.logProb / Math.max(1, ref.tokenLogProbs?.length ?? 1)) * 1000) / 1000,
      ...(truncated ? { truncated: true } : {}),
    };
  });
}
