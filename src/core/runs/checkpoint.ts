/**
 * Run folders and checkpoints on disk.
 *
 * A run folder (written by `seq2seq train` and the VS Code trainer) holds:
 * - `run.json`: format version, the resolved config, vocabularies and
 *   tokenizer settings — everything needed to rebuild the model;
 * - `bpe.json` (`data.tokenizer: "bpe"` runs only): the learned BPE merges
 *   of each side, checked against the SHA-256 and merge counts run.json
 *   records (see `readBpeFile`);
 * - `metrics.jsonl`: every training event, one JSON object per line;
 * - `best/` and `last/`: checkpoints, each `weights.json` (manifest: names,
 *   shapes, byte offsets, step, metrics) + `weights.bin` (little-endian
 *   float32); `last/` also holds `optimizer.bin`/`optimizer.json` and
 *   `trainer.json` (step, epoch, learning rate, patience counters, RNG state)
 *   so a run can resume exactly where it stopped.
 * Checkpoints are written to a temporary folder, fsynced and renamed into
 * place (see `saveCheckpoint`), so `best/` and `last/` always hold one
 * complete checkpoint, whenever the process is killed.
 */
import { createHash } from 'crypto';
import { promises as fs } from 'fs';
import * as path from 'path';
import { legacyModelKeys, type ModelConfig, type Seq2SeqConfig } from '../config/config';
import { tokenizerFromJSON, type Tokenizer, type TokenizerJSON } from '../data/tokenizer';
import type { VocabularyJSON } from '../data/vocabulary';
import { BpeCodes, BpeTokenizer, initialSymbols, WORD_START, type BpeMerge } from '../data/bpe';
import type { StoredBpe } from '../data/dataset';
import { exists, syncDir, writeFileDurable } from './durableFs';

/**
 * Format of `run.json`. Version 2 added the model keys `encoderHiddenSize`, `weightInit`,
 * `readout`, `readoutSize`, `embeddingInit` and `embeddingInitScale`; a
 * version-1 manifest is read with the values those runs were trained with
 * (`legacyModelKeys`). Version 3 added `bridgeFrom`; earlier runs are read
 * with `bridgeFrom: "final"`, the only bridge they had. (A reader of version 2
 * refuses a version-3 run rather than load a `mean` run as `final`.)
 * Version 4 added the `bpe` tokenizer, the `bpe` key and the run folder's
 * `bpe.json`; a version-3 run reads unchanged.
 * `model.type` / `model.transformer` (the Transformer) and
 * `train.labelSmoothing` / `train.warmupSteps` need no new version: a run
 * without them is what they default to (`rnn`, 0, and a schedule that does
 * not read `warmupSteps`), and a reader that predates them refuses a run that
 * has them, naming the key (its schema allows no unknown keys).
 */
export const RUN_FORMAT = 'seq2seq-lab/run@4';
/** Every `run.json` format this version reads. */
export const READABLE_RUN_FORMATS: readonly string[] = ['seq2seq-lab/run@1', 'seq2seq-lab/run@2', 'seq2seq-lab/run@3', RUN_FORMAT];

/**
 * Format of a checkpoint's array manifests (`weights.json`, `optimizer.json`):
 * names, shapes and offsets (in floats) of the little-endian float32 arrays
 * stored one after another in the `.bin` file beside it.
 */
export const CHECKPOINT_FORMAT = 'seq2seq-lab/checkpoint@1';
/** Every checkpoint format this version reads. */
export const READABLE_CHECKPOINT_FORMATS: readonly string[] = [CHECKPOINT_FORMAT];

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
  /** The run's `bpe.json` (`data.tokenizer: "bpe"` only), as written. */
  bpe?: BpeFileInfo;
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
  await writeFileDurable(path.join(dir, `${base}.bin`), buf);
  await testPause();
  await writeFileDurable(path.join(dir, `${base}.json`), JSON.stringify({ format: CHECKPOINT_FORMAT, ...extra, arrays: entries }, null, 1));
  await testPause();
}

