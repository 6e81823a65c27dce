/**
 * Named trainable parameters of a model, created with seeded initialisers so
 * that a run is reproducible from `train.seed`. Checkpoints store parameters
 * by these names (see `src/core/runs/checkpoint.ts`).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig, WeightInitKind } from '../config/config';
import { Random } from '../random';

/** Thrown when stored weights do not fit the model the config describes. */
export class WeightsMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WeightsMismatchError';
  }
}

/**
 * A flat, ordered collection of `tf.Variable`s keyed by a path-like name
 * (`encoder/l0/fwd/Wx`). Owns the variables: call `dispose()` when done.
 */
export class ParameterStore {
  private readonly vars = new Map<string, tf.Variable>();

  /** @param weightInit how `weight` and `bias` initialise (`model.weightInit`; default `glorot`) */
  constructor(
    private readonly random: Random,
    private readonly weightInit: WeightInitKind = 'glorot',
  ) {}

  /**
   * Glorot/Xavier uniform initialisation (Glorot & Bengio 2010, eq. 16):
   * U(-a, a) with a = sqrt(6 / (fanIn + fanOut)).
   * @param shape `[fanIn, fanOut]` for a weight matrix.
   */
  glorot(name: string, shape: [number, number]): tf.Variable {
    const limit = Math.sqrt(6 / (shape[0] + shape[1]));
    return this.uniform(name, shape, limit);
  }

  /**
   * A weight matrix initialised as `model.weightInit` says: `glorot`
   * (see {@link glorot}), or `fan-in`: U(−1/√n, 1/√n) with n the layer's
   * fan-in — PyTorch's default for `nn.Linear`, and for `nn.GRU` / `nn.LSTM`
   * with n their hidden size (pass it as `fanIn`).
   * @param shape the stored shape (2-D)
   * @param fanIn n for `fan-in` (default `shape[0]`, the input size of a `[in, out]` matrix)
   */
  weight(name: string, shape: [number, number], fanIn = shape[0]): tf.Variable {
    return this.weightInit === 'glorot' ? this.glorot(name, shape) : this.uniform(name, shape, 1 / Math.sqrt(fanIn));
  }

  /**
   * A bias vector: zeros with `glorot`, U(−1/√n, 1/√n) with `fan-in` (as
   * PyTorch), `offset` added to each element (e.g. an LSTM's forget-gate 1).
   * @param fanIn n: the fan-in of the layer the bias belongs to
   * @param offset per-element constant added, `[size]` (default none)
   */
  bias(name: string, size: number, fanIn: number, offset?: Float32Array): tf.Variable {
    const values = new Float32Array(size);
    if (this.weightInit === 'fan-in') {
      const limit = 1 / Math.sqrt(fanIn);
      for (let i = 0; i < size; i++) values[i] = (this.random.next() * 2 - 1) * limit;
    }
    if (offset) for (let i = 0; i < size; i++) values[i] += offset[i];
    return this.fromValues(name, [size], values);
  }

  /** Uniform U(-limit, limit) initialisation, e.g. for embeddings and vectors. */
  uniform(name: string, shape: number[], limit: number): tf.Variable {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    for (let i = 0; i < size; i++) values[i] = (this.random.next() * 2 - 1) * limit;
    return this.add(name, tf.tensor(values, shape, 'float32'));
  }

  /** Normal N(0, std²) initialisation. */
  normal(name: string, shape: number[], std: number): tf.Variable {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    for (let i = 0; i < size; i++) values[i] = this.random.normal(0, std);
    return this.add(name, tf.tensor(values, shape, 'float32'));
  }

  /**
   * An embedding table `[vocab, embeddingSize]` initialised as
   * `model.embeddingInit` / `model.embeddingInitScale` say. N(0, 1) is
   * PyTorch's `nn.Embedding` default; U(−0.1, 0.1), this project's first
   * choice, starts the embeddings about 17× smaller (std 0.058) and learns
   * much slower per step (`npm run bench:quality -- --parts ablation`).
   */
  embedding(name: string, shape: [number, number], model: Pick<ModelConfig, 'embeddingInit' | 'embeddingInitScale'>): tf.Variable {
    return model.embeddingInit === 'normal' ? this.normal(name, shape, model.embeddingInitScale) : this.uniform(name, shape, model.embeddingInitScale);
  }

  /** Initialisation from explicit values (e.g. an LSTM bias with forget-gate ones). */
  fromValues(name: string, shape: number[], values: Float32Array): tf.Variable {
    return this.add(name, tf.tensor(values, shape, 'float32'));
  }

  /** Constant initialisation (biases). */
  constant(name: string, shape: number[], value: number): tf.Variable {
    return this.add(name, tf.fill(shape, value, 'float32'));
  }

  private add(name: string, init: tf.Tensor): tf.Variable {
    if (this.vars.has(name)) throw new Error(`duplicate parameter name ${name}`);
    const v = tf.variable(init, true, `${name}_${nextVariableId++}`);
    init.dispose();
    this.vars.set(name, v);
    return v;
  }

  /** Variables in creation order. */
  get variables(): tf.Variable[] {
    return [...this.vars.values()];
  }

  /** Names and shapes in creation order (what a checkpoint of this model must hold). */
  get specs(): { name: string; shape: number[] }[] {
    return [...this.vars].map(([name, v]) => ({ name, shape: v.shape.slice() }));
  }

  /** Names in creation order. */
  get names(): string[] {
    return [...this.vars.keys()];
  }

  /** Total number of scalar parameters. */
  get count(): number {
    let n = 0;
    for (const v of this.vars.values()) n += v.size;
    return n;
  }

  /** The variable called `name`. @throws Error when absent. */
  get(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (!v) throw new Error(`no parameter named ${name}`);
    return v;
  }

  /** Snapshot every parameter's values as `{name, shape, values}`. */
  async export(): Promise<{ name: string; shape: number[]; values: Float32Array }[]> {
    const out = [];
    for (const [name, v] of this.vars) out.push({ name, shape: v.shape.slice(), values: (await v.data()) as Float32Array });
    return out;
  }

  /**
   * Overwrite parameters with stored values.
   * @throws WeightsMismatchError when a name is missing or a shape differs.
   */
  import(weights: { name: string; shape: number[]; values: Float32Array }[]): void {
    const byName = new Map(weights.map((w) => [w.name, w]));
    for (const [name, v] of this.vars) {
      const w = byName.get(name);
      if (!w) throw new WeightsMismatchError(`checkpoint has no weights for ${name}`);
      if (w.shape.join('x') !== v.shape.join('x')) {
        throw new WeightsMismatchError(`${name}: checkpoint shape [${w.shape}] differs from the model's [${v.shape}]`);
      }
      tf.tidy(() => v.assign(tf.tensor(w.values, w.shape, 'float32')));
    }
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}

let nextVariableId = 0;
