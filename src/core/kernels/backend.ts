/**
 * TensorFlow.js backend selection for Seq2Seq Lab.
 *
 * One backend is chosen per process / worker thread, in this order of
 * preference:
 *   1. `tensorflow` – `@tensorflow/tfjs-node` (native TensorFlow; an optional
 *      peer dependency, loaded through a computed `require` so bundlers leave
 *      it alone and a missing / broken install is simply skipped);
 *   2. `wasm` – `@tensorflow/tfjs-backend-wasm` (XNNPACK, SIMD when the
 *      runtime supports it), with the custom kernels of
 *      `src/core/kernels/wasm.ts` registered on top;
 *   3. `cpu` – `@tensorflow/tfjs-backend-cpu` (plain JavaScript).
 *
 * The environment variable `SEQ2SEQ_BACKEND` (`tensorflow` | `wasm` | `cpu`)
 * overrides the caller's preference.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's Node entry registers neither gradients nor the chained tensor
// methods (`t.add(...)`); only the meta-package `@tensorflow/tfjs` would. Both
// are needed for training, so this module (the one everything initialises
// through) registers them as side effects.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
import { registerWasmKernels } from './wasm';
import { registerFusedKernels } from './fused';
import { registerSequenceKernels } from './sequence';

/** Backend names understood by {@link initBackend}. */
export type BackendChoice = 'tensorflow' | 'wasm' | 'cpu';

/** What {@link describeBackend} reports about the active backend. */
export interface BackendInfo {
  /** tfjs backend name: `tensorflow`, `wasm` or `cpu`. */
  name: string;
  /** Whether the SIMD wasm binary is in use (always false for non-wasm backends). */
  simd: boolean;
  /** Number of threads the backend computes with (1 for single-threaded wasm / cpu). */
  threads: number;
}

const BACKEND_CHOICES: readonly BackendChoice[] = ['tensorflow', 'wasm', 'cpu'];
const WASM_SIMD_FILE = 'tfjs-backend-wasm-simd.wasm';

let initPromise: Promise<string> | null = null;
let activeName: string | null = null;
let activeInfo: BackendInfo | null = null;

/**
 * Parses a backend name (e.g. from `SEQ2SEQ_BACKEND`).
 * @throws Error naming the accepted values when `value` is not one of them.
 */
export function parseBackendChoice(value: string, source = 'backend'): BackendChoice {
  const v = value.trim().toLowerCase();
  if (v === 'node' || v === 'tfjs-node') return 'tensorflow';
  if ((BACKEND_CHOICES as readonly string[]).includes(v)) return v as BackendChoice;
  throw new Error(
    `${source}: unknown TensorFlow.js backend "${value}"; expected one of ${BACKEND_CHOICES.join(', ')}`,
  );
}

/**
 * Directory (with trailing separator) holding the tfjs wasm binaries: the
 * directory of this (bundled) script when `tfjs-backend-wasm-simd.wasm` was
 * copied next to it by the build, else the `dist/` folder of the installed
 * `@tensorflow/tfjs-backend-wasm` package.
 * @throws Error when neither location holds the binaries.
 */
export function wasmBinaryDir(): string {
  const candidates: string[] = [];
  if (typeof __dirname === 'string') candidates.push(__dirname);
  try {
    const main = require.resolve('@tensorflow/tfjs-backend-wasm');
    candidates.push(path.dirname(main));
  } catch {
    /* package not resolvable from here: rely on the bundle directory */
  }
  for (const dir of candidates) {
    if (fs.existsSync(path.join(dir, WASM_SIMD_FILE))) return dir.endsWith(path.sep) ? dir : dir + path.sep;
  }
  throw new Error(
    `cannot find ${WASM_SIMD_FILE}: looked in ${candidates.join(', ') || '(nowhere)'}; ` +
      'run the build (it copies the .wasm files into dist/) or reinstall @tensorflow/tfjs-backend-wasm',
  );
}

/** A require that bundlers cannot statically follow (for optional peers). */
function optionalRequire(name: string): unknown {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const req: NodeRequire = typeof require === 'function' ? require : (new Function('return require')() as NodeRequire);
  return req(name);
}

function quietTfjs(): void {
  // PROD mode skips expensive per-op checks (NaN checks, shape asserts on
  // gradients) and silences backend_util.warn, which prints the tfjs-node hint.
  tf.enableProdMode();
}

async function tryTensorflow(): Promise<boolean> {
  try {
    optionalRequire(['@tensorflow', 'tfjs-node'].join('/'));
  } catch {
    return false;
  }
  try {
    return (await tf.setBackend('tensorflow')) === true;
  } catch {
    return false;
  }
}