/** Expected name and shape of one stored array (what the run's model needs). */
export interface ArraySpec {
  name: string;
  shape: number[];
}

/**
 * A refusal of a damaged or edited checkpoint file: `what` (file and what was
 * expected) followed by what to do.
 */
function damaged(what: string): CheckpointError {
  return new CheckpointError(`${what}. The checkpoint is damaged or was edited: use the run's other checkpoint (best/ or last/) if it loads, or train again`);
}

/** Largest `weights.json` / `optimizer.json` read (bytes): a manifest lists names and shapes, never values. */
const MAX_MANIFEST_BYTES = 64 * 2 ** 20;

/**
 * Validate an array manifest (`weights.json` / `optimizer.json`) against the
 * `.bin` file's size and, when given, the arrays the model expects — all
 * before a single value is read or allocated.
 * @returns the entries, in file order
 * @throws CheckpointError naming the file, the array and what was expected
 */
function validateEntries(jsonPath: string, raw: unknown, binBytes: number, binPath: string, expected?: ArraySpec[]): ArrayFileEntry[] {
  if (!Array.isArray(raw)) throw damaged(`${jsonPath}: expected an "arrays" list`);
  const entries: ArrayFileEntry[] = [];
  const seen = new Set<string>();
  let total = 0;
  raw.forEach((e: unknown, i) => {
    const where = `${jsonPath}: arrays[${i}]`;
    if (!e || typeof e !== 'object') throw damaged(`${where}: expected {"name", "shape", "offset"}`);
    const { name, shape, offset } = e as Record<string, unknown>;
    if (typeof name !== 'string' || name === '') throw damaged(`${where}: expected a "name" string`);
    if (seen.has(name)) throw damaged(`${where}: ${name} is listed twice`);
    seen.add(name);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw damaged(`${where} (${name}): expected "shape" to be a list of whole numbers ≥ 0, got ${JSON.stringify(shape)}`);
    }
    let size = 1;
    for (const d of shape as number[]) size *= d;
    if (!Number.isSafeInteger(size) || total + size > binBytes / 4) {
      throw damaged(`${where} (${name}): shape [${shape}] needs ${size * 4} bytes from byte ${total * 4} on, but ${binPath} has ${binBytes} bytes (it was cut short, or the shape was edited)`);
    }
    if (offset !== total) throw damaged(`${where} (${name}): expected offset ${total} (the arrays are stored one after another), got ${JSON.stringify(offset)}`);
    entries.push({ name, shape: (shape as number[]).slice(), offset: total });
    total += size;
  });
  if (total * 4 !== binBytes) {
    throw damaged(`${binPath} has ${binBytes} bytes; ${jsonPath} describes ${total * 4} (the file was cut short, or belongs to another checkpoint)`);
  }
  if (expected) {
    const byName = new Map(entries.map((e) => [e.name, e]));
    for (const want of expected) {
      const got = byName.get(want.name);
      if (!got) throw damaged(`${jsonPath}: no array ${want.name} (the run's model, as its run.json config and vocabularies describe it, needs it with shape [${want.shape}])`);
      if (got.shape.length !== want.shape.length || got.shape.some((d, k) => d !== want.shape[k])) {
        throw damaged(`${jsonPath}: ${want.name} has shape [${got.shape}]; the run's config and vocabularies (run.json) give [${want.shape}]`);
      }
    }
    if (entries.length !== expected.length) {
      const wanted = new Set(expected.map((e) => e.name));
      const extra = entries.find((e) => !wanted.has(e.name))!;
      throw damaged(`${jsonPath}: array ${extra.name} is not part of the run's model (as its run.json config and vocabularies describe it)`);
    }
  }
  return entries;
}

