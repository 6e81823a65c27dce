/**
 * Recurrent cells (GRU and LSTM) with fused gate weights.
 *
 * Each cell keeps the input-to-hidden weights of all gates in one matrix
 * `Wx [inputSize, G·hidden]` and the hidden-to-hidden weights in one matrix
 * `Wh [hidden, G·hidden]` (G = 3 for GRU, 4 for LSTM), so a step costs one
 * matMul for the recurrence. The input projection of a whole sequence is
 * computed at once (`projectInputs`) before the time loop, which turns T
 * small matMuls into one large one.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CellKind } from '../config/config';
import { fusedGru, fusedKernelsAvailable, fusedKernelsFit, fusedLstm } from '../kernels/fused';
import { rnnSequence, sequenceKernelsAvailable } from '../kernels/sequence';
import { region } from '../profile';
import { ParameterStore } from './parameters';

/** Recurrent state: `h` and, for LSTM, the memory cell `c`; each `[batch, hidden]`. */
export interface RnnState {
  h: tf.Tensor2D;
  c?: tf.Tensor2D;
}

/** A GRU or LSTM cell. */
export interface RecurrentCell {
  readonly kind: CellKind;
  readonly inputSize: number;
  readonly hiddenSize: number;
  /**
   * Input part of all gates for many positions at once: `x·Wx + bx`.
   * @param x `[n, inputSize]`
   * @returns `[n, G·hidden]`
   */
  projectInputs(x: tf.Tensor2D): tf.Tensor2D;
  /**
   * One step given the precomputed input projection.
   * @param xProj `[batch, G·hidden]` from `projectInputs`
   * @param state previous state, `[batch, hidden]` each
   * @returns next state
   */
  step(xProj: tf.Tensor2D, state: RnnState): RnnState;
  /**
   * `step`, then keep the previous state where `mask` is 0 (padding), as
   * {@link maskedState}; one fused kernel where available.
   * @param mask `[batch, 1]`, 1 for real tokens
   */
  stepMasked(xProj: tf.Tensor2D, state: RnnState, mask: tf.Tensor2D): RnnState;
  /** Zero state for a batch. */
  zeroState(batch: number): RnnState;
  /**
   * The whole sequence on one kernel where available (`src/core/kernels/sequence.ts`),
   * the same as `stepMasked` at every position.
   * @param xProj `[batch, T, G·hidden]` from `projectInputs`
   * @param mask `[batch, T]`, 1 for real tokens (padding keeps the state)
   * @param reverse run from the last position to the first
   * @returns the state after each position `[batch, T, hidden]` and the final state, or null where unavailable
   */
  sequence(xProj: tf.Tensor3D, state: RnnState, mask: tf.Tensor2D, reverse: boolean): { outputs: tf.Tensor3D; final: RnnState } | null;
  /** The recurrent weights for the fused decoder: `W_h [hidden, G·hidden]` and (GRU) `b_h`. */
  readonly recurrent: { wh: tf.Variable; bh?: tf.Variable };
}

/**
 * Gated recurrent unit (Cho et al. 2014, eqs. 5–8), in the variant used by
 * cuDNN and PyTorch where the reset gate multiplies `Wh_n h + b_hn`:
 *   r = σ(W_r x + b_r + U_r h + c_r), z = σ(W_z x + b_z + U_z h + c_z),
 *   n = tanh(W_n x + b_n + r ⊙ (U_n h + c_n)), h' = (1 − z) ⊙ n + z ⊙ h.
 */
export class GruCell implements RecurrentCell {
  readonly kind = 'gru' as const;
  private readonly wx: tf.Variable;
  private readonly bx: tf.Variable;
  private readonly wh: tf.Variable;
  private readonly bh: tf.Variable;

