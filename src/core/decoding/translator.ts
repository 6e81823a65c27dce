/**
 * Inference with a trained model: load a run folder (or checkpoint folder),
 * translate sentences with greedy or beam search, and expose what the
 * attention view needs: source and target tokens (unknown source words shown
 * as `<unk>`), the attention matrix `[targetLen, sourceLen]`, the top
 * candidates per target step, per-token log-probabilities and the coverage of
 * each source token. Forced decoding (`src/core/decoding/forced.ts`) adds
 * what-if decoding (`TranslateOptions.prefix`) and the analysis of a reference
 * translation (`TranslateOptions.reference`: its score, forced alignment,
 * exposure-bias tracks, search error or model error, where it fell out of the
 * beam).
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../kernels/backend';
import { loadCheckpoint, loadRunTokenizers, readRunManifest, resolveModelPath, RunManifest } from '../runs/checkpoint';
import * as path from 'path';
import { DEFAULT_TRAIN, type Seq2SeqConfig } from '../config/config';
import { checkRunConfig } from '../config/configLoader';
import { encodeSentence } from '../data/dataset';
import type { Tokenizer } from '../data/tokenizer';
import { BpeTokenizer, subwordWordIndex } from '../data/bpe';
import { EOS, EOS_ID, UNK, Vocabulary } from '../data/vocabulary';
import { AnyModel, createModel } from '../model/index';
import { InferenceModel } from './inference';
import { Seq2SeqModel } from '../model/seq2seq';
import { BeamTreeRecorder, referenceFallOut, type BeamFallOut, type BeamNodeStatus } from './beamTree';
import type { AttentionHeads, Hypothesis } from './search';
import { continueAfter, coverage, exposureBias, fastSentence, forceTarget, judgeOutput, tensorSentence, type OutputVerdict, type ScoringOptions, type SentenceSearch } from './forced';

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
  /** Per target token, log p(y_t | y_<t, x) (nats); sums to `logProb`. Absent on a blank line's result. */
  tokenLogProbs?: number[];
  /**
   * Per source token, the attention it received summed over the target steps
   * (Tu et al. 2016; `coverage` in `src/core/decoding/forced.ts`): sums to
   * `targetTokens.length`. Absent without attention.
   */
  coverage?: number[];
  /**
   * What-if decoding (`TranslateOptions.prefix`): the forced first tokens as
   * the model read them, and the words among them outside the target
   * vocabulary (forced as `<unk>`).
   */
  prefix?: { tokens: string[]; unknown: string[] };
  /** With `TranslateOptions.reference`: the reference scored and compared with this output. */
  reference?: ReferenceAnalysis;
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

/**
 * A reference translation scored by forced decoding and set beside the
 * model's output (`Translation.reference`).
 */
export interface ReferenceAnalysis {
  /** The reference as given. */
  text: string;
  /** Its tokens as the model read them (outside the vocabulary: `<unk>`), then `<eos>`. */
  tokens: string[];
  /** Reference words outside the target vocabulary (scored as `<unk>`). */
  unknown: string[];
  /** `bpe` runs only: the word each token belongs to. */
  targetWords?: number[];
  /** log p(y_t | y_<t, x) of each token under teacher forcing (nats), `[tokens.length]`. */
  tokenLogProbs: number[];
  /** Σ `tokenLogProbs` (nats). */
  logProb: number;
  /** `logProb / tokens.length`: mean log-probability per token. */
  perToken: number;
  /**
   * The reference's score under the translation's own search (beam size,
   * GNMT length penalty, repetition rules), comparable with `Translation.score`.
   */
  score: number;
  /** Forced alignment: the attention at each reference step `[tokens.length][sourceTokens.length]` (empty without attention). */
  attention: number[][];
  /** Coverage of the source tokens under the forced alignment. */
  coverage?: number[];
  /** The model's top candidates at each reference step (teacher forced). */
  candidates: { token: string; prob: number }[][];
  /** The translation against the reference: `correct`, `search-error` or `model-error` (`judgeOutput`). */
  verdict: OutputVerdict;
  /**
   * Exposure bias: per reference step, log p(y_t | y_<t, x) (`teacherForced`,
   * what training sees) and log p(y_t | ŷ_<t, x) after greedy search's own
   * prefix (`ownPrefix`, what inference sees; null after greedy's output
   * ended), the first step where greedy leaves the reference (−1: never),
   * and greedy's output tokens.
   */
  exposure: { teacherForced: number[]; ownPrefix: (number | null)[]; divergence: number; greedyTokens: string[] };
  /** With `TranslateOptions.referenceBeams`: per beam size, its output against the reference under that beam's score. */
  searchErrors?: SearchErrorEntry[];
  /** With `TranslateOptions.referenceTreeBeam`: that beam search's tree and where the reference fell out of it (null: it was kept to its end). */
  tree?: { view: BeamTreeView; fallOut: BeamFallOut | null };
}