async function readArrays(dir: string, base: string, expected?: ArraySpec[]): Promise<{ arrays: NamedArray[]; extra: Record<string, unknown> }> {
  const jsonPath = path.join(dir, `${base}.json`);
  const binPath = path.join(dir, `${base}.bin`);
  let manifest: Record<string, unknown>;
  try {
    const st = await fs.stat(jsonPath);
    if (st.size > MAX_MANIFEST_BYTES) throw new Error(`${st.size} bytes is too large for an array manifest`);
    manifest = JSON.parse(await fs.readFile(jsonPath, 'utf8'));
  } catch (e) {
    throw damaged(`cannot read ${jsonPath}: ${(e as Error).message}`);
  }
  if (!manifest || typeof manifest !== 'object' || Array.isArray(manifest)) throw damaged(`${jsonPath}: expected a JSON object`);
  // Manifests written before the format was recorded have no `format` key; their layout is version 1's.
  const format = manifest.format ?? CHECKPOINT_FORMAT;
  if (!READABLE_CHECKPOINT_FORMATS.includes(format as string)) {
    throw new CheckpointError(
      `${jsonPath}: format ${JSON.stringify(format)} is not one this version of Seq2Seq Lab reads (${READABLE_CHECKPOINT_FORMATS.join(', ')}); ` +
        'load it with the version that wrote it, or train the model again',
    );
  }
  const binBytes = await fs.stat(binPath).then(
    (st) => st.size,
    (e: Error) => {
      throw damaged(`cannot read ${binPath}: ${e.message}`);
    },
  );
  const entries = validateEntries(jsonPath, manifest.arrays, binBytes, binPath, expected);
  const bin = await fs.readFile(binPath);
  if (bin.byteLength !== binBytes) throw new CheckpointError(`${binPath} changed while it was read; try again`);
  const floats = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
  const arrays = entries.map((e) => {
    const size = e.shape.reduce((a, b) => a * b, 1);
    return { name: e.name, shape: e.shape, values: floats.slice(e.offset, e.offset + size) };
  });
  const { arrays: _drop, format: _format, ...extra } = manifest;
  return { arrays, extra };
}

/**
 * Test hook: `SEQ2SEQ_TEST_CHECKPOINT_PAUSE_MS` (milliseconds, default 0)
 * makes the checkpoint writer wait that long after each file it writes and
 * between its two renames, so that a test killing the process lands inside
 * a checkpoint write often (see test/kill.test.ts). Not for normal use.
 */
function testPause(): Promise<void> {
  const ms = Number(process.env.SEQ2SEQ_TEST_CHECKPOINT_PAUSE_MS ?? 0);
  return ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve();
}

/** Checkpoint kinds kept in a run folder. */
export const CHECKPOINT_KINDS = ['best', 'last'] as const;

/** Folder the previous `kind` checkpoint is moved to while a new one is renamed into place. */
function previousDir(runDir: string, kind: string): string {
  return path.join(runDir, `.${kind}.prev`);
}

let tmpCounter = 0;

/**
 * Write a checkpoint atomically into `<runDir>/<meta.kind>/`.
 *
 * The files go into a temporary folder `<runDir>/.<kind>.tmp-<pid>-<n>/`,
 * each fsynced; then the current checkpoint (if any) is renamed to
 * `.<kind>.prev`, the temporary folder is renamed to `<kind>/`, and
 * `.<kind>.prev` is deleted. So `<kind>/` is always one complete checkpoint;
 * a kill between the two renames leaves `.<kind>.prev` (complete, the
 * previous step), which readers fall back to and `recoverRunFolder` renames
 * back. Temporary folders left by a kill are removed by `recoverRunFolder`.
 * @param optimizer optimizer slots in the optimizer's own order (only for `last`)
 * @param trainerState JSON-serialisable trainer state (only for `last`)
 * @returns the checkpoint folder
 * @throws the `fs` error of a failed write (ENOSPC, EACCES, …); the previous checkpoint is then left in place
 */
