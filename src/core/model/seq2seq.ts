/**
 * The encoder–decoder model: a `RecurrentEncoder`, a `RecurrentDecoder` with
 * optional attention, and the masked cross-entropy loss.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig } from '../config/config';
import { Random } from '../random';
import { EncodedSource, DecoderState, DecoderStepOutput, RecurrentDecoder } from './decoder';
import { RecurrentEncoder } from './encoder';
import type { BatchTensors, LossOptions, LossResult, SampledCandidates, StepOutput, TranslationModel } from './types';
import { smoothedCrossEntropy } from './loss';
import { region } from '../profile';
import { ParameterStore } from './parameters';

export type { BatchTensors, LossOptions, LossResult } from './types';

/** Output words scored in one training step, with their logit corrections. */
export interface CandidateSet extends SampledCandidates {
  /** `[positions]` gold targets as indices into `ids`. */
  targets: Int32Array;
}

/**
 * The candidate output words of a training batch for a sampled softmax
 * (Jean, Cho, Memisevic & Bengio 2015, sec. 3; Bengio & Senécal 2008): every
 * id below `frequent` (the specials and, since vocabularies are sorted by
 * frequency, the most frequent words) and every gold word of the batch are
 * always included; `samples` further words are drawn uniformly without
 * replacement from the rest of the vocabulary, so every word regularly
 * receives negative gradient. A sampled word's logit is raised by −log π
 * (π = its inclusion probability) so that the candidates' partition function
 * estimates the full one.
 * @param tgtOut `[positions]` gold ids; @param mask `[positions]`
 */
export function sampleCandidates(
  tgtOut: Int32Array,
  mask: Float32Array,
  vocabSize: number,
  frequent: number,
  samples: number,
  random: Random,
): SampledCandidates {
  const golds = new Set<number>();
  for (let i = 0; i < tgtOut.length; i++) if (mask[i] !== 0 && tgtOut[i] >= frequent) golds.add(tgtOut[i]);
  const pool = vocabSize - frequent - golds.size;
  const draw = Math.max(0, Math.min(samples, pool));
  const sampled = new Set<number>();
  while (sampled.size < draw) {
    const id = frequent + random.int(vocabSize - frequent);
    if (!golds.has(id)) sampled.add(id);
  }
  const extra = [...golds, ...sampled].sort((a, b) => a - b);
  const ids = new Int32Array(frequent + extra.length);
  const logitOffsets = new Float32Array(ids.length);
  for (let i = 0; i < frequent; i++) ids[i] = i;
  const offset = draw > 0 ? -Math.log(draw / pool) : 0;
  extra.forEach((id, j) => {
    ids[frequent + j] = id;
    if (sampled.has(id)) logitOffsets[frequent + j] = offset;
  });
  return { ids, logitOffsets, frequent };
}

/**
 * The gold targets of `tgtOut` as indices into the candidates (padding
 * positions, whose id may be missing, get 0).
 * @throws Error when a real target is not among the candidates
 */
export function withTargets(c: SampledCandidates, tgtOut: Int32Array, mask: Float32Array): CandidateSet {
  const pos = new Map<number, number>();
  for (let j = c.frequent; j < c.ids.length; j++) pos.set(c.ids[j], j);
  const targets = new Int32Array(tgtOut.length);
  for (let i = 0; i < tgtOut.length; i++) {
    const y = tgtOut[i];
    const p = y < c.frequent ? y : pos.get(y);
    if (p === undefined && mask[i] !== 0) throw new Error(`softmax candidates: the gold word ${y} is not among the candidates`);
    targets[i] = p ?? 0;
  }
  return { ...c, targets };
}

/** {@link sampleCandidates} for a batch, with its gold targets as candidate indices. */
export function candidateSet(
  tgtOut: Int32Array,
  mask: Float32Array,
  vocabSize: number,
  frequent: number,
  samples: number,
  random: Random,
): CandidateSet {
  return withTargets(sampleCandidates(tgtOut, mask, vocabSize, frequent, samples, random), tgtOut, mask);
}

/** The recurrent encoder–decoder (`model.type: "rnn"`). */
export class Seq2SeqModel implements TranslationModel<EncodedSource, DecoderState> {
  readonly params: ParameterStore;
  readonly encoder: RecurrentEncoder;
  readonly decoder: RecurrentDecoder;

