/**
 * The run configuration: one JSON document drives train, eval and translate
 * (as in Joey NMT). This module holds its TypeScript shape and defaults; the
 * published JSON Schema is `schemas/config.schema.json`, and loading /
 * validation / path resolution live in `src/core/config/configLoader.ts`.
 */

/** A parallel corpus given as two line-aligned files. */
export interface ParallelFiles {
  /** Path to the source-side file, one sentence per line. */
  src: string;
  /** Path to the target-side file, one sentence per line. */
  tgt: string;
}

/** A data set: a TSV path (pairs in columns) or two parallel files. */
export type DataSource = string | ParallelFiles;

export type TokenizerKind = 'word' | 'char' | 'bpe';
export type CellKind = 'gru' | 'lstm';
export type AttentionKind = 'none' | 'bahdanau' | 'luong-dot' | 'luong-general';
/** How the encoder's summary reaches the decoder (Cho et al. 2014 vs. Sutskever et al. 2014). */
export type BridgeKind = 'init' | 'input' | 'both';
/**
 * What the bridge reads (see `ModelConfig.bridgeFrom`): the encoder's final
 * states, or the mean of its outputs over the real source tokens.
 */
export type BridgeFromKind = 'final' | 'mean';
/**
 * What the output layer reads at target step t (see `src/core/model/decoder.ts`):
 * `deep`: [s_t; c_t; E y_{t−1}] straight into the vocabulary projection (the
 * "deep output" of Bahdanau et al. 2015, appendix A.2.2, without the maxout);
 * `maxout`: the same through a maxout layer of `readoutSize` units (the paper's
 * own readout); `attentional`: Luong et al.'s attentional vector
 * õ_t = tanh(W_c [s_t; c_t]) (2015, eq. 5).
 */
export type ReadoutKind = 'deep' | 'maxout' | 'attentional';
/** Distribution of the initial embedding entries: N(0, scale²) or U(−scale, scale). */
export type EmbeddingInitKind = 'normal' | 'uniform';
/**
 * Initialisation of weight matrices and biases (see `ParameterStore.weight`):
 * `glorot` (Glorot & Bengio 2010, biases 0) or `fan-in` (U(±1/√fanIn) for
 * weights and biases, fanIn = the hidden size in recurrent layers: PyTorch's
 * defaults for nn.Linear and nn.GRU / nn.LSTM).
 */
export type WeightInitKind = 'glorot' | 'fan-in';
export type StopMetric = 'bleu' | 'perplexity' | 'loss';
/** How the learning rate changes during training (see `TrainConfig.schedule`). */
export type LearningRateSchedule = 'plateau' | 'linear' | 'inverse-sqrt';
/** The model family (see `createModel` in `src/core/model/index.ts`). */
export type ModelType = 'rnn' | 'transformer';
/** Where the Transformer's layer normalisation sits (see `TransformerConfig.norm`). */
export type NormPlacement = 'pre' | 'post';
/** How the Transformer encodes positions (see `TransformerConfig.positional`). */
export type PositionalKind = 'sinusoidal' | 'learned';

/**
 * Hyper-parameters of the Transformer family (`model.type: "transformer"`;
 * Vaswani et al. 2017, "Attention is all you need"; see
 * `src/core/model/transformer/`). The RNN keys of `ModelConfig` (cell,
 * attention, sizes, bridge, readout) do not apply; `model.dropout` does.
 */