/** One beam size's output for one sentence, against its reference. */
export interface SearchErrorEntry {
  beamSize: number;
  text: string;
  tokens: string[];
  /** The output's score and the reference's, under this beam's score. */
  score: number;
  referenceScore: number;
  verdict: OutputVerdict;
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
   * What-if decoding: the output must start with these target tokens —
   * `tokens` as the target vocabulary spells them (e.g. taken from a
   * translation), then `text` tokenized as the training targets were — and
   * the search chooses the rest. Words outside the vocabulary are forced as
   * `<unk>` (`Translation.prefix.unknown` names them).
   */
  prefix?: { tokens?: string[]; text?: string };
  /** A reference translation to score by forced decoding and compare with the output (`Translation.reference`). */
  reference?: string;
  /** With `reference`: also decode with these beam sizes and judge each output against the reference. */
  referenceBeams?: number[];
  /** With `reference`: record this beam size's search tree (≥ 2) and where the reference fell out of it. */
  referenceTreeBeam?: number;
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
    const scoring: ScoringOptions = {
      beamSize,
      lengthPenalty: alpha,
      noRepeatNgramSize: opts.noRepeatNgramSize ?? tc.noRepeatNgramSize ?? DEFAULT_TRAIN.noRepeatNgramSize,
      repetitionPenalty: opts.repetitionPenalty ?? tc.repetitionPenalty ?? DEFAULT_TRAIN.repetitionPenalty,
    };
    const { tokens: srcTokens, ids } = encodeSentence(text, this.srcTokenizer, this.srcVocab);
    const prefix = opts.prefix ? this.encodeTarget([...(opts.prefix.tokens ?? [])], opts.prefix.text ?? '') : undefined;
    const tree = opts.beamTree && beamSize > 1 ? new BeamTreeRecorder() : undefined;
    const sentence = this.sentence(ids, opts.engine);
    try {
      const hyps = continueAfter(sentence, prefix?.ids ?? [], { ...scoring, topK: topK || undefined, nBest, tree, heads: opts.heads ?? true });
      const hyp = hyps[0];
      const best = this.tokensOf(hyp);
      const cov = hyp.attention.length ? { coverage: coverage(hyp.attention) } : {};
      return {
        source: text,
        text: this.tgtTokenizer.detokenize(best.words),
        sourceTokens: [...this.srcVocab.decode(ids), EOS],
        targetTokens: best.tokens,
        attention: hyp.attention,
        ...(hyp.heads ? { heads: hyp.heads } : {}),
        candidates: this.candidateTokens(hyp.candidates),
        logProb: hyp.logProb,
        score: hyp.score,
        tokenLogProbs: hyp.tokenLogProbs ?? [],
        ...cov,
        ...(prefix ? { prefix: { tokens: this.tgtVocab.decode(prefix.ids), unknown: prefix.unknown } } : {}),
        ...(this.srcTokenizer instanceof BpeTokenizer ? { sourceWords: subwordWordIndex([...srcTokens, EOS]) } : {}),
        ...(this.tgtTokenizer instanceof BpeTokenizer ? { targetWords: subwordWordIndex(best.tokens) } : {}),
        ...(nBest > 1
          ? {
              nBest: hyps.map((h) => {
                const t = this.tokensOf(h);
                return { text: this.tgtTokenizer.detokenize(t.words), tokens: t.tokens, score: h.score, logProb: h.logProb };
              }),
            }
          : {}),
        ...(tree ? { beamTree: this.treeView(tree, beamSize) } : {}),
        ...(opts.reference !== undefined ? { reference: this.analyseReference(sentence, opts.reference, hyp, scoring, topK, opts) } : {}),
      };
    } finally {
      sentence.dispose();
    }
  }

  /** The source sentence (ids without `<eos>`) in the engine asked for: fast for the recurrent models unless `tensor`. */
  private sentence(ids: number[], engine: TranslateOptions['engine']): SentenceSearch {
    const ratio = this.config.train.maxOutputRatio;
    return engine !== 'tensor' && this.inference ? fastSentence(this.inference, ids, ratio) : tensorSentence(this.model, ids, ratio);
  }

  /**
   * Target tokens (`tokens`, as the vocabulary spells them, then `text`
   * tokenized as the training targets were) → ids; the words outside the
   * vocabulary (`<unk>` itself excepted) are listed.
   */
  private encodeTarget(tokens: string[], text: string): { ids: number[]; unknown: string[] } {
    const all = [...tokens, ...(text.trim() ? this.tgtTokenizer.tokenize(text) : [])];
    const unknown = all.filter((t) => t !== UNK && !this.tgtVocab.has(t));
    return { ids: this.tgtVocab.encode(all), unknown: [...new Set(unknown)] };
  }

  private tokensOf(h: Pick<Hypothesis, 'ids' | 'finished'>): { words: string[]; tokens: string[] } {
    const words = this.tgtVocab.decode(h.ids);
    return { words, tokens: h.finished ? [...words, EOS] : words };
  }

  private candidateTokens(rows: Hypothesis['candidates']): { token: string; prob: number }[][] {
    return (rows ?? []).map((row) => row.map((c) => ({ token: this.tgtVocab.tokenOf(c.id), prob: c.prob })));
  }

  private treeView(tree: BeamTreeRecorder, beamSize: number): BeamTreeView {
    return {
      beamSize,
      nodes: tree.nodes.map((n) => ({ ...n, token: this.tgtVocab.tokenOf(n.token) })),
      finished: tree.finished.map(({ node, hypothesis: h }) => {
        const t = this.tokensOf(h);
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
    };
  }

  /** Forced decoding of `reference` and its comparison with the output `hyp` (see {@link ReferenceAnalysis}). */
  private analyseReference(sentence: SentenceSearch, reference: string, hyp: Hypothesis, scoring: ScoringOptions, topK: number, opts: TranslateOptions): ReferenceAnalysis {
    const ref = this.encodeTarget([], reference);
    const forced = forceTarget(sentence, ref.ids, { ...scoring, topK: topK || undefined });
    const exposure = exposureBias(sentence, ref.ids, { noRepeatNgramSize: scoring.noRepeatNgramSize, repetitionPenalty: scoring.repetitionPenalty });
    const tokens = [...this.tgtVocab.decode(ref.ids), EOS];
    const analysis: ReferenceAnalysis = {
      text: reference,
      tokens,
      unknown: ref.unknown,
      ...(this.tgtTokenizer instanceof BpeTokenizer ? { targetWords: subwordWordIndex(tokens) } : {}),
      tokenLogProbs: forced.tokenLogProbs,
      logProb: forced.logProb,
      perToken: forced.perToken,
      score: forced.score,
      attention: forced.attention,
      ...(forced.attention.length ? { coverage: coverage(forced.attention) } : {}),
      candidates: this.candidateTokens(forced.candidates),
      verdict: judgeOutput(hyp, forced),
      exposure: { teacherForced: exposure.teacherForced, ownPrefix: exposure.ownPrefix, divergence: exposure.divergence, greedyTokens: this.tokensOf(exposure.greedy).tokens },
    };
    if (opts.referenceBeams?.length) {
      analysis.searchErrors = opts.referenceBeams.map((k) => {
        const s = { ...scoring, beamSize: k };
        const out = sentence.search(k, s.lengthPenalty, { noRepeatNgramSize: s.noRepeatNgramSize, repetitionPenalty: s.repetitionPenalty })[0];
        const refScore = forceTarget(sentence, ref.ids, s).score;
        const t = this.tokensOf(out);
        return { beamSize: k, text: this.tgtTokenizer.detokenize(t.words), tokens: t.tokens, score: out.score, referenceScore: refScore, verdict: judgeOutput(out, { ids: ref.ids, score: refScore }) };
      });
    }
    if (opts.referenceTreeBeam !== undefined && opts.referenceTreeBeam > 1) {
      const k = opts.referenceTreeBeam;
      const recorder = new BeamTreeRecorder();
      sentence.search(k, scoring.lengthPenalty, { noRepeatNgramSize: scoring.noRepeatNgramSize, repetitionPenalty: scoring.repetitionPenalty, tree: recorder });
      const view = this.treeView(recorder, k);
      analysis.tree = { view, fallOut: referenceFallOut(recorder.nodes, [...ref.ids, EOS_ID]) ?? null };
    }
    return analysis;
  }

  /**
   * A line of a TSV file (the training data's layout): its source column
   * (`data.srcColumn`) and, when present, its target column (`data.tgtColumn`)
   * as the reference. A line without a tab is all source.
   */
  splitTsvLine(line: string): { source: string; reference?: string } {
    if (!line.includes('\t')) return { source: line };
    const cols = line.split('\t');
    const { srcColumn, tgtColumn } = this.config.data;
    const ref = cols[tgtColumn];
    return { source: cols[srcColumn] ?? '', ...(ref !== undefined && ref.trim() !== '' ? { reference: ref } : {}) };
  }

  dispose(): void {
    this.inference?.dispose();
    this.model.dispose();
  }
}
