/**
 * Inference with a trained model: load a run folder (or checkpoint folder),
 * translate sentences with greedy or beam search, and expose what the
 * attention view needs: source and target tokens (unknown source words shown
 * as `<unk>`), the attention matrix `[targetLen, sourceLen]` and the top
 * candidates per target step.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../kernels/backend';
import { loadCheckpoint, loadRunTokenizers, readRunManifest, resolveModelPath, RunManifest } from '../runs/checkpoint';
import * as path from 'path';
import { DEFAULT_TRAIN, type Seq2SeqConfig } from '../config/config';
import { checkRunConfig } from '../config/configLoader';
import { makeBatch } from '../data/batching';
import { encodeSentence } from '../data/dataset';
import type { Tokenizer } from '../data/tokenizer';
import { BpeTokenizer, subwordWordIndex } from '../data/bpe';
import { EOS, Vocabulary } from '../data/vocabulary';
import { sourceTensors } from '../metrics/evaluation';
import { AnyModel, createModel } from '../model/index';
import { InferenceModel } from './inference';
import { Seq2SeqModel } from '../model/seq2seq';
import { BeamTreeRecorder, type BeamNodeStatus } from './beamTree';
import { AttentionHeads, beamSearchFastNBest, beamSearchNBest, greedyDecode, greedyDecodeFast, Hypothesis } from './search';

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
  /** Attention weights `[targetTokens.length][sourceTokens.length]`; empty for attention `none`. For the Transformer: its last layer's cross-attention averaged over heads. */
  attention: number[][];
  /**
   * The Transformer's every layer and head (see `AttentionHeads` in
   * `src/core/decoding/search.ts`; T = `targetTokens.length`, S = `sourceTokens.length`):
   * cross `[layers][heads][T][S]`, decoder self `[layers][heads][T][T]`
   * (columns: the decoder inputs `<bos>`, then the output tokens), encoder self
   * `[layers][heads][S][S]`. Absent for the recurrent models.
   */
  heads?: AttentionHeads;
  /** Per target step, the top candidates (token and probability). */
  candidates: { token: string; prob: number }[][];
  /** Sum of the output's token log-probabilities (nats). */
  logProb: number;
  /**
   * The score the search ranked it by: `logProb` less the repetition
   * penalties, divided by the GNMT length penalty for beam search (see
   * `src/core/decoding/search.ts`). Absent on a blank line's result.
   */
  score?: number;
  /**
   * `bpe` runs only: the word each source token belongs to,
   * `[sourceTokens.length]` indices 0, 1, … (`subwordWordIndex`), for showing
   * subwords merged into words.
   */
  sourceWords?: number[];
  /** `bpe` runs only: the word each target token belongs to, `[targetTokens.length]`. */
  targetWords?: number[];
  /** With `nBest` > 1: the n best hypotheses, best first (the first is this translation). */
  nBest?: NBestEntry[];
  /** With `beamTree` and a beam above 1: the search tree (see `src/core/decoding/beamTree.ts`). */
  beamTree?: BeamTreeView;
}

/** The recorded tree of a beam search, with tokens as text, for the attention view and `--json`. */
export interface BeamTreeView {
  beamSize: number;
  /** Node 0 is the root (`<bos>`); a node's parent comes before it. */
  nodes: { parent: number; step: number; token: string; logProb: number; score: number; status: BeamNodeStatus; finished?: number }[];
  /** Every finished hypothesis, in the order it finished, with its alignment `[tokens.length][sourceTokens.length]`. */
  finished: { node: number; text: string; tokens: string[]; attention: number[][]; score: number; logProb: number; targetWords?: number[] }[];
  /** Node of the returned translation (the best finished hypothesis, or the best live beam when none finished). */
  winner: number;
}

/** One of the n best outputs of beam search. */
export interface NBestEntry {
  /** The detokenized output. */
  text: string;
  /** Output tokens, then `<eos>` when the decoder produced it. */
  tokens: string[];
  /** Length-penalised search score (higher is better; the list is in non-increasing order). */
  score: number;
  /** Sum of the output's token log-probabilities (nats). */
  logProb: number;
}

/** Options for `Translator.translate`. */
export interface TranslateOptions {
  /** 1 = greedy; default: the run's `train.beamSize`. */
  beamSize?: number;
  /** GNMT length penalty α; default: the run's `train.lengthPenalty`. */
  lengthPenalty?: number;
  /** Return the n best (in `Translation.nBest`, when above 1); the beam is widened to at least n. Default: the run's `train.nBest`. */
  nBest?: number;
  /** No-repeat n-gram size (0 = off); default: the run's `train.noRepeatNgramSize`. */
  noRepeatNgramSize?: number;
  /** Repetition penalty θ (1 = off); default: the run's `train.repetitionPenalty`. */
  repetitionPenalty?: number;
  /**
   * Record every layer and head of a Transformer's attention in
   * `Translation.heads` (default true: the attention view and `--json` show
   * them; false spares copying them off the device at every step).
   */
  heads?: boolean;
  /** Record the beam search tree in `Translation.beamTree` (beam size above 1 only). */
  beamTree?: boolean;
  /** How many candidates per step to report (default 5; 0 = none). */
  topK?: number;
  /**
   * `fast` (default): the inference path of `src/core/decoding/inference.ts`
   * (small products on the CPU, one output-projection matMul per step);
   * `tensor`: the training graph's TensorFlow.js ops (`greedyDecode` /
   * `beamSearch`), the reference the fast path is tested against. Both give
   * the same tokens up to float32 rounding. The Transformer has no fast
   * path and always decodes on the tensor path.
   */
  engine?: 'fast' | 'tensor';
}