export interface TransformerConfig {
  /** Layers of the encoder stack and of the decoder stack (N in the paper). */
  layers: number;
  /** Attention heads h per multi-head attention; must divide `modelSize`. */
  heads: number;
  /** d_model: embeddings, attention and every residual stream. */
  modelSize: number;
  /** d_ff: inner size of each position-wise feed-forward network. */
  ffSize: number;
  /**
   * `post`: x ← LayerNorm(x + Sublayer(x)), the paper's placement (§3.1);
   * `pre`: x ← x + Sublayer(LayerNorm(x)) with a final LayerNorm on each
   * stack (Xiong et al. 2020, "On layer normalization in the Transformer
   * architecture"), which trains without a long warm-up.
   */
  norm: NormPlacement;
  /** `sinusoidal`: the fixed encoding of §3.5; `learned`: a trained `[maxPositions, modelSize]` table (Gehring et al. 2017). */
  positional: PositionalKind;
  /** Positions a `learned` table holds (longest source, and target prefix, it can encode); unused by `sinusoidal`. */
  maxPositions: number;
  /** Share the target embedding table with the output projection (Press & Wolf 2017; Vaswani §3.4). */
  tiedEmbeddings: boolean;
}

export interface DataConfig {
  /** Training data (TSV path or `{src, tgt}` parallel files). Relative paths resolve against the config file's folder. */
  train: DataSource;
  /** Validation data; when absent, split off `train` deterministically. */
  valid?: DataSource;
  /** Test data; when absent, split off `train` deterministically. */
  test?: DataSource;
  /** 0-based TSV column holding the source sentence. */
  srcColumn: number;
  /** 0-based TSV column holding the target sentence. */
  tgtColumn: number;
  /** Pairs where either side has more tokens than this are dropped from training. */
  maxLength: number;
  /** Lowercase after NFC normalisation. */
  lowercase: boolean;
  tokenizer: TokenizerKind;
  /** Subword settings; present (defaults filled in) exactly when `tokenizer` is `bpe`. */
  bpe?: BpeConfig;
  /** Tokens seen fewer times than this in training map to `<unk>`. */
  minFrequency: number;
  /** Upper bound on vocabulary size including the four special tokens. */
  maxVocabSize: number;
  /** Fraction of pairs split off for validation when `valid` is absent. */
  validFraction: number;
  /** Fraction of pairs split off for testing when `test` is absent. */
  testFraction: number;
  /**
   * Seed of the split of validation and test pairs off the training data
   * (when `valid` / `test` are absent); absent: `train.seed`. Fixing it keeps
   * the same held-out pairs while `train.seed` varies (`ablate --seeds`).
   */
  splitSeed?: number;
  /** Upper bound on validation sentences actually decoded for BLEU at each validation. */
  maxValidSentences: number;
}

/**
 * Byte-pair encoding (`data.tokenizer: "bpe"`; Sennrich, Haddow & Birch 2016,
 * see `src/core/data/bpe.ts`), learned from the training split.
 */
export interface BpeConfig {
  /** Merge operations to learn (the paper's only hyperparameter; a side's vocabulary is then about its characters + merges). */
  merges: number;
  /** One merge list learned on source and target text together (the paper's "joint BPE"), else one per side. */
  joint: boolean;
}

/** Defaults of `data.bpe`. */
export const DEFAULT_BPE: BpeConfig = { merges: 8000, joint: true };

