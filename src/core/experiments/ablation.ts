/**
 * One-factor-at-a-time ablations, shared by `seq2seq ablate` and VS Code's
 * "Seq2Seq: Run Ablation": parsing `field=v1,v2,…` against the config schema,
 * expanding a base config into variants (each the base with exactly one field
 * changed), the equal training budget, run-folder names, the sequencing of the
 * variants (a failed variant does not stop the others; a stop request ends the
 * current one and skips the rest) and the `ablation.json` summary.
 *
 * The schema is read at run time (schemas/config.schema.json), so a field or
 * value added to it (e.g. `model.type`) can be ablated without a change here.
 * No `vscode` import and no ajv: whole-config validation is passed in (the
 * config loader's `validateConfigObject`), so that the extension can load the
 * loader lazily.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import configSchema from '../../../schemas/config.schema.json';
import type { Seq2SeqConfig } from '../config/config';

/** The parts of a JSON-schema node this module reads. */
export interface SchemaNode {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  oneOf?: SchemaNode[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  default?: unknown;
  description?: string;
  properties?: Record<string, SchemaNode>;
  $ref?: string;
}

/** The config schema as shipped (schemas/config.schema.json). */
export const CONFIG_SCHEMA = configSchema as unknown as SchemaNode;

/** A bad `--set field=v1,v2` (or the same from VS Code): the message names the field and what the schema allows. */
export class AblationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AblationError';
  }
}

/** Validates a whole config object and fills in defaults (the config loader's `validateConfigObject`); throws a ConfigError naming `sourceName` and the field. */
export type ValidateConfig = (obj: unknown, sourceName: string) => Seq2SeqConfig;

/** Sections whose leaf settings can be ablated. */
const SECTIONS = ['data', 'model', 'train'] as const;
/** The budget every variant shares: never a factor of the ablation. */
const BUDGET_FIELDS = new Set(['train.maxMinutes', 'train.maxSteps']);

/**
 * The schema node of a dotted config path (`model.attention`), or undefined
 * when the schema has no such key.
 */
export function schemaField(field: string, schema: SchemaNode = CONFIG_SCHEMA): SchemaNode | undefined {
  let node: SchemaNode | undefined = schema;
  for (const seg of field.split('.')) {
    node = node?.properties?.[seg];
    if (!node) return undefined;
  }
  return node;
}

/** What kind of values a leaf takes, or undefined for objects, paths and other non-ablatable keys. */
function kindOf(node: SchemaNode): AblatableField['kind'] | undefined {
  if (node.enum) return 'enum';
  if (node.type === 'integer' || node.type === 'number' || node.type === 'boolean') return node.type;
  if (node.oneOf?.some((o) => o.type === 'integer' || o.type === 'number')) return 'integer';
  return undefined;
}

/** One setting that can be ablated, as the VS Code picker lists it. */
export interface AblatableField {
  /** Dotted path, e.g. `model.attention`. */
  field: string;
  kind: 'enum' | 'integer' | 'number' | 'boolean';
  /** The allowed values of an enum (as strings). */
  values?: string[];
  /** What the schema allows, in words (see {@link describeAllowed}). */
  allowed: string;
  description: string;
}

/**
 * The settings under `data.*`, `model.*` and `train.*` whose values are enums,
 * numbers or booleans (the training budget `train.maxMinutes` /
 * `train.maxSteps` excepted), in schema order.
 */
export function ablatableFields(schema: SchemaNode = CONFIG_SCHEMA): AblatableField[] {
  const out: AblatableField[] = [];
  for (const section of SECTIONS) {
    for (const [key, node] of Object.entries(schema.properties?.[section]?.properties ?? {})) {
      const field = `${section}.${key}`;
      const kind = kindOf(node);
      if (!kind || BUDGET_FIELDS.has(field)) continue;
      out.push({ field, kind, values: node.enum?.map(String), allowed: describeAllowed(node), description: node.description ?? '' });
    }
  }
  return out;
}