export async function saveCheckpoint(
  runDir: string,
  meta: CheckpointMeta,
  weights: NamedArray[],
  optimizer?: NamedArray[],
  trainerState?: object,
): Promise<string> {
  const final = path.join(runDir, meta.kind);
  const prev = previousDir(runDir, meta.kind);
  const tmp = path.join(runDir, `.${meta.kind}.tmp-${process.pid}-${tmpCounter++}`);
  try {
    await fs.mkdir(tmp, { recursive: true });
    await writeArrays(tmp, 'weights', weights, { meta });
    if (optimizer) await writeArrays(tmp, 'optimizer', optimizer, { step: meta.step });
    if (trainerState) {
      await writeFileDurable(path.join(tmp, 'trainer.json'), JSON.stringify(trainerState, null, 1));
      await testPause();
    }
    await syncDir(tmp);
  } catch (e) {
    await fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw e;
  }
  const moved = await exists(final);
  try {
    if (moved) {
      // `prev` can only be left over while `final` exists (see recoverRunFolder), so it is safe to drop.
      await fs.rm(prev, { recursive: true, force: true });
      await fs.rename(final, prev);
      await syncDir(runDir);
      await testPause();
    }
    await fs.rename(tmp, final);
  } catch (e) {
    // Put the previous checkpoint back if it was moved (else readers and the next start use `prev`).
    if (moved && !(await exists(final))) await fs.rename(prev, final).catch(() => undefined);
    await fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw e;
  }
  await syncDir(runDir);
  await fs.rm(prev, { recursive: true, force: true });
  return final;
}

/**
 * The folder holding the usable `kind` checkpoint of a run: `<kind>/`, or
 * `.<kind>.prev/` while (or when a kill left) a new one half renamed into
 * place. Read-only: never changes the run folder.
 * @returns undefined when the run has no such checkpoint
 */
export async function findCheckpoint(runDir: string, kind: 'best' | 'last'): Promise<string | undefined> {
  for (const dir of [path.join(runDir, kind), previousDir(runDir, kind)]) {
    if (await exists(path.join(dir, 'weights.json'))) return dir;
  }
  return undefined;
}

/**
 * Repair what a process killed while writing left in a run folder; call it
 * before training, only while no other training uses the folder (`train`
 * holds the run folder's lock). Renames `.<kind>.prev` back to `<kind>/` when a kill struck
 * between the two renames of `saveCheckpoint` (and the same for the
 * `.<kind>.old-<pid>` folders of earlier versions), deletes a leftover
 * `.<kind>.prev` whose successor is in place, and removes temporary folders
 * and files (`.best.tmp-*`, `.last.tmp-*`, `.run.json.tmp-*`, and the
 * `train.lock.takeover` left by a lock takeover that was killed).
 * @returns the names of the entries removed or restored (for a log line)
 */