  constructor(params: ParameterStore, name: string, readonly inputSize: number, readonly hiddenSize: number) {
    // Recurrent layers take their hidden size as the fan-in of every weight and bias (as nn.GRU).
    this.wx = params.weight(`${name}/Wx`, [inputSize, 3 * hiddenSize], hiddenSize);
    this.wh = params.weight(`${name}/Wh`, [hiddenSize, 3 * hiddenSize], hiddenSize);
    this.bx = params.bias(`${name}/bx`, 3 * hiddenSize, hiddenSize);
    this.bh = params.bias(`${name}/bh`, 3 * hiddenSize, hiddenSize);
  }

  projectInputs(x: tf.Tensor2D): tf.Tensor2D {
    return tf.add(tf.matMul(x, this.wx), this.bx);
  }

  step(xProj: tf.Tensor2D, state: RnnState): RnnState {
    return this.fused() ? this.fusedStep(xProj, state) : region('cell', () => this.gruStep(xProj, state));
  }

  stepMasked(xProj: tf.Tensor2D, state: RnnState, mask: tf.Tensor2D): RnnState {
    return this.fused() ? this.fusedStep(xProj, state, mask) : maskedState(this.step(xProj, state), state, mask);
  }

  /** Whether this step runs on the fused kernels of `src/core/kernels/fused.ts`. */
  private fused(): boolean {
    return fusedKernelsAvailable() && fusedKernelsFit(this.hiddenSize);
  }

  get recurrent(): { wh: tf.Variable; bh: tf.Variable } {
    return { wh: this.wh, bh: this.bh };
  }

  sequence(xProj: tf.Tensor3D, state: RnnState, mask: tf.Tensor2D, reverse: boolean): { outputs: tf.Tensor3D; final: RnnState } | null {
    if (!sequenceKernelsAvailable() || !this.fused()) return null;
    const r = region('cell', () => rnnSequence('gru', xProj, this.wh, this.bh, state.h, undefined, mask, reverse));
    return { outputs: r.hs, final: { h: r.h } };
  }

  /** The fused form: `h·W_h` as one product, then one kernel for the gates (`b_h` and the mask blend included). */
  private fusedStep(xProj: tf.Tensor2D, state: RnnState, mask?: tf.Tensor2D): RnnState {
    const hp = tf.matMul(state.h, this.wh) as tf.Tensor2D;
    return { h: region('cell', () => fusedGru(xProj, hp, this.bh as tf.Tensor1D, state.h, mask)) };
  }

  private gruStep(xProj: tf.Tensor2D, state: RnnState): RnnState {
    const H = this.hiddenSize;
    const hProj = tf.add(tf.matMul(state.h, this.wh), this.bh) as tf.Tensor2D;
    const [xRz, xN] = tf.split(xProj, [2 * H, H], 1);
    const [hRz, hN] = tf.split(hProj, [2 * H, H], 1);
    const [r, z] = tf.split(tf.sigmoid(tf.add(xRz, hRz)), 2, 1);
    const n = tf.tanh(tf.add(xN, tf.mul(r, hN)));
    // h' = (1 − z) n + z h = n + z (h − n)
    const h = tf.add(n, tf.mul(z, tf.sub(state.h, n))) as tf.Tensor2D;
    return { h };
  }

  zeroState(batch: number): RnnState {
    return { h: tf.zeros([batch, this.hiddenSize]) };
  }
}

/**
 * Long short-term memory (Hochreiter & Schmidhuber 1997; the formulation
 * with forget gate of Gers et al. 2000). Gates are stored in the order
 * [input, forget, output, candidate] so one sigmoid covers the first three.
 * The forget-gate bias starts at 1 (Jozefowicz et al. 2015).
 */
export class LstmCell implements RecurrentCell {
  readonly kind = 'lstm' as const;
  private readonly wx: tf.Variable;
  private readonly bx: tf.Variable;
  private readonly wh: tf.Variable;

