/**
 * Run folders and checkpoints on disk.
 *
 * A run folder (written by `seq2seq train` and the VS Code trainer) holds:
 * - `run.json`: format version, the resolved config, vocabularies and
 *   tokenizer settings — everything needed to rebuild the model;
 * - `metrics.jsonl`: every training event, one JSON object per line;
 * - `best/` and `last/`: checkpoints, each `weights.json` (manifest: names,
 *   shapes, byte offsets, step, metrics) + `weights.bin` (little-endian
 *   float32); `last/` also holds `optimizer.bin`/`optimizer.json` and
 *   `trainer.json` (step, epoch, learning rate, patience counters, RNG state)
 *   so a run can resume exactly where it stopped.
 * Checkpoints are written to a temporary folder and renamed into place, so an
 * interrupted write never leaves a half-written checkpoint behind.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { legacyModelKeys, type Seq2SeqConfig } from './config';
import type { TokenizerJSON } from './data/tokenizer';
import type { VocabularyJSON } from './data/vocabulary';

/**
 * Format of `run.json`. Version 2 added the model keys `encoderHiddenSize`, `weightInit`,
 * `readout`, `readoutSize`, `embeddingInit` and `embeddingInitScale`; a
 * version-1 manifest is read with the values those runs were trained with
 * (`legacyModelKeys`).
 */
export const RUN_FORMAT = 'seq2seq-lab/run@2';
/** Every `run.json` format this version reads. */
export const READABLE_RUN_FORMATS: readonly string[] = ['seq2seq-lab/run@1', RUN_FORMAT];

/** Contents of `run.json`. */
export interface RunManifest {
  format: typeof RUN_FORMAT;
  /** The config with every default filled in and data paths absolute. */
  config: Seq2SeqConfig;
  /** Path of the config file the run was started from, when there was one. */
  configPath?: string;
  srcVocab: VocabularyJSON;
  tgtVocab: VocabularyJSON;
  srcTokenizer: TokenizerJSON;
  tgtTokenizer: TokenizerJSON;
  /** tfjs backend the run was trained with. */
  backend: string;
  /** ISO 8601 time the run was created. */
  created: string;
}

/** Named float32 arrays, e.g. model parameters. */
export interface NamedArray {
  name: string;
  shape: number[];
  values: Float32Array;
}

/** Metadata stored with a checkpoint. */
export interface CheckpointMeta {
  kind: 'best' | 'last';
  step: number;
  epoch: number;
  time: string;
  /** Validation metrics when the checkpoint was written (absent before the first validation). */
  valid?: { bleu: number; perplexity: number; loss: number };
}

interface ArrayFileEntry {
  name: string;
  shape: number[];
  /** Offset in floats into the `.bin` file. */
  offset: number;
}

/** Thrown when a run folder or checkpoint is missing or malformed. */
export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

async function writeArrays(dir: string, base: string, arrays: NamedArray[], extra: object): Promise<void> {
  let total = 0;
  const entries: ArrayFileEntry[] = arrays.map((a) => {
    const e = { name: a.name, shape: a.shape, offset: total };
    total += a.values.length;
    return e;
  });
  const buf = Buffer.alloc(total * 4);
  const view = new Float32Array(buf.buffer, buf.byteOffset, total);
  arrays.forEach((a, i) => view.set(a.values, entries[i].offset));
  await fs.writeFile(path.join(dir, `${base}.bin`), buf);
  await fs.writeFile(path.join(dir, `${base}.json`), JSON.stringify({ ...extra, arrays: entries }, null, 1));
}

async function readArrays(dir: string, base: string): Promise<{ arrays: NamedArray[]; extra: Record<string, unknown> }> {
  const jsonPath = path.join(dir, `${base}.json`);
  let manifest: { arrays?: ArrayFileEntry[] } & Record<string, unknown>;
  try {
    manifest = JSON.parse(await fs.readFile(jsonPath, 'utf8'));
  } catch (e) {
    throw new CheckpointError(`cannot read ${jsonPath}: ${(e as Error).message}`);
  }
  if (!Array.isArray(manifest.arrays)) throw new CheckpointError(`${jsonPath}: expected an "arrays" list`);
  const bin = await fs.readFile(path.join(dir, `${base}.bin`));
  const floats = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
  const arrays = manifest.arrays.map((e) => {
    const size = e.shape.reduce((a, b) => a * b, 1);
    if (e.offset + size > floats.length) throw new CheckpointError(`${jsonPath}: ${e.name} lies beyond the end of ${base}.bin`);
    return { name: e.name, shape: e.shape, values: floats.slice(e.offset, e.offset + size) };
  });
  const { arrays: _drop, ...extra } = manifest;
  return { arrays, extra };
}