export interface ModelConfig {
  /** Model family: the recurrent encoder–decoder (`rnn`, default) or the Transformer. */
  type: ModelType;
  /** Hyper-parameters of the Transformer (used with `type: "transformer"`). */
  transformer: TransformerConfig;
  cell: CellKind;
  attention: AttentionKind;
  embeddingSize: number;
  hiddenSize: number;
  /** Number of stacked recurrent layers in both encoder and decoder. */
  layers: number;
  bidirectional: boolean;
  /** `init`: encoder final state initialises the decoder; `input`: the context vector is fed at every decoder step; `both`. */
  bridge: BridgeKind;
  /**
   * What the decoder's initial state is computed from, when `bridge` is
   * `init` or `both` (see `src/core/model/decoder.ts`):
   * - `final`: the encoder's final states, s_0 = tanh(W_b h_final + b_b) with
   *   h_final = [h→_S; h←_1] for a bidirectional encoder (Cho et al. 2014;
   *   Bahdanau et al. 2015, appendix A.2.2, uses h←_1 alone);
   * - `mean`: the mean of the top encoder layer's outputs over the S real
   *   (non-padding) source tokens, s_0 = tanh(W_b (1/S) Σ_j h_j + b_b), as in
   *   Nematus / dl4mt (Sennrich et al. 2017, "Nematus: a toolkit for neural
   *   machine translation", sec. 2) and the PyTorch recipe of
   *   `bench/pytorch/recipe_peer.py`. Padding does not change the mean.
   * Either way W_b and b_b have the same shapes. With attention `none` the
   * context at every step stays the final states.
   */
  bridgeFrom: BridgeFromKind;
  /** Dropout probability on embeddings and recurrent outputs during training. */
  dropout: number;
  /**
   * Units per direction of the encoder's recurrent layers (a bidirectional
   * encoder's outputs have twice as many). 0 = `hiddenSize`, except
   * `hiddenSize / 2` for `luong-dot` attention with a bidirectional encoder
   * (its dot product needs encoder outputs of the decoder's size); see
   * `encoderUnits`.
   */
  encoderHiddenSize: number;
  /** The output layer's input (see `ReadoutKind`). */
  readout: ReadoutKind;
  /** Units of the `maxout` readout (each the maximum of two linear pieces); unused by the other readouts. */
  readoutSize: number;
  /** Distribution of the initial source and target embeddings. */
  embeddingInit: EmbeddingInitKind;
  /** Standard deviation (`normal`) or bound (`uniform`) of the initial embeddings. */
  embeddingInitScale: number;
  /** Initialisation of every weight matrix and bias other than the embeddings (see `WeightInitKind`). */
  weightInit: WeightInitKind;
}