async function tryWasm(): Promise<boolean> {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(wasmBinaryDir());
    registerWasmKernels();
    // The Emscripten glue installs process-wide 'uncaughtException' and
    // 'unhandledRejection' listeners that rethrow (turning any stray rejection
    // into a crash, also in the VS Code extension host); remove the ones it adds.
    const before = snapshotListeners();
    let ok: boolean;
    try {
      ok = (await tf.setBackend('wasm')) === true;
    } finally {
      removeAddedListeners(before);
    }
    if (ok) {
      registerWasmKernels();
      registerFusedKernels();
      registerSequenceKernels();
    }
    return ok;
  } catch {
    return false;
  }
}

type Listener = (...args: unknown[]) => void;
const GUARDED_EVENTS = ['uncaughtException', 'unhandledRejection'] as const;
const proc = process as unknown as {
  listeners(e: string): Listener[];
  removeListener(e: string, l: Listener): void;
};

function snapshotListeners(): Map<string, Listener[]> {
  return new Map(GUARDED_EVENTS.map((e) => [e, proc.listeners(e)]));
}

function removeAddedListeners(before: Map<string, Listener[]>): void {
  for (const e of GUARDED_EVENTS) {
    const old = before.get(e) ?? [];
    for (const l of proc.listeners(e)) if (!old.includes(l)) proc.removeListener(e, l);
  }
}

async function tryCpu(): Promise<boolean> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('@tensorflow/tfjs-backend-cpu');
  return (await tf.setBackend('cpu')) === true;
}

async function doInit(preferred?: BackendChoice): Promise<string> {
  quietTfjs();
  const envValue = process.env.SEQ2SEQ_BACKEND;
  const choice: BackendChoice | undefined =
    envValue !== undefined && envValue.trim() !== ''
      ? parseBackendChoice(envValue, 'SEQ2SEQ_BACKEND')
      : preferred;
  const order: BackendChoice[] =
    choice === 'cpu' ? ['cpu'] : choice === 'wasm' ? ['wasm', 'cpu'] : ['tensorflow', 'wasm', 'cpu'];
  for (const name of order) {
    const ok = name === 'tensorflow' ? await tryTensorflow() : name === 'wasm' ? await tryWasm() : await tryCpu();
    if (ok) {
      await tf.ready();
      activeName = tf.getBackend();
      activeInfo = await probeInfo(activeName);
      return activeName;
    }
  }
  throw new Error('no TensorFlow.js backend could be initialised (tried ' + order.join(', ') + ')');
}

async function probeInfo(name: string): Promise<BackendInfo> {
  if (name === 'wasm') {
    const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
    let threads = 1;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
      threads = Math.max(1, wasm.getThreadsCount());
    } catch {
      /* keep 1 */
    }
    return { name, simd, threads };
  }
  if (name === 'tensorflow') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const os = require('os') as typeof import('os');
    return { name, simd: false, threads: os.cpus().length };
  }
  return { name, simd: false, threads: 1 };
}

/**
 * Chooses and initialises the TensorFlow.js backend once per process/thread.
 *
 * Order: `SEQ2SEQ_BACKEND` env override, else `preferred`, else
 * tensorflow → wasm → cpu (first that loads wins; an explicit `wasm` falls
 * back to `cpu`, `cpu` is taken as is). Also enables tfjs production mode
 * (faster, and no "install tfjs-node" banner) and, on wasm, registers the
 * custom kernels of `src/core/kernels/wasm.ts`.
 *
 * Idempotent: later calls return the first call's result whatever their argument.
 * @returns the active backend name (`tensorflow` | `wasm` | `cpu`).
 * @throws Error when `SEQ2SEQ_BACKEND` holds an unknown name or no backend loads.
 */
export function initBackend(preferred?: BackendChoice): Promise<string> {
  if (initPromise === null) {
    initPromise = doInit(preferred).catch((err: unknown) => {
      initPromise = null;
      throw err;
    });
  }
  return initPromise;
}

/**
 * Name of the active backend (after {@link initBackend}); before init it is
 * whatever tfjs itself currently uses, or `''` when none is set.
 */
export function backendName(): string {
  if (activeName !== null) return activeName;
  try {
    return tf.getBackend() ?? '';
  } catch {
    return '';
  }
}

/**
 * Describes the active backend: `{name, simd, threads}`.
 * @throws Error when called before {@link initBackend} has resolved.
 */
export function describeBackend(): BackendInfo {
  if (activeInfo === null) throw new Error('describeBackend() called before initBackend() resolved');
  return { ...activeInfo };
}

/**
 * Size of the wasm backend's heap, which only grows: after a step it is that
 * step's peak memory (or more). Undefined on other backends.
 * @returns bytes in use by the heap and its limit (4 GiB for 32-bit wasm)
 */
export function wasmHeapBytes(): { bytes: number; limit: number } | undefined {
  if (backendName() !== 'wasm') return undefined;
  const heap = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8;
  return heap ? { bytes: heap.length, limit: 4 * 2 ** 30 } : undefined;
}
