/**
 * Inference with a trained model: load a run folder (or checkpoint folder),
 * translate sentences with greedy or beam search, and expose what the
 * attention view needs: source and target tokens (unknown source words shown
 * as `<unk>`), the attention matrix `[targetLen, sourceLen]` and the top
 * candidates per target step.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from './backend';
import { loadCheckpoint, readRunManifest, resolveModelPath, RunManifest } from './checkpoint';
import type { Seq2SeqConfig } from './config';
import { makeBatch } from './data/batching';
import { encodeSentence } from './data/dataset';
import { Tokenizer, tokenizerFromJSON } from './data/tokenizer';
import { EOS, Vocabulary } from './data/vocabulary';
import { sourceTensors } from './evaluation';
import { InferenceModel } from './model/inference';
import { Seq2SeqModel } from './model/seq2seq';
import { beamSearch, beamSearchFast, greedyDecode, greedyDecodeFast, Hypothesis } from './search';

/** One translated sentence with everything needed to show how it was produced. */
export interface Translation {
  /** The input text. */
  source: string;
  /** The detokenized output. */
  text: string;
  /** Source tokens as the model saw them: out-of-vocabulary tokens replaced by `<unk>`, then `<eos>`. */
  sourceTokens: string[];
  /** Output tokens, then `<eos>` when the decoder produced it. */
  targetTokens: string[];
  /** Attention weights `[targetTokens.length][sourceTokens.length]`; empty for attention `none`. */
  attention: number[][];
  /** Per target step, the top candidates (token and probability). */
  candidates: { token: string; prob: number }[][];
  /** Sum of the output's token log-probabilities (nats). */
  logProb: number;
}

/** Options for `Translator.translate`. */
export interface TranslateOptions {
  /** 1 = greedy; default: the run's `train.beamSize`. */
  beamSize?: number;
  /** GNMT length penalty α; default: the run's `train.lengthPenalty`. */
  lengthPenalty?: number;
  /** How many candidates per step to report (default 5; 0 = none). */
  topK?: number;
  /**
   * `fast` (default): the inference path of `src/core/model/inference.ts`
   * (small products on the CPU, one output-projection matMul per step);
   * `tensor`: the training graph's TensorFlow.js ops (`greedyDecode` /
   * `beamSearch`), the reference the fast path is tested against. Both give
   * the same tokens up to float32 rounding.
   */
  engine?: 'fast' | 'tensor';
}

/** A loaded model ready to translate. Call `dispose()` to free its tensors. */
export class Translator {
  private constructor(
    readonly model: Seq2SeqModel,
    readonly manifest: RunManifest,
    readonly srcVocab: Vocabulary,
    readonly tgtVocab: Vocabulary,
    readonly srcTokenizer: Tokenizer,
    readonly tgtTokenizer: Tokenizer,
    /** Folder of the checkpoint in use. */
    readonly checkpointDir: string,
    /** Run folder. */
    readonly runDir: string,
    /** Weight snapshot for the fast inference path. */
    private readonly inference: InferenceModel,
  ) {}

  /** The run's config. */
  get config(): Seq2SeqConfig {
    return this.manifest.config;
  }

  /**
   * Load a model for inference.
   * @param modelPath a run folder (its `best/` checkpoint, else `last/`) or a checkpoint folder
   * @param opts.simd false to run the fast engine without its SIMD kernels (see `InferenceOptions.simd`; for comparison)
   * @throws CheckpointError when no usable checkpoint is there; WeightsMismatchError when weights do not fit the config
   */
  static async load(modelPath: string, opts: { simd?: boolean } = {}): Promise<Translator> {
    await initBackend();
    const { runDir, checkpointDir } = await resolveModelPath(modelPath);
    const manifest = await readRunManifest(runDir);
    const srcVocab = Vocabulary.fromJSON(manifest.srcVocab);
    const tgtVocab = Vocabulary.fromJSON(manifest.tgtVocab);
    const model = new Seq2SeqModel(manifest.config.model, srcVocab.size, tgtVocab.size, manifest.config.train.seed);
    let inference: InferenceModel;
    try {
      // Checked against the model's names and shapes before any stored value is read.
      const ckpt = await loadCheckpoint(checkpointDir, { weights: model.params.specs });
      model.params.import(ckpt.weights);
      inference = new InferenceModel(model, { simd: opts.simd });
    } catch (e) {
      model.dispose();
      throw e;
    }
    return new Translator(
      model,
      manifest,
      srcVocab,
      tgtVocab,
      tokenizerFromJSON(manifest.srcTokenizer),
      tokenizerFromJSON(manifest.tgtTokenizer),
      checkpointDir,
      runDir,
      inference,
    );
  }

  /**
   * Translate one sentence.
   * @param text source sentence (raw text; normalised and tokenized as in training)
   */
  translate(text: string, opts: TranslateOptions = {}): Translation {
    const beamSize = opts.beamSize ?? this.config.train.beamSize;
    const alpha = opts.lengthPenalty ?? this.config.train.lengthPenalty;
    const topK = opts.topK ?? 5;
    const { ids } = encodeSentence(text, this.srcTokenizer, this.srcVocab);
    const batch = makeBatch([{ src: ids, tgt: [] }], [0]);
    const ratio = this.config.train.maxOutputRatio;
    let hyp: Hypothesis;
    if (opts.engine !== 'tensor') {
      // The batch's source row: the sentence's ids followed by <eos>, no padding.
      const src = Array.from(batch.srcIds.subarray(0, batch.srcLengths[0]));
      hyp =
        beamSize > 1
          ? beamSearchFast(this.inference, src, beamSize, alpha, ratio, { topK: topK || undefined })
          : greedyDecodeFast(this.inference, src, ratio, { topK: topK || undefined });
    } else {
      const s = sourceTensors(batch);
      try {
        hyp =
          beamSize > 1
            ? beamSearch(this.model, s, beamSize, alpha, ratio, { topK: topK || undefined })
            : greedyDecode(this.model, s, ratio, { topK: topK || undefined })[0];
      } finally {
        tf.dispose([s.srcIds, s.srcMask]);
      }
    }
    const targetTokens = this.tgtVocab.decode(hyp.ids);
    return {
      source: text,
      text: this.tgtTokenizer.detokenize(targetTokens),
      sourceTokens: [...this.srcVocab.decode(ids), EOS],
      targetTokens: hyp.finished ? [...targetTokens, EOS] : targetTokens,
      attention: hyp.attention,
      candidates: (hyp.candidates ?? []).map((row) => row.map((c) => ({ token: this.tgtVocab.tokenOf(c.id), prob: c.prob }))),
      logProb: hyp.logProb,
    };
  }

  dispose(): void {
    this.inference.dispose();
    this.model.dispose();
  }
}