export interface TrainConfig {
  /** Sentences per batch. */
  batchSize: number;
  /** Adam learning rate. */
  learningRate: number;
  /** Wall-clock training budget in minutes (0 = unlimited). */
  maxMinutes: number;
  /** Optimisation-step budget (0 = unlimited): the run ends with reason `max-steps` after this many steps, validating first. */
  maxSteps: number;
  /** Maximum number of passes over the training data. */
  epochs: number;
  /** Gradient clipping by global norm (0 = off). */
  clipNorm: number;
  /**
   * A step whose loss or gradient is not finite is skipped (no update, and
   * `last/` is not rewritten meanwhile); after this many such steps in a row
   * the run stops with an error naming the step, keeping `last/` from the last
   * good update. 0 = never stop.
   */
  maxNonFiniteSteps: number;
  /** Probability of feeding the gold previous token (1 = always teacher forcing). */
  teacherForcing: number;
  /**
   * Training-time sampled softmax over the batch's gold words, this many
   * most frequent target words and as many random others (Jean et al. 2015);
   * 0 = full softmax.
   */
  softmaxCandidates: number;
  /**
   * Lazy Adam for the embedding tables and the output projection: rows with
   * an all-zero gradient in a step are left alone (see `src/core/training/optimizer.ts`).
   */
  lazyAdam: boolean;
  /**
   * Data-parallel training threads: each computes the gradients of a share of
   * every batch (see `src/core/training/parallel.ts`). 1 = train on one thread;
   * `auto` = `SEQ2SEQ_THREADS` when set (VS Code's `seq2seq.threads`
   * setting sets it for its workers), else the cores of the machine the
   * training runs on, at most {@link AUTO_THREADS_MAX} (`resolveThreads`).
   */
  threads: number | 'auto';
  /** Seed for initialisation, shuffling and the data split. */
  seed: number;
  /** Validate every this many steps (0 = once per epoch). */
  validEvery: number;
  /** Log a progress message every this many steps. */
  logEvery: number;
  /** Metric used for best checkpoint, plateau decay and early stopping. */
  stopMetric: StopMetric;
  /**
   * Competence-based curriculum (Platanios et al. 2019, see
   * `src/core/data/curriculum.ts`): this many steps, before the epochs, whose
   * batches come from the shortest sources first, widening to all pairs by the
   * last of them. 0 = off.
   */
  curriculumSteps: number;
  /** Competence c0 at the first curriculum step: the easiest fraction of the data used at first. */
  initialCompetence: number;
  /**
   * Learning-rate schedule. `plateau`: constant, multiplied by `decayFactor`
   * after `decayPatience` validations without improvement. `linear`: decays
   * linearly from `learningRate` to 0 over the run's budget — whichever of
   * `epochs` and `maxMinutes` ends first — the schedule Li, Yumer & Ramanan
   * (2020, "Budgeted training") find best when training time is fixed; no
   * plateau decay then. `inverse-sqrt`: linear warm-up over `warmupSteps`
   * to `learningRate`, then decay ∝ 1/√step (Vaswani et al. 2017, eq. 3, in
   * fairseq's form scaled to `learningRate`); no plateau decay then.
   */
  schedule: LearningRateSchedule;
  /** Validations without improvement before the learning rate is multiplied by `decayFactor`. */
  decayPatience: number;
  decayFactor: number;
  /** Validations without improvement before training stops (0 = never). */
  earlyStoppingPatience: number;
  /**
   * Minimum improvement (Keras' and Lightning's `min_delta`), in the stop
   * metric's units, for a validation to count as progress for plateau decay
   * and early stopping; validation perplexity, which also counts as progress
   * when it falls, must fall by more than this too. 0 = any improvement.
   * The best checkpoint still follows any improvement.
   */
  minDelta: number;
  /** Learning rate below which training stops. */
  minLearningRate: number;
  /** Beam size used when decoding validation and test sets (1 = greedy). */
  beamSize: number;
  /** GNMT length penalty alpha for beam search (Wu et al. 2016, eq. 14). */
  lengthPenalty: number;
  /**
   * How many of beam search's best finished hypotheses translation offers,
   * best first by length-penalised score (`seq2seq translate --n-best`, the
   * quick pick of Translate Selection). The beam is widened to at least this.
   * Validation and test BLEU use the best one. Default 1.
   */
  nBest: number;
  /**
   * No-repeat n-gram size n, greedy and beam search (0 = off): a hypothesis
   * never contains the same n-gram twice — at each step the tokens that
   * would complete an n-gram already in the hypothesis are banned
   * (log-probability −∞; `<eos>` never is). Paulus, Xiong & Socher 2018
   * (trigram blocking, n = 3); fairseq's `--no-repeat-ngram-size`. See
   * `SearchOptions` in `src/core/decoding/search.ts`.
   */
  noRepeatNgramSize: number;
  /**
   * Repetition penalty θ, greedy and beam search (1 = off; Keskar et al.
   * 2019, CTRL). Applied to log-probabilities, not logits: every token
   * already in the hypothesis scores
   *   log p(v | y<t, x) − log θ
   * (its probability divided by θ, not renormalised), so a hypothesis scores
   * log p(Y | x) − r·log θ with r its repeated tokens, before the length
   * penalty. CTRL divides the logit by θ instead; on log-probabilities that
   * would depend on where the logits' zero lies. θ > 1 discourages
   * repetition.
   */
  repetitionPenalty: number;
  /** Maximum decoded length as a multiple of the source length (plus a constant of 5). */
  maxOutputRatio: number;
  /**
   * Label smoothing ε (Szegedy et al. 2016, §7; Vaswani et al. 2017, §5.4):
   * the training loss is the cross-entropy against (1 − ε)·onehot(y) + ε/V
   * over the V target words (see `smoothedCrossEntropy`). 0 = plain
   * cross-entropy. Perplexity is always reported from the unsmoothed NLL.
   */
  labelSmoothing: number;
  /**
   * Warm-up steps of the `inverse-sqrt` schedule: the learning rate rises
   * linearly to `learningRate` over this many steps, then decays as
   * `learningRate · sqrt(warmupSteps / step)` (see `inverseSqrtSchedule`).
   */
  warmupSteps: number;
}