  /**
   * @param config model hyper-parameters
   * @param srcVocabSize / tgtVocabSize vocabulary sizes including special tokens
   * @param seed initialisation seed
   * @throws Error on inconsistent hyper-parameters (e.g. odd hidden size with a bidirectional encoder)
   */
  constructor(readonly config: ModelConfig, readonly srcVocabSize: number, readonly tgtVocabSize: number, seed: number) {
    this.params = new ParameterStore(new Random(seed), config.weightInit);
    this.encoder = new RecurrentEncoder(this.params, config, srcVocabSize);
    this.decoder = new RecurrentDecoder(this.params, config, this.encoder.outputSize, tgtVocabSize);
  }

  /**
   * Encode a batch and prepare it for decoding.
   * @param srcIds `[batch, srcLen]` int32 @param srcMask `[batch, srcLen]`
   */
  encode(srcIds: tf.Tensor2D, srcMask: tf.Tensor2D, dropout?: { rate: number; random: Random }): EncodedSource {
    const enc = this.encoder.encode(srcIds, srcMask, dropout);
    return this.decoder.prepare(enc.outputs, enc.final, srcMask);
  }

  /**
   * Masked cross-entropy of the gold targets: Σ over non-padding positions of
   * −log p(y_t | y_<t, x), divided by the number of those positions. Padding
   * neither adds to the sum nor to the count, so adding padding to a batch
   * leaves the loss unchanged.
   * @param tokens number of non-padding target positions (sum of `tgtMask`), known on the CPU
   */
  loss(batch: BatchTensors, tokens: number, opts: LossOptions): LossResult {
    const dropout = opts.training && this.config.dropout > 0 ? { rate: this.config.dropout, random: opts.random } : undefined;
    const [b, tgtLen] = batch.tgtIn.shape;
    const src = this.encode(batch.srcIds, batch.srcMask, dropout);
    let state = this.decoder.initialState(src);
    let logits: tf.Tensor2D; // [b·tgtLen, vocab], batch-major
    if (opts.teacherForcing >= 1) {
      // All decoder inputs are known: embed and project them in one matMul, run the
      // recurrence, then the readout and the output projection for all positions at once.
      const emb = this.decoder.embed(tf.reshape(batch.tgtIn, [b * tgtLen]) as tf.Tensor1D, dropout); // [b·T, E], batch-major
      const xe = tf.reshape(this.decoder.projectEmbeddings(emb), [b, tgtLen, -1]) as tf.Tensor3D;
      // All steps on one kernel where available (src/core/kernels/sequence.ts), else step by step.
      let positions = this.decoder.decodeAll(xe, state, src);
      if (!positions) {
        const steps = tf.unstack(xe, 1) as tf.Tensor2D[];
        const outs: DecoderStepOutput[] = [];
        for (let t = 0; t < tgtLen; t++) {
          const r = this.decoder.step(steps[t], state, src, dropout);
          state = r.state;
          outs.push(r);
        }
        const flat = (xs: tf.Tensor2D[]) => tf.reshape(tf.stack(xs, 1), [b * tgtLen, -1]) as tf.Tensor2D;
        positions = {
          hidden: flat(outs.map((o) => o.hidden)),
          context: flat(outs.map((o) => o.context)),
          attentional: outs[0].attentional ? flat(outs.map((o) => o.attentional!)) : undefined,
        };
      }
      const features = this.decoder.readout(positions, emb);
      const k = opts.softmaxCandidates ?? 0;
      if (k > 0 && k < this.tgtVocabSize) {
        const c = opts.candidates ? withTargets(opts.candidates, batch.tgtOut, batch.tgtMask) : candidateSet(batch.tgtOut, batch.tgtMask, this.tgtVocabSize, k, k, opts.random);
        const logits = tf.add(this.decoder.logits(features, dropout, tf.tensor1d(c.ids, 'int32')), tf.tensor1d(c.logitOffsets)) as tf.Tensor2D;
        const r = region('loss', () => smoothedCrossEntropy(logits, c.targets, batch.tgtMask, opts.training ? (opts.labelSmoothing ?? 0) : 0, opts.training), { wall: true });
        return { nllSum: r.nllSum, loss: tf.div(r.loss, Math.max(tokens, 1)) as tf.Scalar };
      }
      logits = this.decoder.logits(features, dropout);
    } else {
      const gold = tf.unstack(batch.tgtIn, 1) as tf.Tensor1D[];
      const perStep: tf.Tensor2D[] = [];
      let prev: tf.Tensor2D | undefined;
      for (let t = 0; t < tgtLen; t++) {
        let ids = gold[t];
        if (prev) {
          // The model's own previous choice, read back so that no gradient flows through the arg-max.
          const predicted = tf.argMax(prev, 1).dataSync();
          const goldIds = gold[t].dataSync();
          const mixed = new Int32Array(b);
          for (let i = 0; i < b; i++) mixed[i] = opts.random.next() < opts.teacherForcing ? goldIds[i] : predicted[i];
          ids = tf.tensor1d(mixed, 'int32');
        }
        const emb = this.decoder.embed(ids, dropout);
        const r = this.decoder.step(this.decoder.projectEmbeddings(emb), state, src, dropout);
        state = r.state;
        prev = this.decoder.logits(this.decoder.readout(r, emb), dropout);
        perStep.push(prev);
      }
      logits = tf.reshape(tf.stack(perStep, 1), [b * tgtLen, this.tgtVocabSize]) as tf.Tensor2D;
    }
    const r = region('loss', () => smoothedCrossEntropy(logits, batch.tgtOut, batch.tgtMask, opts.training ? (opts.labelSmoothing ?? 0) : 0, opts.training), { wall: true });
    return { nllSum: r.nllSum, loss: tf.div(r.loss, Math.max(tokens, 1)) as tf.Scalar };
  }