/** A loaded model ready to translate. Call `dispose()` to free its tensors. */
export class Translator {
  private constructor(
    readonly model: AnyModel,
    readonly manifest: RunManifest,
    readonly srcVocab: Vocabulary,
    readonly tgtVocab: Vocabulary,
    readonly srcTokenizer: Tokenizer,
    readonly tgtTokenizer: Tokenizer,
    /** Folder of the checkpoint in use. */
    readonly checkpointDir: string,
    /** Run folder. */
    readonly runDir: string,
    /** Weight snapshot for the fast inference path (recurrent models; the Transformer decodes on the tensor path). */
    private readonly inference: InferenceModel | undefined,
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
    const recorded = await readRunManifest(runDir);
    const manifest = { ...recorded, config: checkRunConfig(recorded.config, path.join(runDir, 'run.json')) };
    const tokenizers = await loadRunTokenizers(runDir, manifest);
    const srcVocab = Vocabulary.fromJSON(manifest.srcVocab);
    const tgtVocab = Vocabulary.fromJSON(manifest.tgtVocab);
    const model = createModel(manifest.config.model, srcVocab.size, tgtVocab.size, manifest.config.train.seed);
    let inference: InferenceModel | undefined;
    try {
      // Checked against the model's names and shapes before any stored value is read.
      const ckpt = await loadCheckpoint(checkpointDir, { weights: model.params.specs });
      model.params.import(ckpt.weights);
      if (model instanceof Seq2SeqModel) inference = new InferenceModel(model, { simd: opts.simd });
    } catch (e) {
      model.dispose();
      throw e;
    }
    return new Translator(
      model,
      manifest,
      srcVocab,
      tgtVocab,
      tokenizers.src,
      tokenizers.tgt,
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
    const tc = this.config.train;
    const nBest = opts.nBest ?? tc.nBest ?? DEFAULT_TRAIN.nBest;
    const beamSize = Math.max(opts.beamSize ?? tc.beamSize, nBest);
    const alpha = opts.lengthPenalty ?? tc.lengthPenalty;
    const topK = opts.topK ?? 5;
    const search = {
      topK: topK || undefined,
      noRepeatNgramSize: opts.noRepeatNgramSize ?? tc.noRepeatNgramSize ?? DEFAULT_TRAIN.noRepeatNgramSize,
      repetitionPenalty: opts.repetitionPenalty ?? tc.repetitionPenalty ?? DEFAULT_TRAIN.repetitionPenalty,
      heads: opts.heads ?? true,
    };
    const { tokens: srcTokens, ids } = encodeSentence(text, this.srcTokenizer, this.srcVocab);
    const batch = makeBatch([{ src: ids, tgt: [] }], [0]);
    const ratio = tc.maxOutputRatio;
    let hyps: Hypothesis[];
    const tree = opts.beamTree && beamSize > 1 ? new BeamTreeRecorder() : undefined;
    if (opts.engine !== 'tensor' && this.inference) {
      // The batch's source row: the sentence's ids followed by <eos>, no padding.
      const src = Array.from(batch.srcIds.subarray(0, batch.srcLengths[0]));
      hyps = beamSize > 1 ? beamSearchFastNBest(this.inference, src, beamSize, alpha, ratio, { ...search, nBest, tree }) : [greedyDecodeFast(this.inference, src, ratio, search)];
    } else {
      const s = sourceTensors(batch);
      try {
        hyps = beamSize > 1 ? beamSearchNBest(this.model, s, beamSize, alpha, ratio, { ...search, nBest, tree }) : greedyDecode(this.model, s, ratio, search);
      } finally {
        tf.dispose([s.srcIds, s.srcMask]);
      }
    }
    const tokensOf = (h: Hypothesis) => {
      const words = this.tgtVocab.decode(h.ids);
      return { words, tokens: h.finished ? [...words, EOS] : words };
    };
    const hyp = hyps[0];
    const best = tokensOf(hyp);
    return {
      source: text,
      text: this.tgtTokenizer.detokenize(best.words),
      sourceTokens: [...this.srcVocab.decode(ids), EOS],
      targetTokens: best.tokens,
      attention: hyp.attention,
      ...(hyp.heads ? { heads: hyp.heads } : {}),
      candidates: (hyp.candidates ?? []).map((row) => row.map((c) => ({ token: this.tgtVocab.tokenOf(c.id), prob: c.prob }))),
      logProb: hyp.logProb,
      score: hyp.score,
      ...(this.srcTokenizer instanceof BpeTokenizer ? { sourceWords: subwordWordIndex([...srcTokens, EOS]) } : {}),
      ...(this.tgtTokenizer instanceof BpeTokenizer ? { targetWords: subwordWordIndex(best.tokens) } : {}),
      ...(nBest > 1
        ? {
            nBest: hyps.map((h) => {
              const t = tokensOf(h);
              return { text: this.tgtTokenizer.detokenize(t.words), tokens: t.tokens, score: h.score, logProb: h.logProb };
            }),
          }
        : {}),
      ...(tree
        ? {
            beamTree: {
              beamSize,
              nodes: tree.nodes.map((n) => ({ ...n, token: this.tgtVocab.tokenOf(n.token) })),
              finished: tree.finished.map(({ node, hypothesis: h }) => {
                const t = tokensOf(h);
                return {
                  node,
                  text: this.tgtTokenizer.detokenize(t.words),
                  tokens: t.tokens,
                  attention: h.attention,
                  score: h.score,
                  logProb: h.logProb,
                  ...(this.tgtTokenizer instanceof BpeTokenizer ? { targetWords: subwordWordIndex(t.tokens) } : {}),
                };
              }),
              winner: tree.winner,
            },
          }
        : {}),
    };
  }

  dispose(): void {
    this.inference?.dispose();
    this.model.dispose();
  }
}