export async function recoverRunFolder(runDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(runDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const changed: string[] = [];
  for (const kind of CHECKPOINT_KINDS) {
    const final = path.join(runDir, kind);
    const previous = [`.${kind}.prev`, ...names.filter((n) => n.startsWith(`.${kind}.old-`))].filter((n) => names.includes(n));
    for (const name of previous) {
      if (!(await exists(final)) && (await exists(path.join(runDir, name, 'weights.json')))) {
        await fs.rename(path.join(runDir, name), final);
        changed.push(`${name} → ${kind}`);
      } else {
        await fs.rm(path.join(runDir, name), { recursive: true, force: true });
        changed.push(name);
      }
    }
  }
  for (const name of names) {
    if (/^\.(best|last)\.tmp-|^\.run\.json\.tmp-|^train\.lock\.takeover$/.test(name)) {
      await fs.rm(path.join(runDir, name), { recursive: true, force: true });
      changed.push(name);
    }
  }
  if (changed.length) await syncDir(runDir);
  return changed;
}

/**
 * Delete the `kind` checkpoint of a run (a fresh start in an old run folder):
 * renamed out of the way first, so a kill during the deletion never leaves a
 * partial `<kind>/` behind.
 */
export async function removeCheckpoint(runDir: string, kind: 'best' | 'last'): Promise<void> {
  const final = path.join(runDir, kind);
  if (!(await exists(final))) return;
  const doomed = path.join(runDir, `.${kind}.tmp-${process.pid}-${tmpCounter++}`);
  await fs.rename(final, doomed);
  await fs.rm(doomed, { recursive: true, force: true });
}

/** A checkpoint read from disk. */
export interface LoadedCheckpoint {
  dir: string;
  meta: CheckpointMeta;
  weights: NamedArray[];
  optimizer?: NamedArray[];
  trainerState?: Record<string, unknown>;
}

/** What a checkpoint must hold to fit the run's model (see `loadCheckpoint`). */
export interface ExpectedArrays {
  /** The model's parameters, names and shapes. */
  weights: ArraySpec[];
  /** The optimiser's slots (`Adam.stateSpecs`), checked when the checkpoint has optimizer state. */
  optimizer?: ArraySpec[];
}

function validMeta(file: string, meta: unknown): CheckpointMeta {
  const m = meta as Partial<CheckpointMeta> | undefined;
  const whole = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  if (!m || typeof m !== 'object' || (m.kind !== 'best' && m.kind !== 'last') || !whole(m.step) || !whole(m.epoch)) {
    throw damaged(`${file}: expected "meta" with "kind" ("best" or "last"), "step" and "epoch" (whole numbers ≥ 0), got ${JSON.stringify(meta)?.slice(0, 200)}`);
  }
  return m as CheckpointMeta;
}

/**
 * Read a checkpoint folder (`best/` or `last/`). Every manifest is checked
 * before any value is read: a known format, whole non-negative shapes, arrays
 * stored one after another that exactly fill their `.bin` file and, with
 * `expected`, exactly the arrays and shapes the run's model needs; the files
 * must all come from one step. So a checkpoint is either loaded whole or
 * refused; nothing is half-loaded.
 * @param expected the arrays the run's model needs (from its run.json config and vocabularies)
 * @throws CheckpointError naming the file and what was expected, when files are missing, malformed, truncated or do not fit
 */
export async function loadCheckpoint(dir: string, expected?: ExpectedArrays): Promise<LoadedCheckpoint> {
  const { arrays, extra } = await readArrays(dir, 'weights', expected?.weights);
  const meta = validMeta(path.join(dir, 'weights.json'), extra.meta);
  let optimizer: NamedArray[] | undefined;
  if (await exists(path.join(dir, 'optimizer.json'))) {
    const opt = await readArrays(dir, 'optimizer', expected?.optimizer);
    if (opt.extra.step !== undefined && opt.extra.step !== meta.step) {
      throw damaged(`${path.join(dir, 'optimizer.json')} is from step ${opt.extra.step}, weights.json from step ${meta.step}: the checkpoint mixes two steps`);
    }
    optimizer = opt.arrays;
  }
  const trainerFile = path.join(dir, 'trainer.json');
  let trainerState: Record<string, unknown> | undefined;
  let text: string | undefined;
  try {
    text = await fs.readFile(trainerFile, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new CheckpointError(`cannot read ${trainerFile}: ${(e as Error).message}`);
  }
  if (text !== undefined) {
    try {
      trainerState = JSON.parse(text);
    } catch (e) {
      throw damaged(`${trainerFile}: not valid JSON (${(e as Error).message})`);
    }
    if (!trainerState || typeof trainerState !== 'object' || Array.isArray(trainerState)) throw damaged(`${trainerFile}: expected a JSON object`);
    if (trainerState.step !== meta.step) {
      throw damaged(`${trainerFile} is from step ${JSON.stringify(trainerState.step)}, weights.json from step ${meta.step}: the checkpoint mixes two steps`);
    }
  }
  return { dir, meta, weights: arrays, optimizer, trainerState };
}

/** Write `run.json`. */
export async function writeRunManifest(runDir: string, manifest: RunManifest): Promise<void> {
  await fs.mkdir(runDir, { recursive: true });
  const tmp = path.join(runDir, `.run.json.tmp-${process.pid}`);
  await writeFileDurable(tmp, JSON.stringify(manifest, null, 1));
  await fs.rename(tmp, path.join(runDir, 'run.json'));
  await syncDir(runDir);
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
 * keys that version implied (see `legacyModelKeys`), and a version-1 or -2
 * run's `bridgeFrom: "final"`.
 */
export function upgradeManifest(json: RunManifest): RunManifest {
  if (json.format === RUN_FORMAT) return json;
  const legacy = json.format === 'seq2seq-lab/run@1' ? legacyModelKeys(json.config.model) : {};
  // Typed as the current config, but written before bridgeFrom (and, in version 1, other keys) existed.
  const model: ModelConfig = { ...legacy, bridgeFrom: 'final', ...(json.config.model as Partial<ModelConfig>) } as ModelConfig;
  return { ...json, format: RUN_FORMAT, config: { ...json.config, model } };
}

/**
 * Resolve a user-given model path to its run folder and checkpoint folder.
 * Accepts a run folder (uses `best/`, else `last/`, see `findCheckpoint`) or a checkpoint folder.
 * @throws CheckpointError when no checkpoint is found
 */
export async function resolveModelPath(p: string): Promise<{ runDir: string; checkpointDir: string }> {
  const abs = path.resolve(p);
  if (await exists(path.join(abs, 'weights.json'))) return { runDir: path.dirname(abs), checkpointDir: abs };
  for (const kind of CHECKPOINT_KINDS) {
    const dir = await findCheckpoint(abs, kind);
    if (dir) return { runDir: abs, checkpointDir: dir };
  }
  throw new CheckpointError((await exists(abs)) ? `${p} holds no checkpoint (expected best/ or last/ with weights.json)` : `${p} does not exist`);
}

/** File name of a `bpe` run's merges, in the run folder. */
export const BPE_FILE = 'bpe.json';
/** Format of `bpe.json`. */
export const BPE_FORMAT = 'seq2seq-lab/bpe@1';

/** What run.json records about its `bpe.json`, to recognise an edited or exchanged file. */
export interface BpeFileInfo {
  file: typeof BPE_FILE;
  /** SHA-256 (hex) of the file's bytes. */
  sha256: string;
  joint: boolean;
  srcMerges: number;
  tgtMerges: number;
}

/**
 * Writes `<runDir>/bpe.json`: `{format, joint, src: ["l r", …], tgt: […]}`,
 * one merge per line as `left right` (symbols never contain a space), in
 * rank order. Durable (fsynced) before it returns.
 * @returns what run.json records about it
 */
export async function writeBpeFile(runDir: string, bpe: StoredBpe): Promise<BpeFileInfo> {
  const text = JSON.stringify({ format: BPE_FORMAT, joint: bpe.joint, src: bpe.src.map((m) => m.join(' ')), tgt: bpe.tgt.map((m) => m.join(' ')) }, null, 1);
  await fs.mkdir(runDir, { recursive: true });
  await writeFileDurable(path.join(runDir, BPE_FILE), text);
  return { file: BPE_FILE, sha256: createHash('sha256').update(text).digest('hex'), joint: bpe.joint, srcMerges: bpe.src.length, tgtMerges: bpe.tgt.length };
}

/** Refusal of a bad `bpe.json`. */
function badBpe(file: string, what: string): CheckpointError {
  return new CheckpointError(`${file}: ${what}. The run's BPE merges are damaged or were edited: restore the file or train again`);
}

/**
 * Checks one side's merge list: each entry `"left right"` with two non-empty
 * symbols, each a single character (a leading `▁` glued to it allowed on the
 * left) or the result of an earlier merge; a `▁` only at a symbol's start and
 * never on the right.
 */
function parseMerges(file: string, side: string, raw: unknown): BpeMerge[] {
  if (!Array.isArray(raw)) throw badBpe(file, `expected "${side}" to be a list of "left right" merges`);
  const made = new Set<string>();
  const known = (sym: string) => made.has(sym) || initialSymbols(sym).length === 1;
  return raw.map((entry, i) => {
    const where = `${side}[${i}]`;
    const parts = typeof entry === 'string' ? entry.split(' ') : [];
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '') throw badBpe(file, `${where} must be two symbols separated by one space, got ${JSON.stringify(entry)?.slice(0, 80)}`);
    const [l, r] = parts;
    if (r.includes(WORD_START) || l.lastIndexOf(WORD_START) > 0) throw badBpe(file, `${where} ${JSON.stringify(entry)}: "${WORD_START}" may only start the left symbol`);
    for (const sym of parts) {
      if (!known(sym)) throw badBpe(file, `${where} ${JSON.stringify(entry)}: symbol ${JSON.stringify(sym)} is neither one character nor made by an earlier merge`);
    }
    made.add(l + r);
    return [l, r] as const;
  });
}

/**
 * Reads and checks a run's `bpe.json` against what its run.json recorded
 * (SHA-256, joint, merge counts), then every merge (see `parseMerges`).
 * @throws CheckpointError naming the file and the first problem: missing,
 *   not JSON (e.g. cut short), another format, edited, or a malformed merge
 */
export async function readBpeFile(runDir: string, info: BpeFileInfo): Promise<StoredBpe> {
  const file = path.join(runDir, BPE_FILE);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    throw badBpe(file, `cannot read it (${(e as Error).message})`);
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw badBpe(file, `not valid JSON, perhaps cut short (${(e as Error).message})`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw badBpe(file, 'expected a JSON object');
  if (json.format !== BPE_FORMAT) throw badBpe(file, `format ${JSON.stringify(json.format)} is not ${BPE_FORMAT}`);
  if (typeof json.joint !== 'boolean') throw badBpe(file, 'expected "joint" to be true or false');
  const src = parseMerges(file, 'src', json.src);
  const tgt = parseMerges(file, 'tgt', json.tgt);
  if (json.joint && (src.length !== tgt.length || src.some((m, i) => m[0] !== tgt[i][0] || m[1] !== tgt[i][1]))) {
    throw badBpe(file, '"joint" is true but "src" and "tgt" differ');
  }
  if (json.joint !== info.joint || src.length !== info.srcMerges || tgt.length !== info.tgtMerges) {
    throw badBpe(
      file,
      `holds ${src.length} source and ${tgt.length} target merges (joint ${json.joint}); run.json records ${info.srcMerges} and ${info.tgtMerges} (joint ${info.joint})`,
    );
  }
  const sha = createHash('sha256').update(text).digest('hex');
  if (sha !== info.sha256) throw badBpe(file, `its SHA-256 ${sha.slice(0, 12)}… differs from the ${info.sha256.slice(0, 12)}… run.json recorded when it was written`);
  return { joint: json.joint, src, tgt };
}

/**
 * The source and target tokenizers of a run: from run.json, and for a
 * `bpe` run with the merges of its `bpe.json` (checked, see `readBpeFile`).
 * @throws CheckpointError for a bad tokenizer description or `bpe.json`
 */
export async function loadRunTokenizers(runDir: string, manifest: RunManifest): Promise<{ src: Tokenizer; tgt: Tokenizer; bpe?: StoredBpe }> {
  const file = path.join(runDir, 'run.json');
  if (manifest.srcTokenizer?.kind === 'bpe' || manifest.tgtTokenizer?.kind === 'bpe') {
    if (!manifest.bpe) throw new CheckpointError(`${file}: a "bpe" tokenizer needs the "bpe" entry describing ${BPE_FILE}; the run folder is incomplete or run.json was edited`);
    const bpe = await readBpeFile(runDir, manifest.bpe);
    const lower = (j: TokenizerJSON) => j.lowercase === true;
    const src = new BpeTokenizer(new BpeCodes(bpe.src), lower(manifest.srcTokenizer));
    const tgt = new BpeTokenizer(bpe.joint ? src.codes : new BpeCodes(bpe.tgt), lower(manifest.tgtTokenizer));
    return { src, tgt, bpe };
  }
  try {
    return { src: tokenizerFromJSON(manifest.srcTokenizer), tgt: tokenizerFromJSON(manifest.tgtTokenizer) };
  } catch (e) {
    throw new CheckpointError(`${file}: ${(e as Error).message}`);
  }
}