export interface Seq2SeqConfig {
  /** Optional human-readable run name. */
  name?: string;
  data: DataConfig;
  model: ModelConfig;
  train: TrainConfig;
  /** Defaults for training as Slurm jobs (`--executor slurm`); see `SlurmOptions` in src/core/experiments/slurmScript.ts. */
  slurm?: SlurmConfig;
}

/**
 * The config's `slurm` section: resources and options of Slurm jobs
 * (`--executor slurm`; `SlurmOptions` of src/core/experiments/slurmScript.ts,
 * which validates them before they reach a batch script).
 */
export interface SlurmConfig {
  /** `--partition` (one or several, comma-separated). */
  partition?: string;
  /** `--account`. */
  account?: string;
  /** `--time`, in a Slurm time format (`MM`, `MM:SS`, `HH:MM:SS`, `D-HH`, `D-HH:MM`, `D-HH:MM:SS`). */
  time?: string;
  /** `--cpus-per-task`; also each run's `train.threads`. Default 1. */
  cpusPerTask?: number;
  /** `--mem`, e.g. `8G` (units K, M, G, T; no unit: megabytes). */
  mem?: string;
  /** `--gres`, e.g. `gpu:1`. */
  gres?: string;
  /** At most this many tasks of an ablation's array at once (`--array=0-(n-1)%N`); 0 or absent: no limit. */
  maxParallel?: number;
  /** Further sbatch options, each one `--option=value` token (written as `#SBATCH` lines). */
  sbatchArgs?: string[];
  /** Shell lines run on the compute node before the lab starts, e.g. `module load nodejs/20`. */
  setup?: string[];
  /** Seconds before the time limit at which Slurm signals the task to checkpoint and requeue (default 120). */
  signalSeconds?: number;
}

/** A config as a user writes it: every section and key optional except `data.train`. */
export interface UserConfig {
  name?: string;
  data: Partial<DataConfig> & { train: DataSource };
  model?: Partial<Omit<ModelConfig, 'transformer'>> & { transformer?: Partial<TransformerConfig> };
  train?: Partial<TrainConfig>;
  slurm?: SlurmConfig;
}

export const DEFAULT_DATA: Omit<DataConfig, 'train'> = {
  srcColumn: 0,
  tgtColumn: 1,
  maxLength: 50,
  lowercase: true,
  tokenizer: 'word',
  minFrequency: 1,
  maxVocabSize: 8000,
  validFraction: 0.05,
  testFraction: 0.05,
  maxValidSentences: 500,
};

export const DEFAULT_TRANSFORMER: TransformerConfig = {
  layers: 2,
  heads: 4,
  modelSize: 64,
  ffSize: 256,
  norm: 'pre',
  positional: 'sinusoidal',
  maxPositions: 256,
  tiedEmbeddings: false,
};

export const DEFAULT_MODEL: ModelConfig = {
  type: 'rnn',
  transformer: DEFAULT_TRANSFORMER,
  cell: 'gru',
  attention: 'bahdanau',
  embeddingSize: 64,
  hiddenSize: 128,
  layers: 1,
  bidirectional: true,
  bridge: 'both',
  bridgeFrom: 'final',
  dropout: 0.1,
  encoderHiddenSize: 0,
  readout: 'deep',
  readoutSize: 256,
  embeddingInit: 'normal',
  embeddingInitScale: 1,
  weightInit: 'fan-in',
};

/**
 * The attention a model's decoder uses, as shown to users: `multi-head` for
 * the Transformer, else `model.attention` (`none` = no alignment).
 */