/** "one of "none", "bahdanau"", "an integer ≥ 1 and ≤ 8", "true or false", … */
export function describeAllowed(node: SchemaNode): string {
  if (node.enum) return `one of ${node.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  if (node.oneOf) return node.oneOf.map(describeAllowed).join(', or ');
  if (node.const !== undefined) return JSON.stringify(node.const);
  if (node.type === 'boolean') return 'true or false';
  const bounds: string[] = [];
  if (node.minimum !== undefined) bounds.push(`>= ${node.minimum}`);
  if (node.exclusiveMinimum !== undefined) bounds.push(`> ${node.exclusiveMinimum}`);
  if (node.maximum !== undefined) bounds.push(`<= ${node.maximum}`);
  if (node.exclusiveMaximum !== undefined) bounds.push(`< ${node.exclusiveMaximum}`);
  const what = node.type === 'integer' ? 'an integer' : node.type === 'number' ? 'a number' : node.type === 'string' ? 'a string' : 'a value';
  return bounds.length ? `${what} ${bounds.join(' and ')}` : what;
}

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

/** A value typed as the schema node says: numbers and booleans parsed, other text kept (so that validation names it). */
function parseValue(text: string, node: SchemaNode | undefined): unknown {
  const t = text.trim();
  if (!node) {
    try {
      return JSON.parse(t) as unknown;
    } catch {
      return t;
    }
  }
  const types = [node.type, ...(node.oneOf ?? []).map((o) => o.type)].flat().filter((x) => x !== undefined);
  if ((types.includes('integer') || types.includes('number')) && NUMBER.test(t)) return Number(t);
  if (types.includes('boolean') && (t === 'true' || t === 'false')) return t === 'true';
  return t;
}

/** One `field=v1,v2,…`: the field and its values, typed by the schema. */
export interface AblationSpec {
  field: string;
  values: unknown[];
  /** As given, e.g. `model.attention=none,bahdanau`. */
  text: string;
}

/**
 * Enum settings other than `field` that accept `value` (e.g. "transformer"
 * given for `model.attention` is a value of `model.type` once the schema has it).
 */
function otherFieldsWithValue(field: string, value: unknown, schema: SchemaNode): string[] {
  const out: string[] = [];
  for (const section of SECTIONS) {
    for (const [key, node] of Object.entries(schema.properties?.[section]?.properties ?? {})) {
      const f = `${section}.${key}`;
      if (f !== field && node.enum?.includes(value)) out.push(f);
    }
  }
  return out;
}

/**
 * Parse `field=v1,v2,…` (what `seq2seq ablate --set` takes): the field is a
 * dotted path into the config, the values are comma-separated and typed by the
 * field's schema (integers and numbers, `true`/`false`, strings).
 * @throws AblationError when the text is not `field=v1,…`, a value is empty or
 *   repeated, the field is a section or a path-valued key, the field is the
 *   training budget, or an enum value belongs to another field (with the
 *   spelling to use). Unknown fields and out-of-range values are left to
 *   {@link expandVariants}, whose whole-config validation names them.
 */
export function parseAblationSpec(text: string, schema: SchemaNode = CONFIG_SCHEMA): AblationSpec {
  const eq = text.indexOf('=');
  const field = eq > 0 ? text.slice(0, eq).trim() : '';
  if (!field || field.split('.').some((s) => s === '')) {
    throw new AblationError(`"${text}" is not of the form field=value1,value2 (e.g. model.attention=none,bahdanau)`);
  }
  const texts = text.slice(eq + 1).split(',').map((v) => v.trim());
  if (texts.some((v) => v === '')) throw new AblationError(`${field}: empty value in "${text}" (give values separated by commas, e.g. ${field}=a,b)`);
  if (BUDGET_FIELDS.has(field)) {
    throw new AblationError(`${field} is the training budget every variant shares; set it with --minutes / --steps, and ablate another field`);
  }
  const node = schemaField(field, schema);
  if (node && !kindOf(node) && node.type !== 'string') {
    const leaves = node.properties ? Object.keys(node.properties).slice(0, 4).map((k) => `${field}.${k}`) : [];
    throw new AblationError(
      `${field} is not a single setting that can be ablated` + (leaves.length ? ` (it is a section: ablate one of its fields, e.g. ${leaves.join(', ')})` : ''),
    );
  }
  const values = texts.map((t) => parseValue(t, node));
  if (node?.enum) {
    for (const v of values) {
      if (node.enum.includes(v)) continue;
      const others = otherFieldsWithValue(field, v, schema);
      if (others.length) {
        const what = v === 'transformer' && others.includes('model.type') ? 'the Transformer is model.type=transformer' : `${JSON.stringify(v)} is a value of ${others.join(' and ')}`;
        throw new AblationError(`${field} has no value ${JSON.stringify(v)} (allowed: ${node.enum.map((x) => JSON.stringify(x)).join(', ')}); ${what}: use --set ${others[0]}=${String(v)}`);
      }
    }
  }
  const seen = new Set<string>();
  for (const v of values) {
    const k = JSON.stringify(v);
    if (seen.has(k)) throw new AblationError(`${field}: the value ${k} is given twice in "${text}"`);
    seen.add(k);
  }
  return { field, values, text };
}

/** One configuration to train: the base, or the base with one field changed. */
export interface Variant {
  /** Short, folder-safe id: `attention-none`, `layers-2`, or `base`. */
  id: string;
  /** `model.attention=none`, or `base`. */
  label: string;
  /** The changed field and its value (absent for the base). */
  field?: string;
  value?: unknown;
  /** `train.seed` of this run when the ablation repeats every variant over seeds (`--seeds`). */
  seed?: number;
  config: Seq2SeqConfig;
}

/** Lower-case letters, digits, `.` and `-` only. */
function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9.]+/g, '-').replace(/^[-.]+|[-.]+$/g, '') || 'x';
}

function setAt(obj: Record<string, unknown>, field: string, value: unknown): void {
  const segs = field.split('.');
  let at = obj;
  for (const s of segs.slice(0, -1)) {
    if (typeof at[s] !== 'object' || at[s] === null || Array.isArray(at[s])) at[s] = {};
    at = at[s] as Record<string, unknown>;
  }
  at[segs[segs.length - 1]!] = value;
}

/** The value at a dotted path of a config (undefined when absent). */
export function valueAt(config: unknown, field: string): unknown {
  let v: unknown = config;
  for (const s of field.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[s];
  }
  return v;
}

/**
 * The variants of a one-factor-at-a-time ablation: for each spec, one variant
 * per value, the base config with that field set to the value (and,
 * with `includeBase`, the unchanged base first). With `seeds`, each of those
 * once per seed, in order (`train.seed` the seed, `data.splitSeed` the
 * base's split, so every run is scored on the same test pairs). Every
 * variant is validated as a whole config before anything trains.
 * @param base resolved config (defaults filled in, absolute data paths)
 * @throws AblationError when no value is given or a field is given twice;
 *   for seeds that are not distinct whole numbers ≥ 0, or with an ablation
 *   of `train.seed` or `data.splitSeed` itself;
 *   the validator's ConfigError (naming `--set field=…`, the field and what
 *   it allows) for an unknown field or a value the schema rejects
 */
export function expandVariants(
  base: Seq2SeqConfig,
  specs: readonly AblationSpec[],
  opts: { includeBase?: boolean; validate: ValidateConfig; seeds?: readonly number[] },
): Variant[] {
  if (specs.length === 0) throw new AblationError('no field to ablate: give at least one --set field=value1,value2');
  const seeds = opts.seeds ?? [];
  if (seeds.length > 0) {
    for (const s of seeds) if (!Number.isInteger(s) || s < 0) throw new AblationError(`--seeds: expected whole numbers ≥ 0 (got ${s})`);
    if (new Set(seeds).size !== seeds.length) throw new AblationError(`--seeds: a seed is given twice (${seeds.join(', ')})`);
    const clash = specs.find((s) => s.field === 'train.seed' || s.field === 'data.splitSeed');
    if (clash) throw new AblationError(`--seeds sets train.seed of every run: ablate ${clash.field} without --seeds, or drop its --set`);
  }
  const fields = new Set<string>();
  for (const s of specs) {
    if (fields.has(s.field)) throw new AblationError(`${s.field} is given in two --set options; list all its values in one (--set ${s.field}=a,b,c)`);
    fields.add(s.field);
  }
  const variants: Variant[] = [];
  if (opts.includeBase) variants.push({ id: 'base', label: 'base', config: opts.validate(structuredClone(base), 'the base config') });
  for (const s of specs) {
    const key = s.field.split('.').pop()!;
    for (const value of s.values) {
      const obj = structuredClone(base) as unknown as Record<string, unknown>;
      setAt(obj, s.field, value);
      // Settings that belong to one value of the field go with it: `data.bpe` only exists for the bpe
      // tokenizer (a bpe variant gets its defaults from validation; a word or char one drops it).
      if (s.field === 'data.tokenizer' && value !== 'bpe') delete (obj.data as Record<string, unknown>).bpe;
      const config = opts.validate(obj, `--set ${s.text}`);
      variants.push({ id: `${slug(key)}-${slug(String(value))}`, label: `${s.field}=${String(value)}`, field: s.field, value, config });
    }
  }
  if (seeds.length === 0) return variants;
  // Every variant once per seed: train.seed (initialisation, batch order, dropout) varies, the held-out
  // pairs do not (data.splitSeed fixed at the base's split), so the runs of a variant differ by their
  // seed only and all runs are scored on the same test pairs.
  return variants.flatMap((v) =>
    seeds.map((seed) => {
      const obj = structuredClone(v.config) as unknown as Record<string, unknown>;
      setAt(obj, 'train.seed', seed);
      setAt(obj, 'data.splitSeed', v.config.data.splitSeed ?? v.config.train.seed);
      const config = opts.validate(obj, `--seeds ${seed}`);
      return { ...v, id: `${v.id}-seed-${seed}`, label: `${v.label}${SEED_SEPARATOR}${seed}`, seed, config };
    }),
  );
}

/**
 * A list of seeds as typed (`1,2,3` or `1, 2, 3`; blank: none), for
 * `ablate --seeds` and VS Code's Run Ablation: the seeds, or what is wrong
 * (a part that is not a whole number ≥ 0, or a seed given twice), for the
 * caller to say in its language.
 */
export function parseSeedList(text: string): { seeds: number[] } | { notASeed: string } | { twice: number } {
  if (text.trim() === '') return { seeds: [] };
  const seeds: number[] = [];
  for (const part of text.split(',').map((x) => x.trim())) {
    const n = Number(part);
    if (part === '' || !Number.isInteger(n) || n < 0) return { notASeed: part };
    if (seeds.includes(n)) return { twice: n };
    seeds.push(n);
  }
  return { seeds };
}

/** Between a variant's label and its seed (`model.attention=none · train.seed=2`). */
const SEED_SEPARATOR = ' · train.seed=';

/** A variant's label without its seed: the label shared by its runs over seeds. */
export function variantGroupLabel(label: string): string {
  const at = label.indexOf(SEED_SEPARATOR);
  return at < 0 ? label : label.slice(0, at);
}

/** Mean and sample standard deviation (n − 1; 0 for one value) of the finite values, with their count. */
export interface MeanSd {
  mean: number;
  sd: number;
  n: number;
}

function meanSd(values: readonly number[]): MeanSd {
  const v = values.filter((x) => Number.isFinite(x));
  const n = v.length;
  if (n === 0) return { mean: NaN, sd: NaN, n: 0 };
  const mean = v.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) * (b - mean), 0) / (n - 1)) : 0;
  return { mean, sd, n };
}

/** One variant of a seeded ablation, over its runs. */
export interface SeedGroup {
  /** The variant's label without the seed (`model.attention=none`, `base`). */
  label: string;
  field?: string;
  value?: unknown;
  /** Seeds of its runs, in order (all, whatever their status). */
  seeds: number[];
  /** Test BLEU and perplexity of the runs evaluated on test, and best validation BLEU of the trained ones. */
  testBleu: MeanSd;
  testPerplexity: MeanSd;
  validBleu: MeanSd;
}

/**
 * The runs of an ablation with `--seeds`, grouped by variant (in order of
 * first appearance): mean ± sample standard deviation over seeds. Runs that
 * did not finish or were not evaluated count only where they have the value.
 */
export function seedGroups(results: readonly VariantResult[]): SeedGroup[] {
  const groups = new Map<string, VariantResult[]>();
  for (const r of results) {
    const k = variantGroupLabel(r.label);
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  }
  return [...groups.entries()].map(([label, rs]) => ({
    label,
    ...(rs[0]!.field !== undefined ? { field: rs[0]!.field, value: rs[0]!.value } : {}),
    seeds: rs.flatMap((r) => (r.seed !== undefined ? [r.seed] : [])),
    testBleu: meanSd(rs.map((r) => r.test?.bleu ?? NaN)),
    testPerplexity: meanSd(rs.map((r) => r.test?.perplexity ?? NaN)),
    validBleu: meanSd(rs.map((r) => (r.status === 'finished' || r.status === 'stopped' ? (r.valid?.bleu ?? NaN) : NaN))),
  }));
}

/** The training budget every variant gets: minutes of wall-clock training and/or optimisation steps (absent: the base config's). */
export interface AblationBudget {
  maxMinutes?: number;
  maxSteps?: number;
}

/** `config` with the shared budget applied (`train.maxMinutes`, `train.maxSteps`). */
export function withBudget(config: Seq2SeqConfig, budget: AblationBudget): Seq2SeqConfig {
  return {
    ...config,
    train: {
      ...config.train,
      ...(budget.maxMinutes !== undefined ? { maxMinutes: budget.maxMinutes } : {}),
      ...(budget.maxSteps !== undefined ? { maxSteps: budget.maxSteps } : {}),
    },
  };
}

/** The run name of a variant: `<name>-<variant id>` (e.g. `tatoeba-attention-none`); a timestamp is appended for the folder. */
export function variantRunName(name: string, variant: Variant): string {
  return `${name}-${variant.id}`;
}

/** What training one variant produced (from its `done` event and progress events). */
export interface VariantOutcome {
  runDir: string;
  /** Why it ended (`time-limit`, `max-steps`, `cancelled`, …). */
  reason: string;
  steps: number;
  /** Training time (s), as the trainer counts it. */
  elapsedSeconds: number;
  /** Mean of the logged training speeds (target tokens per second; NaN when none was logged). */
  tokensPerSecond: number;
  /** Best validation BLEU and the validation perplexity at that checkpoint. */
  valid: { bleu: number; perplexity: number };
  /** The best checkpoint on the run's held-out test pairs (when evaluated). */
  test?: TestResult;
  /** Why the test evaluation failed (training itself succeeded). */
  testError?: string;
}

/** Test-set figures of a variant's best checkpoint. */
export interface TestResult {
  bleu: number;
  perplexity: number;
  sentences: number;
  beam: number;
  /** BLEU by source length (rows of `bleuByLength`). */
  byLength?: unknown[];
}

/** One variant's line of the summary. */
export interface VariantResult extends Partial<VariantOutcome> {
  id: string;
  label: string;
  field?: string;
  value?: unknown;
  /** `train.seed` of the run (ablations with `--seeds`). */
  seed?: number;
  /**
   * `finished`: trained to its budget; `stopped`: stopped by the user (its last/ checkpoint is kept); `failed`: an error (see `error`);
   * `skipped`: not trained after a stop; `submitted`: a Slurm array task not collected yet (`seq2seq jobs status` fills it in).
   */
  status: 'finished' | 'stopped' | 'failed' | 'skipped' | 'submitted';
  error?: string;
  /** The Slurm job of the variant (`123_4`), for an ablation run as a job array. */
  jobId?: string;
}

/**
 * Train `variants` one after another. A variant whose `train` throws is
 * recorded as failed (with the message) and the next one runs. Once
 * `stopRequested()` is true, or a variant ends with reason `cancelled`
 * (recorded as `stopped`: the user stopped it), every later one is skipped.
 * @param train trains one variant (index 0-based) and returns its outcome;
 *   it calls `runDirChosen` with the variant's run folder before training, so
 *   that a failed variant's folder is in the summary too
 * @param onVariant called before each variant starts
 */
export async function runVariants(
  variants: readonly Variant[],
  train: (variant: Variant, index: number, runDirChosen: (runDir: string) => void) => Promise<VariantOutcome>,
  opts: { stopRequested: () => boolean; onVariant?: (variant: Variant, index: number, count: number) => void; describeError?: (e: unknown) => string },
): Promise<VariantResult[]> {
  const results: VariantResult[] = [];
  const describe = opts.describeError ?? ((e: unknown) => (e instanceof Error ? e.message : String(e)));
  let stopped = false;
  for (const [i, v] of variants.entries()) {
    const head = { id: v.id, label: v.label, ...(v.field !== undefined ? { field: v.field, value: v.value } : {}), ...(v.seed !== undefined ? { seed: v.seed } : {}) };
    if (stopped || opts.stopRequested()) {
      results.push({ ...head, status: 'skipped' });
      continue;
    }
    opts.onVariant?.(v, i, variants.length);
    let runDir: string | undefined;
    try {
      const o = await train(v, i, (d) => (runDir = d));
      if (o.reason === 'cancelled') stopped = true;
      results.push({ ...head, status: o.reason === 'cancelled' ? 'stopped' : 'finished', ...o });
    } catch (e) {
      results.push({ ...head, status: 'failed', error: describe(e), ...(runDir !== undefined ? { runDir } : {}) });
    }
  }
  return results;
}

/** Mean of the `tokensPerSecond` of a run's progress events (NaN when there is none). */
export function meanTokensPerSecond(events: readonly { type: string; tokensPerSecond?: number }[]): number {
  const v = events.filter((e) => e.type === 'progress' && Number.isFinite(e.tokensPerSecond)).map((e) => e.tokensPerSecond!);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
}

/** The file `ablation.json` describes. */
export interface AblationSummary {
  version: 1;
  name: string;
  /** The base config file (absolute), or null for a config without a file. */
  baseConfig: string | null;
  /** The ablated fields and their values, in order. */
  fields: string[];
  specs: { field: string; values: unknown[] }[];
  includeBase: boolean;
  /** `--seeds`: every variant trained once per seed (`train.seed`); `groups` holds the mean ± sd over them. */
  seeds?: number[];
  /** For `seeds`: each variant over its seeds (filled in once the runs are collected). */
  groups?: SeedGroup[];
  /** The budget each variant had (train.maxMinutes, train.maxSteps; 0 = unlimited). */
  budget: { maxMinutes: number; maxSteps: number };
  /** Beam size of the test evaluation (CLI), absent when the runs were not evaluated on test. */
  testBeam?: number;
  started: string;
  finished: string;
  /** Run folders of the variants that trained (absolute), in order. */
  runDirs: string[];
  variants: VariantResult[];
  /** Set for an ablation run as a Slurm job array (`ablate --executor slurm`): the array's job id. */
  slurm?: { jobId: string; cluster?: string; submitted: string };
}

/** Summary of an ablation (the content of `ablation.json`). */
export function makeSummary(args: {
  name: string;
  baseConfig?: string;
  specs: readonly AblationSpec[];
  includeBase: boolean;
  budgetConfig: Seq2SeqConfig;
  testBeam?: number;
  started: Date;
  finished: Date;
  results: VariantResult[];
  /** `--seeds`, when given. */
  seeds?: readonly number[];
}): AblationSummary {
  return {
    version: 1,
    name: args.name,
    baseConfig: args.baseConfig ?? null,
    fields: args.specs.map((s) => s.field),
    specs: args.specs.map((s) => ({ field: s.field, values: s.values })),
    includeBase: args.includeBase,
    ...(args.seeds?.length ? { seeds: [...args.seeds], groups: seedGroups(args.results) } : {}),
    budget: { maxMinutes: args.budgetConfig.train.maxMinutes, maxSteps: args.budgetConfig.train.maxSteps },
    ...(args.testBeam !== undefined ? { testBeam: args.testBeam } : {}),
    started: args.started.toISOString(),
    finished: args.finished.toISOString(),
    runDirs: args.results.flatMap((r) => (r.runDir && r.status !== 'skipped' ? [r.runDir] : [])),
    variants: args.results,
  };
}

/** The ablation's own folder under the runs folder: `<runs>/<name>-ablation-<stamp>`. */
export function ablationDirName(name: string, stamp: string): string {
  return `${name}-ablation-${stamp}`;
}

/**
 * Write `<dir>/ablation.json` (folders created as needed; NaN and ±∞ written as null).
 * @returns the file's path
 */
export async function writeAblationSummary(dir: string, summary: AblationSummary): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, 'ablation.json');
  const text = JSON.stringify(summary, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2);
  await fs.writeFile(file, text + '\n');
  return file;
}

/**
 * A variant's outcome from its recorded events (its metrics.jsonl, as VS Code
 * reads it after the worker ended): the last `done` event and the mean
 * logged speed; undefined when the run recorded no `done` (it failed).
 */
export function outcomeFromEvents(
  runDir: string,
  events: readonly ({ type: string; tokensPerSecond?: number } | { type: 'done'; reason: string; step: number; elapsedSeconds: number; bestBleu: number; bestPerplexity: number })[],
): VariantOutcome | undefined {
  const done = [...events].reverse().find((e): e is { type: 'done'; reason: string; step: number; elapsedSeconds: number; bestBleu: number; bestPerplexity: number } => e.type === 'done');
  if (!done) return undefined;
  return {
    runDir,
    reason: done.reason,
    steps: done.step,
    elapsedSeconds: done.elapsedSeconds,
    tokensPerSecond: meanTokensPerSecond(events as { type: string; tokensPerSecond?: number }[]),
    valid: { bleu: done.bestBleu ?? NaN, perplexity: done.bestPerplexity ?? NaN },
  };
}