  constructor(params: ParameterStore, name: string, readonly inputSize: number, readonly hiddenSize: number) {
    const H = hiddenSize;
    this.wx = params.weight(`${name}/Wx`, [inputSize, 4 * H], H);
    this.wh = params.weight(`${name}/Wh`, [H, 4 * H], H);
    const forget = new Float32Array(4 * H);
    forget.fill(1, H, 2 * H);
    this.bx = params.bias(`${name}/bx`, 4 * H, H, forget);
  }

  projectInputs(x: tf.Tensor2D): tf.Tensor2D {
    return tf.add(tf.matMul(x, this.wx), this.bx);
  }

  step(xProj: tf.Tensor2D, state: RnnState): RnnState {
    return this.fused() ? this.fusedStep(xProj, state) : region('cell', () => this.lstmStep(xProj, state));
  }

  stepMasked(xProj: tf.Tensor2D, state: RnnState, mask: tf.Tensor2D): RnnState {
    return this.fused() ? this.fusedStep(xProj, state, mask) : maskedState(this.step(xProj, state), state, mask);
  }

  /** Whether this step runs on the fused kernels of `src/core/kernels/fused.ts`. */
  private fused(): boolean {
    return fusedKernelsAvailable() && fusedKernelsFit(this.hiddenSize);
  }

  get recurrent(): { wh: tf.Variable } {
    return { wh: this.wh };
  }

  sequence(xProj: tf.Tensor3D, state: RnnState, mask: tf.Tensor2D, reverse: boolean): { outputs: tf.Tensor3D; final: RnnState } | null {
    if (!sequenceKernelsAvailable() || !this.fused()) return null;
    const r = region('cell', () => rnnSequence('lstm', xProj, this.wh, undefined, state.h, state.c, mask, reverse));
    return { outputs: r.hs, final: { h: r.h, c: r.c } };
  }

  /** The fused form: `h·W_h` as one product, then one kernel for the gates and the cell (and the mask blend). */
  private fusedStep(xProj: tf.Tensor2D, state: RnnState, mask?: tf.Tensor2D): RnnState {
    const hp = tf.matMul(state.h, this.wh) as tf.Tensor2D;
    return region('cell', () => fusedLstm(xProj, hp, state.h, state.c!, mask));
  }

  private lstmStep(xProj: tf.Tensor2D, state: RnnState): RnnState {
    const H = this.hiddenSize;
    const gates = tf.add(xProj, tf.matMul(state.h, this.wh));
    const [ifo, g] = tf.split(gates, [3 * H, H], 1);
    const [i, f, o] = tf.split(tf.sigmoid(ifo), 3, 1);
    const c = tf.add(tf.mul(f, state.c!), tf.mul(i, tf.tanh(g))) as tf.Tensor2D;
    const h = tf.mul(o, tf.tanh(c)) as tf.Tensor2D;
    return { h, c };
  }

  zeroState(batch: number): RnnState {
    return { h: tf.zeros([batch, this.hiddenSize]), c: tf.zeros([batch, this.hiddenSize]) };
  }
}

/** Create a cell of the configured kind. */
export function makeCell(kind: CellKind, params: ParameterStore, name: string, inputSize: number, hiddenSize: number): RecurrentCell {
  return kind === 'gru' ? new GruCell(params, name, inputSize, hiddenSize) : new LstmCell(params, name, inputSize, hiddenSize);
}

/**
 * Keep the previous state where `mask` is 0 (padding): `prev + m·(next − prev)`.
 * @param mask `[batch, 1]`, 1 for real tokens.
 */
export function maskedState(next: RnnState, prev: RnnState, mask: tf.Tensor2D): RnnState {
  const blend = (a: tf.Tensor2D, b: tf.Tensor2D) => tf.add(b, tf.mul(mask, tf.sub(a, b))) as tf.Tensor2D;
  return region('cell', () => (next.c ? { h: blend(next.h, prev.h), c: blend(next.c, prev.c!) } : { h: blend(next.h, prev.h) }));
}