export function attentionLabel(model: Pick<ModelConfig, 'type' | 'attention'>): string {
  return model.type === 'transformer' ? 'multi-head' : model.attention;
}

/**
 * Units per direction of the encoder (`model.encoderHiddenSize`, with 0
 * resolved as documented there).
 */
export function encoderUnits(model: Pick<ModelConfig, 'encoderHiddenSize' | 'hiddenSize' | 'bidirectional' | 'attention'>): number {
  if (model.encoderHiddenSize > 0) return model.encoderHiddenSize;
  return model.attention === 'luong-dot' && model.bidirectional ? model.hiddenSize / 2 : model.hiddenSize;
}

/**
 * Model keys that runs made before they existed (run format 1) implicitly
 * used: encoder hidden/2 units per direction, Luong's attentional readout,
 * embeddings U(−0.1, 0.1), Glorot weights with zero biases. Filled into such
 * a run's config when it is read, so that its checkpoints load into the model
 * they were trained as.
 */
export function legacyModelKeys(
  model: Pick<ModelConfig, 'hiddenSize' | 'bidirectional'>,
): Pick<ModelConfig, 'encoderHiddenSize' | 'readout' | 'readoutSize' | 'embeddingInit' | 'embeddingInitScale' | 'weightInit'> {
  return {
    weightInit: 'glorot',
    encoderHiddenSize: model.bidirectional ? model.hiddenSize / 2 : model.hiddenSize,
    readout: 'attentional',
    readoutSize: DEFAULT_MODEL.readoutSize,
    embeddingInit: 'uniform',
    embeddingInitScale: 0.1,
  };
}

/**
 * The most threads `train.threads: "auto"` starts: the largest count
 * `npm run bench` has measured to pay on this project's 2-core machine (two
 * data-parallel threads: 1.15–1.46× one thread with the full softmax). Set a
 * number to use more cores.
 */
export const AUTO_THREADS_MAX = 2;

export const DEFAULT_TRAIN: TrainConfig = {
  batchSize: 64,
  learningRate: 3e-3,
  maxMinutes: 0,
  maxSteps: 0,
  epochs: 10,
  clipNorm: 5,
  maxNonFiniteSteps: 10,
  teacherForcing: 1,
  softmaxCandidates: 0,
  lazyAdam: false,
  threads: 'auto',
  seed: 42,
  validEvery: 0,
  logEvery: 10,
  stopMetric: 'bleu',
  curriculumSteps: 0,
  initialCompetence: 0.01,
  schedule: 'plateau',
  decayPatience: 2,
  decayFactor: 0.5,
  earlyStoppingPatience: 5,
  minDelta: 0,
  minLearningRate: 1e-5,
  beamSize: 1,
  lengthPenalty: 1,
  nBest: 1,
  noRepeatNgramSize: 0,
  repetitionPenalty: 1,
  maxOutputRatio: 1.5,
  labelSmoothing: 0,
  warmupSteps: 1000,
};

/** Fill every missing key of a user config with its default (paths are left as given). */
export function withDefaults(user: UserConfig): Seq2SeqConfig {
  return {
    ...(user.name !== undefined ? { name: user.name } : {}),
    data: withBpeDefaults({ ...DEFAULT_DATA, ...user.data }),
    model: { ...DEFAULT_MODEL, ...(user.model ?? {}), transformer: { ...DEFAULT_TRANSFORMER, ...(user.model?.transformer ?? {}) } },
    train: { ...DEFAULT_TRAIN, ...(user.train ?? {}) },
    ...(user.slurm !== undefined ? { slurm: user.slurm } : {}),
  };
}

/** `data.bpe` with its defaults filled in when the tokenizer is `bpe` (left as given otherwise, for the check that names it). */
function withBpeDefaults(data: DataConfig): DataConfig {
  return data.tokenizer === 'bpe' ? { ...data, bpe: { ...DEFAULT_BPE, ...(data.bpe ?? {}) } } : data;
}