/**
 * Write a checkpoint atomically into `<runDir>/<meta.kind>/`.
 * @param optimizer optimizer slots in the optimizer's own order (only for `last`)
 * @param trainerState JSON-serialisable trainer state (only for `last`)
 * @returns the checkpoint folder
 */
export async function saveCheckpoint(
  runDir: string,
  meta: CheckpointMeta,
  weights: NamedArray[],
  optimizer?: NamedArray[],
  trainerState?: object,
): Promise<string> {
  const final = path.join(runDir, meta.kind);
  const tmp = path.join(runDir, `.${meta.kind}.tmp-${process.pid}`);
  await fs.rm(tmp, { recursive: true, force: true });
  await fs.mkdir(tmp, { recursive: true });
  await writeArrays(tmp, 'weights', weights, { meta });
  if (optimizer) await writeArrays(tmp, 'optimizer', optimizer, {});
  if (trainerState) await fs.writeFile(path.join(tmp, 'trainer.json'), JSON.stringify(trainerState, null, 1));
  const old = path.join(runDir, `.${meta.kind}.old-${process.pid}`);
  await fs.rm(old, { recursive: true, force: true });
  const exists = await fs.stat(final).then(() => true, () => false);
  if (exists) await fs.rename(final, old);
  await fs.rename(tmp, final);
  await fs.rm(old, { recursive: true, force: true });
  return final;
}

/** A checkpoint read from disk. */
export interface LoadedCheckpoint {
  dir: string;
  meta: CheckpointMeta;
  weights: NamedArray[];
  optimizer?: NamedArray[];
  trainerState?: Record<string, unknown>;
}

/**
 * Read a checkpoint folder (`best/` or `last/`).
 * @throws CheckpointError when files are missing or malformed
 */
export async function loadCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  const { arrays, extra } = await readArrays(dir, 'weights');
  const meta = extra.meta as CheckpointMeta;
  const hasOptimizer = await fs.stat(path.join(dir, 'optimizer.json')).then(() => true, () => false);
  const optimizer = hasOptimizer ? (await readArrays(dir, 'optimizer')).arrays : undefined;
  const trainerState = await fs
    .readFile(path.join(dir, 'trainer.json'), 'utf8')
    .then((s) => JSON.parse(s) as Record<string, unknown>, () => undefined);
  return { dir, meta, weights: arrays, optimizer, trainerState };
}

/** Write `run.json`. */
export async function writeRunManifest(runDir: string, manifest: RunManifest): Promise<void> {
  await fs.mkdir(runDir, { recursive: true });
  const tmp = path.join(runDir, `.run.json.tmp-${process.pid}`);
  await fs.writeFile(tmp, JSON.stringify(manifest, null, 1));
  await fs.rename(tmp, path.join(runDir, 'run.json'));
}

/**
 * Read `run.json` of a run folder.
 * @throws CheckpointError when absent or not a run manifest
 */
export async function readRunManifest(runDir: string): Promise<RunManifest> {
  const file = path.join(runDir, 'run.json');
  let json: RunManifest;
  try {
    json = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CheckpointError(
      code === 'ENOENT' ? `${runDir} is not a run folder: it has no run.json (train a model first with "seq2seq train")` : `cannot read ${file}: ${(e as Error).message}`,
    );
  }
  if (!READABLE_RUN_FORMATS.includes(json.format)) {
    throw new CheckpointError(`${file}: unknown format ${JSON.stringify(json.format)} (expected one of ${READABLE_RUN_FORMATS.join(', ')})`);
  }
  return upgradeManifest(json);
}

/**
 * A manifest in the current format: a version-1 run's model config gets the
 * keys that version implied (see `legacyModelKeys`).
 */
export function upgradeManifest(json: RunManifest): RunManifest {
  if (json.format === RUN_FORMAT) return json;
  const model = { ...legacyModelKeys(json.config.model), ...json.config.model };
  return { ...json, format: RUN_FORMAT, config: { ...json.config, model } };
}

/**
 * Resolve a user-given model path to its run folder and checkpoint folder.
 * Accepts a run folder (uses `best/`, else `last/`) or a checkpoint folder.
 * @throws CheckpointError when no checkpoint is found
 */
export async function resolveModelPath(p: string): Promise<{ runDir: string; checkpointDir: string }> {
  const abs = path.resolve(p);
  const isCheckpoint = await fs.stat(path.join(abs, 'weights.json')).then(() => true, () => false);
  if (isCheckpoint) return { runDir: path.dirname(abs), checkpointDir: abs };
  for (const kind of ['best', 'last']) {
    const dir = path.join(abs, kind);
    if (await fs.stat(path.join(dir, 'weights.json')).then(() => true, () => false)) return { runDir: abs, checkpointDir: dir };
  }
  const exists = await fs.stat(abs).then(() => true, () => false);
  throw new CheckpointError(exists ? `${p} holds no checkpoint (expected best/ or last/ with weights.json)` : `${p} does not exist`);
}