  /** Decoder initial state for an encoded batch. */
  initialState(src: EncodedSource): DecoderState {
    return this.decoder.initialState(src);
  }

  /**
   * One inference step: feed `prevIds`, get log-probabilities of the next token.
   * @param prevIds `[batch]` int32 previous tokens (`<bos>` first)
   * @returns `logProbs [batch, vocab]`, the new state and attention weights `[batch, srcLen]` (absent for `none`)
   */
  decodeStep(prevIds: tf.Tensor1D, state: DecoderState, src: EncodedSource): StepOutput<DecoderState> {
    const emb = this.decoder.embed(prevIds);
    const r = this.decoder.step(this.decoder.projectEmbeddings(emb), state, src);
    return { logProbs: tf.logSoftmax(this.decoder.logits(this.decoder.readout(r, emb))), state: r.state, weights: r.weights };
  }

  /** True unless `model.attention` is `none`. */
  get hasAttention(): boolean {
    return this.config.attention !== 'none';
  }

  /** A one-sentence `src` repeated `k` times along the batch (for `k` beams). */
  tileSource(src: EncodedSource, k: number): EncodedSource {
    return {
      outputs: tf.tile(src.outputs, [k, 1, 1]),
      keys: src.keys && tf.tile(src.keys, [k, 1, 1]),
      bias: tf.tile(src.bias, [k, 1]),
      final: tf.tile(src.final, [k, 1]),
      ...(src.mean ? { mean: tf.tile(src.mean, [k, 1]) } : {}),
    };
  }

  /** The states of the rows `idx` (`[k]` int32), in that order. */
  reorderState(state: DecoderState, idx: tf.Tensor1D): DecoderState {
    return {
      layers: state.layers.map((l) => (l.c ? { h: tf.gather(l.h, idx), c: tf.gather(l.c, idx) } : { h: tf.gather(l.h, idx) })),
      feed: tf.gather(state.feed, idx),
    };
  }

  /**
   * Names of the parameters whose gradient is row-sparse in a step: the
   * embedding tables (rows of words in the batch) and the output projection
   * (rows of the scored words). Candidates for lazy Adam.
   */
  get rowSparseParameters(): string[] {
    return ['encoder/embedding', 'decoder/embedding', 'decoder/Wout', 'decoder/bout'].filter((n) => this.params.names.includes(n));
  }

  /** Trainable parameters. */
  get variables(): tf.Variable[] {
    return this.params.variables;
  }

  dispose(): void {
    this.params.dispose();
  }
}
